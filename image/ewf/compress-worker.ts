/** Worker thread: encodes batches of chunks (see chunk-codec.ts). */
import { parentPort } from 'node:worker_threads';
import { encodeChunk, type Compression } from './chunk-codec.js';

export interface CompressRequest {
  seq: number;
  data: ArrayBuffer; // transferred: the chunks back to back
  chunkSize: number;
  compression: Compression;
}

/** The encoded chunks back to back in one buffer (fewer, larger transfers), with their lengths and flags. */
export interface CompressReply {
  seq: number;
  data?: ArrayBuffer;
  lengths: number[];
  compressed: boolean[];
  error?: string;
}

const port = parentPort!;
port.on('message', (req: CompressRequest) => {
  try {
    const all = new Uint8Array(req.data);
    const chunks = [];
    let total = 0;
    for (let off = 0; off < all.length; off += req.chunkSize) {
      const c = encodeChunk(all.subarray(off, Math.min(off + req.chunkSize, all.length)), req.compression);
      chunks.push(c);
      total += c.bytes.length;
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c.bytes, at);
      at += c.bytes.length;
    }
    const reply: CompressReply = { seq: req.seq, data: out.buffer, lengths: chunks.map((c) => c.bytes.length), compressed: chunks.map((c) => c.compressed) };
    port.postMessage(reply, [out.buffer]);
  } catch (err) {
    port.postMessage({ seq: req.seq, lengths: [], compressed: [], error: err instanceof Error ? err.message : String(err) } satisfies CompressReply);
  }
});
