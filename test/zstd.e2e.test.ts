/**
 * Seekable zstd images through the real command, checked with the zstd tool
 * itself, and the reader's answers to damage.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { Compressor } from 'zstd-napi';
import { ZstdReader } from '../image/zstd/reader.js';
import { exhibitAsync, fileDigest, have, makeSourceFile, run, tempDir } from './helpers/cli.js';
import { because } from './helpers/skip.js';

const why = have('zstd') ? undefined : 'needs the zstd program (apt-get install zstd)';
if (why) console.warn(`skipping zstd tests: ${why}`);

const work = tempDir('exhibit-zst-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const args = (out: string) => ['-o', out, '-c', 'CASE-5', '-e', 'EV', '-x', 'Examiner', '-f', 'zst'];
const record = (dir: string): any => YAML.parse(fs.readFileSync(path.join(dir, 'EV.acquisition.yaml'), 'utf8'));

describe.skipIf(why !== undefined)(because('seekable zstd images', why), () => {
  const src = path.join(work, 'source.bin');
  // 9 frames of 1 MiB (the last cut short): each kind of source data (random, zeros, text) three times over.
  makeSourceFile(src, 8 * 1024 * 1024 + 12345, 51);
  const out = path.join(work, 'img');
  const r = run(['acquire', src, ...args(out), '--frame-size', '1MiB', '--level', '5']);
  const image = path.join(out, 'EV.zst');

  it('zstd -t passes and zstd -d gives back the media, byte for byte', () => {
    expect(r.code, r.stderr).toBe(0);
    expect(spawnSync('zstd', ['-q', '-t', image]).status).toBe(0);
    const d = spawnSync('zstd', ['-q', '-d', '-c', image], { maxBuffer: 64 << 20 });
    expect(d.status).toBe(0);
    expect(d.stdout.equals(fs.readFileSync(src))).toBe(true);
  });

  it('records the format, its settings and the file SHA-256', () => {
    const rec = record(out);
    expect(rec.image).toMatchObject({ format: 'zst', zstd_level: 5, frame_size: 1024 * 1024 });
    expect(rec.image.files).toEqual([{ name: 'EV.zst', size: fs.statSync(image).size, sha256: fileDigest('sha256', image) }]);
    expect(rec.media.hashes.md5).toBe(fileDigest('md5', src));
  });

  it('stores random frames raw at the fast level, reuses one zero frame, and compresses the rest at the chosen level', async () => {
    // The source cycles 1 MiB of random bytes, zeros and text, so frame i is of kind i % 3.
    const reader = await ZstdReader.open(image);
    const bytes = fs.readFileSync(image);
    const media = fs.readFileSync(src);
    const at = (level: number, data: Buffer) => {
      const c = new Compressor();
      c.setParameters({ compressionLevel: level, checksumFlag: true, contentSizeFlag: true });
      return c.compress(data);
    };
    for (const [i, f] of reader.frames.entries()) {
      const stored = bytes.subarray(f.offset, f.offset + f.compressed);
      const data = media.subarray(f.mediaStart, f.mediaStart + f.decompressed);
      // Zero frames and text at level 5, as before; random frames at level 1: raw blocks, about their own size.
      const level = i % 3 === 0 && f.decompressed >= 64 * 1024 ? 1 : 5;
      expect(stored.equals(at(level, data)), `frame ${i}`).toBe(true);
      if (level === 1) expect(f.compressed).toBeLessThan(f.decompressed + 64);
    }
    await reader.close();
  });

  it('reads any range through the seek table, across frames', async () => {
    const reader = await ZstdReader.open(image);
    const want = fs.readFileSync(src);
    expect(reader.size).toBe(want.length);
    expect(reader.frames).toHaveLength(9);
    let x = 7;
    const room = Buffer.allocUnsafe(3 << 20); // one buffer for every read (up to 3 MiB each, 300 times)
    for (let i = 0; i < 300; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const off = x % want.length;
      const len = 1 + ((x >>> 7) % (3 << 20));
      const buf = room.subarray(0, len).fill(0x5a); // what a read leaves unwritten cannot pass for the last read's bytes
      const n = await reader.read(buf, off, len);
      expect(n).toBe(Math.min(len, want.length - off));
      expect(buf.subarray(0, n).equals(want.subarray(off, off + n))).toBe(true);
    }
    await reader.close();
  });

  it('names the frame and the media range a damaged byte spoils', async () => {
    const bad = path.join(work, 'bad.zst');
    const bytes = fs.readFileSync(image);
    const reader0 = await ZstdReader.open(image);
    const f = reader0.frames[7]!;
    await reader0.close();
    bytes[f.offset + Math.floor(f.compressed / 2)]! ^= 0x40;
    fs.writeFileSync(bad, bytes);
    const reader = await ZstdReader.open(bad);
    await expect(reader.read(Buffer.alloc(10), 7 * 1024 * 1024 + 5, 10)).rejects.toThrow(
      /frame 7 \(media bytes 7340032\.\.8388607\) in .*bad\.zst: (it does not decompress|it decompresses to|its checksum)/,
    );
    // The frames around it are sound.
    expect(await reader.read(Buffer.alloc(10), 6 * 1024 * 1024, 10)).toBe(10);
    expect(await reader.read(Buffer.alloc(10), 8 * 1024 * 1024, 10)).toBe(10);
    await reader.close();
  });

  it('says so when the seek table is missing, and the frames can still be found and read in order', async () => {
    const cut = path.join(work, 'cut.zst');
    const reader0 = await ZstdReader.open(image);
    const last = reader0.frames[reader0.frames.length - 1]!;
    await reader0.close();
    fs.writeFileSync(cut, fs.readFileSync(image).subarray(0, last.offset + last.compressed)); // the seek table removed
    await expect(ZstdReader.open(cut)).rejects.toThrow(/cut\.zst: it does not end with the seekable-format magic number; the seek table is missing or damaged/);
    const scanned = await ZstdReader.openScanning(cut, 1024 * 1024);
    expect(scanned.size).toBe(fs.statSync(src).size);
    const all = Buffer.alloc(scanned.size);
    await scanned.read(all, 0, all.length);
    expect(all.equals(fs.readFileSync(src))).toBe(true);
    await scanned.close();
    // Truncated inside a frame: also refused with the reason.
    const trunc = path.join(work, 'trunc.zst');
    fs.writeFileSync(trunc, fs.readFileSync(image).subarray(0, 1_000_000));
    await expect(ZstdReader.open(trunc)).rejects.toMatchObject({ code: 'IMAGE_INVALID' });
  });

  it('resumes after Ctrl-C to the same image', async () => {
    const big = path.join(work, 'big.bin');
    // Stopped at its first safe point (4 MiB), the acquisition still has 60 MiB to go: Ctrl-C lands well before its end.
    makeSourceFile(big, 64 * 1024 * 1024, 52);
    const o2 = path.join(work, 'resume');
    const child = exhibitAsync(['acquire', big, ...args(o2), '--sync-every', '4MiB']);
    const journal = path.join(o2, 'EV.journal.json');
    const t0 = Date.now();
    const safe = () => {
      try {
        return JSON.parse(fs.readFileSync(journal, 'utf8')).safe_bytes as number;
      } catch {
        return 0;
      }
    };
    while (safe() === 0 && Date.now() - t0 < 20_000) await new Promise((res) => setTimeout(res, 5));
    child.kill('SIGINT');
    expect(await new Promise((res) => child.on('exit', res))).toBe(130);
    const r2 = run(['acquire', '--resume', o2, '-x', 'Examiner']);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stderr).toMatch(/resuming at/);
    const d = spawnSync('zstd', ['-q', '-d', '-c', path.join(o2, 'EV.zst')], { maxBuffer: 256 << 20 });
    expect(d.stdout.equals(fs.readFileSync(big))).toBe(true);
    expect(record(o2).media.hashes.md5).toBe(fileDigest('md5', big));
  });
});
