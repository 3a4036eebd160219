/**
 * The zstd frame codec for the worker pool (image/codec-worker.ts loads this
 * module in each worker).
 *
 * Two kinds of frame skip the chosen level's work, since drives are full of
 * them: an all-zero frame (found with memcmp) reuses one compressed copy made
 * once per frame length (zstd is deterministic, so the bytes are the same as
 * compressing it again); a frame whose sample looks random (image/entropy.ts,
 * the test E01 chunks use) goes to libzstd at level 1, which finds what little
 * repeats and otherwise stores the frame's blocks raw, about five times as
 * fast as level 3 on such data and no larger. Every frame is an ordinary zstd
 * frame with its content size and checksum: `zstd -d` reads it.
 */
import { Compressor } from 'zstd-napi';
import { workerUrl } from '../../core/worker-url.js';
import type { CodecSpec, UnitCodec } from '../codec-worker.js';
import { sampleLooksCompressible } from '../entropy.js';

/** The level random-looking frames are compressed at (or the chosen level, if lower). */
export const RANDOM_FRAME_LEVEL = 1;
/** Frames shorter than this are compressed at the chosen level without a test. */
const TEST_FROM = 64 * 1024;

function compressor(level: number): Compressor {
  const c = new Compressor();
  c.setParameters({ compressionLevel: level, checksumFlag: true, contentSizeFlag: true });
  return c;
}

export function makeCodec(params: unknown): UnitCodec {
  const { level } = params as { level: number };
  const chosen = compressor(level);
  const fast = level > RANDOM_FRAME_LEVEL ? compressor(RANDOM_FRAME_LEVEL) : chosen;
  let zeros = Buffer.alloc(0);
  const zeroFrames = new Map<number, Buffer>();
  const zeroFrame = (data: Buffer): Buffer | undefined => {
    if (zeros.length < data.length) zeros = Buffer.alloc(data.length);
    if (zeros.compare(data, 0, data.length, 0, data.length) !== 0) return undefined;
    let z = zeroFrames.get(data.length);
    if (!z) zeroFrames.set(data.length, (z = chosen.compress(data)));
    return z;
  };
  const looksRandom = (data: Buffer): boolean =>
    fast !== chosen && data.length >= TEST_FROM && (data.byteOffset & 3) === 0 &&
    !sampleLooksCompressible(new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2));
  return {
    // zstd's compress bound, with room for the frame header
    bound: (n) => n + (n >>> 8) + (n < 131072 ? (131072 - n) >>> 11 : 0) + 64,
    encodeInto(data, out, at) {
      const b = Buffer.from(data.buffer, data.byteOffset, data.length);
      const z = zeroFrame(b) ?? (looksRandom(b) ? fast : chosen).compress(b);
      out.set(z, at);
      return { length: z.length, compressed: true };
    },
  };
}

export function zstdCodec(level: number): CodecSpec {
  return { module: workerUrl(import.meta.url, 'codec').href, params: { level } };
}
