/**
 * Large but valid inputs (issue 13, item 8): lists far longer than a
 * function call can take as spread arguments. A seekable zstd image of
 * 500,000 frames must resume and verify; an E01 with 500,000 error ranges
 * (which ewfverify accepts) must open and verify.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Compressor } from 'zstd-napi';
import { ZstdReader } from '../image/zstd/reader.js';
import { ZstdWriter } from '../image/zstd/writer.js';
import { have, run, tempDir } from './helpers/cli.js';
import { writeE01 } from './helpers/hostile-ewf.js';
import { because, needsTools } from './helpers/skip.js';

const N = 500_000;
const work = tempDir('exhibit-large-valid-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('a seekable zstd image of 500,000 frames', () => {
  // One byte of media per frame (as a 250 GiB acquisition has 125,000 frames of 2 MiB, only smaller).
  const c = new Compressor();
  c.setParameters({ compressionLevel: 3, checksumFlag: true, contentSizeFlag: true });
  const frame = c.compress(Buffer.from('A'));
  const dir = path.join(work, 'zst');
  fs.mkdirSync(dir);
  const file = path.join(dir, 'EV.zst');

  it('resumes from a safe point holding all of them, and the finished image reads and verifies', async () => {
    const all = Buffer.alloc(frame.length * N);
    for (let i = 0; i < N; i++) frame.copy(all, i * frame.length);
    fs.writeFileSync(file, all);
    const w = new ZstdWriter({ dir, base: 'EV', frameSize: 1, level: 3, threads: 1 });
    await w.resume(N, { size: all.length, frames: N });
    await w.finish();

    const r = await ZstdReader.open(file);
    expect(r.frames.length).toBe(N);
    expect(r.size).toBe(N);
    const b = Buffer.alloc(3);
    expect(await r.read(b, N - 3, 3)).toBe(3);
    expect(b.toString()).toBe('AAA');
    await r.close();

    const v = run(['verify', file]);
    expect(v.stderr).not.toMatch(/call stack|RangeError/);
    expect(v.stdout).toMatch(new RegExp(`decompressed ${N} frames: each one is whole`));
  });
});

describe('an E01 with 500,000 error ranges', () => {
  const image = path.join(work, 'ERR.E01');
  const media = Buffer.alloc(1024 * 1024, 0x5a);
  const errors: [number, number][] = [];
  for (let i = 0; i < N; i++) errors.push([i % 2048, 1]);
  writeE01(image, { sectorsPerChunk: 64, bytesPerSector: 512, media, errors });

  it.skipIf(!have('ewfverify'))(because('is a valid image to libewf', needsTools('ewfverify')), () => {
    const r = spawnSync('ewfverify', ['-q', image], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/ewfverify: SUCCESS/);
  });

  it('opens and verifies, every chunk sound', () => {
    const r = run(['verify', image]);
    expect(r.stdout + r.stderr).not.toMatch(/call stack|RangeError|cannot be opened/);
    expect(r.stdout).toMatch(/checked 32 chunks: each one decompresses to its size and its Adler-32 checksum holds/);
  });
});

describe('a record with 150,000 unreadable ranges (a failing drive)', () => {
  it('is written compactly, read back whole, and verify takes it within 300 MiB', async () => {
    const { renderRecord, readRecordFile, RANGES_AS_LIST } = await import('../core/record.js');
    const { exhibitMeasured, noTime } = await import('./helpers/rss.js');
    const dir = path.join(work, 'ranges');
    const src = path.join(work, 'ranges-src.bin');
    fs.writeFileSync(src, Buffer.alloc(1 << 20, 7));
    const a = run(['acquire', src, '-o', dir, '-c', 'R-1', '-e', 'EV', '-x', 'R. Examiner', '--hash', 'sha256']);
    expect(a.code, a.stderr).toBe(0);
    const file = path.join(dir, 'EV.acquisition.yaml');
    const rec = readRecordFile(file).parsed as Parameters<typeof renderRecord>[0];
    const ranges = Array.from({ length: 150_000 }, (_, i) => ({ first_sector: i * 2, sectors: 1, error: 'EIO' }));
    expect(ranges.length).toBeGreaterThan(RANGES_AS_LIST);
    fs.writeFileSync(file, renderRecord({ ...rec, read_errors: { ...rec.read_errors, unreadable_sectors: ranges.length, ranges } }));
    const back = readRecordFile(file).parsed as typeof rec;
    expect(back.read_errors.ranges).toEqual(ranges);
    if (noTime) return;
    const sha = (rec.media.hashes as { sha256: string }).sha256;
    const v = exhibitMeasured(['verify', dir, '--no-record', '--json', '--expect', `sha256:${sha}`]);
    // The record no longer matches its custody entry (it was rewritten here): that failure, and nothing else, is expected.
    expect(v.code).toBe(4);
    const j = JSON.parse(v.stdout);
    expect(j.problems.join('\n')).toMatch(/the record's SHA-256 .* is in none of/);
    expect(j.problems.join('\n')).not.toMatch(/cannot be read/);
    expect(j.notes.join('\n')).toMatch(/150000 sectors could not be read/);
    expect(v.rssMiB).toBeLessThan(300);
  });
});
