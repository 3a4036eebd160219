/** The zstd frame codec for the worker pool (image/codec-worker.ts loads this module in each worker). */
import { Compressor } from 'zstd-napi';
import { workerUrl } from '../../core/worker-url.js';
import type { CodecSpec, UnitCodec } from '../codec-worker.js';

export function makeCodec(params: unknown): UnitCodec {
  const { level } = params as { level: number };
  const c = new Compressor();
  c.setParameters({ compressionLevel: level, checksumFlag: true, contentSizeFlag: true });
  return {
    // zstd's compress bound, with room for the frame header
    bound: (n) => n + (n >>> 8) + (n < 131072 ? (131072 - n) >>> 11 : 0) + 64,
    encodeInto(data, out, at) {
      const z = c.compress(Buffer.from(data.buffer, data.byteOffset, data.length));
      out.set(z, at);
      return { length: z.length, compressed: true };
    },
  };
}

export function zstdCodec(level: number): CodecSpec {
  return { module: workerUrl(import.meta.url, 'codec').href, params: { level } };
}
