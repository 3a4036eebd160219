/**
 * Media bytes in, encoded units out, in order: the part the compressed
 * writers share. Bytes are gathered into batches of whole units, encoded on
 * the codec worker pool (started with the first batch, so a refused
 * acquisition starts no threads), and handed to `layDown` strictly in media
 * order. A bounded number of batches is in flight: `write` waits past that,
 * which is the backpressure. Batch buffers circulate between writer and
 * workers, so memory stays flat.
 */
import { CodecPool } from './codec-pool.js';
import type { CodecSpec, EncodedBytes } from './codec-worker.js';

/** One encoded unit and how many media bytes it holds (the last unit may be short). */
export interface EncodedUnit extends EncodedBytes {
  mediaLength: number;
}

/**
 * Below this many bytes of media, a writer encodes on its own thread: starting
 * the codec workers costs about 0.1 s of a core each (Node's own start), more
 * than they save on so little. The same bound as the hash workers'
 * (acquire/pipeline.ts).
 */
export const CODEC_INLINE_BELOW = 16 * 1024 * 1024;

export class BatchEncoder {
  private readonly batchSize: number;
  private pool: CodecPool | undefined;
  private batch: Uint8Array;
  private fill = 0;
  private drain: Promise<void> = Promise.resolve();
  private inflight = 0;
  private readonly maxInflight: number;
  private readonly wake: (() => void)[] = [];
  private failure: unknown;

  constructor(
    private readonly unitSize: number,
    private readonly codec: CodecSpec,
    private readonly layDown: (units: EncodedUnit[]) => Promise<void>,
    private readonly threads?: number,
  ) {
    this.batchSize = unitSize * Math.max(1, Math.floor((4 << 20) / unitSize));
    this.batch = new Uint8Array(this.batchSize);
    this.maxInflight = 2 * Math.max(1, threads ?? 2);
  }

  private submit(data: Uint8Array): void {
    this.pool ??= new CodecPool(this.threads);
    const length = data.length;
    const encoded = this.pool.encode(data, this.unitSize, this.codec);
    encoded.catch(() => undefined); // observed through the drain chain
    this.inflight++;
    this.drain = this.drain.then(async () => {
      try {
        if (this.failure !== undefined) return;
        const chunks = await encoded;
        const units = chunks.map((c, i) => ({ ...c, mediaLength: Math.min(this.unitSize, length - i * this.unitSize) }));
        await this.layDown(units);
        const out = chunks[0]?.bytes.buffer;
        if (out) this.pool?.recycle(out as ArrayBuffer); // laid down: the buffer can carry the next batch
      } catch (err) {
        this.failure ??= err;
      } finally {
        this.inflight--;
        this.wake.shift()?.();
      }
    });
  }

  async write(data: Uint8Array): Promise<void> {
    let pos = 0;
    while (pos < data.length) {
      if (this.failure !== undefined) throw this.failure;
      const take = Math.min(this.batchSize - this.fill, data.length - pos);
      this.batch.set(data.subarray(pos, pos + take), this.fill);
      this.fill += take;
      pos += take;
      if (this.fill === this.batchSize) {
        this.submit(this.batch);
        this.batch = this.pool!.inputBuffer(this.batchSize);
        this.fill = 0;
        while (this.inflight >= this.maxInflight) await new Promise<void>((r) => this.wake.push(r));
      }
    }
    if (this.failure !== undefined) throw this.failure;
  }

  /** Submit the whole units gathered so far (a partial unit stays for the next write) and wait until all are laid down. */
  async flushWhole(): Promise<void> {
    const whole = this.fill - (this.fill % this.unitSize);
    if (whole > 0) {
      const tail = this.batch.slice(whole, this.fill);
      this.submit(this.batch.subarray(0, whole)); // hands the whole buffer over
      this.batch = this.pool!.inputBuffer(this.batchSize);
      this.batch.set(tail);
      this.fill = tail.length;
    }
    await this.settled();
  }

  /** Submit everything, the last short unit included, and wait until all is laid down. */
  async flushAll(): Promise<void> {
    if (this.fill > 0) this.submit(this.batch.subarray(0, this.fill));
    this.fill = 0;
    await this.settled();
  }

  /** Wait for what was submitted; throws the first failure. */
  async settled(): Promise<void> {
    await this.drain;
    if (this.failure !== undefined) throw this.failure;
  }

  async close(): Promise<void> {
    await this.drain;
    await this.pool?.close();
  }
}
