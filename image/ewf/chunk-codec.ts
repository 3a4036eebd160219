/**
 * Encoding one EWF chunk: a zlib stream when that is smaller than the chunk,
 * otherwise the raw bytes followed by their little-endian Adler-32.
 */
import zlib from 'node:zlib';
import { adler32 } from '../../core/adler32.js';

export type Compression = 'none' | 'empty-block' | 'fast' | 'best';

/** Shannon entropy of the byte histogram, in bits per byte. */
export function entropy(data: Uint8Array): number {
  const counts = new Uint32Array(256);
  for (let i = 0; i < data.length; i++) counts[data[i]!]!++;
  let h = 0;
  for (let v = 0; v < 256; v++) {
    const c = counts[v]!;
    if (c > 0) {
      const p = c / data.length;
      h -= p * Math.log2(p);
    }
  }
  return h;
}

/**
 * Random or already-compressed data (32 KiB of it has an entropy of about
 * 7.994 bits per byte) never deflates smaller, yet costs deflate ~30 MiB/s:
 * above this threshold the chunk is stored raw without trying. Repeated random
 * runs (which deflate does shrink) fall below it: two copies of 16 KiB give
 * about 7.989.
 */
const INCOMPRESSIBLE = 7.99;

function isEmptyBlock(data: Uint8Array): boolean {
  const first = data[0];
  for (let i = 1; i < data.length; i++) if (data[i] !== first) return false;
  return true;
}

export interface EncodedChunk {
  bytes: Uint8Array;
  compressed: boolean;
}

export function encodeChunk(data: Uint8Array, compression: Compression): EncodedChunk {
  const tryDeflate =
    compression === 'empty-block' ? isEmptyBlock(data) : compression !== 'none' && (data.length < 4096 || entropy(data) < INCOMPRESSIBLE);
  if (tryDeflate) {
    const z = zlib.deflateSync(data, { level: compression === 'best' ? 9 : 1 });
    if (z.length < data.length) return { bytes: z, compressed: true };
  }
  const out = new Uint8Array(data.length + 4);
  out.set(data, 0);
  new DataView(out.buffer).setUint32(data.length, adler32(data), true);
  return { bytes: out, compressed: false };
}

/** Decode a stored chunk; throws with a short reason when it does not hold. */
export function decodeChunk(stored: Uint8Array, compressed: boolean, expectedSize: number): Buffer {
  if (compressed) {
    let out: Buffer;
    try {
      out = zlib.inflateSync(stored);
    } catch (err) {
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
