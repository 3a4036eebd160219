/**
 * Benchmark: `exhibit verify` of an AFF4 image (snappy, and deflate) against
 * `exhibit verify` of an E01 of the same media, per media byte. The media is
 * the first EXHIBIT_BENCH_AFF4_SIZE bytes (default 1 GiB: at 256 MiB a verify
 * takes 1.5 s, of which the 0.4 s every verify spends starting, opening and
 * reporting, the same for both formats, is a quarter) of the bench
 * input; the AFF4 images are built with the test builder (Evimetry's layout:
 * 32 KiB chunks, 2,048 per bevy, MD5 and SHA-1 block hashes, the block map
 * hash), the E01 by exhibit acquire (fast compression); none of that is
 * timed. Each verify computes MD5, SHA-1 and SHA-256 of the media; the AFF4
 * one also checks every block hash and stored hash. Not a test: it prints
 * the ratios (target: AFF4 at most as slow as E01) and exits 1 if any image
 * is not verified. ROUNDS rounds (bench/lib.ts), order reversed every other
 * round, ratios within each round, medians printed, CPU seconds beside.
 *
 *   npm run bench:verify-aff4 [-- --json]
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildAff4 } from '../test/helpers/aff4-builder.js';
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { die, EXHIBIT, INPUT, log, machine, median, MiB, ok, prepareInput, report, ROUNDS, SCRATCH, table, timed, waitIdle } from './lib.js';

const SLICE = Number(process.env.EXHIBIT_BENCH_AFF4_SIZE ?? 1024 * MiB);

function main(): void {
  prepareInput();
  const dir = `${SCRATCH}-aff4-${process.pid}`; // its own folder: other benches clear theirs
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(path.join(SCRATCH, 'home'), { recursive: true, force: true }); // the bench's case store: a case B-1 of an earlier run would stand in the way
  fs.mkdirSync(dir, { recursive: true });
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true })); // also when a run fails (die exits)
  const media = Buffer.alloc(SLICE);
  const fd = fs.openSync(INPUT, 'r');
  const n = fs.readSync(fd, media, 0, SLICE, 0);
  fs.closeSync(fd);
  const slice = path.join(dir, 'media.bin');
  fs.writeFileSync(slice, media.subarray(0, n));
  log(`making the E01 and the AFF4 images of ${n} bytes (not timed)`);
  const acq = timed([process.execPath, EXHIBIT, 'acquire', slice, '-o', path.join(dir, 'e01'), '-c', 'B-1', '-e', 'EV', '-x', 'Aff4 Benchmark Runner', '-f', 'e01', '--compression', 'fast', '--hash', 'md5,sha1,sha256']);
  if (!fs.existsSync(path.join(dir, 'e01', 'EV.E01'))) die(`exhibit acquire failed:\n${acq.stderr.slice(-1500)}`);
  const images: [string, string][] = [['E01 (fast)', path.join(dir, 'e01', 'EV.E01')]];
  for (const compression of ['snappy', 'deflate'] as const) {
    const f = path.join(dir, `EV-${compression}.aff4`);
    fs.writeFileSync(f, buildAff4(media.subarray(0, n), { compression, chunkSize: 32768, chunksInSegment: 2048, zip64: true }));
    images.push([`AFF4 (${compression})`, f]);
  }
  // ROUNDS rounds, the order reversed every other round; each AFF4 / E01 ratio is taken within its round.
  const runs = new Map<string, { wall_s: number; cpu_s: number; rss_kib: number }[]>(images.map(([name]) => [name, []]));
  const ratios = new Map<string, number[]>(images.slice(1).map(([name]) => [name, []]));
  const cpuRatios = new Map<string, number[]>(images.slice(1).map(([name]) => [name, []]));
  waitIdle();
  for (let round = 1; round <= ROUNDS; round++) {
    const got = new Map<string, { wall_s: number; cpu_s: number }>();
    for (const [name, f] of round % 2 ? images : [...images].reverse()) {
      const r = timedCpu([process.execPath, EXHIBIT, 'verify', f, '--no-record', '--hash', 'md5,sha1,sha256']);
      if (!/^(VERIFIED|UNVERIFIABLE)/m.test(r.stdout) || /DIFFERS|FAILED/.test(r.stdout)) die(`exhibit verify of ${name} did not pass:\n${r.stdout.slice(-1500)}`);
      log(`round ${round}/${ROUNDS} ${name.padEnd(16)} ${r.wall_s.toFixed(2)} s, CPU ${r.cpu_s.toFixed(2)} s, ${(r.rss_kib / 1024).toFixed(1)} MiB peak RSS`);
      runs.get(name)!.push(r);
      got.set(name, r);
    }
    const e = got.get(images[0]![0])!;
    for (const [name] of images.slice(1)) {
      ratios.get(name)!.push(got.get(name)!.wall_s / e.wall_s);
      cpuRatios.get(name)!.push(got.get(name)!.cpu_s / e.cpu_s);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const med = (name: string, k: 'wall_s' | 'cpu_s') => median(runs.get(name)!.map((r) => r[k]));
  const ratioOf = (name: string) => (ratios.has(name) ? median(ratios.get(name)!) : 1);
  report(
    () => ({ input: INPUT, size: n, rounds: ROUNDS, runs: Object.fromEntries(runs), ratios: Object.fromEntries(ratios), cpu_ratios: Object.fromEntries(cpuRatios) }),
    () => [
      `machine: ${machine().cpu}, ${machine().cores} cores, node ${machine().node}; load average (1 min) ${os.loadavg()[0]!.toFixed(1)} at the end`,
      `input:   ${(n / MiB).toFixed(0)} MiB of ${INPUT}, ${ROUNDS} rounds, ratios taken within each round (median)`,
      ...table(
        [{ title: 'median s', width: 9 }, { title: 'MiB/s', width: 7 }, { title: 'CPU s', width: 7 }, { title: 'peak RSS MiB', width: 13 }, { title: 'vs E01', width: 7 }, { title: 'CPU vs E01', width: 11 }],
        images.map(([name]) => [name, [med(name, 'wall_s').toFixed(2), (n / MiB / med(name, 'wall_s')).toFixed(0), med(name, 'cpu_s').toFixed(2), (Math.max(...runs.get(name)!.map((r) => r.rss_kib)) / 1024).toFixed(1), ratioOf(name).toFixed(3), ratios.has(name) ? median(cpuRatios.get(name)!).toFixed(3) : '1']]),
      ),
      ...images.slice(1).map(([name]) => `target: ${name} at most as slow as the E01 per media byte: ${ok(ratioOf(name) <= 1)} (rounds ${ratios.get(name)!.map((x) => x.toFixed(3)).join(', ')})`),
    ],
  );
}

/** `argv` under GNU time: wall and CPU seconds (user + system, every thread), peak RSS and its output. */
function timedCpu(argv: string[]): { stdout: string; wall_s: number; cpu_s: number; rss_kib: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', ...argv], { encoding: 'utf8', maxBuffer: 64 * MiB, env: { ...process.env, EXHIBIT_NO_PROGRESS: '1', EXHIBIT_HOME: path.join(SCRATCH, 'home') } }); // the store acquire wrote to
  const m = /(\d+(?:\.\d+)?) (\d+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)\s*$/.exec(r.stderr ?? '');
  if (!m) die(`${argv.join(' ')} gave no timing (status ${r.status}):\n${(r.stderr ?? '').slice(-1500)}`);
  return { stdout: r.stdout ?? '', wall_s: Number(m[1]), rss_kib: Number(m[2]), cpu_s: Number(m[3]) + Number(m[4]) };
}

main();
