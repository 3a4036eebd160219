/**
 * Benchmark: exhibit's seekable zstd images. Acquisition: `exhibit acquire
 * -f zst` (level 3, 2 MiB frames) against `-f raw` and `-f e01 --compression
 * fast`, all with the default md5+sha1+sha256. Conversion back to raw:
 * `exhibit convert EV.zst --to raw` against `ewfexport -f raw EV.E01`
 * (libewf), from the zst and E01 images of the first round. Not a test: it
 * measures, checks that every run agrees on the hashes, that md5sum of both
 * raw exports (round 1) gives the input's MD5 and that `zstd -t` accepts
 * exhibit's image (exit 1 if not), and prints whether the targets hold.
 *
 *   npm run bench:zstd [-- --json]
 *   env: see bench/lib.ts (input, size, rounds)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  agreedHashes, die, EVIDENCE, exhibitAcquire, exhibitConvert, heading, INPUT, inScratch, log, medianRatio, MiB, ok, preflight,
  prepareInput, report, ROUNDS, runRounds, SCRATCH, segments, SIZE, summarizeOutput, table, timed, timingCells,
  TIMING_COLUMNS, totalSize, waitIdle, type Hashes, type OutputRun,
} from './lib.js';

const ALGS = ['md5', 'sha1', 'sha256'] as const; // exhibit's default --hash
const TARGET_ZST_RATIO = 1.3; // zst acquisition wall time / raw acquisition wall time, at most
const TARGET_SIZE_RATIO = 1; // zst output size / E01 fast output size, at most
const TARGET_SPEEDUP = 2; // ewfexport wall time / exhibit convert wall time, at least
// The first round's zst and E01 images stay here for the conversions (emptied with SCRATCH at the end).
const KEPT_ZST = path.join(SCRATCH, 'kept-zst');
const KEPT_E01 = path.join(SCRATCH, 'kept-e01');

type Measured = Omit<OutputRun, 'tool' | 'round'>;

/** The image file `dir/EV.<ext>`, as a list: empty when it is missing. */
const single = (ext: string) => (dir: string): string[] => [path.join(dir, `${EVIDENCE}.${ext}`)].filter((f) => fs.existsSync(f));

