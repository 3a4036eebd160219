/**
 * What the benchmarks share: the mixed input (made once, then reused), the
 * page-cache warm-up, timed runs under GNU time, the round loop, hash
 * agreement, the summary and the printed table or `--json` object.
 *
 *   env: EXHIBIT_BENCH_INPUT (default /var/tmp/exhibit-bench/mixed-2g.bin),
 *        EXHIBIT_BENCH_SCRATCH (default /dev/shm/exhibit-bench: emptied first),
 *        EXHIBIT_BENCH_IDLE_WAIT_S (how long to wait for other imaging to end, default 1800; 0: do not wait),
 *        EXHIBIT_BENCH_SIZE (bytes, default 2 GiB), EXHIBIT_BENCH_ROUNDS (default 3)
 *
 * Timing and memory come from GNU time (`%e %M`): wall seconds and the peak
 * RSS of the tool's process (exhibit hashes and compresses in worker threads,
 * which live in that process, so they count).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordBesideImage } from '../core/record.js';
import { readRecord } from '../core/record/read.js';

export const MiB = 1024 * 1024;
const STRIPE = 64 * MiB; // stripes cycle random, zeros, text
const CHUNK = 4 * MiB; // write/read unit; the input is never held in memory
export const INPUT = process.env.EXHIBIT_BENCH_INPUT ?? '/var/tmp/exhibit-bench/mixed-2g.bin';
export const SIZE = Number(process.env.EXHIBIT_BENCH_SIZE ?? 2 * 1024 * MiB);
export const ROUNDS = Number(process.env.EXHIBIT_BENCH_ROUNDS ?? 3);
export const SCRATCH = process.env.EXHIBIT_BENCH_SCRATCH ?? '/dev/shm/exhibit-bench'; // outputs go to RAM so the disk is not what is measured
const TIME = '/usr/bin/time';
export const JSON_OUT = process.argv.includes('--json');
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..'); // dist/bench -> repo
export const EXHIBIT = path.join(ROOT, 'bin', 'exhibit.js');
export const EVIDENCE = 'EV'; // exhibit's evidence number, hence its file names (EV.raw, EV.E01, ...)

/** Every digest a benchmark may compare, in the order they are listed. */
const ALL_ALGS = ['md5', 'sha1', 'sha256', 'sha512'] as const;
export type Alg = (typeof ALL_ALGS)[number];
export type Hashes = Partial<Record<Alg, string>>;
export interface Run { tool: string; round: number; wall_s: number; rss_kib: number; hashes: Hashes }
export interface Summary { median_wall_s: number; mib_per_s: number; peak_rss_mib: number }
/** A run that leaves an image behind, and the size of its files. */
export interface OutputRun extends Run { output_bytes: number }

export const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);
export function die(msg: string): never {
  process.stderr.write(`bench: error: ${msg}\n`);
  process.exit(1);
}

/** First executable named `cmd` on PATH, or null. */
function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir || '.', cmd);
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch { /* next */ }
  }
  return null;
}

/**
 * Refuse clearly rather than fail halfway: the compared tools (command and
 * the Debian/Ubuntu package that has it), GNU time, a built exhibit, sane
 * settings and room for `images` input-sized images in the scratch folder,
 * which is emptied first.
 */
export function preflight(tools: Array<{ cmd: string; pkg: string }>, images = 1): void {
  for (const { cmd, pkg } of tools) if (!which(cmd)) die(`${cmd} is not installed (Debian/Ubuntu: apt-get install ${pkg})`);
  if (!fs.existsSync(TIME)) die(`${TIME} is not installed (Debian/Ubuntu: apt-get install time)`);
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) die('exhibit is not built; run: npm run build');
  if (!(Number.isSafeInteger(SIZE) && SIZE > 0)) die('EXHIBIT_BENCH_SIZE must be a positive whole number of bytes');
  if (!(Number.isInteger(ROUNDS) && ROUNDS > 0)) die('EXHIBIT_BENCH_ROUNDS must be a positive whole number');
  fs.rmSync(SCRATCH, { recursive: true, force: true }); // leftovers of an interrupted run (exhibit never overwrites)
  fs.mkdirSync(SCRATCH, { recursive: true });
  const shm = fs.statfsSync(SCRATCH);
  if (shm.bavail * shm.bsize < images * SIZE + 64 * MiB) die(`not enough room in ${SCRATCH} for ${images} ${SIZE}-byte image(s)`);
}

