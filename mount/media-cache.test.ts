import { describe, expect, it } from 'vitest';
import type { ImageReader, ScannedUnit } from '../image/types.js';
import { MediaCache } from './media-cache.js';

/** Media of `size` bytes (byte i is a hash of i), decoded in units of `unit` bytes; counts the reader's calls. */
function fakeReader(size: number, unit: number | undefined, fail?: (offset: number, length: number) => boolean, delayMs: (offset: number) => number = () => 1) {
  const media = Buffer.alloc(size);
  for (let i = 0; i < size; i++) media[i] = (i * 2654435761) >>> 24;
  const calls: { offset: number; length: number }[] = [];
  const reader: ImageReader = {
    format: 'raw',
    size,
    files: ['fake'],
    warnings: [],
    sectorSize: undefined,
    storedHashes: {},
    caseFacts: undefined,
    errorRanges: [],
    unitKind: unit === undefined ? 'range' : 'chunk',
    unitBytes: unit,
    // eslint-disable-next-line require-yield
    async *units(): AsyncGenerator<ScannedUnit> {
      throw new Error('not used');
    },
    async read(into, offset, length) {
      calls.push({ offset, length });
      await new Promise((r) => setTimeout(r, delayMs(offset)));
      if (fail?.(offset, length)) throw new Error(`damaged unit at ${offset}`);
      const n = Math.max(0, Math.min(length, size - offset));
      media.copy(into, 0, offset, offset + n);
      return n;
    },
    async close() {},
  };
  return { reader, media, calls };
}

const U = 256 * 1024; // a unit as large as the smallest block: one unit per block

/** Wait until the fetches ahead have all been made and landed: the list of calls stops growing. */
async function settled(calls: unknown[]): Promise<void> {
  let quiet = 0;
  for (let seen = -1; quiet < 5; ) {
    await new Promise((r) => setTimeout(r, 10));
    quiet = calls.length === seen ? quiet + 1 : 0;
    seen = calls.length;
  }
}

