/**
 * Ends every test run with the reason for each skip, one line per file and
 * reason, and one plain line, `tests: N passed, N failed, N skipped`, that any
 * CI can read whatever it knows of vitest. A skip's reason is the note given to
 * ctx.skip(), or the "(skipped: ...)" its name or a suite's name carries
 * (test/helpers/skip.ts); a skip with neither is listed as having no reason.
 */
import type { Reporter, TestCase, TestModule, TestSuite, Vitest } from 'vitest/node';

/** Why `t` was skipped, or undefined when nothing says. */
export function skipReason(t: TestCase): string | undefined {
  const r = t.result();
  if (r.state === 'skipped' && r.note) return r.note;
  const named = /\(skipped: (.*)\)$/;
  for (let at: TestCase | TestSuite | TestModule = t; at.type !== 'module'; at = at.parent) {
    const m = named.exec(at.name);
    if (m) return m[1];
  }
  return undefined;
}

export default class SummaryReporter implements Reporter {
  private namePattern: RegExp | undefined;

  onInit(vitest: Vitest): void {
    this.namePattern = vitest.config.testNamePattern; // -t: the tests it leaves out are not skips to explain
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const reasons = new Map<string, number>(); // "<file>: <reason>" -> tests
    for (const m of testModules) {
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) failed++; // a file that failed to load
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === 'passed') passed++;
        else if (s === 'failed') failed++;
        else {
          skipped++;
          if (this.namePattern && !this.namePattern.test(t.fullName.replaceAll(' > ', ' '))) {
            reasons.set(`${m.relativeModuleId}: not selected by -t`, (reasons.get(`${m.relativeModuleId}: not selected by -t`) ?? 0) + 1);
            continue;
          }
          const key = `${m.relativeModuleId}: ${skipReason(t) ?? `NO REASON GIVEN for "${t.fullName}"`}`;
          reasons.set(key, (reasons.get(key) ?? 0) + 1);
        }
      }
    }
    const lines = [...reasons].sort(([a], [b]) => a.localeCompare(b)).map(([key, n]) => `skipped ${n} in ${key}`);
    process.stdout.write(`\n${lines.map((l) => `${l}\n`).join('')}tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
