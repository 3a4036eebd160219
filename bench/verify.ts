/**
 * Benchmark: `exhibit verify` against libewf's `ewfverify` on the same E01
 * (exhibit's own, fast compression, of the cached input; made once, not
 * timed), every ratio of the speed issue's verify rows:
 *
 *   exhibit verify (MD5, SHA-1, SHA-256)  / ewfverify (MD5 only)        target 0.8
 *   exhibit verify (MD5, SHA-1, SHA-256)  / ewfverify -d sha1,sha256    target 0.6
 *   exhibit verify --hash md5             / ewfverify (MD5 only)        target 0.65
 *
 * exhibit also checks every chunk checksum, each piece against the pieces
 * file, each file's SHA-256 and the custody log. Each round runs the four
 * commands one after another (the order reversed every other round), and a
 * ratio is taken within the round, so a machine shared with other work slows
 * both sides of it alike; the figure printed is the median of the rounds'
 * ratios. CPU seconds (user + system, all threads) are printed beside them.
 * Not a test: it exits 1 if either tool rejects the image.
 *
 *   npm run bench:verify [-- --json]
 *   env: see bench/lib.ts (input, size, rounds); EXHIBIT_BENCH_BASELINE names
 *        another build's bin/exhibit.js (say, main's) to time in the same
 *        rounds: this build's time over the baseline's is printed too
 */
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { die, EVIDENCE, EXHIBIT, exhibitAcquire, INPUT, log, machine, median, MiB, ok, preflight, prepareInput, report, ROUNDS, SCRATCH, SIZE, table, waitIdle } from './lib.js';

const TARGETS = { all_vs_md5: 0.8, all_vs_all: 0.6, md5_vs_md5: 0.65 } as const;
const BASELINE = process.env.EXHIBIT_BENCH_BASELINE;

interface Timed { wall_s: number; cpu_s: number; rss_kib: number; out: string }

/** `argv` under GNU time: wall and CPU seconds (user + system, every thread), peak RSS, and what it printed. */
function timed(argv: string[]): Timed {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', ...argv], { encoding: 'utf8', maxBuffer: 64 * MiB, env: { ...process.env, EXHIBIT_NO_PROGRESS: '1', EXHIBIT_HOME: path.join(SCRATCH, 'home') } });
  const lines = (r.stderr ?? '').trimEnd().split('\n');
  const m = /^(\d+(?:\.\d+)?) (\d+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)$/.exec(lines.pop() ?? '');
  if (!m) die(`${argv.join(' ')} gave no timing (status ${r.status}):\n${(r.stderr ?? '').slice(-1500)}`);
  return { wall_s: Number(m[1]), rss_kib: Number(m[2]), cpu_s: Number(m[3]) + Number(m[4]), out: `${r.stdout ?? ''}${lines.join('\n')}` };
}

