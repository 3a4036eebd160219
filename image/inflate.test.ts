import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inflateRawUnit, inflateUnit } from './inflate.js';

describe('inflating one unit into a buffer of its size', () => {
  const text = Buffer.from('exhibit inflates one chunk into one buffer. '.repeat(800)).subarray(0, 32768);

  it('gives the bytes back exactly, at, under and over the 16 KiB zlib pieces', () => {
    for (const n of [1, 100, 16384, 16385, 32768]) {
      const data = text.subarray(0, n);
      expect(inflateUnit(zlib.deflateSync(data, { level: 1 }), 32768).equals(data)).toBe(true);
      expect(inflateRawUnit(zlib.deflateRawSync(data), 32768).equals(data)).toBe(true);
      expect(inflateUnit(zlib.deflateSync(data), n).equals(data)).toBe(true); // a limit of exactly the size
    }
  });

  it('refuses a stream that inflates past the limit, as zlib does (ERR_BUFFER_TOO_LARGE)', () => {
    for (const limit of [32767, 16384, 100]) {
      expect(() => inflateUnit(zlib.deflateSync(text), limit)).toThrow(expect.objectContaining({ code: 'ERR_BUFFER_TOO_LARGE' }));
      expect(() => inflateRawUnit(zlib.deflateRawSync(text), limit)).toThrow(expect.objectContaining({ code: 'ERR_BUFFER_TOO_LARGE' }));
    }
  });

  it('names damage in zlib\'s words', () => {
    const z = zlib.deflateSync(text);
    z[z.length - 2] = z[z.length - 2]! ^ 0xff; // the Adler-32 at its end
    expect(() => inflateUnit(z, 32768)).toThrow(/incorrect data check/);
    expect(() => inflateUnit(Buffer.from('not zlib at all'), 32768)).toThrow(/incorrect header check/);
  });

  it('returns buffers that do not share memory from one call to the next', () => {
    const z = zlib.deflateSync(text);
    const a = inflateUnit(z, 32768);
    const b = inflateUnit(z, 32768);
    b[0] = 0;
    expect(a.equals(text)).toBe(true);
  });
});
