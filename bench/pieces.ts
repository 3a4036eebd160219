/**
 * Benchmark: what piecewise hashes cost. exhibit's acquire (raw, md5, sha1,
 * sha256, of the cached input into /dev/shm) without pieces, with them as
 * shipped (one more SHA-256 stream restarted at every 64 MiB, its pieces
 * shared among the workers, one per core, by cost), and with one worker per
 * digest job, the system sharing the cores among them (what a tree of smaller
 * hashes would gain by hashing its leaves on any core); then verify of the image without and with its pieces. Each step is a
 * process of its own under GNU time (bench/pieces-run.ts), rounds
 * interleaved, medians compared. Not a test: it prints the ratios against
 * the 5% targets.
 *
 *   npm run bench:pieces [-- --json]
 *   env: see bench/lib.ts (input, size, rounds)
 */
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { die, EXHIBIT, exhibitAcquire, log, median, MiB, ok, preflight, prepareInput, report, ROOT, ROUNDS, SCRATCH, SIZE, table, waitIdle } from './lib.js';
import { DEFAULT_HASHES } from '../core/crypto.js';

const TARGET = 1.05;
const RUNNER = path.join(ROOT, 'dist', 'bench', 'pieces-run.js');
const VARIANTS = ['none', 'stream', 'spread'] as const;
type Variant = (typeof VARIANTS)[number];

interface Step { wall_s: number; cpu_s: number; rss_kib: number; out: { hashes: Record<string, string>; pieces: { sha256: string } | null } }

/**
 * One step under GNU time: wall seconds, and the CPU seconds (user + system) of the process and
 * its threads. On a machine other work shares, the wall time swings from run to run; the CPU time
 * is the work done, and the fastest wall time is the nearest to an idle machine's.
 */
function step(args: string[], script = RUNNER): Step {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', process.execPath, script, ...args], { encoding: 'utf8', maxBuffer: 64 * MiB, env: { ...process.env, EXHIBIT_NO_PROGRESS: '1', EXHIBIT_HOME: path.join(SCRATCH, 'home') } });
  const m = /(\d+(?:\.\d+)?) (\d+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)\s*$/.exec(r.stderr ?? '');
  if (r.status !== 0 || !m) die(`${path.basename(script)} ${args.join(' ')} failed (status ${r.status}):\n${(r.stderr ?? '').slice(-2000)}`);
  return { wall_s: Number(m[1]), rss_kib: Number(m[2]), cpu_s: Number(m[3]) + Number(m[4]), out: JSON.parse(r.stdout) };
}

/**
 * The pieces as an examiner's acquisition leaves them: `exhibit acquire` (the command, with the bench's
 * own case store and key) signs a custody entry that lists the pieces file, so `exhibit verify` proves
 * every piece by the media's SHA-256 without hashing each. The acquisition is not timed; the verify is.
 */
function signedVerify(dir: string): Step {
  exhibitAcquire(dir, [], DEFAULT_HASHES);
  const v = step(['verify', dir, '--no-record', '--json'], EXHIBIT);
  const proof = (v.out.pieces as { proven_by?: string } | null)?.proven_by;
  if (!proof) die('exhibit verify of a signed acquisition did not prove its pieces by the media hash');
  return v;
}

