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
import { formatOf, type FormatSettings } from '../image/index.js';

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
  // Through the format registry, as acquire and verify reach it: the writer, resumed over the frames
  // already there, writes their seek table.
  const zst = formatOf('zst');
  const settings: FormatSettings = { format: 'zst', zstd: { level: 3, frame_size: 1 } };
  const facts = { case: 'BENCH', evidence: 'EV', examiner: 'bench', physical: false, acquired: new Date() };
  const w = zst.createWriter({ dir, base: 'EV', settings, mediaBytes: FRAMES, sectorSize: 512, facts, version: 'bench', threads: 1 });
  await w.resume(FRAMES, { size: all.length, frames: FRAMES });
  await w.finish();
  // A small image without its seek table: three frames of 64 KiB.
  const small = path.join(dir, 'SMALL.zst');
  fs.writeFileSync(small, Buffer.concat([0, 1, 2].map((i) => c.compress(Buffer.alloc(64 * 1024, i)))));

  const big: number[] = [];
  const scan: number[] = [];
  for (let r = 0; r < rounds; r++) {
    big.push(await cpuMs(async () => (await zst.open(path.join(dir, 'EV.zst'), 'EV.zst')).reader.close()));
    // A partial image is opened by scanning its frames, as resume does.
    const smallSettings: FormatSettings = { format: 'zst', zstd: { level: 3, frame_size: 64 * 1024 } };
    scan.push(await cpuMs(async () => {
      for (let i = 0; i < 100; i++) await (await zst.openPartial([small], { size: fs.statSync(small).size }, smallSettings)).close();
    }) / 100);
  }
  console.log(`open, seek table of ${FRAMES} frames: median ${median(big).toFixed(0)} ms CPU (${big.map((x) => x.toFixed(0)).join(', ')})`);
  console.log(`open by scanning, 3 frames: median ${median(scan).toFixed(2)} ms CPU (${scan.map((x) => x.toFixed(2)).join(', ')})`);
  console.log(`load average: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
