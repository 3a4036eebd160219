/**
 * Worker thread: encodes batches of fixed-size units, each independently: EWF
 * chunks (ewf/chunk-codec.ts) or zstd frames with their content checksum
 * (zstd/). Units are written back to back into one output buffer.
 */
import { parentPort } from 'node:worker_threads';
import { Compressor } from 'zstd-napi';
import { encodeChunkInto, type Compression } from './ewf/chunk-codec.js';

export type Codec = { kind: 'ewf-chunk'; compression: Compression } | { kind: 'zstd-frame'; level: number };

export interface CompressRequest {
  seq: number;
  data: ArrayBuffer; // transferred: the chunks back to back
  length: number; // bytes of `data` in use
  spare?: ArrayBuffer; // transferred: an output buffer to reuse, when the writer has one
  unitSize: number;
  codec: Codec;
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
let zstd: { level: number; c: Compressor } | undefined;

/** The most a unit of `n` bytes can take encoded (zstd's compress bound, or the chunk plus its checksum). */
function bound(codec: Codec, n: number): number {
  return codec.kind === 'ewf-chunk' ? n + 4 : n + (n >>> 8) + (n < 131072 ? (131072 - n) >>> 11 : 0) + 64;
}

function encodeInto(codec: Codec, data: Uint8Array, out: Uint8Array, at: number): { length: number; compressed: boolean } {
  if (codec.kind === 'ewf-chunk') return encodeChunkInto(data, codec.compression, out, at);
  if (!zstd || zstd.level !== codec.level) {
    const c = new Compressor();
    c.setParameters({ compressionLevel: codec.level, checksumFlag: true, contentSizeFlag: true });
    zstd = { level: codec.level, c };
  }
  const z = zstd.c.compress(Buffer.from(data.buffer, data.byteOffset, data.length));
  out.set(z, at);
  return { length: z.length, compressed: true };
}
port.on('message', (req: CompressRequest) => {
  try {
    const all = new Uint8Array(req.data, 0, req.length);
    let need = 0;
    for (let off = 0; off < all.length; off += req.unitSize) need += bound(req.codec, Math.min(req.unitSize, all.length - off));
    // One buffer holds every encoded unit, written in place. Buffers circulate between writer and workers,
    // so memory stays flat.
    const out = req.spare && req.spare.byteLength >= need ? new Uint8Array(req.spare) : new Uint8Array(need);
    const lengths: number[] = [];
    const compressed: boolean[] = [];
    let at = 0;
    for (let off = 0; off < all.length; off += req.unitSize) {
      const n = encodeInto(req.codec, all.subarray(off, Math.min(off + req.unitSize, all.length)), out, at);
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
