/**
 * Benchmark: the CPU exhibit's zstd reader spends before it reads any media.
 * Opening an image of 500,000 frames through its seek table (the frames are
 * placed and checked one by one), and opening a small damaged image (no seek
 * table) by scanning for its frames. Prints the median CPU milliseconds of
 * ROUNDS runs of each. Not a test.
 *
 *   npm run bench:zstd-open
 *   env: EXHIBIT_BENCH_ROUNDS (default 3)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Compressor } from 'zstd-napi';
import { ZstdReader } from '../image/zstd/reader.js';
import { ZstdWriter } from '../image/zstd/writer.js';

const rounds = Number(process.env.EXHIBIT_BENCH_ROUNDS ?? 3);
const FRAMES = 500_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exhibit-bench-zstd-open-'));

async function cpuMs(f: () => Promise<void>): Promise<number> {
  const t = process.cpuUsage();
  await f();
  const u = process.cpuUsage(t);
  return (u.user + u.system) / 1000;
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

try {
  const c = new Compressor();
  c.setParameters({ compressionLevel: 3, checksumFlag: true, contentSizeFlag: true });
  const one = c.compress(Buffer.from('A'));
  const all = Buffer.alloc(one.length * FRAMES);
  for (let i = 0; i < FRAMES; i++) one.copy(all, i * one.length);
  fs.writeFileSync(path.join(dir, 'EV.zst'), all);
  const w = new ZstdWriter({ dir, base: 'EV', frameSize: 1, level: 3, threads: 1 });
  await w.resume(FRAMES, { size: all.length, frames: FRAMES });
  await w.finish();
  // A small image without its seek table: three frames of 64 KiB.
  const small = path.join(dir, 'SMALL.zst');
  fs.writeFileSync(small, Buffer.concat([0, 1, 2].map((i) => c.compress(Buffer.alloc(64 * 1024, i)))));

  const big: number[] = [];
  const scan: number[] = [];
  for (let r = 0; r < rounds; r++) {
    big.push(await cpuMs(async () => (await ZstdReader.open(path.join(dir, 'EV.zst'))).close()));
    scan.push(await cpuMs(async () => {
      for (let i = 0; i < 100; i++) await (await ZstdReader.openScanning(small, 64 * 1024)).close();
    }) / 100);
  }
  console.log(`open, seek table of ${FRAMES} frames: median ${median(big).toFixed(0)} ms CPU (${big.map((x) => x.toFixed(0)).join(', ')})`);
  console.log(`open by scanning, 3 frames: median ${median(scan).toFixed(2)} ms CPU (${scan.map((x) => x.toFixed(2)).join(', ')})`);
  console.log(`load average: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