/**
 * Wait (polling `ps`, up to `maxWaitS` seconds) until no process of `names`
 * runs (matched on the program, or on the script node runs), so that no other
 * imaging competes for the cores while this one is timed.
 */
export function waitIdle(names: readonly string[] = ['exhibit', 'exhibit.js', 'ewfacquire', 'ewfexport', 'dc3dd'], maxWaitS = Number(process.env.EXHIBIT_BENCH_IDLE_WAIT_S ?? 1800)): void {
  if (maxWaitS === 0) return log('not waiting for other imaging to end (EXHIBIT_BENCH_IDLE_WAIT_S=0): the figures may be slowed by it');
  const busy = (): string[] => {
    const r = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8', maxBuffer: 16 * MiB });
    if (r.status !== 0) die(`ps failed (status ${r.status}): ${r.stderr ?? ''}`);
    return r.stdout.split('\n').filter((line) => {
      const [pid, ...argv] = line.trim().split(/\s+/);
      if (!pid || Number(pid) === process.pid) return false;
      const prog = path.basename(argv[0] ?? '');
      const script = /^node(js)?(\d+)?$/.test(prog) ? path.basename(argv.find((a, i) => i > 0 && !a.startsWith('-')) ?? '') : '';
      return names.includes(prog) || names.includes(script);
    });
  };
  const start = Date.now();
  for (let others = busy(), logged = false; others.length; others = busy()) {
    if (Date.now() - start > maxWaitS * 1000) die(`other imaging still runs after ${maxWaitS} s:\n${others.join('\n')}`);
    if (!logged) log(`waiting for other imaging to end:\n${others.join('\n')}`);
    logged = true;
    spawnSync('sleep', ['5']);
  }
}

/** Create the mixed input once (deterministic: seeded xorshift32); reuse it if its size is right. */
function ensureInput(): void {
  if (fs.existsSync(INPUT) && fs.statSync(INPUT).size === SIZE) return log(`reusing ${INPUT}`);
  log(`creating ${INPUT} (${SIZE} bytes)`);
  fs.mkdirSync(path.dirname(INPUT), { recursive: true });
  const zeros = Buffer.alloc(CHUNK);
  const sentence = 'The quick brown fox jumps over the lazy dog while the examiner writes down every hash. ';
  const text = Buffer.alloc(CHUNK, sentence, 'utf8');
  const rnd = Buffer.alloc(CHUNK);
  const words = new Uint32Array(rnd.buffer, rnd.byteOffset, CHUNK / 4);
  let x = 0x9e3779b9; // seed
  const tmp = `${INPUT}.${process.pid}.tmp`; // renamed into place only when whole
  const fd = fs.openSync(tmp, 'w');
  try {
    for (let off = 0; off < SIZE; off += CHUNK) {
      const kind = Math.floor(off / STRIPE) % 3;
      let buf = kind === 1 ? zeros : kind === 2 ? text : rnd;
      if (kind === 0) for (let i = 0; i < words.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; words[i] = x >>> 0; }
      if (SIZE - off < CHUNK) buf = buf.subarray(0, SIZE - off);
      fs.writeSync(fd, buf);
    }
  } finally { fs.closeSync(fd); }
  fs.renameSync(tmp, INPUT);
}

/** Read the whole input once so every tool reads it from the page cache. */
function warmCache(): void {
  const buf = Buffer.alloc(CHUNK);
  const fd = fs.openSync(INPUT, 'r');
  try { while (fs.readSync(fd, buf, 0, CHUNK, null) > 0) { /* discard */ } } finally { fs.closeSync(fd); }
}

/** Make (or reuse) the input, then warm the page cache with it. */
export function prepareInput(): void {
  ensureInput();
  log('warming the page cache');
  warmCache();
}

