/**
 * The two buffers a scan of an image's chunks (E01, Ex01) uses again from
 * batch to batch, so that reading gigabytes allocates nothing per chunk: one
 * for the stored bytes, read a run of back-to-back chunks at a time, and one
 * where a batch's chunks are inflated side by side. A chunk handed out from
 * them is valid until the scan's next call, which the scan's caller (it uses
 * each chunk before asking for more) allows. On this VM a fresh 4 MiB buffer
 * per read costs its page faults every time, and a fresh buffer per chunk the
 * garbage collector's work.
 */
import { inflateScratchBytes } from './inflate.js';

export class ScanBuffers {
  private stored: Buffer | undefined;
  private out: Buffer | undefined;

  /** `batchBytes`: the most stored bytes one run reads (two runs fit before the buffer grows). */
  constructor(
    private readonly chunkSize: number,
    private readonly batchBytes: number,
  ) {}

  /** Room for `bytes` of stored chunks after the `used` bytes that hold this call's earlier runs (a new, larger buffer leaves those where they are). */
  storedRoom(used: number, bytes: number): Buffer {
    if (!this.stored || this.stored.length < used + bytes) {
      // Twice what is asked, up to two batches, so a small image gets a small buffer and a large one is not regrown.
      this.stored = Buffer.allocUnsafe(Math.max(used + bytes, Math.min(2 * (used + bytes), 2 * this.batchBytes)));
      return this.stored.subarray(0, bytes);
    }
    return this.stored.subarray(used, used + bytes);
  }

  /** Room to inflate `count` chunks side by side, chunk k at k * chunkSize (with the little more inflating the last needs). */
  batchOut(count: number): Buffer {
    const bytes = (count - 1) * this.chunkSize + inflateScratchBytes(this.chunkSize);
    if (!this.out || this.out.length < bytes) this.out = Buffer.allocUnsafe(bytes);
    return this.out;
  }

  release(): void {
    this.stored = undefined;
    this.out = undefined;
  }
}
