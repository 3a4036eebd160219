/**
 * Benchmark: `exhibit acquire -f e01 --compression fast --hash md5,sha256`
 * against `ewfacquire -c deflate:fast -d sha256` (libewf) on the same cached
 * input. Not a test: it measures, checks that both tools agree on the hashes
 * and that ewfverify accepts exhibit's image (exit 1 if not), and prints
 * whether the targets hold.
 *
 *   npm run bench:e01 [-- --json]
 *   env: see bench/lib.ts (input, size, rounds); EXHIBIT_BENCH_ALL_HASHES=1 adds
 *        a row for exhibit with --hash md5,sha1,sha256 (not counted in the targets)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  agreedHashes, die, EVIDENCE, exhibitAcquire, heading, INPUT, inScratch, log, medianRatio, MiB, ok, preflight, prepareInput,
  report, ROUNDS, runRounds, SCRATCH, segments, SIZE, summarizeOutput, table, timed, timingCells, TIMING_COLUMNS,
  totalSize, type Hashes, type OutputRun,
} from './lib.js';

const ALL_HASHES = process.env.EXHIBIT_BENCH_ALL_HASHES === '1';
const TARGET_RATIO = 0.25; // exhibit wall time / ewfacquire wall time (issue 22: keep at or under)
const TARGET_SIZE = [0.98, 1.02] as const; // exhibit output size / ewfacquire output size
const TARGET_RSS_MIB = 300;

/** ewfacquire writes SCRATCH/ewf.E01, ...; MD5 always, SHA-256 with -d sha256, both printed on stdout. */
function runEwfacquire(): Omit<OutputRun, 'tool' | 'round'> {
  try {
    const t = timed(['ewfacquire', '-u', '-t', path.join(SCRATCH, 'ewf'), '-c', 'deflate:fast', '-d', 'sha256', INPUT]);
    const out = t.stdout.replace(/\r/g, '\n');
    const hashes: Hashes = {};
    for (const [a, name] of [['md5', 'MD5'], ['sha256', 'SHA256']] as const) {
      const m = new RegExp(`^${name} hash calculated over data:\\s*([0-9a-f]+)\\s*$`, 'm').exec(out);
      if (m) hashes[a] = m[1]!;
    }
    if (!hashes.md5 || !/^ewfacquire: SUCCESS$/m.test(out)) die(`no MD5 or no SUCCESS in ewfacquire's output:\n${out.slice(-2000)}`);
    const files = segments(SCRATCH, 'ewf');
    if (!files.length) die(`ewfacquire wrote no ${path.join(SCRATCH, 'ewf')}.E01`);
    return { wall_s: t.wall_s, rss_kib: t.rss_kib, hashes, output_bytes: totalSize(files) };
  } finally {
    for (const f of segments(SCRATCH, 'ewf')) fs.rmSync(f, { force: true });
  }
}

