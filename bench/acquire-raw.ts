/**
 * Benchmark: `exhibit acquire` (raw, md5+sha1+sha256) against dc3dd on the
 * same cached input. Not a test: it measures, checks that both tools agree on
 * the hashes (exit 1 if not) and prints whether the targets hold.
 *
 *   npm run bench:acquire [-- --json]
 *   env: EXHIBIT_BENCH_INPUT (default /var/tmp/exhibit-bench/mixed-2g.bin),
 *        EXHIBIT_BENCH_SIZE (bytes, default 2 GiB), EXHIBIT_BENCH_ROUNDS (default 3)
 *
 * Timing and memory come from GNU time (`%e %M`): wall seconds and the peak
 * RSS of the tool's process (exhibit hashes in worker threads, which live in
 * that process, so they count).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const MiB = 1024 * 1024;
const STRIPE = 64 * MiB; // stripes cycle random, zeros, text
const CHUNK = 4 * MiB; // write/read unit; the input is never held in memory
const INPUT = process.env.EXHIBIT_BENCH_INPUT ?? '/var/tmp/exhibit-bench/mixed-2g.bin';
const SIZE = Number(process.env.EXHIBIT_BENCH_SIZE ?? 2 * 1024 * MiB);
const ROUNDS = Number(process.env.EXHIBIT_BENCH_ROUNDS ?? 3);
const SCRATCH = '/dev/shm/exhibit-bench'; // outputs go to RAM so the disk is not what is measured
const TIME = '/usr/bin/time';
const ALGS = ['md5', 'sha1', 'sha256'] as const;
const TARGET_RATIO = 0.45; // exhibit wall time / dc3dd wall time
const TARGET_RSS_MIB = 200;
const JSON_OUT = process.argv.includes('--json');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..'); // dist/bench -> repo
const EXHIBIT = path.join(ROOT, 'bin', 'exhibit.js');

type Hashes = Record<(typeof ALGS)[number], string>;
interface Run { tool: 'dc3dd' | 'exhibit'; round: number; wall_s: number; rss_kib: number; hashes: Hashes }

const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);
function die(msg: string): never {
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

/** Read the whole input once so both tools read it from the page cache. */
function warmCache(): void {
  const buf = Buffer.alloc(CHUNK);
  const fd = fs.openSync(INPUT, 'r');
  try { while (fs.readSync(fd, buf, 0, CHUNK, null) > 0) { /* discard */ } } finally { fs.closeSync(fd); }
}

/** Run `argv` under GNU time; returns its stderr (minus the time line), wall seconds and peak RSS. */
function timed(argv: string[]): { stderr: string; wall_s: number; rss_kib: number } {
  const r = spawnSync(TIME, ['-f', '%e %M', ...argv], {
    encoding: 'utf8', maxBuffer: 256 * MiB, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, EXHIBIT_NO_PROGRESS: '1' },
  });
  const lines = (r.stderr ?? '').trimEnd().split('\n');
  const m = /^(\d+(?:\.\d+)?) (\d+)$/.exec(lines.pop() ?? '');
  if (r.status !== 0 || !m) die(`${argv.join(' ')} failed (status ${r.status}):\n${(r.stderr ?? '').slice(-2000)}`);
  return { stderr: lines.join('\n'), wall_s: Number(m[1]), rss_kib: Number(m[2]) };
}

function runDc3dd(round: number): Run {
  const out = path.join(SCRATCH, 'dc3dd.img');
  try {
    const t = timed(['dc3dd', `if=${INPUT}`, `of=${out}`, ...ALGS.map((a) => `hash=${a}`)]);
    // The "input results" block lists `   <hex> (md5)` etc.; the first of each is the input's hash.
    const hashes = {} as Hashes;
    for (const a of ALGS) {
      const m = new RegExp(`^\\s*([0-9a-f]+) \\(${a}\\)\\s*$`, 'm').exec(t.stderr.replace(/\r/g, '\n'));
      if (!m) die(`no ${a} in dc3dd's report:\n${t.stderr.slice(-2000)}`);
      hashes[a] = m[1]!;
    }
    return { tool: 'dc3dd', round, wall_s: t.wall_s, rss_kib: t.rss_kib, hashes };
  } finally { fs.rmSync(out, { force: true }); }
}

function runExhibit(round: number): Run {
  const out = path.join(SCRATCH, `exhibit-${round}`);
  try {
    const t = timed([process.execPath, EXHIBIT, 'acquire', INPUT, '--out', out, '--case', 'BENCH', '--evidence', 'EV', '--examiner', 'bench']);
    const record = YAML.parse(fs.readFileSync(path.join(out, 'EV.acquisition.yaml'), 'utf8')) as { media?: { hashes?: Partial<Hashes> } };
    const got = record.media?.hashes ?? {};
    const hashes = {} as Hashes;
    for (const a of ALGS) hashes[a] = got[a] ?? die(`exhibit's record has no media.hashes.${a}`);
    return { tool: 'exhibit', round, wall_s: t.wall_s, rss_kib: t.rss_kib, hashes };
  } finally { fs.rmSync(out, { recursive: true, force: true }); }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const h = Math.floor(s.length / 2);
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};

