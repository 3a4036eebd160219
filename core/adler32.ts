/**
 * Adler-32 (RFC 1950), the checksum of every EWF structure. Node's zlib has
 * crc32 but no adler32. Sums are reduced every 5552 bytes, the most that
 * cannot overflow before reducing.
 */
export function adler32(data: Uint8Array, start = 1, from = 0, to = data.length): number {
  let a = start & 0xffff;
  let b = (start >>> 16) & 0xffff;
  let i = from;
  while (i < to) {
    const end = Math.min(i + 5552, to);
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}
