import { describe, expect, it } from 'vitest';
import { checkNotedPieces, ContentSamples } from './resume-check.js';

describe('ContentSamples', () => {
  it('notes the first non-zero byte of each stretch, however the replay cuts its blocks', () => {
    const media = Buffer.alloc(1 << 20); // 16 stretches of 64 KiB
    const data = [5, 70_000, 70_001, 300_000, 1_048_575];
    for (const at of data) media[at] = 1;
    for (const block of [4096, 65536, 100_000, 1 << 20]) {
      const s = new ContentSamples(media.length, 16);
      for (let at = 0; at < media.length; at += block) s.observe(media.subarray(at, Math.min(media.length, at + block)), at);
      expect(s.places.sort((a, b) => a - b), `blocks of ${block}`).toEqual([5, 70_000, 300_000, 1_048_575]);
    }
  });

  it('compares the source with the image at those places, and names the first byte that differs', async () => {
    const image = Buffer.alloc(1 << 20);
    image[700_000] = 9;
    const reader = (b: Buffer) => ({ readRaw: async (into: Buffer, pos: number) => (b.copy(into, 0, pos, pos + into.length), true) });
    const imageReader = { read: async (into: Buffer, pos: number, n: number) => image.copy(into, 0, pos, pos + n) } as never;
    const s = new ContentSamples(image.length, 8);
    s.observe(image, 0);
    const none = { overlaps: () => false };
    expect(await s.check({ source: reader(image), image: imageReader, sectorSize: 512, avoid: none })).toBe(1);
    const other = Buffer.alloc(image.length); // an empty drive of the same size
    await expect(s.check({ source: reader(other), image: imageReader, sectorSize: 512, avoid: none })).rejects.toThrow(/the source differs from the partial image at byte 700000\b/);
    // A place in unreadable sectors is not compared.
    expect(await s.check({ source: reader(other), image: imageReader, sectorSize: 512, avoid: { overlaps: () => true } })).toBe(0);
  });
});

describe('checkNotedPieces', () => {
  const replayed = (d: (string | undefined)[]) => ({ at: (i: number) => d[i] });
  it('passes when every noted piece is given again, and counts them', () => {
    expect(checkNotedPieces(['a', 'b'], replayed(['a', 'b', 'c']), 1024)).toBe(2);
    expect(checkNotedPieces([], replayed([]), 1024)).toBe(0);
  });
  it('names the first piece that differs (or was not given again) with its bytes, and how many more', () => {
    expect(() => checkNotedPieces(['a', 'b', 'c'], replayed(['a', 'x', 'y']), 1024)).toThrow(/piece 1 \(bytes 1024 to 2047\) no longer has the SHA-256 noted when it was read from the source and 1 more of the 3 pieces noted$/);
    expect(() => checkNotedPieces(['a', 'b'], replayed(['a']), 1024)).toThrow(/piece 1 \(bytes 1024 to 2047\)/);
  });
});
