/**
 * Worker thread: encodes batches of fixed-size units, each independently, with
 * the codec a format names (its descriptor's `codec`: a module exporting
 * `makeCodec(params)`, loaded here once per worker). This file knows no format.
 * Units are written back to back into one output buffer.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { throughGate, type GatePass } from '../core/core-gate.js';

/** One unit's encoder, made in the worker from a format's codec module. */
export interface UnitCodec {
  /** The most a unit of `n` bytes can take encoded. */
  bound(n: number): number;
  /** Encode `data` into `out` at `at` (room for `bound(data.length)` bytes); returns what was written. */
  encodeInto(data: Uint8Array, out: Uint8Array, at: number): { length: number; compressed: boolean };
}

/** Which codec: the URL of a module exporting `makeCodec(params): UnitCodec`, and its parameters (structured-clonable). */
export interface CodecSpec {
  module: string;
  params: unknown;
}

/** One encoded unit's bytes, and whether they are compressed. */
export interface EncodedBytes {
  bytes: Uint8Array;
  compressed: boolean;
}

export interface CompressRequest {
  seq: number;
  data: ArrayBuffer; // transferred: the chunks back to back
  length: number; // bytes of `data` in use
  spare?: ArrayBuffer; // transferred: an output buffer to reuse, when the writer has one
  unitSize: number;
  codec: CodecSpec;
  gate?: GatePass; // on a worker: the process's share of the cores, passed around each batch (core/core-share.ts)
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

const codecs = new Map<string, UnitCodec>();

async function codecFor(spec: CodecSpec): Promise<UnitCodec> {
  const key = `${spec.module}\n${JSON.stringify(spec.params)}`;
  let c = codecs.get(key);
  if (!c) {
    const m = (await import(spec.module)) as { makeCodec: (params: unknown) => UnitCodec };
    c = m.makeCodec(spec.params);
    codecs.set(key, c);
  }
  return c;
}

/**
 * Encode one batch: on a codec worker, or on the writer's own thread for a small
 * image (image/codec-pool.ts). Throws what the codec throws.
 */
export async function encodeBatch(req: CompressRequest): Promise<CompressReply> {
  const codec = await codecFor(req.codec);
  return throughGate(req.gate, () => encodeWith(codec, req));
}

function encodeWith(codec: UnitCodec, req: CompressRequest): CompressReply {
  const all = new Uint8Array(req.data, 0, req.length);
  let need = 0;
  for (let off = 0; off < all.length; off += req.unitSize) need += codec.bound(Math.min(req.unitSize, all.length - off));
  // One buffer holds every encoded unit, written in place. Buffers circulate between writer and workers,
  // so memory stays flat.
  const out = req.spare && req.spare.byteLength >= need ? new Uint8Array(req.spare) : new Uint8Array(need);
  const lengths: number[] = [];
  const compressed: boolean[] = [];
  let at = 0;
  for (let off = 0; off < all.length; off += req.unitSize) {
    const n = codec.encodeInto(all.subarray(off, Math.min(off + req.unitSize, all.length)), out, at);
    lengths.push(n.length);
    compressed.push(n.compressed);
    at += n.length;
  }
  return { seq: req.seq, data: out.buffer, input: req.data, lengths, compressed };
}

async function handle(req: CompressRequest): Promise<void> {
  try {
    const reply = await encodeBatch(req);
    port!.postMessage(reply, [reply.data!, req.data]);
  } catch (err) {
    port!.postMessage({ seq: req.seq, lengths: [], compressed: [], error: err instanceof Error ? err.message : String(err) } satisfies CompressReply);
  }
}

/** The workerData a codec worker is started with: only then does this file answer its parent. */
export const CODEC_WORKER = 'exhibit codec worker';

// On a codec worker: requests are handled one after another, in the order they came (the codec module
// loads once). Imported anywhere else (the main thread, or another kind of worker that reads images,
// whose messages are not requests for it), this file only lends encodeBatch.
const port = workerData === CODEC_WORKER ? parentPort : null;
let queue: Promise<void> = Promise.resolve();
/** Sent before the thread is kept for another pool (core/thread-park.ts): its codecs hold compressor state and buffers. */
export const FORGET_CODECS = 'forget codecs';
port?.on('message', (req: CompressRequest | typeof FORGET_CODECS) => {
  queue = queue.then(() => (req === FORGET_CODECS ? void codecs.clear() : handle(req)));
});
