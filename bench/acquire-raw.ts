/**
 * Benchmark: `exhibit acquire` (raw, md5+sha1+sha256) against dc3dd on the
 * same cached input, and `exhibit acquire --hash sha256` (for drives faster
 * than MD5 can follow) against `cat input > image`. Ratios are the median over
 * rounds of the two tools' times in the same round. Not a test: it measures,
 * checks that the tools agree on the hashes (exit 1 if not) and prints whether
 * the targets hold.
 *
 *   npm run bench:acquire [-- --json]
 *   env: see bench/lib.ts (input, size, rounds)
 */
import {
  agreedHashes, die, exhibitAcquire, heading, INPUT, inScratch, medianRatio, ok, preflight, prepareInput, report,
  ROUNDS, runRounds, SIZE, summarize, table, timed, timingCells, TIMING_COLUMNS, waitIdle, type Hashes,
} from './lib.js';

const ALGS = ['md5', 'sha1', 'sha256'] as const;
const TARGET_RATIO = 0.45; // exhibit wall time / dc3dd wall time
const TARGET_RSS_MIB = 200;
const TARGET_SHA256_RATIO = 1.25; // exhibit --hash sha256 wall time / cat wall time

const runDc3dd = () => inScratch('dc3dd.img', (out) => {
  const t = timed(['dc3dd', `if=${INPUT}`, `of=${out}`, ...ALGS.map((a) => `hash=${a}`)]);
  // The "input results" block lists `   <hex> (md5)` etc.; the first of each is the input's hash.
  const hashes: Hashes = {};
  for (const a of ALGS) {
    const m = new RegExp(`^\\s*([0-9a-f]+) \\(${a}\\)\\s*$`, 'm').exec(t.stderr.replace(/\r/g, '\n'));
    if (!m) die(`no ${a} in dc3dd's report:\n${t.stderr.slice(-2000)}`);
    hashes[a] = m[1]!;
  }
  return { wall_s: t.wall_s, rss_kib: t.rss_kib, hashes };
});
const runExhibit = (round: number) => inScratch(`exhibit-${round}`, (out) => exhibitAcquire(out, [], ALGS));
const runSha256 = (round: number) => inScratch(`exhibit-sha256-${round}`, (out) => exhibitAcquire(out, ['--hash', 'sha256'], ['sha256']));
/** `cat input > image`: the copy with no hashing at all (the shell's time is in it, a few milliseconds). */
const runCat = () => inScratch('cat.img', (out) => {
  const t = timed(['sh', '-c', 'cat "$1" > "$2"', 'sh', INPUT, out]);
  return { wall_s: t.wall_s, rss_kib: t.rss_kib, hashes: {} };
});

preflight([{ cmd: 'dc3dd', pkg: 'dc3dd' }]);
prepareInput();
waitIdle();
const runs = runRounds([['dc3dd', runDc3dd], ['exhibit', runExhibit], ['cat', runCat], ['exhibit-sha256', runSha256]]);
const hashes = agreedHashes(runs);

const dc3dd = summarize(runs, 'dc3dd');
const exhibit = summarize(runs, 'exhibit');
const cat = summarize(runs, 'cat');
const sha256only = summarize(runs, 'exhibit-sha256');
const ratio = medianRatio(runs, 'exhibit', 'dc3dd');
const sha256_ratio = medianRatio(runs, 'exhibit-sha256', 'cat');
const targets = {
  ratio_max: TARGET_RATIO, ratio_ok: ratio <= TARGET_RATIO,
  sha256_ratio_max: TARGET_SHA256_RATIO, sha256_ratio_ok: sha256_ratio <= TARGET_SHA256_RATIO,
  exhibit_rss_max_mib: TARGET_RSS_MIB, rss_ok: exhibit.peak_rss_mib < TARGET_RSS_MIB,
};

report(() => ({ input: { path: INPUT, size_bytes: SIZE }, rounds: ROUNDS, hashes, dc3dd, exhibit, cat, exhibit_sha256: sha256only, ratio, sha256_ratio, targets, runs }), () => [
  ...heading('hashes md5+sha1+sha256 agree'),
  '',
  ...table(TIMING_COLUMNS, [
    ['dc3dd', timingCells(dc3dd)], ['exhibit', timingCells(exhibit)], ['cat', timingCells(cat)], ['exhibit-sha256', timingCells(sha256only)],
  ]),
  '(dc3dd and exhibit: md5, sha1, sha256; exhibit-sha256: --hash sha256; cat: input > image, no hash)',
  '',
  `ratio exhibit/dc3dd wall time, median of rounds: ${ratio.toFixed(3)}  (target <= ${TARGET_RATIO}: ${ok(targets.ratio_ok)})`,
  `ratio exhibit --hash sha256/cat wall time, median of rounds: ${sha256_ratio.toFixed(3)}  (target <= ${TARGET_SHA256_RATIO}: ${ok(targets.sha256_ratio_ok)})`,
  `exhibit peak RSS: ${exhibit.peak_rss_mib.toFixed(1)} MiB  (target < ${TARGET_RSS_MIB} MiB: ${ok(targets.rss_ok)})`,
]);