/** What `zstd -t` said of exhibit's zst image (checked once, on the first round). */
const zstdTest = { done: false };
function checkZstd(files: string[]): void {
  const zst = files[0]!;
  log(`checking exhibit's image: zstd -t ${zst} (not timed)`);
  const r = spawnSync('zstd', ['-q', '-t', zst], { encoding: 'utf8', maxBuffer: 64 * MiB, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) die(`zstd -t rejects exhibit's ${zst} (status ${r.status}):\n${`${r.stdout ?? ''}${r.stderr ?? ''}`.slice(-2000)}`);
  zstdTest.done = true;
}

/**
 * `exhibit acquire -f format args`; `image` lists the files it wrote. On round
 * 1 it writes into `kept` when given (left for the conversions) and `check`
 * looks at the image (not timed); otherwise into a folder removed afterwards.
 */
const runAcquire = (format: string, args: string[], image: (dir: string) => string[], kept?: string, check?: (files: string[]) => void) =>
  (round: number): Measured => {
    const run = (out: string): Measured => {
      const r = exhibitAcquire(out, ['--format', format, ...args], ALGS);
      const files = image(out);
      if (!files.length) die(`exhibit wrote no ${format} image in ${out}`);
      if (round === 1) check?.(files);
      return { ...r, output_bytes: totalSize(files) };
    };
    return round === 1 && kept ? run(kept) : inScratch(`exhibit-${format}`, run);
  };

/** MD5 of `file` by md5sum (not timed). */
function md5sum(file: string): string {
  log(`md5sum ${file} (not timed)`);
  const r = spawnSync('md5sum', [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const m = /^([0-9a-f]{32})\s/.exec(r.stdout ?? '');
  if (r.status !== 0 || !m) die(`md5sum ${file} failed (status ${r.status}): ${r.stderr ?? ''}`);
  return m[1]!;
}

/**
 * exhibit converts the kept EV.zst to SCRATCH/convert/EV.raw; the hashes come
 * from its record, which may carry some over from the source rather than
 * compute them, so on round 1 the new EV.raw's MD5 is also taken by md5sum.
 */
const runConvert = (round: number): Measured => inScratch('convert', (out) => {
  const r = exhibitConvert(path.join(KEPT_ZST, `${EVIDENCE}.zst`), out, ['--to', 'raw'], ALGS);
  const files = single('raw')(out);
  if (!files.length) die(`exhibit convert wrote no ${path.join(out, EVIDENCE)}.raw`);
  const md5 = round === 1 ? md5sum(files[0]!) : undefined;
  if (md5 !== undefined && md5 !== r.hashes.md5) die(`md5sum of ${files[0]} is ${md5}, exhibit's record says ${r.hashes.md5}`);
  return { ...r, output_bytes: totalSize(files) };
});

/** ewfexport writes SCRATCH/ewfexport/ewf.raw (and ewf.raw.info) from the kept E01; its MD5 by md5sum on round 1 (not timed). */
const runEwfexport = (round: number): Measured => inScratch('ewfexport', (dir) => {
  const e01 = segments(KEPT_E01, EVIDENCE)[0] ?? die(`no ${path.join(KEPT_E01, EVIDENCE)}.E01 kept from round 1`);
  fs.mkdirSync(dir);
  const target = path.join(dir, 'ewf');
  const t = timed(['ewfexport', '-u', '-t', target, '-f', 'raw', e01]);
  const out = `${t.stdout}${t.stderr}`.replace(/\r/g, '\n');
  if (!/^ewfexport: SUCCESS$/m.test(out)) die(`no SUCCESS in ewfexport's output:\n${out.slice(-2000)}`);
  const raw = `${target}.raw`;
  if (!fs.existsSync(raw)) die(`ewfexport wrote no ${raw}`);
  const hashes: Hashes = {};
  if (round === 1) hashes.md5 = md5sum(raw);
  return { wall_s: t.wall_s, rss_kib: t.rss_kib, hashes, output_bytes: totalSize([raw]) };
});

preflight([{ cmd: 'zstd', pkg: 'zstd' }, { cmd: 'ewfexport', pkg: 'ewf-tools' }, { cmd: 'md5sum', pkg: 'coreutils' }], 3);
prepareInput();
waitIdle();
const acquisitions = runRounds<Measured>([
  ['exhibit-raw', runAcquire('raw', [], single('raw'))],
  ['exhibit-zst', runAcquire('zst', [], single('zst'), KEPT_ZST, checkZstd)],
  ['exhibit-e01', runAcquire('e01', ['--compression', 'fast'], (dir) => segments(dir, EVIDENCE), KEPT_E01)],
], { keep: true });
if (!zstdTest.done) die('zstd -t did not run');
waitIdle();
const conversions = runRounds<Measured>([['exhibit-convert', runConvert], ['ewfexport', runEwfexport]]);
const runs = [...acquisitions, ...conversions];
const hashes = agreedHashes(runs); // every acquisition hashed the input, so both exports have its MD5
if (!conversions.some((r) => r.tool === 'ewfexport' && r.hashes.md5)) die('ewfexport output was not checked with md5sum');

const raw = summarizeOutput(runs, 'exhibit-raw');
const zst = summarizeOutput(runs, 'exhibit-zst');
const e01 = summarizeOutput(runs, 'exhibit-e01');
const convert = summarizeOutput(runs, 'exhibit-convert');
const ewfexport = summarizeOutput(runs, 'ewfexport');
const zst_ratio = medianRatio(runs, 'exhibit-zst', 'exhibit-raw');
const size_ratio = zst.output_bytes / e01.output_bytes;
const speedup = 1 / medianRatio(runs, 'exhibit-convert', 'ewfexport');
const targets = {
  zst_ratio_max: TARGET_ZST_RATIO, zst_ratio_ok: zst_ratio <= TARGET_ZST_RATIO,
  size_ratio_max: TARGET_SIZE_RATIO, size_ok: size_ratio <= TARGET_SIZE_RATIO,
  convert_speedup_min: TARGET_SPEEDUP, speedup_ok: speedup >= TARGET_SPEEDUP,
};

const cells = (s: typeof raw) => [...timingCells(s), s.output_mib.toFixed(1)];
report(() => ({
  input: { path: INPUT, size_bytes: SIZE }, rounds: ROUNDS, hashes, zstd_test: 'OK',
  exhibit_raw: raw, exhibit_zst: zst, exhibit_e01_fast: e01, exhibit_convert: convert, ewfexport,
  zst_ratio, size_ratio, speedup, targets, runs,
}), () => [
  ...heading(`hashes ${Object.keys(hashes).join('+')} agree (md5sum of both raw exports: the input's md5), zstd -t: OK on exhibit's zst`),
  '',
  ...table([...TIMING_COLUMNS, { title: 'output MiB', width: 12 }], [
    ['exhibit-raw', cells(raw)], ['exhibit-zst', cells(zst)], ['exhibit-e01', cells(e01)],
    ['exhibit-convert', cells(convert)], ['ewfexport', cells(ewfexport)],
  ]),
  '(acquire: -f raw, -f zst (level 3, 2 MiB frames), -f e01 --compression fast; convert: zst -> raw; ewfexport: E01 -> raw)',
  '',
  `ratio zst/raw acquisition wall time, median of rounds: ${zst_ratio.toFixed(3)}  (target <= ${TARGET_ZST_RATIO}: ${ok(targets.zst_ratio_ok)})`,
  `ratio zst/E01 fast output size: ${size_ratio.toFixed(4)}  (target <= ${TARGET_SIZE_RATIO}: ${ok(targets.size_ok)})`,
  `speed-up exhibit convert over ewfexport (wall time, median of rounds): ${speedup.toFixed(2)}x  (target >= ${TARGET_SPEEDUP}x: ${ok(targets.speedup_ok)})`,
]);
