/**
 * Decoded media, kept in blocks of whole units (E01 chunks, zstd frames; at
 * least 256 KiB) up to a size limit, least recently used first out. A read
 * finds the blocks it spans and fetches the missing ones, each with one
 * reader call into a buffer of its own (nothing is copied twice, and a block
 * evicted frees its memory); a block already being fetched is waited for, not
 * fetched twice. A read that continues the last one also starts fetching the
 * next 8 MiB, so a sequential reader mostly finds its blocks decoded. Raw
 * media has nothing to decode and is read straight through: the kernel's page
 * cache already keeps it.
 *
 * The buffer of an evicted block is fetched into again for the next block
 * (decoding a unit then costs no allocation, and the collector has no large
 * buffers to sweep), unless a read in progress needs that block: a read pins
 * the blocks it spans from its start until its caller says it is done with
 * the pieces (its reply has been written).
 */
import type { ImageReader } from '../image/types.js';

/** Blocks are whole units of at least this many bytes: fewer, larger buffers for the collector. */
const MIN_BLOCK_BYTES = 256 * 1024;
/** Media fetched ahead of a sequential reader (at most a quarter of the cache). */
const PREFETCH_BYTES = 8 * 1024 * 1024;
/**
 * Blocks fetched at once, at most; the rest wait their turn, a block a read waits for ahead of those
 * fetched ahead. Each fetch holds read buffers of the reader's: the 32 blocks a prefetch asks for, all
 * at once, cost more in allocating and collecting those than they saved.
 */
const FETCHES_AT_ONCE = 4;

export class MediaCache {
  private readonly blocks = new Map<number, Buffer>(); // in use order, oldest first
  private readonly loading = new Map<number, Promise<Buffer>>();
  private held = 0;
  private readonly block: number | undefined;
  private lastEnd = -1; // where the last read ended: a read starting there is sequential
  /** Blocks that reads in progress span, and how many reads span each. */
  private readonly pinned = new Map<number, number>();
  /** Whole-block buffers of evicted blocks, ready to be fetched into again. */
  private readonly spare: Buffer[] = [];
  private readonly spareMax: number;
  private fetching = 0;
  /** Fetches waiting for one in progress to end: those a read waits for first. */
  private readonly queued: (() => void)[] = [];

  constructor(
    private readonly reader: ImageReader,
    private readonly limit: number,
  ) {
    const unit = reader.unitBytes;
    const block = unit !== undefined && unit > 0 ? unit * Math.max(1, Math.floor(MIN_BLOCK_BYTES / unit)) : undefined;
    // A block larger than a quarter of the limit would leave no room to keep anything: read through.
    this.block = block !== undefined && block * 4 <= limit ? block : undefined;
    this.spareMax = this.block === undefined ? 0 : Math.ceil(this.prefetchBytes / this.block) + 4; // enough for the blocks fetched ahead
  }

  private get prefetchBytes(): number {
    return Math.min(PREFETCH_BYTES, this.limit / 4);
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
    const { pieces, done } = await this.pieces(offset, length);
    const out = pieces.length === 1 ? Buffer.from(pieces[0]!) : Buffer.concat(pieces);
    done();
    return out;
  }