function main(): void {
  preflight([{ cmd: 'ewfverify', pkg: 'ewf-tools' }]);
  prepareInput();
  const dir = path.join(SCRATCH, 'image');
  log(`making the E01 once (not timed): exhibit acquire ${INPUT} -f e01 --compression fast`);
  exhibitAcquire(dir, ['--format', 'e01', '--compression', 'fast', '--hash', 'md5,sha1,sha256'], ['md5', 'sha1', 'sha256']);
  const image = path.join(dir, `${EVIDENCE}.E01`);
  const ewfOk = (t: Timed) => /ewfverify: SUCCESS/.test(t.out) || die(`ewfverify did not say SUCCESS:\n${t.out.slice(-1500)}`);
  const exhOk = (t: Timed) => /^VERIFIED/m.test(t.out) || die(`exhibit verify did not say VERIFIED:\n${t.out.slice(-1500)}`);
  const steps: [string, string[], (t: Timed) => unknown][] = [
    ['ewfverify (MD5)', ['ewfverify', '-q', image], ewfOk],
    ['ewfverify -d sha1,sha256', ['ewfverify', '-q', '-d', 'sha1,sha256', image], ewfOk],
    ['exhibit verify (MD5, SHA-1, SHA-256)', [process.execPath, EXHIBIT, 'verify', image, '--no-record'], exhOk],
    ['exhibit verify --hash md5', [process.execPath, EXHIBIT, 'verify', image, '--no-record', '--hash', 'md5'], exhOk],
    ...(BASELINE
      ? ([
          ['baseline verify (MD5, SHA-1, SHA-256)', [process.execPath, BASELINE, 'verify', image, '--no-record'], exhOk],
          ['baseline verify --hash md5', [process.execPath, BASELINE, 'verify', image, '--no-record', '--hash', 'md5'], exhOk],
        ] as [string, string[], (t: Timed) => unknown][])
      : []),
  ];
  waitIdle();
  const runs = new Map<string, Timed[]>(steps.map(([name]) => [name, []]));
  const ratios = { all_vs_md5: [] as number[], all_vs_all: [] as number[], md5_vs_md5: [] as number[] };
  const cpuRatios = { all_vs_md5: [] as number[], all_vs_all: [] as number[], md5_vs_md5: [] as number[] };
  const vsBaseline = { all: [] as number[], md5: [] as number[], all_cpu: [] as number[], md5_cpu: [] as number[] };
  const load: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    load.push(os.loadavg()[0]!);
    const order = round % 2 ? steps : [...steps].reverse();
    const got = new Map<string, Timed>();
    for (const [name, argv, check] of order) {
      const t = timed(argv);
      check(t);
      got.set(name, t);
      runs.get(name)!.push(t);
      log(`round ${round}/${ROUNDS} ${name.padEnd(38)} ${t.wall_s.toFixed(2)} s, CPU ${t.cpu_s.toFixed(2)} s, ${(t.rss_kib / 1024).toFixed(1)} MiB peak RSS`);
    }
    for (const [into, k] of [[ratios, 'wall_s'], [cpuRatios, 'cpu_s']] as const) {
      const w = (i: number) => got.get(steps[i]![0])![k];
      into.all_vs_md5.push(w(2) / w(0));
      into.all_vs_all.push(w(2) / w(1));
      into.md5_vs_md5.push(w(3) / w(0));
    }
    if (BASELINE) {
      const g = (i: number) => got.get(steps[i]![0])!;
      vsBaseline.all.push(g(2).wall_s / g(4).wall_s);
      vsBaseline.md5.push(g(3).wall_s / g(5).wall_s);
      vsBaseline.all_cpu.push(g(2).cpu_s / g(4).cpu_s);
      vsBaseline.md5_cpu.push(g(3).cpu_s / g(5).cpu_s);
    }
  }
  const r = { all_vs_md5: median(ratios.all_vs_md5), all_vs_all: median(ratios.all_vs_all), md5_vs_md5: median(ratios.md5_vs_md5) };
  const c = { all_vs_md5: median(cpuRatios.all_vs_md5), all_vs_all: median(cpuRatios.all_vs_all), md5_vs_md5: median(cpuRatios.md5_vs_md5) };
  const med = (name: string, k: 'wall_s' | 'cpu_s') => median(runs.get(name)!.map((t) => t[k]));
  const rss = (name: string) => Math.max(...runs.get(name)!.map((t) => t.rss_kib)) / 1024;
  const ratioOf = (name: string): string => (name === steps[2]![0] ? `${r.all_vs_md5.toFixed(3)} / ${r.all_vs_all.toFixed(3)}` : name === steps[3]![0] ? r.md5_vs_md5.toFixed(3) : '');
  report(
    () => ({ input: INPUT, size: SIZE, rounds: ROUNDS, load_1min: load, runs: Object.fromEntries(runs), ratios, median_ratios: r, cpu_ratios: cpuRatios, median_cpu_ratios: c, ...(BASELINE ? { baseline: BASELINE, vs_baseline: vsBaseline } : {}), targets: TARGETS }),
    () => [
      `machine: ${machine().cpu}, ${machine().cores} cores, node ${machine().node}; load average (1 min) at each round: ${load.map((l) => l.toFixed(1)).join(', ')}`,
      `input:   E01 (fast) of ${INPUT} (${(SIZE / MiB).toFixed(0)} MiB of media), page-cached, ${ROUNDS} rounds, ratios taken within each round`,
      ...table(
        [{ title: 'median s', width: 9 }, { title: 'MiB/s', width: 7 }, { title: 'CPU s', width: 7 }, { title: 'peak RSS MiB', width: 13 }, { title: 'ratio', width: 14 }],
        steps.map(([name]) => [name, [med(name, 'wall_s').toFixed(2), (SIZE / MiB / med(name, 'wall_s')).toFixed(0), med(name, 'cpu_s').toFixed(2), rss(name).toFixed(1), ratioOf(name)]]),
      ),
      `exhibit (MD5, SHA-1, SHA-256) / ewfverify (MD5):            ${r.all_vs_md5.toFixed(3)} (rounds ${ratios.all_vs_md5.map((x) => x.toFixed(3)).join(', ')}), target ${TARGETS.all_vs_md5}: ${ok(r.all_vs_md5 <= TARGETS.all_vs_md5)}`,
      `exhibit (MD5, SHA-1, SHA-256) / ewfverify -d sha1,sha256:   ${r.all_vs_all.toFixed(3)} (rounds ${ratios.all_vs_all.map((x) => x.toFixed(3)).join(', ')}), target ${TARGETS.all_vs_all}: ${ok(r.all_vs_all <= TARGETS.all_vs_all)}`,
      `exhibit --hash md5 / ewfverify (MD5):                       ${r.md5_vs_md5.toFixed(3)} (rounds ${ratios.md5_vs_md5.map((x) => x.toFixed(3)).join(', ')}), target ${TARGETS.md5_vs_md5}: ${ok(r.md5_vs_md5 <= TARGETS.md5_vs_md5)}`,
      `CPU seconds, same ratios (medians of the rounds; steadier than wall time on a shared machine): ${c.all_vs_md5.toFixed(3)}, ${c.all_vs_all.toFixed(3)}, ${c.md5_vs_md5.toFixed(3)}`,
      ...(BASELINE
        ? [
            `this build / baseline (${BASELINE}), wall: ${median(vsBaseline.all).toFixed(3)} all three hashes, ${median(vsBaseline.md5).toFixed(3)} --hash md5; CPU: ${median(vsBaseline.all_cpu).toFixed(3)}, ${median(vsBaseline.md5_cpu).toFixed(3)}`,
          ]
        : []),
    ],
  );
}

main();
