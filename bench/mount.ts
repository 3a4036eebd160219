/**
 * Benchmark: `exhibit mount`, ROUNDS rounds (default 3) once no other imaging
 * runs, every mount made afresh for each timed run and caches dropped before
 * every timed read; each figure is the median of its rounds:
 *   1. reading `<dir>/media` from start to end against libewf's `ewfmount`
 *      (`ewf1`) on the same E01 (exhibit's own, fast compression, of the
 *      cached input), the two alternating in each round; the ratio is
 *      ewfmount's seconds over exhibit's, per round, and its median is printed;
 *      the two mounts must give the same bytes (compared once, not timed);
 *   2. random 4 KiB reads across a mounted zst image of the input: the
 *      average, median and 99th percentile of each read's time, per round;
 *   3. the time `exhibit mount` takes to return, ready, for an E01 of at
 *      least 100 segments (1 MiB segments, no compression, of the input's
 *      first 128 MiB).
 * The load average at the start and end is printed: the machine may be shared.
 * Not a test: it prints the figures against the targets (ratio >= 1,
 * average < 2 ms, mount < 2 s). Needs root (mounts, dropping caches).
 *
 *   npm run bench:mount [-- --json]
 *   env: see bench/lib.ts (input, size); EXHIBIT_BENCH_RANDOM_READS (default 2000)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { die, EVIDENCE, EXHIBIT, exhibitAcquire, exhibitConvert, INPUT, log, machine, median, MiB, ok, preflight, prepareInput, report, ROUNDS, SCRATCH, segments, SIZE, table, timed, waitIdle } from './lib.js';

const TARGET_RATIO = 1; // ewfmount's seconds / exhibit's seconds, at least
const TARGET_RANDOM_MS = 2;
const TARGET_MOUNT_S = 2;
const RANDOM_READS = Number(process.env.EXHIBIT_BENCH_RANDOM_READS ?? 2000);

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) die(`${cmd} ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout;
}

function dropCaches(): void {
  spawnSync('sync');
  fs.writeFileSync('/proc/sys/vm/drop_caches', '3');
}

const exhibit = (args: string[]): string => sh(process.execPath, [EXHIBIT, ...args]);
const unmount = (dir: string): void => void exhibit(['umount', dir]);
const mountPoint = (name: string): string => {
  const d = path.join(SCRATCH, name);
  fs.mkdirSync(d, { recursive: true });
  return d;
};

/** Read `file` from start to end in 1 MiB reads (dd), caches dropped first; wall seconds. */
function readAll(file: string): number {
  dropCaches();
  return timed(['dd', `if=${file}`, 'of=/dev/null', 'bs=1M']).wall_s;
}

function randomReads(file: string, count: number): { avg_ms: number; p50_ms: number; p99_ms: number } {
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(4096);
  const times: number[] = [];
  let x = 0x9e3779b9;
  try {
    dropCaches();
    for (let i = 0; i < count; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const at = ((x >>> 0) % Math.floor(size / 4096)) * 4096;
      const t = process.hrtime.bigint();
      if (fs.readSync(fd, buf, 0, 4096, at) !== 4096) die(`a short read at ${at} of ${file}`);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  } finally {
    fs.closeSync(fd);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { avg_ms: times.reduce((a, b) => a + b, 0) / times.length, p50_ms: sorted[Math.floor(sorted.length / 2)]!, p99_ms: sorted[Math.floor(sorted.length * 0.99)]! };
}

/** The process serving the FUSE mount on `dir`, found by its command line (`marker`: a word in it). */
function serverPid(dir: string, marker: string): number {
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (argv.includes(dir) && argv.some((a) => a.includes(marker))) return Number(p);
    } catch {
      /* gone */
    }
  }
  return die(`no process serving ${dir} (${marker}) found`);
}

/** CPU seconds (user and system, all threads) `pid` has used so far. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd on
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime (fields 14, 15) in clock ticks of 1/100 s
}

/** `fn`'s result and the CPU seconds the server of `dir` spent meanwhile. */
function withCpu<T>(dir: string, marker: string, fn: () => T): { value: T; cpu_s: number } {
  const pid = serverPid(dir, marker);
  const before = cpuSeconds(pid);
  const value = fn();
  return { value, cpu_s: cpuSeconds(pid) - before };
}

function load(): string {
  return os.loadavg().map((x) => x.toFixed(2)).join(' ');
}

