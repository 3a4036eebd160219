import { describe, expect, it } from 'vitest';
import zlib from 'node:zlib';
import { adler32 } from './adler32.js';

describe('adler32', () => {
  it('matches known values and the trailer zlib writes', () => {
    expect(adler32(Buffer.alloc(0))).toBe(1);
    expect(adler32(Buffer.from('Wikipedia'))).toBe(0x11e60398);
    for (const size of [1, 5551, 5552, 5553, 100_000]) {
      const data = Buffer.alloc(size, 0xff);
      const z = zlib.deflateSync(data);
      expect(adler32(data)).toBe(z.readUInt32BE(z.length - 4));
    }
  });
  it('continues from a start value and over a range', () => {
    const d = Buffer.from('exhibit adler test data');
    expect(adler32(d, adler32(d.subarray(0, 7)), 7)).toBe(adler32(d));
    expect(adler32(d, 1, 3, 10)).toBe(adler32(d.subarray(3, 10)));
  });
});
