/**
 * Compression on worker threads for the compressed image formats. Batches
 * (one write's worth of chunks or frames) go round-robin to the workers and
 * come back in submission order, so a writer can lay units down in media
 * order while every core works. With no threads (a small image: starting a
 * worker costs about 0.1 s of a core, more than it saves on a few MiB) the
 * same encoding runs on this thread.
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { releaseEnded, type GatePass } from '../core/core-gate.js';
import { holdCoreShare, type CoreShareHold } from '../core/core-share.js';
import { ExhibitError } from '../core/errors.js';
import { parkWorker, takeWorker } from '../core/thread-park.js';
import { workerUrl } from '../core/worker-url.js';
import { CODEC_WORKER, encodeBatch, FORGET_CODECS, type CodecSpec, type CompressReply, type CompressRequest, type EncodedBytes } from './codec-worker.js';

const CODEC_URL = workerUrl(import.meta.url, 'codec-worker');

export class CodecPool {
  private readonly workers: Worker[];
  private next = 0;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (c: EncodedBytes[]) => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;
  private closing = false;
  private readonly freeInputs: ArrayBuffer[] = [];
  private readonly freeOutputs: ArrayBuffer[] = [];
  /** The process's share of the machine's cores, which the workers encode within (core/core-share.ts). */
  private readonly share: CoreShareHold | undefined;
  /** Each worker's side of the gate (its flag, set while it is inside). */
  private readonly passes: GatePass[] = [];
  private closed: Promise<void> | undefined;

  constructor(threads = os.availableParallelism()) {
    this.share = threads > 0 ? holdCoreShare() : undefined;
    const started: Worker[] = [];
    try {
      for (let i = 0; i < threads; i++) started.push(this.start(this.share!.pass()));
    } catch (err) {
      for (const w of started) void w.terminate();
      this.share?.release();
      throw err;
    }
    this.workers = started;
  }

  private start(pass: GatePass): Worker {
    this.passes.push(pass);
    const w = takeWorker(CODEC_URL, { workerData: CODEC_WORKER });
    w.on('message', (r: CompressReply) => this.onReply(r));
    w.on('error', (e) => this.fail(e));
    w.on('exit', (code) => {
      releaseEnded(pass); // it may have died inside the gate
      if (!this.closing) this.fail(new Error(`a compression worker stopped unexpectedly (exit code ${code})`));
    });
    return w;
  }

  private onReply(r: CompressReply): void {
    const w = this.waiting.get(r.seq);
    this.waiting.delete(r.seq);
    if (!w) return;
    if (r.error || !r.data) {
      w.reject(new ExhibitError('INTERNAL', `compressing failed: ${r.error ?? 'no data'}`));
      return;
    }
    if (r.input) this.freeInputs.push(r.input);
    const chunks: EncodedBytes[] = [];
    let at = 0;
    for (const [i, len] of r.lengths.entries()) {
      chunks.push({ bytes: new Uint8Array(r.data, at, len), compressed: r.compressed[i]! });
      at += len;
    }
    w.resolve(chunks);
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }

  /** A buffer for the next batch: one the workers handed back, or a new one. */
  inputBuffer(size: number): Uint8Array {
    const b = this.freeInputs.pop();
    return b && b.byteLength >= size ? new Uint8Array(b, 0, size) : new Uint8Array(size);
  }

  /** The writer is done with an encoded batch: its buffer goes out again with the next request. */
  recycle(output: ArrayBuffer): void {
    if (this.freeOutputs.length < Math.max(1, this.workers.length) * 2) this.freeOutputs.push(output);
  }

  /**
   * Encode `data` (starting at offset 0 of its buffer) as units of `unitSize`.
   * Its buffer is handed to the worker: the caller must not use it again.
   */
  encode(data: Uint8Array, unitSize: number, codec: CodecSpec): Promise<EncodedBytes[]> {
    if (this.failure) return Promise.reject(this.failure);
    const own = data.byteOffset === 0 ? data : data.slice();
    const seq = this.seq++;
    const spare = this.freeOutputs.pop();
    const request: CompressRequest = { seq, data: own.buffer as ArrayBuffer, length: own.length, ...(spare ? { spare } : {}), unitSize, codec };
    if (this.workers.length === 0) {
      return new Promise((resolve, reject) => {
        this.waiting.set(seq, { resolve, reject });
        encodeBatch(request).then(
          (reply) => this.onReply(reply),
          (err: unknown) => this.onReply({ seq, lengths: [], compressed: [], error: err instanceof Error ? err.message : String(err) }),
        );
      });
    }
    const at = this.next++ % this.workers.length;
    const worker = this.workers[at]!;
    request.gate = this.passes[at];
    const buffers = [own.buffer as ArrayBuffer, ...(spare ? [spare] : [])];
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      worker.postMessage(request, buffers);
    });
  }

  /**
   * End the pool. Threads with nothing left to do (every batch answered, none failed) are kept for the
   * next pool of this process (core/thread-park.ts); otherwise they are stopped.
   */
  close(): Promise<void> {
    this.closed ??= this.end();
    return this.closed;
  }

  private async end(): Promise<void> {
    this.closing = true;
    const idle = !this.failure && this.waiting.size === 0;
    this.fail(new Error('compression was stopped'));
    if (idle) {
      for (const w of this.workers) {
        w.postMessage(FORGET_CODECS); // kept, a thread holds no compressor state or buffer of this pool
        parkWorker(CODEC_URL, w);
      }
    } else {
      await Promise.all(this.workers.map((w) => w.terminate()));
      for (const p of this.passes) releaseEnded(p); // stopped mid-batch, a thread could not give its place back
    }
    this.share?.release();
  }
}
