import { describe, expect, it } from 'vitest';
import type { ImageReader, ScannedUnit } from '../image/types.js';
import { MediaCache } from './media-cache.js';

/** Media of `size` bytes (byte i is a hash of i), decoded in units of `unit` bytes; counts the reader's calls. */
function fakeReader(size: number, unit: number | undefined, fail?: (offset: number) => boolean) {
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
      await new Promise((r) => setTimeout(r, 1));
      if (fail?.(offset)) throw new Error(`damaged unit at ${offset}`);
      const n = Math.max(0, Math.min(length, size - offset));
      media.copy(into, 0, offset, offset + n);
      return n;
    },
    async close() {},
  };
  return { reader, media, calls };
}

describe('MediaCache', () => {
  it('gives exactly the media bytes for any range, across blocks and at the end', async () => {
    const { reader, media } = fakeReader(100_000, 4096);
    const cache = new MediaCache(reader, 64 * 1024);
    let x = 7;
    for (let i = 0; i < 300; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      const offset = x % 100_000;
      const length = 1 + ((x >>> 8) % 20_000);
      const got = await cache.read(offset, length);
      expect(got.equals(media.subarray(offset, Math.min(offset + length, 100_000))), `${offset}+${length}`).toBe(true);
    }
    expect((await cache.read(100_000, 10)).length).toBe(0);
  });

  it('never holds more than its limit', async () => {
    const { reader } = fakeReader(1 << 20, 4096);
    const cache = new MediaCache(reader, 32 * 1024);
    for (let o = 0; o < 1 << 20; o += 5000) {
      await cache.read(o, 3000);
      expect(cache.heldBytes).toBeLessThanOrEqual(32 * 1024);
    }
    expect(cache.heldBytes).toBeGreaterThan(0);
  });

  it('fetches a block once when two reads want it at the same time, and keeps it for the next', async () => {
    const { reader, calls } = fakeReader(1 << 20, 4096);
    const cache = new MediaCache(reader, 1 << 20);
    await Promise.all([cache.read(8192 + 10, 100), cache.read(8192 + 500, 100), cache.read(8192 + 4000, 50)]);
    expect(calls).toEqual([{ offset: 8192, length: 4096 }]);
    await cache.read(8192, 4096);
    expect(calls).toHaveLength(1);
  });

  it('fetches neighbouring missing blocks with one call, and only the missing ones', async () => {
    const { reader, calls } = fakeReader(1 << 20, 4096);
    const cache = new MediaCache(reader, 1 << 20);
    await cache.read(4096 * 3, 4096); // block 3 now held
    calls.length = 0;
    await cache.read(0, 4096 * 8); // blocks 0-2 and 4-7 missing
    expect(calls).toEqual([
      { offset: 0, length: 4096 * 3 },
      { offset: 4096 * 4, length: 4096 * 4 },
    ]);
  });

  it('reads raw media straight through, holding nothing', async () => {
    const { reader, media, calls } = fakeReader(50_000, undefined);
    const cache = new MediaCache(reader, 1 << 20);
    expect((await cache.read(1000, 30_000)).equals(media.subarray(1000, 31_000))).toBe(true);
    await cache.read(1000, 30_000);
    expect(calls).toHaveLength(2);
    expect(cache.heldBytes).toBe(0);
  });

  it('passes a damaged unit on as an error, keeps nothing of it, and tries again next time', async () => {
    let damaged = true;
    const { reader, calls } = fakeReader(1 << 16, 4096, (o) => damaged && o === 4096);
    const cache = new MediaCache(reader, 1 << 20);
    await expect(cache.read(4096 + 5, 10)).rejects.toThrow(/damaged unit at 4096/);
    damaged = false;
    expect((await cache.read(4096 + 5, 10)).length).toBe(10);
    expect(calls.filter((c) => c.offset === 4096)).toHaveLength(2);
  });
});
