/**
 * Encoding one EWF chunk: a zlib stream when that is smaller than the chunk,
 * otherwise the raw bytes followed by their little-endian Adler-32.
 */
import zlib from 'node:zlib';
import { adler32 } from '../../core/adler32.js';
import { inflateUnit } from '../inflate.js';

export type Compression = 'none' | 'empty-block' | 'fast' | 'best';

const counts = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)] as const;

/**
 * Shannon entropy of the byte histogram, in bits per byte. Reads 32-bit words
 * into four tables, so consecutive increments do not wait on each other
 * (2.5x faster than one table byte by byte).
 */
export function entropy(data: Uint8Array): number {
  const [c0, c1, c2, c3] = counts;
  for (const c of counts) c.fill(0);
  const n = data.length;
  const words = (data.byteOffset & 3) === 0 ? n >>> 2 : 0;
  if (words > 0) {
    const w = new Uint32Array(data.buffer, data.byteOffset, words);
    for (let i = 0; i < words; i++) {
      const v = w[i]!;
      c0[v & 255]!++;
      c1[(v >>> 8) & 255]!++;
      c2[(v >>> 16) & 255]!++;
      c3[v >>> 24]!++;
    }
  }
  for (let j = words * 4; j < n; j++) c0[data[j]!]!++;
  return entropyOf(c0, c1, c2, c3, n);
}

function entropyOf(c0: Uint32Array, c1: Uint32Array, c2: Uint32Array, c3: Uint32Array, n: number): number {
  let h = 0;
  for (let v = 0; v < 256; v++) {
    const c = c0[v]! + c1[v]! + c2[v]! + c3[v]!;
    if (c > 0) {
      const p = c / n;
      h -= p * Math.log2(p);
    }
  }
  return h;
}

/**
 * Entropy and Adler-32 in one pass over 32-bit words (for chunks that look
 * random: most are stored raw and need the checksum anyway); twice as fast as
 * two passes. Needs a 4-aligned view whose length is a multiple of 4.
 */
export function entropyAndAdler(data: Uint8Array): { entropy: number; adler: number } {
  const [c0, c1, c2, c3] = counts;
  for (const c of counts) c.fill(0);
  const w = new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2);
  let a = 1;
  let b = 0;
  let i = 0;
  while (i < w.length) {
    const end = Math.min(i + 950, w.length); // 3800 bytes between reductions keeps the sums small integers
    for (; i < end; i++) {
      const v = w[i]!;
      const x0 = v & 255;
      const x1 = (v >>> 8) & 255;
      const x2 = (v >>> 16) & 255;
      const x3 = v >>> 24;
      c0[x0]!++;
      c1[x1]!++;
      c2[x2]!++;
      c3[x3]!++;
      a = (a + x0) | 0;
      b = (b + a) | 0;
      a = (a + x1) | 0;
      b = (b + a) | 0;
      a = (a + x2) | 0;
      b = (b + a) | 0;
      a = (a + x3) | 0;
      b = (b + a) | 0;
    }
    a %= 65521;
    b %= 65521;
  }
  return { entropy: entropyOf(c0, c1, c2, c3, data.length), adler: ((b << 16) | a) >>> 0 };
}

/**
 * Random or already-compressed data never deflates smaller, yet costs deflate
 * ~30 MiB/s: above this threshold the chunk is stored raw without trying.
 * A 32 KiB random chunk measures about 7.9944 bits per byte (spread about
 * 0.0005); two copies of 16 KiB of random data, which deflate halves, about
 * 7.9888 (spread about 0.001). The threshold sits half way, several spreads
 * from each; a chunk on the wrong side only costs time or size, never bytes.
 */
const INCOMPRESSIBLE = 7.9916;

/**
 * A sample of every 8th 32-bit word: text and tables show low entropy there at
 * an eighth of the cost of the whole chunk (4096 random bytes show about 7.95
 * bits; well below that, deflate will win). Only what looks random pays for
 * the full histogram, which alone tells repeated random runs (compressible)
 * apart.
 */
