/** The E01 chunk codec for the worker pool (image/codec-worker.ts loads this module in each worker). */
import { workerUrl } from '../../core/worker-url.js';
import type { CodecSpec, UnitCodec } from '../codec-worker.js';
import { encodeChunkInto, type Compression } from './chunk-codec.js';

export function makeCodec(params: unknown): UnitCodec {
  const { compression } = params as { compression: Compression };
  return {
    bound: (n) => n + 4, // the chunk stored plain, with its checksum
    encodeInto: (data, out, at) => encodeChunkInto(data, compression, out, at),
  };
}

export function ewfCodec(compression: Compression): CodecSpec {
  return { module: workerUrl(import.meta.url, 'codec').href, params: { compression } };
}
