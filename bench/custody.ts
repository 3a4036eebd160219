/**
 * Benchmark: the custody log. Builds a case with EXHIBIT_BENCH_ENTRIES
 * custody transfers (default 1000) through the case store, one transaction
 * each, and measures: the time to append an entry as the log grows (each
 * append checks the whole log first and signs a new checkpoint), exhibit's
 * check of the whole log in-process and through `exhibit custody verify`, and
 * the same check done by the standard-tools script in SECURITY.md (sha256sum,
 * sed and openssl, one process per step), which is the peer here: no other
 * acquisition tool signs its log. Not a test; exits 1 if either check
 * rejects the log.
 *
 *   npm run bench:custody [-- --json]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CaseStore, createKey, exhibitPaths, exportCustody, loadSigner, logLines, openCase, recordTransfer, registerEvidence } from '../case-store/index.js';
import { checkCustodyLog } from '../core/custody-check.js';
import { die, log, machine, median, report, ROOT, SCRATCH, table } from './lib.js';

const N = Number(process.env.EXHIBIT_BENCH_ENTRIES ?? 1000);
const ROUNDS = 3;
const home = path.join(SCRATCH, 'custody-home');
const folder = path.join(SCRATCH, 'custody-folder');
const EV = 'EV-1';

function main(): void {
  fs.rmSync(SCRATCH, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true });
  const store = CaseStore.open(exhibitPaths({ EXHIBIT_HOME: home }));
  createKey(store, 'Bench Examiner');
  createKey(store, 'Bench Analyst');
  const a = loadSigner(store, 'Bench Examiner');
  const b = loadSigner(store, 'Bench Analyst');
  openCase(store, 'BENCH-1', 'custody bench', a);
  registerEvidence(store, 'BENCH-1', { number: EV, serial: 'S-1', seals: ['A-1'] }, a);

  log(`appending ${N} transfers, one transaction each (each checks the whole log, then signs)`);
  const ms: number[] = [];
  for (let i = 0; i < N; i++) {
    const [from, to] = i % 2 === 0 ? [a, b] : [b, a];
    const t0 = performance.now();
    recordTransfer(store, 'BENCH-1', EV, from, { name: to.name, signer: to }, `hand-over ${i}`, 'bench');
    ms.push(performance.now() - t0);
  }
  const at = (k: number) => median(ms.slice(Math.max(0, k - 10), k));
  const c = store.getCase('BENCH-1');
  const lines = logLines(store, c);

  const t0 = performance.now();
  const check = checkCustodyLog(lines, {});
  const inProcessS = (performance.now() - t0) / 1000;
  if (check.problems.length > 0) die(`exhibit's own check rejects the bench log: ${check.problems[0]!.message}`);
  void exportCustody(store, c, folder, EV).then(() => {
    store.close();
    finish(lines.length, check.entries.reduce((n, e) => n + e.signatures.length, 0), at, inProcessS);
  });
}

function finish(entries: number, signatures: number, at: (k: number) => number, inProcessS: number): void {
  const wall = (argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): number => {
    const t0 = performance.now();
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
    if (r.status !== 0) die(`${argv.slice(0, 3).join(' ')} ... failed (${r.status}): ${(r.stdout + r.stderr).slice(-500)}`);
    return (performance.now() - t0) / 1000;
  };
  const md = fs.readFileSync(path.join(ROOT, 'SECURITY.md'), 'utf8');
  const script = /<!-- custody-check: begin -->\n```sh\n([\s\S]*?)```/.exec(md)?.[1] ?? die('SECURITY.md has no custody-check script');
  const exhibitS: number[] = [];
  const scriptS: number[] = [];
  const transferS: number[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    log(`round ${r}/${ROUNDS}: exhibit custody verify, the SECURITY.md script, exhibit custody transfer`);
    exhibitS.push(wall([process.execPath, path.join(ROOT, 'bin', 'exhibit.js'), 'custody', 'verify', folder]));
    scriptS.push(wall(['bash', '-c', script], { cwd: folder, env: { ...process.env, E: EV } }));
    transferS.push(
      wall([process.execPath, path.join(ROOT, 'bin', 'exhibit.js'), 'custody', 'transfer', 'BENCH-1', EV, '--from', 'Bench Examiner', '--to', 'Bench Analyst', '--purpose', 'bench', '--location', 'bench'], {
        env: { ...process.env, EXHIBIT_HOME: home },
      }),
    );
  }
  const result = {
    machine: machine(),
    entries,
    signatures,
    append_ms: { at_10: at(10), at_100: at(Math.min(100, N)), at_500: at(Math.min(500, N)), at_end: at(N) },
    check_in_process_s: inProcessS,
    check_entries_per_s: entries / inProcessS,
    exhibit_verify_s: median(exhibitS),
    standard_tools_script_s: median(scriptS),
    ratio_exhibit_to_script: median(exhibitS) / median(scriptS),
    cli_transfer_s: median(transferS),
  };
  fs.rmSync(SCRATCH, { recursive: true, force: true });
  report(
    () => result,
    () => [
      `machine: ${result.machine.cpu}, ${result.machine.cores} cores, node ${result.machine.node}`,
      `custody log of ${entries} entries (${signatures} signatures), in ${SCRATCH}; commands: medians of ${ROUNDS} rounds`,
      ...table(
        [{ title: 'value', width: 12 }],
        [
          ['append (check whole log + sign + checkpoint), log at 10', [`${result.append_ms.at_10.toFixed(2)} ms`]],
          ['  ... log at 100 entries', [`${result.append_ms.at_100.toFixed(2)} ms`]],
          ['  ... log at 500 entries', [`${result.append_ms.at_500.toFixed(2)} ms`]],
          [`  ... log at ${N} entries`, [`${result.append_ms.at_end.toFixed(2)} ms`]],
          ['check in-process (chain + every signature)', [`${result.check_entries_per_s.toFixed(0)} /s`]],
          ['exhibit custody verify <folder> (whole command)', [`${result.exhibit_verify_s.toFixed(2)} s`]],
          ['SECURITY.md script (sha256sum, sed, openssl)', [`${result.standard_tools_script_s.toFixed(2)} s`]],
          ['ratio exhibit / script', [result.ratio_exhibit_to_script.toFixed(3)]],
          ['exhibit custody transfer (whole command)', [`${result.cli_transfer_s.toFixed(2)} s`]],
        ],
        'measure',
      ),
    ],
  );
}

main();
