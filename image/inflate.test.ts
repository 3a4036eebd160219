import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inflateRawUnit, inflateUnit, keptEnginesInUse } from './inflate.js';

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

describe('the kept engine (one zlib engine reset between units)', () => {
  it('is in use on this Node (its self-check passed); a Node whose engine differs would fall back to inflateSync', () => {
    expect(keptEnginesInUse()).toBe(true);
  });

  /** What inflateSync says of `stored`: its bytes, or its error's message. */
  const usual = (raw: boolean, stored: Buffer, limit: number): string => {
    try {
      return (raw ? zlib.inflateRawSync : zlib.inflateSync)(stored, { maxOutputLength: Math.max(1, limit) }).toString('hex');
    } catch (err) {
      return `error: ${(err as Error).message}`;
    }
  };
  const ours = (raw: boolean, stored: Buffer, limit: number): string => {
    try {
      return (raw ? inflateRawUnit : inflateUnit)(stored, limit).toString('hex');
    } catch (err) {
      return `error: ${(err as Error).message}`;
    }
  };

  it('says of every unit what inflateSync says: good, damaged, cut short, too long, with bytes after its end, in any order', () => {
    let x = 20261201;
    const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const text = Buffer.from('exhibit keeps one engine for every chunk. '.repeat(1000));
    for (let i = 0; i < 400; i++) {
      const raw = i % 2 === 1;
      const n = 1 + Math.floor(rnd() * 32768);
      const data = Buffer.from(text.subarray(0, n));
      for (let k = 0; k < n * rnd() * 0.2; k++) data[Math.floor(rnd() * n)] = Math.floor(rnd() * 256);
      let stored = (raw ? zlib.deflateRawSync : zlib.deflateSync)(data, { level: 1 + Math.floor(rnd() * 9) });
      const damage = Math.floor(rnd() * 6);
      if (damage === 1) {
        const at = Math.floor(rnd() * stored.length); // a flipped bit anywhere
        stored[at] = stored[at]! ^ (1 << Math.floor(rnd() * 8));
      }
      if (damage === 2) stored = stored.subarray(0, Math.floor(rnd() * stored.length)); // cut short
      if (damage === 3) stored = Buffer.concat([stored, Buffer.from('after the end')]); // bytes after its end
      const limit = damage === 4 ? Math.max(0, n - 1 - Math.floor(rnd() * 100)) : 32768; // a limit the unit passes
      expect(ours(raw, stored, limit), `unit ${i} (damage ${damage}, ${raw ? 'raw' : 'zlib'}, ${n} bytes, limit ${limit})`).toBe(usual(raw, stored, limit));
    }
  });
});