/** `fn` with `image` mounted by exhibit on `dir`, unmounted after whatever happened. */
function withMount<T>(image: string, dir: string, fn: () => T): T {
  exhibit(['mount', image, dir]);
  try {
    return fn();
  } finally {
    unmount(dir);
  }
}

/** `fn` with `e01` mounted by ewfmount on `dir`. */
function withEwfmount<T>(e01: string, dir: string, fn: () => T): T {
  sh('ewfmount', [e01, dir]);
  try {
    return fn();
  } finally {
    spawnSync('fusermount', ['-u', dir]);
  }
}

function main(): void {
  if (process.getuid?.() !== 0) die('needs root: it mounts images and drops the page cache');
  preflight([{ cmd: 'ewfmount', pkg: 'ewf-tools' }, { cmd: 'fusermount', pkg: 'fuse' }], 2);
  prepareInput();
  const e01Dir = path.join(SCRATCH, 'e01');
  log(`making the E01 once (not timed): exhibit acquire ${INPUT} -f e01 --compression fast`);
  exhibitAcquire(e01Dir, ['--format', 'e01', '--compression', 'fast', '--hash', 'md5'], ['md5']);
  const e01 = path.join(e01Dir, `${EVIDENCE}.E01`);
  const zstDir = path.join(SCRATCH, 'zst');
  log(`making the zst once (not timed): exhibit acquire ${INPUT} -f zst`);
  exhibitAcquire(zstDir, ['--format', 'zst', '--hash', 'md5'], ['md5']);
  const zst = path.join(zstDir, `${EVIDENCE}.zst`);
  const piece = path.join(SCRATCH, 'piece.raw');
  sh('dd', [`if=${INPUT}`, `of=${piece}`, 'bs=1M', `count=${Math.min(128, Math.floor(SIZE / MiB))}`, 'status=none']);
  const manyDir = path.join(SCRATCH, 'many');
  log('making an E01 of 1 MiB segments once (not timed)');
  exhibitConvert(piece, manyDir, ['--to', 'e01', '--compression', 'none', '--segment-size', '1MiB', '--evidence', EVIDENCE], ['sha256']);
  const segs = segments(manyDir, EVIDENCE);
  if (segs.length < 100) die(`the E01 has ${segs.length} segments, fewer than 100`);

  const theirs = mountPoint('ewfmount');
  const ours = mountPoint('exhibit');
  waitIdle(); // before mounting: the mount's serving process is an exhibit process itself
  const loadBefore = load();
  log('comparing ewf1 and media (not timed)');
  withEwfmount(e01, theirs, () => withMount(e01, ours, () => sh('cmp', [path.join(theirs, 'ewf1'), path.join(ours, 'media')])));

  const rounds: Array<{ ewf_s: number; exhibit_s: number; ratio: number; ewf_cpu_s: number; exhibit_cpu_s: number; random: ReturnType<typeof randomReads>; random_cpu_ms: number; mount_s: number }> = [];
  for (let r = 1; r <= ROUNDS; r++) {
    // 1. Sequential reading, the two alternating (which goes first alternates too); with the CPU time
    // each serving process spent, which a shared machine disturbs less than the wall time.
    const ewf = () => withEwfmount(e01, theirs, () => withCpu(theirs, 'ewfmount', () => readAll(path.join(theirs, 'ewf1'))));
    const ex = () => withMount(e01, ours, () => withCpu(ours, 'mount-server', () => readAll(path.join(ours, 'media'))));
    let ewfRun: ReturnType<typeof ewf>;
    let exRun: ReturnType<typeof ex>;
    if (r % 2 === 1) {
      ewfRun = ewf();
      exRun = ex();
    } else {
      exRun = ex();
      ewfRun = ewf();
    }
    const ewfS = ewfRun.value;
    const exS = exRun.value;
    log(`round ${r}: ewfmount ewf1 ${ewfS.toFixed(2)} s (server CPU ${ewfRun.cpu_s.toFixed(2)} s), exhibit media ${exS.toFixed(2)} s (server CPU ${exRun.cpu_s.toFixed(2)} s), ratio ${(ewfS / exS).toFixed(2)}`);
    // 2. Random 4 KiB reads on the zst image.
    const randomRun = withMount(zst, ours, () => withCpu(ours, 'mount-server', () => randomReads(path.join(ours, 'media'), RANDOM_READS)));
    const random = randomRun.value;
    const randomCpuMs = (randomRun.cpu_s * 1000) / RANDOM_READS;
    log(`round ${r}: ${RANDOM_READS} random 4 KiB reads of a mounted zst: average ${random.avg_ms.toFixed(3)} ms (server CPU ${randomCpuMs.toFixed(2)} ms a read)`);
    // 3. Mounting an E01 of 100 segments or more.
    const mountS = timed([process.execPath, EXHIBIT, 'mount', segs[0]!, ours]).wall_s;
    unmount(ours);
    log(`round ${r}: exhibit mount of ${segs.length} segments: ${mountS.toFixed(2)} s`);
    rounds.push({ ewf_s: ewfS, exhibit_s: exS, ratio: ewfS / exS, ewf_cpu_s: ewfRun.cpu_s, exhibit_cpu_s: exRun.cpu_s, random, random_cpu_ms: randomCpuMs, mount_s: mountS });
  }
  const loadAfter = load();

  const ewfS = median(rounds.map((x) => x.ewf_s));
  const exS = median(rounds.map((x) => x.exhibit_s));
  const ratio = median(rounds.map((x) => x.ratio));
  const avgMs = median(rounds.map((x) => x.random.avg_ms));
  const p50Ms = median(rounds.map((x) => x.random.p50_ms));
  const p99Ms = median(rounds.map((x) => x.random.p99_ms));
  const mountS = median(rounds.map((x) => x.mount_s));
  const ewfCpu = median(rounds.map((x) => x.ewf_cpu_s));
  const exCpu = median(rounds.map((x) => x.exhibit_cpu_s));
  const randomCpu = median(rounds.map((x) => x.random_cpu_ms));
  const mibs = (s: number) => (SIZE / MiB / s).toFixed(0);
  report(
    () => ({
      input: INPUT,
      size: SIZE,
      rounds: ROUNDS,
      load_average: { before: loadBefore, after: loadAfter },
      per_round: rounds,
      sequential: { ewfmount_s: ewfS, exhibit_s: exS, median_ratio: ratio, ewfmount_server_cpu_s: ewfCpu, exhibit_server_cpu_s: exCpu },
      random_4k_zst: { reads: RANDOM_READS, median_avg_ms: avgMs, median_p50_ms: p50Ms, median_p99_ms: p99Ms, server_cpu_ms_per_read: randomCpu },
      mount_100_segments: { segments: segs.length, median_seconds: mountS },
      targets: { ratio: TARGET_RATIO, random_ms: TARGET_RANDOM_MS, mount_s: TARGET_MOUNT_S },
    }),
    () => [
      `machine: ${machine().cpu}, ${machine().cores} cores, node ${machine().node}; load average ${loadBefore} before, ${loadAfter} after`,
      `input:   ${INPUT} (${(SIZE / MiB).toFixed(0)} MiB of media); images in ${SCRATCH}; caches dropped before each timed read; ${ROUNDS} rounds, medians`,
      ...table(
        [{ title: 'median s', width: 10 }, { title: 'MiB/s', width: 7 }, { title: 'server CPU s', width: 14 }],
        [
          ['ewfmount ewf1 (E01, fast)', [ewfS.toFixed(2), mibs(ewfS), ewfCpu.toFixed(2)]],
          ['exhibit mount media (same E01)', [exS.toFixed(2), mibs(exS), exCpu.toFixed(2)]],
        ],
        'sequential read, dd bs=1M',
      ),
      `speed ratio (ewfmount s / exhibit s), median of the rounds' ratios: ${ratio.toFixed(2)} (${rounds.map((x) => x.ratio.toFixed(2)).join(', ')}; target >= ${TARGET_RATIO}) ${ok(ratio >= TARGET_RATIO)}`,
      `random 4 KiB reads of a mounted zst, ${RANDOM_READS} reads a round: average ${avgMs.toFixed(3)} ms (${rounds.map((x) => x.random.avg_ms.toFixed(3)).join(', ')}), median ${p50Ms.toFixed(3)} ms, 99th percentile ${p99Ms.toFixed(3)} ms; the server's CPU ${randomCpu.toFixed(2)} ms a read (target average < ${TARGET_RANDOM_MS} ms) ${ok(avgMs < TARGET_RANDOM_MS)}`,
      `exhibit mount of an E01 of ${segs.length} segments, until ready: ${mountS.toFixed(2)} s (${rounds.map((x) => x.mount_s.toFixed(2)).join(', ')}; target < ${TARGET_MOUNT_S} s) ${ok(mountS < TARGET_MOUNT_S)}`,
    ],
  );
  fs.rmSync(SCRATCH, { recursive: true, force: true });
}

main();