/** Run `argv` under GNU time; returns its stdout, its stderr (minus the time line), wall seconds and peak RSS. */
export function timed(argv: string[]): { stdout: string; stderr: string; wall_s: number; rss_kib: number } {
  const r = spawnSync(TIME, ['-f', '%e %M', ...argv], {
    encoding: 'utf8', maxBuffer: 256 * MiB, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EXHIBIT_NO_PROGRESS: '1', EXHIBIT_HOME: path.join(SCRATCH, 'home') }, // the bench's own case store
  });
  const lines = (r.stderr ?? '').trimEnd().split('\n');
  const m = /^(\d+(?:\.\d+)?) (\d+)$/.exec(lines.pop() ?? '');
  if (r.status !== 0 || !m) die(`${argv.join(' ')} failed (status ${r.status}):\n${(r.stderr ?? '').slice(-2000)}`);
  return { stdout: r.stdout ?? '', stderr: lines.join('\n'), wall_s: Number(m[1]), rss_kib: Number(m[2]) };
}

/** Call `fn` with `SCRATCH/name`, then remove that file or folder whatever happened. */
export function inScratch<T>(name: string, fn: (p: string) => T): T {
  const p = path.join(SCRATCH, name);
  try { return fn(p); } finally { fs.rmSync(p, { recursive: true, force: true }); }
}

/** exhibit with `args`, timed; it writes into `out`, and the `algs` digests are read back from its record (media.hashes). */
function exhibitTimed(args: string[], out: string, algs: readonly Alg[]): Omit<Run, 'tool' | 'round'> {
  const t = timed([process.execPath, EXHIBIT, ...args]);
  const got: Hashes = readRecord(recordBesideImage(path.join(out, EVIDENCE))).record.media.hashes ?? {};
  const hashes: Hashes = {};
  for (const a of algs) hashes[a] = got[a] ?? die(`exhibit's record has no media.hashes.${a}`);
  return { wall_s: t.wall_s, rss_kib: t.rss_kib, hashes };
}

/** `exhibit acquire INPUT` into `out` with the bench case details and `args`; see exhibitTimed. */
export const exhibitAcquire = (out: string, args: string[], algs: readonly Alg[]): Omit<Run, 'tool' | 'round'> =>
  exhibitTimed(['acquire', INPUT, '--out', out, '--case', 'BENCH', '--evidence', EVIDENCE, '--examiner', 'bench', ...args], out, algs);

/** `exhibit convert image` into `out` with `args` (e.g. --to raw); the new image keeps the evidence name; see exhibitTimed. */
export const exhibitConvert = (image: string, out: string, args: string[], algs: readonly Alg[]): Omit<Run, 'tool' | 'round'> =>
  exhibitTimed(['convert', image, '--out', out, '--examiner', 'bench', ...args], out, algs);

/** Segment files `<base>.E01`, `<base>.E02`, ... (then .EAA, ...) in `dir`, in order. */
export const segments = (dir: string, base: string): string[] =>
  fs.readdirSync(dir).filter((n) => n.length === base.length + 4 && n.startsWith(`${base}.`) && /^E[0-9A-Z]{2}$/.test(n.slice(-3)))
    .sort().map((n) => path.join(dir, n));
export const totalSize = (files: string[]): number => files.reduce((sum, f) => sum + fs.statSync(f).size, 0);

/**
 * ROUNDS rounds of every [tool, runner], in the given order on odd rounds and
 * the reverse on even ones; logs each run; empties SCRATCH at the end, unless
 * `keep` and every round succeeded (what the runners kept there is then left
 * for a later step, whose runRounds empties it).
 */
export function runRounds<M extends Omit<Run, 'tool' | 'round'>>(runners: Array<[string, (round: number) => M]>, { keep = false } = {}): Array<Run & M> {
  const runs: Array<Run & M> = [];
  const width = Math.max(7, ...runners.map(([tool]) => tool.length));
  let done = false;
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 ? runners : [...runners].reverse();
      for (const [tool, fn] of order) {
        const r = { tool, round, ...fn(round) };
        log(`round ${round}/${ROUNDS} ${tool.padEnd(width)} ${r.wall_s.toFixed(2)} s, ${(r.rss_kib / 1024).toFixed(1)} MiB peak RSS`);
        runs.push(r);
      }
    }
    done = true;
  } finally { if (!(done && keep)) fs.rmSync(SCRATCH, { recursive: true, force: true }); }
  return runs;
}

/**
 * Every digest that more than one run computed must be the same in all of
 * them (exit 1 and list them all if not); returns the agreed digests.
 */
