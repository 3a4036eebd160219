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

/**
 * A run of a scan's chunks put in the room of the caller's hashing ring (see core/hash-stream.ts),
 * chunk k of the scan's call at `room[k * chunkSize]`: the raw chunks that fill their place are read
 * straight there (their 4-byte checksums beside, see image/read-parts.ts readRun), and a chunk to
 * inflate is inflated there when the room after it allows and the next chunk was not already read
 * into its place (an inflate may write scratch bytes past its chunk's end, up to the room it is
 * given). Shared by the E01 and Ex01 chunk stores.
 */
export class RoomRun {
  private readonly placed: boolean[];

  /** `run[k]` the k-th chunk of the run (`index` its chunk number); `raw(k)` whether it is stored raw with an Adler-32 after it. */
  constructor(
    private readonly room: Uint8Array,
    private readonly chunkSize: number,
    private readonly first: number,
    private readonly run: readonly { index: number; size: number; want: number }[],
    raw: (k: number) => boolean,
  ) {
    this.placed = run.map((p, k) => raw(k) && p.size - 4 === p.want && (p.index - first + 1) * chunkSize <= room.length);
  }

  /** Whether any chunk of the run is read into its place. */
  get any(): boolean {
    return this.placed.some(Boolean);
  }

  private pos(k: number): number {
    return (this.run[k]!.index - this.first) * this.chunkSize;
  }

  /** Where chunk k's data bytes are read, when it is read into its place (for readRun). */
  place(k: number): Uint8Array | undefined {
    return this.placed[k] ? this.room.subarray(this.pos(k)) : undefined;
  }

  /** Chunk k's bytes, when it was read into its place (to be checked against its Adler-32). */
  data(k: number): Buffer | undefined {
    return this.placed[k] ? Buffer.from(this.room.buffer, this.room.byteOffset + this.pos(k), this.run[k]!.want) : undefined;
  }

  /** Where chunk k may be inflated in its place, or undefined. */
  inflateRoom(k: number): Buffer | undefined {
    const pos = this.pos(k);
    return !this.placed[k + 1] && this.room.length - pos >= inflateScratchBytes(this.chunkSize) ? Buffer.from(this.room.buffer, this.room.byteOffset + pos, this.room.length - pos) : undefined;
  }
}