function main(): void {
  preflight([], 1);
  prepareInput();
  waitIdle();
  const acq: Record<Variant, number[]> = { none: [], stream: [], spread: [] };
  const ver: Record<'none' | 'stream' | 'every' | 'signed', number[]> = { none: [], stream: [], every: [], signed: [] };
  const acqCpu: Record<Variant, number[]> = { none: [], stream: [], spread: [] };
  const verCpu: Record<'none' | 'stream' | 'every' | 'signed', number[]> = { none: [], stream: [], every: [], signed: [] };
  const seen = new Set<string>();
  const pieceSums = new Set<string>();
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 ? VARIANTS : [...VARIANTS].reverse();
    for (const v of order) {
      const dir = path.join(SCRATCH, `${v}-${round}`);
      try {
        const a = step(['acquire', dir, v]);
        acq[v].push(a.wall_s);
        acqCpu[v].push(a.cpu_s);
        seen.add(JSON.stringify(a.out.hashes));
        if (v !== 'none') pieceSums.add(a.out.pieces?.sha256 ?? die(`the ${v} run kept no pieces`));
        log(`round ${round}/${ROUNDS} acquire ${v.padEnd(7)} ${a.wall_s.toFixed(2)} s, CPU ${a.cpu_s.toFixed(2)} s, ${(a.rss_kib / 1024).toFixed(1)} MiB peak RSS`);
        if (v !== 'spread') {
          const r = step(['verify', dir]);
          if ((r.out.pieces === null) !== (v === 'none')) die(`verify of the ${v} image ${v === 'none' ? 'checked pieces' : 'checked no pieces'}`);
          ver[v].push(r.wall_s);
          verCpu[v].push(r.cpu_s);
          log(`round ${round}/${ROUNDS} verify  ${v.padEnd(7)} ${r.wall_s.toFixed(2)} s, CPU ${r.cpu_s.toFixed(2)} s`);
          if (v === 'stream') {
            // The same image with --every-piece: each piece hashed although the media's SHA-256 proves them.
            const e = step(['verify', dir, 'every']);
            if (e.out.pieces === null) die('verify --every-piece checked no pieces');
            ver.every.push(e.wall_s);
            verCpu.every.push(e.cpu_s);
            log(`round ${round}/${ROUNDS} verify  every   ${e.wall_s.toFixed(2)} s, CPU ${e.cpu_s.toFixed(2)} s`);
          }
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      if (v === 'stream') {
        // Once the folder above is gone (two 2 GiB images at once would crowd the RAM the outputs go to).
        const signedDir = path.join(SCRATCH, `signed-${round}`);
        try {
          const g = signedVerify(signedDir);
          ver.signed.push(g.wall_s);
          verCpu.signed.push(g.cpu_s);
          seen.add(JSON.stringify(g.out.hashes));
          log(`round ${round}/${ROUNDS} verify  signed  ${g.wall_s.toFixed(2)} s, CPU ${g.cpu_s.toFixed(2)} s`);
        } finally {
          fs.rmSync(signedDir, { recursive: true, force: true });
        }
      }
    }
  }
  if (seen.size !== 1) die(`the runs disagree on the media hashes: ${[...seen].join(' / ')}`);
  if (pieceSums.size !== 1) die('the runs with pieces disagree on the pieces file');
  const m = (xs: number[]) => median(xs);
  const least = (xs: number[]) => Math.min(...xs);
  // The median over rounds of each round's ratio (the two steps ran one after the other, under the same load).
  const mr = (xs: number[], base: number[]) => median(xs.map((x, i) => x / base[i]!));
  const ratios = {
    acquire_stream: mr(acq.stream, acq.none), acquire_spread: mr(acq.spread, acq.none), verify: mr(ver.signed, ver.none), verify_record_only: mr(ver.stream, ver.none), verify_every: mr(ver.every, ver.none),
    fastest: { acquire_stream: least(acq.stream) / least(acq.none), acquire_spread: least(acq.spread) / least(acq.none), verify: least(ver.signed) / least(ver.none) },
    cpu: { acquire_stream: mr(acqCpu.stream, acqCpu.none), acquire_spread: mr(acqCpu.spread, acqCpu.none), verify: mr(verCpu.signed, verCpu.none) },
  };
  const row = (xs: number[], cpu: number[]): string[] => [m(xs).toFixed(2), least(xs).toFixed(2), (SIZE / MiB / m(xs)).toFixed(0), m(cpu).toFixed(2)];
  report(() => ({ size_bytes: SIZE, rounds: ROUNDS, acquire_s: acq, verify_s: ver, acquire_cpu_s: acqCpu, verify_cpu_s: verCpu, ratios, target: TARGET }), () => [
    `piecewise hashes (64 MiB pieces), ${SIZE} bytes, ${ROUNDS} rounds; md5+sha1+sha256, raw into ${SCRATCH}`,
    '',
    ...table([{ title: 'median s', width: 10 }, { title: 'fastest s', width: 10 }, { title: 'MiB/s', width: 8 }, { title: 'CPU s', width: 8 }], [
      ['acquire, no pieces', row(acq.none, acqCpu.none)],
      ['acquire, pieces (as shipped)', row(acq.stream, acqCpu.stream)],
      ['acquire, pieces (one worker a job)', row(acq.spread, acqCpu.spread)],
      ['verify, no pieces', row(ver.none, verCpu.none)],
      ['verify, pieces proven by SHA-256 (signed, the command)', row(ver.signed, verCpu.signed)],
      ['verify, pieces only the record lists (one pass)', row(ver.stream, verCpu.stream)],
      ['verify, pieces, --every-piece', row(ver.every, verCpu.every)],
    ], 'run'),
    '',
    'ratios with pieces / without:     wall (median of rounds)   fastest wall   CPU (median of rounds)',
    `  acquire (as shipped)             ${ratios.acquire_stream.toFixed(3).padStart(23)} ${ratios.fastest.acquire_stream.toFixed(3).padStart(14)} ${ratios.cpu.acquire_stream.toFixed(3).padStart(22)}`,
    `  acquire (one worker a job)       ${ratios.acquire_spread.toFixed(3).padStart(23)} ${ratios.fastest.acquire_spread.toFixed(3).padStart(14)} ${ratios.cpu.acquire_spread.toFixed(3).padStart(22)}`,
    `  verify (proven, signed)          ${ratios.verify.toFixed(3).padStart(23)} ${ratios.fastest.verify.toFixed(3).padStart(14)} ${ratios.cpu.verify.toFixed(3).padStart(22)}`,
    `  verify (record only)             ${ratios.verify_record_only.toFixed(3).padStart(23)} ${'-'.padStart(14)} ${'-'.padStart(22)}`,
    `  verify --every-piece             ${ratios.verify_every.toFixed(3).padStart(23)} ${'-'.padStart(14)} ${'-'.padStart(22)}`,
    `target: at most ${TARGET} in wall time (median of rounds); acquire: ${ok(ratios.acquire_stream <= TARGET)}, verify: ${ok(ratios.verify <= TARGET)}`,
  ]);
}

main();
