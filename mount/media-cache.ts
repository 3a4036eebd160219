/**
 * Decoded media, kept in blocks of the image's unit (an E01 chunk, a zstd
 * frame) up to a size limit, least recently used first out. A read finds the
 * blocks it spans; the missing ones that lie next to each other are fetched
 * with one reader call (so a long sequential read is one call, as the reader
 * likes it), and a block already being fetched is waited for, not fetched
 * twice. Raw media has nothing to decode and is read straight through: the
 * kernel's page cache already keeps it.
 */
import type { ImageReader } from '../image/types.js';

/** Blocks fetched by one reader call, at most (a bound on a single request's memory). */
const MAX_RUN_BYTES = 8 * 1024 * 1024;

export class MediaCache {
  private readonly blocks = new Map<number, Buffer>(); // in use order, oldest first
  private readonly loading = new Map<number, Promise<Buffer>>();
  private held = 0;
  private readonly block: number | undefined;

  constructor(
    private readonly reader: ImageReader,
    private readonly limit: number,
  ) {
    const unit = reader.unitBytes;
    // A unit larger than a quarter of the limit would leave no room to keep anything: read through.
    this.block = unit !== undefined && unit > 0 && unit * 4 <= limit ? unit : undefined;
  }

  get size(): number {
    return this.reader.size;
  }

  /** Bytes of decoded media held now. */
  get heldBytes(): number {
    return this.held;
  }

  /** The media bytes at `offset` (fewer at the end of the media). */
  async read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(offset + length, this.reader.size);
    if (end <= offset) return Buffer.alloc(0);
    const B = this.block;
    if (B === undefined) {
      const out = Buffer.allocUnsafe(end - offset);
      const n = await this.reader.read(out, offset, end - offset);
      return out.subarray(0, n);
    }
    const first = Math.floor(offset / B);
    const last = Math.floor((end - 1) / B);
    const parts: Promise<Buffer>[] = [];
    for (let i = first; i <= last; ) {
      const have = this.lookup(i);
      if (have) {
        parts.push(have);
        i++;
        continue;
      }
      let j = i;
      while (j < last && (j + 2 - i) * B <= MAX_RUN_BYTES && !this.blocks.has(j + 1) && !this.loading.has(j + 1)) j++;
      parts.push(...this.load(i, j));
      i = j + 1;
    }
    const got = await Promise.all(parts);
    const out = Buffer.allocUnsafe(end - offset);
    let at = 0;
    got.forEach((data, k) => {
      const blockStart = (first + k) * B;
      const from = Math.max(offset, blockStart) - blockStart;
      const to = Math.min(end, blockStart + data.length) - blockStart;
      if (to > from) at += data.copy(out, at, from, to);
    });
    return out.subarray(0, at);
  }

  private lookup(i: number): Promise<Buffer> | undefined {
    const b = this.blocks.get(i);
    if (b) {
      this.blocks.delete(i); // most recently used goes last
      this.blocks.set(i, b);
      return Promise.resolve(b);
    }
    return this.loading.get(i);
  }

  /** Fetch blocks `i`..`j` with one read; one promise per block. */
  private load(i: number, j: number): Promise<Buffer>[] {
    const B = this.block!;
    const start = i * B;
    const bytes = Math.min((j + 1) * B, this.reader.size) - start;
    const whole = (async () => {
      const buf = Buffer.allocUnsafe(bytes);
      const n = await this.reader.read(buf, start, bytes);
      return buf.subarray(0, n);
    })();
    const out: Promise<Buffer>[] = [];
    for (let k = i; k <= j; k++) {
      // Each block gets its own memory, so evicting one frees it (a shared run buffer would stay whole).
      const p = whole.then((buf) => (i === j ? buf : Buffer.from(buf.subarray((k - i) * B, (k - i + 1) * B))));
      this.loading.set(k, p);
      out.push(
        p.then(
          (data) => {
            this.loading.delete(k);
            this.keep(k, data);
            return data;
          },
          (err: unknown) => {
            this.loading.delete(k);
            throw err;
          },
        ),
      );
    }
    return out;
  }

  private keep(i: number, data: Buffer): void {
    if (this.blocks.has(i)) return;
    this.blocks.set(i, data);
    this.held += data.length;
    for (const [k, b] of this.blocks) {
      if (this.held <= this.limit) break;
      this.blocks.delete(k);
      this.held -= b.length;
    }
  }
}