  /**
   * The media bytes at `offset` as the pieces of the blocks that hold them, in order, not copied
   * into one buffer (a FUSE reply writes them as they are). They stay valid until `done` is called,
   * which the caller must do once (when its reply is written).
   */
  async pieces(offset: number, length: number): Promise<{ pieces: Buffer[]; done: () => void }> {
    const end = Math.min(offset + length, this.reader.size);
    const nothing = (): void => undefined;
    if (end <= offset) return { pieces: [], done: nothing };
    const B = this.block;
    if (B === undefined) {
      const out = Buffer.allocUnsafe(end - offset);
      const n = await this.reader.read(out, offset, end - offset);
      return { pieces: [out.subarray(0, n)], done: nothing };
    }
    const first = Math.floor(offset / B);
    const last = Math.floor((end - 1) / B);
    const parts: Promise<Buffer>[] = [];
    for (let i = first; i <= last; i++) parts.push(this.lookup(i) ?? this.load(i, true));
    // Reading on from where the last read ended: fetch what follows now, so the next requests find it.
    const sequential = offset === this.lastEnd;
    if (sequential) this.prefetch(last + 1);
    this.lastEnd = end;
    // A sequential reader is done with the blocks it read to their end: the kernel's page cache keeps
    // those bytes, so their buffers go to the blocks ahead instead of filling the cache.
    const passed = sequential ? Math.floor(end / B) - 1 : first - 1;
    this.pin(first, last);
    let released = false;
    const done = (): void => {
      if (released) return;
      released = true;
      this.unpin(first, last);
      for (let i = first; i <= passed; i++) this.drop(i);
    };
    const out: Buffer[] = [];
    try {
      const got = await Promise.allSettled(parts);
      for (const [k, r] of got.entries()) {
        const blockStart = (first + k) * B;
        const from = Math.max(offset, blockStart);
        if (r.status === 'fulfilled') {
          const to = Math.min(end, blockStart + r.value.length);
          if (to > from) out.push(r.value.subarray(from - blockStart, to - blockStart));
          continue;
        }
        // A unit of this block does not decode: the block is not kept, and only the bytes asked for are
        // read, straight from the reader, so a read of the good units beside the damaged one still succeeds
        // (a read that reaches into it fails, naming it).
        const to = Math.min(end, blockStart + B);
        const direct = Buffer.allocUnsafe(to - from);
        out.push(direct.subarray(0, await this.reader.read(direct, from, to - from)));
      }
    } catch (err) {
      done();
      throw err;
    }
    return { pieces: out, done };
  }

  private pin(first: number, last: number): void {
    for (let i = first; i <= last; i++) this.pinned.set(i, (this.pinned.get(i) ?? 0) + 1);
  }

  private unpin(first: number, last: number): void {
    for (let i = first; i <= last; i++) {
      const n = (this.pinned.get(i) ?? 1) - 1;
      if (n > 0) this.pinned.set(i, n);
      else this.pinned.delete(i);
    }
  }

  /** Fetch the blocks from `from` on, `PREFETCH_BYTES` of them, that are neither held nor being fetched; nobody waits for them. */
  private prefetch(from: number): void {
    const B = this.block!;
    const blocks = Math.floor(this.prefetchBytes / B);
    const end = Math.min(from + blocks, Math.ceil(this.reader.size / B));
    for (let i = from; i < end; i++) if (!this.blocks.has(i) && !this.loading.has(i)) this.load(i).catch(() => undefined); // a damaged unit is reported when it is read
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

  /** Wait for a turn to fetch (`urgent`: a read waits for this block, so it goes before those fetched ahead). */
  private turn(urgent: boolean): Promise<void> {
    if (this.fetching < FETCHES_AT_ONCE) {
      this.fetching++;
      return Promise.resolve();
    }
    return new Promise((go) => (urgent ? this.queued.unshift(go) : this.queued.push(go))); // the turn passes to it
  }

  private turnDone(): void {
    const go = this.queued.shift();
    if (go) go();
    else this.fetching--;
  }

  /** Fetch block `i` with one reader call, into a buffer of its own. */
  private load(i: number, urgent = false): Promise<Buffer> {
    const B = this.block!;
    const start = i * B;
    const bytes = Math.min(B, this.reader.size - start);
    const p = (async () => {
      await this.turn(urgent);
      try {
        const buf = bytes === B && this.spare.length > 0 ? this.spare.pop()! : Buffer.allocUnsafe(bytes);
        const n = await this.reader.read(buf, start, bytes);
        return buf.subarray(0, n);
      } finally {
        this.turnDone();
      }
    })().then(
      (data) => {
        this.loading.delete(i);
        this.keep(i, data);
        return data;
      },
      (err: unknown) => {
        this.loading.delete(i);
        throw err;
      },
    );
    this.loading.set(i, p);
    return p;
  }

  private keep(i: number, data: Buffer): void {
    if (this.blocks.has(i)) return;
    this.blocks.set(i, data);
    this.held += data.length;
    for (const k of this.blocks.keys()) {
      if (this.held <= this.limit) break;
      this.drop(k);
    }
  }

  /** Forget block `i`; its buffer is fetched into again unless a read in progress spans it. */
  private drop(i: number): void {
    const b = this.blocks.get(i);
    if (!b) return;
    this.blocks.delete(i);
    this.held -= b.length;
    if (!this.pinned.has(i) && b.byteOffset === 0 && b.buffer.byteLength === this.block && this.spare.length < this.spareMax) this.spare.push(Buffer.from(b.buffer, 0, this.block));
  }
}
