/**
 * The media walk on worker threads, where readers put their units straight
 * into the hashing ring (an E01's raw chunks read into place, its compressed
 * ones inflated there): the hashes, the piece hashes and the damage found
 * must be exactly those of the walk on this thread, which copies every unit,
 * for intact and damaged chunks of each kind side by side.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { EwfReader } from '../image/ewf/reader.js';
import { buildEx01 } from '../test/helpers/ex01-build.js';
import { openImage } from '../image/open.js';
import type { ImageReader } from '../image/types.js';
import { tempDir } from '../test/helpers/cli.js';
import { because, needsTools } from '../test/helpers/skip.js';
import { scanMedia } from './media-scan.js';

const work = tempDir('exhibit-media-scan-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const CHUNK = 32 * 1024;

/** Turns of 3 chunks: text (compresses), random (stored raw), zeros (compresses to a repeat); ends part-way into a chunk. */
function source(): Buffer {
  const size = 9 * 1024 * 1024 + 7 * 512;
  const out = Buffer.alloc(size);
  const noise = crypto.createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16)).update(Buffer.alloc(size));
  const text = Buffer.from('exhibit media scan: the quick brown fox jumps over the lazy dog 0123456789\n'.repeat(2000));
  for (let pos = 0, k = 0; pos < size; pos += 3 * CHUNK, k++) {
    const n = Math.min(3 * CHUNK, size - pos);
    if (k % 3 === 0) text.copy(out, pos, 0, n);
    else if (k % 3 === 1) noise.copy(out, pos, pos, pos + n);
  }
  noise.copy(out, size - 300, size - 300);
  return out;
}

const md5 = (b: Uint8Array) => crypto.createHash('md5').update(b).digest('hex');

async function scanBoth(file: string, open: (file: string) => Promise<ImageReader> = (f) => EwfReader.open(f)): Promise<[Awaited<ReturnType<typeof scanMedia>>, Awaited<ReturnType<typeof scanMedia>>]> {
  const scan = async (inline: boolean) => {
    const r = await open(file);
    try {
      return await scanMedia(r, { algorithms: ['md5', 'sha256'], sectorSize: 512, pieceSize: 1024 * 1024, inline });
    } finally {
      await r.close();
    }
  };
  return [await scan(true), await scan(false)];
}

describe.skipIf(needsTools('ewfacquire') !== undefined)(because('the media walk filling the hashing ring in place (E01)', needsTools('ewfacquire')), () => {
  const media = source();
  const src = path.join(work, 'media.bin');
  fs.writeFileSync(src, media);
  const target = path.join(work, 'ev');
  const made = spawnSync('ewfacquire', ['-u', '-q', '-t', target, '-c', 'fast', '-b', '64', '-f', 'encase6', '-C', 'c', '-E', 'e', '-e', 'x', '-D', 'd', '-N', 'n', src], { encoding: 'utf8' });
  const image = `${target}.E01`;

  it('gives the hashes of the media, as the walk that copies does', async () => {
    expect(made.status, made.stderr).toBe(0);
    const [inline, ring] = await scanBoth(image);
    expect(inline.damaged).toEqual([]);
    expect(ring.hashes.md5).toBe(md5(media));
    expect(ring).toEqual(inline);
  });

  it('finds the same damaged chunks, and hashes zeros for them alone', async () => {
    expect(made.status, made.stderr).toBe(0);
    const r = await EwfReader.open(image);
    const where = Array.from({ length: r.chunkCount }, (_, i) => r.locate(i));
    await r.close();
    const raw = where.flatMap((l, i) => (l.compressed ? [] : [i]));
    const packed = where.flatMap((l, i) => (l.compressed && l.size > 200 ? [i] : []));
    // A raw chunk's data, another raw chunk's checksum, a compressed stream just before a raw chunk, the last chunk.
    const beforeRaw = packed.filter((i) => raw.includes(i + 1));
    const hits = [raw[2]!, raw[9]!, beforeRaw[0]!, r.chunkCount - 1];
    expect(new Set(hits).size).toBe(4);
    // And a compressed chunk whose stream inflates past the chunk size, just before a raw chunk: its
    // spill must not reach the raw chunk read into the place after it.
    const spill = beforeRaw.find((i) => !hits.includes(i) && !hits.includes(i + 1))!;
    const long = zlib.deflateSync(Buffer.alloc(CHUNK + 200, 0x41));
    expect(long.length).toBeLessThan(where[spill]!.size);
    const copy = path.join(work, 'damaged.E01');
    const bytes = fs.readFileSync(image);
    bytes[where[hits[0]!]!.offset + 1000]! ^= 0x40;
    bytes[where[hits[1]!]!.offset + where[hits[1]!]!.size - 2]! ^= 0x01;
    bytes[where[hits[2]!]!.offset + (where[hits[2]!]!.size >> 1)]! ^= 0xff;
    bytes[where[hits[3]!]!.offset + where[hits[3]!]!.size - 6]! ^= 0x08;
    long.copy(bytes, where[spill]!.offset);
    hits.push(spill);
    fs.writeFileSync(copy, bytes);
    const [inline, ring] = await scanBoth(copy);
    expect(ring).toEqual(inline);
    expect(ring.damaged.map((d) => d.index).sort((a, b) => a - b)).toEqual([...hits].sort((a, b) => a - b));
    const zeroed = Buffer.from(media);
    for (const i of hits) zeroed.fill(0, i * CHUNK, Math.min((i + 1) * CHUNK, media.length));
    expect(ring.hashes.md5).toBe(md5(zeroed));
  });
});

