/**
 * Benchmark: `exhibit acquire` (raw, md5+sha1+sha256) against dc3dd on the
 * same cached input. Not a test: it measures, checks that both tools agree on
 * the hashes (exit 1 if not) and prints whether the targets hold.
 *
 *   npm run bench:acquire [-- --json]
 *   env: see bench/lib.ts (input, size, rounds)
 */
import {
  agreedHashes, die, exhibitAcquire, heading, INPUT, inScratch, ok, preflight, prepareInput, report,
  ROUNDS, runRounds, SIZE, summarize, table, timed, timingCells, TIMING_COLUMNS, type Hashes,
} from './lib.js';

const ALGS = ['md5', 'sha1', 'sha256'] as const;
const TARGET_RATIO = 0.45; // exhibit wall time / dc3dd wall time
const TARGET_RSS_MIB = 200;

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

preflight([{ cmd: 'dc3dd', pkg: 'dc3dd' }]);
prepareInput();
const runs = runRounds([['dc3dd', runDc3dd], ['exhibit', runExhibit]]);
const hashes = agreedHashes(runs);

const dc3dd = summarize(runs, 'dc3dd');
const exhibit = summarize(runs, 'exhibit');
const ratio = exhibit.median_wall_s / dc3dd.median_wall_s;
const targets = {
  ratio_max: TARGET_RATIO, ratio_ok: ratio <= TARGET_RATIO,
  exhibit_rss_max_mib: TARGET_RSS_MIB, rss_ok: exhibit.peak_rss_mib < TARGET_RSS_MIB,
};

report(() => ({ input: { path: INPUT, size_bytes: SIZE }, rounds: ROUNDS, hashes, dc3dd, exhibit, ratio, targets, runs }), () => [
  ...heading('hashes md5+sha1+sha256 agree'),
  '',
  ...table(TIMING_COLUMNS, [['dc3dd', timingCells(dc3dd)], ['exhibit', timingCells(exhibit)]]),
  '',
  `ratio exhibit/dc3dd wall time: ${ratio.toFixed(3)}  (target <= ${TARGET_RATIO}: ${ok(targets.ratio_ok)})`,
  `exhibit peak RSS: ${exhibit.peak_rss_mib.toFixed(1)} MiB  (target < ${TARGET_RSS_MIB} MiB: ${ok(targets.rss_ok)})`,
]);