function machine(): { cpu: string; cores: number; node: string } {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try { cpu = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu; } catch { /* not Linux */ }
  return { cpu, cores: os.availableParallelism(), node: process.version };
}

// --- preflight: refuse clearly rather than fail halfway ---
if (!which('dc3dd')) die('dc3dd is not installed (Debian/Ubuntu: apt-get install dc3dd)');
if (!fs.existsSync(TIME)) die(`${TIME} is not installed (Debian/Ubuntu: apt-get install time)`);
if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) die('exhibit is not built; run: npm run build');
if (!(Number.isSafeInteger(SIZE) && SIZE > 0)) die('EXHIBIT_BENCH_SIZE must be a positive whole number of bytes');
if (!(Number.isInteger(ROUNDS) && ROUNDS > 0)) die('EXHIBIT_BENCH_ROUNDS must be a positive whole number');
fs.rmSync(SCRATCH, { recursive: true, force: true }); // leftovers of an interrupted run (exhibit never overwrites)
fs.mkdirSync(SCRATCH, { recursive: true });
const shm = fs.statfsSync(SCRATCH);
if (shm.bavail * shm.bsize < SIZE + 64 * MiB) die(`not enough room in ${SCRATCH} for one ${SIZE}-byte image`);

ensureInput();
log('warming the page cache');
warmCache();

// --- rounds, alternating which tool goes first ---
const runs: Run[] = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 ? [runDc3dd, runExhibit] : [runExhibit, runDc3dd];
    for (const fn of order) {
      const r = fn(round);
      log(`round ${round}/${ROUNDS} ${r.tool.padEnd(7)} ${r.wall_s.toFixed(2)} s, ${(r.rss_kib / 1024).toFixed(1)} MiB peak RSS`);
      runs.push(r);
    }
  }
} finally { fs.rmSync(SCRATCH, { recursive: true, force: true }); }

// --- every run of both tools must give the same digests ---
const ref = runs[0]!.hashes;
const bad = runs.filter((r) => ALGS.some((a) => r.hashes[a] !== ref[a]));
if (bad.length) {
  for (const r of runs) process.stderr.write(`  ${r.tool} round ${r.round}: ${ALGS.map((a) => `${a}=${r.hashes[a]}`).join(' ')}\n`);
  die('hash mismatch between runs (see above)');
}

const summary = (tool: Run['tool']) => {
  const rs = runs.filter((r) => r.tool === tool);
  const wall = median(rs.map((r) => r.wall_s));
  return { median_wall_s: wall, mib_per_s: SIZE / MiB / wall, peak_rss_mib: Math.max(...rs.map((r) => r.rss_kib)) / 1024 };
};
const dc3dd = summary('dc3dd');
const exhibit = summary('exhibit');
const ratio = exhibit.median_wall_s / dc3dd.median_wall_s;
const targets = {
  ratio_max: TARGET_RATIO, ratio_ok: ratio <= TARGET_RATIO,
  exhibit_rss_max_mib: TARGET_RSS_MIB, rss_ok: exhibit.peak_rss_mib < TARGET_RSS_MIB,
};

if (JSON_OUT) {
  const result = { machine: machine(), input: { path: INPUT, size_bytes: SIZE }, rounds: ROUNDS, hashes: ref, dc3dd, exhibit, ratio, targets, runs };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else {
  const m = machine();
  const row = (name: string, s: typeof dc3dd) =>
    `${name.padEnd(8)} ${s.median_wall_s.toFixed(2).padStart(10)} ${s.mib_per_s.toFixed(0).padStart(8)} ${s.peak_rss_mib.toFixed(1).padStart(14)}`;
  const ok = (b: boolean) => (b ? 'PASS' : 'FAIL');
  process.stdout.write([
    `machine: ${m.cpu}, ${m.cores} cores, node ${m.node}`,
    `input:   ${INPUT} (${(SIZE / MiB).toFixed(0)} MiB, page-cached), ${ROUNDS} rounds, hashes md5+sha1+sha256 agree`,
    '',
    `tool     ${'median s'.padStart(10)} ${'MiB/s'.padStart(8)} ${'peak RSS MiB'.padStart(14)}`,
    row('dc3dd', dc3dd),
    row('exhibit', exhibit),
    '',
    `ratio exhibit/dc3dd wall time: ${ratio.toFixed(3)}  (target <= ${TARGET_RATIO}: ${ok(targets.ratio_ok)})`,
    `exhibit peak RSS: ${exhibit.peak_rss_mib.toFixed(1)} MiB  (target < ${TARGET_RSS_MIB} MiB: ${ok(targets.rss_ok)})`,
    '',
  ].join('\n'));
}
