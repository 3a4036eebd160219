/**
 * Encoding one EWF chunk: a zlib stream when that is smaller than the chunk,
 * otherwise the raw bytes followed by their little-endian Adler-32.
 */
import zlib from 'node:zlib';
import { adler32 } from '../../core/adler32.js';
import { inflateUnit } from '../inflate.js';
import { entropy, entropyAndAdler, INCOMPRESSIBLE, sampleLooksCompressible } from '../entropy.js';

export { entropy, entropyAndAdler } from '../entropy.js';

export type Compression = 'none' | 'empty-block' | 'fast' | 'best';

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
