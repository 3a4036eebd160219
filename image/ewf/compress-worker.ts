/** Worker thread: encodes batches of chunks (see chunk-codec.ts). */
import { parentPort } from 'node:worker_threads';
import { encodeChunk, type Compression } from './chunk-codec.js';

export interface CompressRequest {
  seq: number;
  data: ArrayBuffer; // transferred: the chunks back to back
  chunkSize: number;
  compression: Compression;
}

export interface CompressReply {
  seq: number;
  chunks: { bytes: Uint8Array; compressed: boolean }[];
  error?: string;
}

const port = parentPort!;
port.on('message', (req: CompressRequest) => {
  try {
    const all = new Uint8Array(req.data);
    const chunks = [];
    for (let off = 0; off < all.length; off += req.chunkSize) chunks.push(encodeChunk(all.subarray(off, Math.min(off + req.chunkSize, all.length)), req.compression));
    port.postMessage({ seq: req.seq, chunks } satisfies CompressReply, chunks.map((c) => c.bytes.buffer as ArrayBuffer).filter((b, i, a) => a.indexOf(b) === i));
  } catch (err) {
    port.postMessage({ seq: req.seq, chunks: [], error: err instanceof Error ? err.message : String(err) } satisfies CompressReply);
  }
});