export function agreedHashes(runs: Run[]): Hashes {
  const ref: Hashes = {};
  for (const a of ALL_ALGS) {
    const h = runs.find((r) => r.hashes[a] !== undefined)?.hashes[a];
    if (h !== undefined) ref[a] = h;
  }
  const entries = (h: Hashes) => Object.entries(h) as Array<[Alg, string]>;
  if (runs.some((r) => entries(r.hashes).some(([a, h]) => h !== ref[a]))) {
    for (const r of runs) process.stderr.write(`  ${r.tool} round ${r.round}: ${entries(r.hashes).map(([a, h]) => `${a}=${h}`).join(' ')}\n`);
    die('hash mismatch between runs (see above)');
  }
  return ref;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const h = Math.floor(s.length / 2);
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};

/**
 * The median over rounds of `tool`'s wall time over `peer`'s in the same
 * round (the two ran one after the other, so they shared the machine's load).
 */
export function medianRatio(runs: Run[], tool: string, peer: string): number {
  const ratios: number[] = [];
  for (const r of runs.filter((x) => x.tool === tool)) {
    const p = runs.find((x) => x.tool === peer && x.round === r.round);
    if (p) ratios.push(r.wall_s / p.wall_s);
  }
  if (ratios.length === 0) die(`no round ran both ${tool} and ${peer}`);
  return median(ratios);
}

/** Median wall time, the throughput it gives on the input, and the highest peak RSS of `tool`'s runs. */
export function summarize(runs: Run[], tool: string): Summary {
  const rs = runs.filter((r) => r.tool === tool);
  const wall = median(rs.map((r) => r.wall_s));
  return { median_wall_s: wall, mib_per_s: SIZE / MiB / wall, peak_rss_mib: Math.max(...rs.map((r) => r.rss_kib)) / 1024 };
}

/** summarize, plus the median size of what `tool`'s runs wrote. */
export function summarizeOutput(runs: OutputRun[], tool: string): Summary & { output_bytes: number; output_mib: number } {
  const output_bytes = Math.round(median(runs.filter((r) => r.tool === tool).map((r) => r.output_bytes)));
  return { ...summarize(runs, tool), output_bytes, output_mib: output_bytes / MiB };
}

export function machine(): { cpu: string; cores: number; node: string } {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try { cpu = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu; } catch { /* not Linux */ }
  return { cpu, cores: os.availableParallelism(), node: process.version };
}

/** The first two lines of a report: the machine, and the input with `note` (e.g. which hashes agree). */
export function heading(note: string): string[] {
  const m = machine();
  return [
    `machine: ${m.cpu}, ${m.cores} cores, node ${m.node}`,
    `input:   ${INPUT} (${(SIZE / MiB).toFixed(0)} MiB, page-cached), ${ROUNDS} rounds, ${note}`,
  ];
}

export interface Column { title: string; width: number }
/** The columns every table starts with, and their cells for a summary. */
export const TIMING_COLUMNS: Column[] = [{ title: 'median s', width: 10 }, { title: 'MiB/s', width: 8 }, { title: 'peak RSS MiB', width: 14 }];
export const timingCells = (s: Summary): string[] => [s.median_wall_s.toFixed(2), s.mib_per_s.toFixed(0), s.peak_rss_mib.toFixed(1)];

/** A right-aligned table with a `tool` column in front; one row per [name, cells]. */
export function table(columns: Column[], rows: Array<[string, string[]]>, firstTitle = 'tool'): string[] {
  const nameWidth = Math.max(8, firstTitle.length, ...rows.map(([name]) => name.length));
  const line = (name: string, cells: string[]) =>
    [name.padEnd(nameWidth), ...cells.map((c, i) => c.padStart(columns[i]?.width ?? 0))].join(' ');
  return [line(firstTitle, columns.map((c) => c.title)), ...rows.map(([name, cells]) => line(name, cells))];
}

export const ok = (b: boolean): string => (b ? 'PASS' : 'FAIL');

/** Print the result: with --json the object `json()` builds (machine first), else the lines `text()` gives. */
export function report(json: () => object, text: () => string[]): void {
  if (JSON_OUT) process.stdout.write(`${JSON.stringify({ machine: machine(), ...json() }, null, 2)}\n`);
  else process.stdout.write([...text(), ''].join('\n'));
}
