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

async function scanBoth(file: string): Promise<[Awaited<ReturnType<typeof scanMedia>>, Awaited<ReturnType<typeof scanMedia>>]> {
  const scan = async (inline: boolean) => {
    const r = await EwfReader.open(file);
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
