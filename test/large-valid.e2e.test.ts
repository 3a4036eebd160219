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
import { exhibit, have, tempDir } from './helpers/cli.js';
import { writeE01 } from './helpers/hostile-ewf.js';

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

    const v = exhibit(['verify', file]);
    expect(v.stderr).not.toMatch(/call stack|RangeError/);
    expect(v.stdout).toMatch(new RegExp(`checked ${N} frames: all sound`));
  });
});

describe('an E01 with 500,000 error ranges', () => {
  const image = path.join(work, 'ERR.E01');
  const media = Buffer.alloc(1024 * 1024, 0x5a);
  const errors: [number, number][] = [];
  for (let i = 0; i < N; i++) errors.push([i % 2048, 1]);
  writeE01(image, { sectorsPerChunk: 64, bytesPerSector: 512, media, errors });

  it.skipIf(!have('ewfverify'))('is a valid image to libewf', () => {
    const r = spawnSync('ewfverify', ['-q', image], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/ewfverify: SUCCESS/);
  });

  it('opens and verifies, every chunk sound', () => {
    const r = exhibit(['verify', image]);
    expect(r.stdout + r.stderr).not.toMatch(/call stack|RangeError|cannot be opened/);
    expect(r.stdout).toMatch(/checked 32 chunks: all sound/);
  });
});