describe('the media walk filling the hashing ring in place (raw, split raw)', () => {
  const media = source();
  it('a raw image: the hashes and pieces of the walk that copies', async () => {
    const file = path.join(work, 'media.dd');
    fs.writeFileSync(file, media);
    const [inline, ring] = await scanBoth(file, async (f) => (await openImage(f)).reader);
    expect(ring.hashes.md5).toBe(md5(media));
    expect(ring).toEqual(inline);
  });

  it('a split raw set whose files end inside the walk\'s 4 MiB reads', async () => {
    const cut = [0, 3 * 1024 * 1024 + 512, 7 * 1024 * 1024, media.length];
    for (let k = 0; k + 1 < cut.length; k++) fs.writeFileSync(path.join(work, `set.00${k + 1}`), media.subarray(cut[k]!, cut[k + 1]!));
    const [inline, ring] = await scanBoth(path.join(work, 'set.001'), async (f) => (await openImage(f)).reader);
    expect(ring.hashes.md5).toBe(md5(media));
    expect(ring).toEqual(inline);
  });
});

describe('the media walk filling the hashing ring in place (Ex01)', () => {
  // Chunks 16-byte aligned, so a raw chunk (32 KiB and its checksum) leaves a gap before the next.
  const media = source().subarray(0, 9 * 1024 * 1024 + 3 * 512);
  const image = path.join(work, 'ev.Ex01');
  buildEx01(image, { media, sectorsPerChunk: 64, method: 'deflate', rawWhenLarger: true, device: { md: 'Disk', sn: 'S1' }, caseData: { cn: 'c', en: 'e' } });
  const open = async (f: string) => (await openImage(f)).reader;

  it('gives the hashes of the media, as the walk that copies does', async () => {
    const [inline, ring] = await scanBoth(image, open);
    expect(inline.damaged).toEqual([]);
    expect(ring.hashes.md5).toBe(md5(media));
    expect(ring).toEqual(inline);
  });

  it('finds the same damaged chunks: one raw chunk\'s data, another\'s checksum, a third that cannot be read', async () => {
    const r = (await openImage(image)).reader;
    await r.close();
    const bytes = fs.readFileSync(image);
    // Where the builder put each chunk: raw ones are the media's own bytes, found by their first 64.
    const rawAt = (i: number) => bytes.indexOf(media.subarray(i * CHUNK, i * CHUNK + 64));
    const raw = Array.from({ length: Math.ceil(media.length / CHUNK) }, (_, i) => i).filter((i) => media.subarray(i * CHUNK, i * CHUNK + 64).some((b) => b > 0x80) && rawAt(i) > 0);
    expect(raw.length).toBeGreaterThan(20);
    const hits = [raw[3]!, raw[12]!];
    bytes[rawAt(hits[0]!) + 5000]! ^= 0x10;
    bytes[rawAt(hits[1]!) + CHUNK + 1]! ^= 0x01; // its checksum
    const copy = path.join(work, 'damaged.Ex01');
    fs.writeFileSync(copy, bytes);
    const [inline, ring] = await scanBoth(copy, open);
    expect(ring).toEqual(inline);
    expect(ring.damaged.map((d) => d.index)).toEqual(hits);
    // A read error in one chunk of a run (the disk under the image failing there): that chunk alone is damaged.
    const failing = raw[20]!;
    const at = rawAt(failing);
    const injured = async (f: string) => {
      const r = await openImage(f).then((o) => o.reader);
      const h = (r as unknown as { store: { segments: { handle: fs.promises.FileHandle }[] } }).store.segments[0]!.handle;
      const hits = (pos: number, n: number) => pos <= at + 100 && at + 100 < pos + n;
      const eio = () => Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
      const { readv, read } = { readv: h.readv.bind(h), read: h.read.bind(h) };
      h.readv = (async (bufs: NodeJS.ArrayBufferView[], pos: number) => (hits(pos, bufs.reduce((n, b) => n + b.byteLength, 0)) ? Promise.reject(eio()) : readv(bufs, pos))) as typeof h.readv;
      h.read = (async (b: Buffer, off: number, n: number, pos: number) => (hits(pos, n) ? Promise.reject(eio()) : read(b, off, n, pos))) as typeof h.read;
      return r;
    };
    const [inlineEio, ringEio] = await scanBoth(image, injured);
    expect(ringEio.damaged.map((d) => d.index)).toEqual([failing]);
    expect(ringEio).toEqual(inlineEio);
    const zeroed = Buffer.from(media);
    for (const i of hits) zeroed.fill(0, i * CHUNK, (i + 1) * CHUNK);
    expect(ring.hashes.md5).toBe(md5(zeroed));
  });
});