describe('MediaCache', () => {
  it('gives exactly the media bytes for any range, across blocks and at the end', async () => {
    const { reader, media } = fakeReader(3 * U + 1000, U);
    const cache = new MediaCache(reader, 16 * U);
    let x = 7;
    for (let i = 0; i < 200; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      const offset = x % reader.size;
      const length = 1 + ((x >>> 8) % (2 * U));
      const got = await cache.read(offset, length);
      expect(got.equals(media.subarray(offset, Math.min(offset + length, reader.size))), `${offset}+${length}`).toBe(true);
    }
    expect((await cache.read(reader.size, 10)).length).toBe(0);
  });

  it('makes blocks of whole units, at least 256 KiB', async () => {
    const { reader, calls } = fakeReader(8 * U, 32 * 1024);
    const cache = new MediaCache(reader, 64 * U);
    await cache.read(U + 5, 10);
    expect(calls).toEqual([{ offset: U, length: U }]);
  });

  it('never holds more than its limit', async () => {
    const { reader } = fakeReader(40 * U, U);
    const cache = new MediaCache(reader, 4 * U);
    for (let o = 0; o < reader.size; o += U + 4096) {
      await cache.read(o, 3000);
      expect(cache.heldBytes).toBeLessThanOrEqual(4 * U);
    }
    expect(cache.heldBytes).toBeGreaterThan(0);
  });

  it('fetches a block once when two reads want it at the same time, and keeps it for the next', async () => {
    const { reader, calls } = fakeReader(8 * U, U);
    const cache = new MediaCache(reader, 8 * U);
    await Promise.all([cache.read(2 * U + 10, 100), cache.read(2 * U + 500, 100), cache.read(2 * U + 4000, 50)]);
    expect(calls).toEqual([{ offset: 2 * U, length: U }]);
    await cache.read(2 * U, U);
    expect(calls).toHaveLength(1);
  });

  it('fetches only the blocks it does not hold', async () => {
    const { reader, calls } = fakeReader(8 * U, U);
    const cache = new MediaCache(reader, 8 * U);
    await cache.read(U + 7, 1);
    calls.length = 0;
    await cache.read(100, 3 * U);
    expect(calls.map((c) => c.offset / U)).toEqual([0, 2, 3]);
  });

  it('fetches ahead of a sequential reader, so its next reads find their blocks', async () => {
    const { reader, calls } = fakeReader(256 * U, U);
    const cache = new MediaCache(reader, 256 * U);
    await cache.read(0, 4 * U);
    await cache.read(4 * U, 4 * U); // continues: the next 8 MiB are fetched behind it, a few blocks at a time
    await settled(calls);
    const before = calls.length;
    for (let o = 8 * U; o < 40 * U; o += 4 * U) await cache.read(o, 4 * U);
    // Every fetch since was ahead of the reader (the window moving on), none for what it read.
    expect(calls.slice(before).every((c) => c.offset >= 40 * U)).toBe(true);
    await settled(calls); // what the window moving on asked for
    calls.length = 0;
    await cache.read(200 * U + 9, 4096); // a jump: only what it needs
    expect(calls).toEqual([{ offset: 200 * U, length: U }]);
  });

  it('fetches a few blocks at a time, and a block a read waits for before those fetched ahead', async () => {
    const { reader, calls } = fakeReader(256 * U, U, undefined, () => 5);
    let now = 0;
    let most = 0;
    const read = reader.read.bind(reader);
    reader.read = async (into, offset, length) => {
      most = Math.max(most, ++now);
      try {
        return await read(into, offset, length);
      } finally {
        now--;
      }
    };
    const cache = new MediaCache(reader, 256 * U);
    await cache.read(0, U);
    await cache.read(U, U); // sequential: 32 blocks are asked for ahead of it
    const jumped = cache.read(100 * U, U); // a read elsewhere meanwhile
    await jumped;
    const at = calls.findIndex((c) => c.offset === 100 * U);
    expect(at, 'the block read is fetched before most of those ahead').toBeLessThan(8);
    await settled(calls);
    expect(most).toBeLessThanOrEqual(4);
    expect(new Set(calls.map((c) => c.offset)).size, 'no block fetched twice').toBe(calls.length);
  });

  it('reads raw media straight through, holding nothing', async () => {
    const { reader, media, calls } = fakeReader(50_000, undefined);
    const cache = new MediaCache(reader, 1 << 20);
    expect((await cache.read(1000, 30_000)).equals(media.subarray(1000, 31_000))).toBe(true);
    await cache.read(1000, 30_000);
    expect(calls).toHaveLength(2);
    expect(cache.heldBytes).toBe(0);
  });

  it('fetches into the buffers of evicted blocks again, and reads made meanwhile still get their bytes', async () => {
    const { reader, media } = fakeReader(64 * U, U, undefined, (o) => 1 + ((o / U) % 5) * 3); // some blocks come much later than others
    const cache = new MediaCache(reader, 4 * U);
    const seen = new Set<ArrayBufferLike>();
    let reused = 0;
    for (let b = 0; b < 12; b++) {
      const { pieces, done } = await cache.pieces(b * U + 100, 200);
      const memory = pieces[0]!.buffer;
      if (seen.has(memory)) reused++;
      seen.add(memory);
      done(); // the reply is written: its blocks may be fetched into again
    }
    expect(reused).toBeGreaterThan(0);
    // Many reads started over a few milliseconds, over a cache of four blocks, so blocks are evicted and
    // fetched into again while reads wait: each read's bytes are right when it gets them.
    let x = 3;
    const reads = Array.from({ length: 400 }, async (_, k) => {
      x = (x * 1103515245 + 12345) >>> 0;
      const offset = (x >>> 3) % (8 * U);
      const length = 1 + ((x >>> 9) % (U + U / 2));
      await new Promise((r) => setTimeout(r, k % 7));
      const { pieces, done } = await cache.pieces(offset, length);
      await new Promise((r) => setTimeout(r, k % 3)); // a reply written a little later
      const right = Buffer.concat(pieces).equals(media.subarray(offset, Math.min(offset + length, reader.size)));
      done();
      return right;
    });
    expect((await Promise.all(reads)).every(Boolean)).toBe(true);
  });

  it('never fetches into a block a read still holds, though it was evicted meanwhile', async () => {
    const { reader, media } = fakeReader(16 * U, U);
    const cache = new MediaCache(reader, 4 * U);
    for (let b = 0; b < 4; b++) (await cache.pieces(b * U + 1, 10)).done(); // not in order: nothing is dropped as passed
    const held = await cache.pieces(5, 100); // block 0, its reply not written yet
    for (let b = 4; b < 12; b++) (await cache.pieces(b * U + 1, 10)).done(); // block 0 is evicted, other buffers are fetched into again
    expect(Buffer.concat(held.pieces).equals(media.subarray(5, 105))).toBe(true);
    held.done();
  });

  it('passes a damaged unit on as an error, keeps nothing of it, and tries again next time', async () => {
    let damaged = true;
    const { reader, calls } = fakeReader(8 * U, U, (o, l) => damaged && o < 2 * U && o + l > U); // block 1 is the damaged unit
    const cache = new MediaCache(reader, 8 * U);
    await expect(cache.read(U + 5, 10)).rejects.toThrow(/damaged unit at/);
    damaged = false;
    expect((await cache.read(U + 5, 10)).length).toBe(10);
    expect(calls.filter((c) => c.offset === U)).toHaveLength(2);
  });

  it('a damaged unit fails only the reads that reach into it: the good units of its block are still given', async () => {
    const unit = 32 * 1024; // eight units to a block
    const bad = 5; // unit 5 of block 0 does not decode
    const overlapsBad = (offset: number, length: number) => offset < (bad + 1) * unit && offset + length > bad * unit;
    const { reader, media } = fakeReader(16 * unit, unit, overlapsBad);
    const cache = new MediaCache(reader, 64 * unit);
    for (const u of [0, 4, 6, 7, 8]) {
      const got = await cache.read(u * unit + 100, 4096);
      expect(got.equals(media.subarray(u * unit + 100, u * unit + 4196)), `unit ${u}`).toBe(true);
    }
    await expect(cache.read(bad * unit + 100, 4096)).rejects.toThrow(/damaged unit/);
    await expect(cache.read(bad * unit - 10, 20)).rejects.toThrow(/damaged unit/); // straddles the good unit before it
    expect((await cache.read(0, 4096)).equals(media.subarray(0, 4096))).toBe(true); // and again, the block still not kept
  });
});