function sampleLooksCompressible(w: Uint32Array): boolean {
  const sample = sampleBuf.length >= (w.length >>> 3) * 4 ? sampleBuf : (sampleBuf = new Uint8Array((w.length >>> 3) * 4));
  const sw = new Uint32Array(sample.buffer, 0, w.length >>> 3);
  for (let i = 0, j = 0; j < sw.length; i += 8, j++) sw[j] = w[i]!;
  return entropy(sample.subarray(0, sw.length * 4)) < 7.5;
}
let sampleBuf = new Uint8Array(0);

function isEmptyBlock(data: Uint8Array): boolean {
  const first = data[0];
  for (let i = 1; i < data.length; i++) if (data[i] !== first) return false;
  return true;
}

export interface EncodedChunk {
  bytes: Uint8Array;
  compressed: boolean;
}

let zeros = new Uint8Array(0);
const zeroChunks = new Map<string, Uint8Array>(); // compressed all-zero chunks by size and level

/** Unused space is mostly zeros: compare with memcmp and reuse one compressed copy (zlib is deterministic). */
function zeroChunk(data: Uint8Array, level: number): Uint8Array | undefined {
  if (zeros.length < data.length) zeros = new Uint8Array(data.length);
  if (Buffer.compare(data, zeros.subarray(0, data.length)) !== 0) return undefined;
  const key = `${data.length}:${level}`;
  let z = zeroChunks.get(key);
  if (!z) {
    z = new Uint8Array(zlib.deflateSync(data, { level }));
    zeroChunks.set(key, z);
  }
  return z;
}

/** Encode one chunk into `out` at `at` (room for data.length + 4 bytes); returns what was written. */
export function encodeChunkInto(data: Uint8Array, compression: Compression, out: Uint8Array, at: number): { length: number; compressed: boolean } {
  const level = compression === 'best' ? 9 : 1;
  let z: Uint8Array | undefined;
  let adler: number | undefined;
  if (compression !== 'none') z = zeroChunk(data, level);
  if (!z && compression !== 'none') {
    let tryDeflate: boolean;
    if (compression === 'empty-block') tryDeflate = isEmptyBlock(data);
    else if (data.length < 4096) tryDeflate = true;
    else if ((data.byteOffset & 3) === 0 && (data.length & 3) === 0) {
      const w = new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2);
      if (sampleLooksCompressible(w)) tryDeflate = true;
      else {
        const f = entropyAndAdler(data);
        adler = f.adler;
        tryDeflate = f.entropy < INCOMPRESSIBLE;
      }
    } else tryDeflate = entropy(data) < INCOMPRESSIBLE;
    if (tryDeflate) z = zlib.deflateSync(data, { level });
  }
  if (z && z.length < data.length) {
    out.set(z, at);
    return { length: z.length, compressed: true };
  }
  out.set(data, at);
  new DataView(out.buffer, out.byteOffset).setUint32(at + data.length, adler ?? adler32(data), true);
  return { length: data.length + 4, compressed: false };
}

export function encodeChunk(data: Uint8Array, compression: Compression): EncodedChunk {
  const out = new Uint8Array(data.length + 4);
  const r = encodeChunkInto(data, compression, out, 0);
  return { bytes: out.subarray(0, r.length), compressed: r.compressed };
}

/** Decode a stored chunk; throws with a short reason when it does not hold. */
export function decodeChunk(stored: Uint8Array, compressed: boolean, expectedSize: number): Buffer {
  if (compressed) {
    let out: Buffer;
    try {
      // Never inflate past the chunk: a small stream can expand a thousandfold.
      out = inflateUnit(stored, expectedSize);
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new Error(`it decompresses to more than ${expectedSize} bytes`);
      throw new Error(`the zlib stream is damaged (${(err as Error).message})`);
    }
    if (out.length !== expectedSize) throw new Error(`it decompresses to ${out.length} bytes instead of ${expectedSize}`);
    return out;
  }
  if (stored.length !== expectedSize + 4) throw new Error(`it holds ${stored.length} bytes instead of ${expectedSize + 4}`);
  const data = Buffer.from(stored.buffer, stored.byteOffset, expectedSize);
  const want = Buffer.from(stored.buffer, stored.byteOffset + expectedSize, 4).readUInt32LE(0);
  if (adler32(data) !== want) throw new Error('its Adler-32 checksum does not match');
  return data;
}
