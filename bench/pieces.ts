/**
 * Benchmark: what piecewise hashes cost. exhibit's acquire (raw, md5, sha1,
 * sha256, of the cached input into /dev/shm) without pieces, with them as
 * shipped (one more SHA-256 stream restarted at every 64 MiB, on a worker of
 * its own: the system shares the cores among the workers, which is what a
 * tree of smaller hashes would gain by hashing its leaves on any core), and
 * with that stream grouped with other hashes on one worker per core; then
 * verify of the image without and with its pieces. Each step is a
 * process of its own under GNU time (bench/pieces-run.ts), rounds
 * interleaved, medians compared. Not a test: it prints the ratios against
 * the 5% targets.
 *
 *   npm run bench:pieces [-- --json]
 *   env: see bench/lib.ts (input, size, rounds)
 */
import path from 'node:path';
import { die, log, median, MiB, ok, preflight, prepareInput, report, ROOT, ROUNDS, SCRATCH, SIZE, table, timed, waitIdle } from './lib.js';
import fs from 'node:fs';

const TARGET = 1.05;
const RUNNER = path.join(ROOT, 'dist', 'bench', 'pieces-run.js');
const VARIANTS = ['none', 'stream', 'grouped'] as const;
type Variant = (typeof VARIANTS)[number];

interface Step { wall_s: number; rss_kib: number; out: { hashes: Record<string, string>; pieces: { sha256: string } | null } }

function step(args: string[]): Step {
  const t = timed([process.execPath, RUNNER, ...args]);
  return { wall_s: t.wall_s, rss_kib: t.rss_kib, out: JSON.parse(t.stdout) };
}

function main(): void {
  preflight([], 1);
  prepareInput();
  waitIdle();
  const acq: Record<Variant, number[]> = { none: [], stream: [], grouped: [] };
  const ver: Record<'none' | 'stream', number[]> = { none: [], stream: [] };
  const seen = new Set<string>();
  const pieceSums = new Set<string>();
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 ? VARIANTS : [...VARIANTS].reverse();
    for (const v of order) {
      const dir = path.join(SCRATCH, `${v}-${round}`);
      try {
        const a = step(['acquire', dir, v]);
        acq[v].push(a.wall_s);
        seen.add(JSON.stringify(a.out.hashes));
        if (v !== 'none') pieceSums.add(a.out.pieces?.sha256 ?? die(`the ${v} run kept no pieces`));
        log(`round ${round}/${ROUNDS} acquire ${v.padEnd(6)} ${a.wall_s.toFixed(2)} s, ${(a.rss_kib / 1024).toFixed(1)} MiB peak RSS`);
        if (v !== 'grouped') {
          const r = step(['verify', dir]);
          if ((r.out.pieces === null) !== (v === 'none')) die(`verify of the ${v} image ${v === 'none' ? 'checked pieces' : 'checked no pieces'}`);
          ver[v].push(r.wall_s);
          log(`round ${round}/${ROUNDS} verify  ${v.padEnd(6)} ${r.wall_s.toFixed(2)} s`);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  if (seen.size !== 1) die(`the runs disagree on the media hashes: ${[...seen].join(' / ')}`);
  if (pieceSums.size !== 1) die('the runs with pieces disagree on the pieces file');
  const m = (xs: number[]) => median(xs);
  const ratios = { acquire_stream: m(acq.stream) / m(acq.none), acquire_grouped: m(acq.grouped) / m(acq.none), verify: m(ver.stream) / m(ver.none) };
  const row = (xs: number[]): string[] => [m(xs).toFixed(2), (SIZE / MiB / m(xs)).toFixed(0)];
  report(() => ({ size_bytes: SIZE, rounds: ROUNDS, acquire_s: acq, verify_s: ver, ratios, target: TARGET }), () => [
    `piecewise hashes (64 MiB pieces), ${SIZE} bytes, ${ROUNDS} rounds, medians; md5+sha1+sha256, raw into ${SCRATCH}`,
    '',
    ...table([{ title: 'median s', width: 10 }, { title: 'MiB/s', width: 8 }], [
      ['acquire, no pieces', row(acq.none)],
      ['acquire, pieces (as shipped)', row(acq.stream)],
      ['acquire, pieces (grouped)', row(acq.grouped)],
      ['verify, no pieces', row(ver.none)],
      ['verify, pieces', row(ver.stream)],
    ], 'run'),
    '',
    `acquire with pieces / without: ${ratios.acquire_stream.toFixed(3)} (target <= ${TARGET}: ${ok(ratios.acquire_stream <= TARGET)})`,
    `acquire with pieces grouped on one worker per core / without: ${ratios.acquire_grouped.toFixed(3)}`,
    `verify with pieces / without: ${ratios.verify.toFixed(3)} (target <= ${TARGET}: ${ok(ratios.verify <= TARGET)})`,
  ]);
}

main();