/** What ewfverify said of exhibit's image (checked once, on the first round). */
const verified = { done: false, md5: null as string | null };
function ewfverify(e01: string, md5: string | undefined): void {
  log(`checking exhibit's image: ewfverify -q ${e01} (not timed)`);
  const r = spawnSync('ewfverify', ['-q', e01], { encoding: 'utf8', maxBuffer: 64 * MiB, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.replace(/\r/g, '\n');
  const got = /^MD5 hash calculated over data:\s*([0-9a-f]+)\s*$/m.exec(out)?.[1] ?? null;
  if (r.status !== 0 || !/^ewfverify: SUCCESS$/m.test(out)) die(`ewfverify rejects exhibit's ${e01} (status ${r.status}):\n${out.slice(-2000)}`);
  if (got !== null && got !== md5) die(`ewfverify computed MD5 ${got}, exhibit recorded ${md5}`);
  verified.done = true;
  verified.md5 = got;
}

/** exhibit writes SCRATCH/ex/EV.E01, ... and its record; `algs` are the hashes it is asked for. */
const runExhibit = (algs: Array<'md5' | 'sha1' | 'sha256'>) => (): Omit<OutputRun, 'tool' | 'round'> =>
  inScratch('ex', (out) => {
    const r = exhibitAcquire(out, ['--format', 'e01', '--compression', 'fast', '--hash', algs.join(',')], algs);
    const files = segments(out, EVIDENCE);
    if (!files.length) die(`exhibit wrote no ${path.join(out, EVIDENCE)}.E01`);
    if (!verified.done) ewfverify(files[0]!, r.hashes.md5);
    return { ...r, output_bytes: totalSize(files) };
  });

preflight([{ cmd: 'ewfacquire', pkg: 'ewf-tools' }, { cmd: 'ewfverify', pkg: 'ewf-tools' }]);
prepareInput();
const runs = runRounds<Omit<OutputRun, 'tool' | 'round'>>([
  ['ewfacquire', runEwfacquire],
  ['exhibit', runExhibit(['md5', 'sha256'])],
  ...(ALL_HASHES ? [['exhibit-all', runExhibit(['md5', 'sha1', 'sha256'])] as [string, () => Omit<OutputRun, 'tool' | 'round'>]] : []),
]);
const hashes = agreedHashes(runs);
if (!verified.done) die('ewfverify did not run');

const summary = (tool: string) => summarizeOutput(runs, tool);
const ewf = summary('ewfacquire');
const exhibit = summary('exhibit');
const all = ALL_HASHES ? summary('exhibit-all') : undefined;
const ratio = medianRatio(runs, 'exhibit', 'ewfacquire');
const size_ratio = exhibit.output_bytes / ewf.output_bytes;
const targets = {
  ratio_max: TARGET_RATIO, ratio_ok: ratio <= TARGET_RATIO,
  size_ratio_range: TARGET_SIZE, size_ok: size_ratio >= TARGET_SIZE[0] && size_ratio <= TARGET_SIZE[1],
  exhibit_rss_max_mib: TARGET_RSS_MIB, rss_ok: exhibit.peak_rss_mib < TARGET_RSS_MIB,
};
// The digests both tools computed (md5, and sha256 when ewfacquire printed it).
const compared = (Object.keys(hashes) as Array<keyof Hashes>).filter((a) => ['ewfacquire', 'exhibit'].every((t) => runs.some((r) => r.tool === t && r.hashes[a])));

const cells = (s: typeof ewf) => [...timingCells(s), s.output_mib.toFixed(1)];
report(() => ({
  input: { path: INPUT, size_bytes: SIZE }, rounds: ROUNDS, hashes, compared, ewfverify: { result: 'SUCCESS', md5: verified.md5 },
  ewfacquire: ewf, exhibit, ...(all ? { exhibit_all_hashes: all } : {}), ratio, size_ratio, targets, runs,
}), () => [
  ...heading(`hashes ${compared.join('+')} agree, ewfverify: SUCCESS on exhibit's E01`),
  '',
  ...table([...TIMING_COLUMNS, { title: 'output MiB', width: 12 }], [
    ['ewfacquire', cells(ewf)], ['exhibit', cells(exhibit)], ...(all ? [['exhibit-all', cells(all)] as [string, string[]]] : []),
  ]),
  ...(all ? ['(exhibit-all: --hash md5,sha1,sha256; not counted in the targets)'] : []),
  '',
  `ratio exhibit/ewfacquire wall time, median of rounds: ${ratio.toFixed(3)}  (target <= ${TARGET_RATIO}: ${ok(targets.ratio_ok)})`,
  `ratio exhibit/ewfacquire output size: ${size_ratio.toFixed(4)}  (target ${TARGET_SIZE[0]} to ${TARGET_SIZE[1]}: ${ok(targets.size_ok)})`,
  `exhibit peak RSS: ${exhibit.peak_rss_mib.toFixed(1)} MiB  (target < ${TARGET_RSS_MIB} MiB: ${ok(targets.rss_ok)})`,
]);
