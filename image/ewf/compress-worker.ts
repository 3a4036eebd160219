/** Worker thread: encodes batches of chunks (see chunk-codec.ts). */
import { parentPort } from 'node:worker_threads';
import { encodeChunkInto, type Compression } from './chunk-codec.js';

export interface CompressRequest {
  seq: number;
  data: ArrayBuffer; // transferred: the chunks back to back
  length: number; // bytes of `data` in use
  spare?: ArrayBuffer; // transferred: an output buffer to reuse, when the writer has one
  chunkSize: number;
  compression: Compression;
}

/** The encoded chunks back to back in one buffer (fewer, larger transfers), with their lengths and flags. */
export interface CompressReply {
  seq: number;
  data?: ArrayBuffer;
  input?: ArrayBuffer; // the request's buffer, handed back for reuse
  lengths: number[];
  compressed: boolean[];
  error?: string;
}

const port = parentPort!;
port.on('message', (req: CompressRequest) => {
  try {
    const all = new Uint8Array(req.data, 0, req.length);
    const count = Math.ceil(all.length / req.chunkSize);
    // Encoded chunks are never longer than the chunk plus its 4-byte checksum: one buffer holds them all,
    // written in place. Buffers circulate between writer and workers, so memory stays flat.
    const need = all.length + 4 * count;
    const out = req.spare && req.spare.byteLength >= need ? new Uint8Array(req.spare) : new Uint8Array(need);
    const lengths: number[] = [];
    const compressed: boolean[] = [];
    let at = 0;
    for (let off = 0; off < all.length; off += req.chunkSize) {
      const n = encodeChunkInto(all.subarray(off, Math.min(off + req.chunkSize, all.length)), req.compression, out, at);
      lengths.push(n.length);
      compressed.push(n.compressed);
      at += n.length;
    }
    const reply: CompressReply = { seq: req.seq, data: out.buffer, input: req.data, lengths, compressed };
    port.postMessage(reply, [out.buffer, req.data]);
  } catch (err) {
    port.postMessage({ seq: req.seq, lengths: [], compressed: [], error: err instanceof Error ? err.message : String(err) } satisfies CompressReply);
  }
});
