/**
 * Benchmark: `exhibit verify` of an AFF4 image (snappy, and deflate) against
 * `exhibit verify` of an E01 of the same media, per media byte. The media is
 * the first EXHIBIT_BENCH_AFF4_SIZE bytes (default 256 MiB) of the bench
 * input; the AFF4 images are built with the test builder (Evimetry's layout:
 * 32 KiB chunks, 2,048 per bevy, MD5 and SHA-1 block hashes, the block map
 * hash), the E01 by exhibit acquire (fast compression); none of that is
 * timed. Each verify computes MD5, SHA-1 and SHA-256 of the media; the AFF4
 * one also checks every block hash and stored hash. Not a test: it prints
 * the ratios (target: AFF4 at most as slow as E01) and exits 1 if any image
 * is not verified.
 *
 *   npm run bench:verify-aff4 [-- --json]
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildAff4 } from '../test/helpers/aff4-builder.js';
import { die, EXHIBIT, INPUT, log, machine, MiB, ok, prepareInput, report, SCRATCH, table, timed, waitIdle } from './lib.js';

const SLICE = Number(process.env.EXHIBIT_BENCH_AFF4_SIZE ?? 256 * MiB);

function main(): void {
  prepareInput();
  const dir = `${SCRATCH}-aff4-${process.pid}`; // its own folder: other benches clear theirs
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
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
  const rows: { name: string; wall_s: number; rss_kib: number }[] = [];
  for (const [name, f] of images) {
    waitIdle();
    log(`exhibit verify ${f} --no-record --hash md5,sha1,sha256`);
    const r = timed([process.execPath, EXHIBIT, 'verify', f, '--no-record', '--hash', 'md5,sha1,sha256']);
    if (!/^(VERIFIED|UNVERIFIABLE)/m.test(r.stdout) || /DIFFERS|FAILED/.test(r.stdout)) die(`exhibit verify of ${name} did not pass:\n${r.stdout.slice(-1500)}`);
    rows.push({ name, wall_s: r.wall_s, rss_kib: r.rss_kib });
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const e01 = rows[0]!.wall_s;
  report(
    () => ({ input: INPUT, size: n, runs: rows, ratios: rows.map((r) => r.wall_s / e01) }),
    () => [
      `machine: ${machine().cpu}, ${machine().cores} cores, node ${machine().node}`,
      `input:   ${(n / MiB).toFixed(0)} MiB of ${INPUT}, one run each`,
      ...table(
        [{ title: 'wall s', width: 8 }, { title: 'MiB/s', width: 7 }, { title: 'peak RSS MiB', width: 13 }, { title: 'vs E01', width: 7 }],
        rows.map((r) => [r.name, [r.wall_s.toFixed(2), (n / MiB / r.wall_s).toFixed(0), (r.rss_kib / 1024).toFixed(1), (r.wall_s / e01).toFixed(3)]]),
      ),
      ...rows.slice(1).map((r) => `target: ${r.name} at most as slow as the E01 per media byte: ${ok(r.wall_s <= e01)}`),
    ],
  );
}

main();
