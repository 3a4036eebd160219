/**
 * Adler-32 (RFC 1950), the checksum of every EWF structure. Node's zlib has
 * crc32 but no adler32. zlib reduces every 5552 bytes (the most a 32-bit
 * unsigned sum allows); here every 3800, so the sums stay below 2^31 and V8
 * keeps them in small integers (about 1.75x faster than with doubles).
 */
export function adler32(data: Uint8Array, start = 1, from = 0, to = data.length): number {
  let a = start & 0xffff;
  let b = (start >>> 16) & 0xffff;
  let i = from;
  while (i < to) {
    const end = Math.min(i + 3800, to);
    const end8 = end - ((end - i) & 7);
    while (i < end8) {
      a = (a + data[i]!) | 0;
      b = (b + a) | 0;
      a = (a + data[i + 1]!) | 0;
      b = (b + a) | 0;
      a = (a + data[i + 2]!) | 0;
      b = (b + a) | 0;
      a = (a + data[i + 3]!) | 0;
      b = (b + a) | 0;
      a = (a + data[i + 4]!) | 0;
      b = (b + a) | 0;
      a = (a + data[i + 5]!) | 0;
      b = (b + a) | 0;
      a = (a + data[i + 6]!) | 0;
      b = (b + a) | 0;
      a = (a + data[i + 7]!) | 0;
      b = (b + a) | 0;
      i += 8;
    }
    while (i < end) {
      a = (a + data[i++]!) | 0;
      b = (b + a) | 0;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}
