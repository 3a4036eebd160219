/**
 * Reading an Ex01 image's chunks: where each is stored (its sector table
 * entry), runs of chunks stored one after another fetched with one read of up
 * to 4 MiB, and each chunk decoded and checked: deflate (zlib's own
 * Adler-32), bzip2 (its block CRCs), stored with an Adler-32 after it, or a
 * 64-bit pattern repeated. A damaged chunk is an IMAGE_INVALID error naming
 * the chunk, the media bytes it covers and its file.
 */
import { adler32 } from '../../core/adler32.js';
import { ExhibitError } from '../../core/errors.js';
import { lastAtOrBefore } from '../../core/search.js';
import { readAt, readInto } from '../ewf/model.js';
import { bunzip2 } from './bzip2.js';
import { CHUNK_CHECKSUMMED, CHUNK_COMPRESSED, CHUNK_PATTERN_FILL, COMPRESSION, TABLE_ENTRY_SIZE } from './layout.js';
import type { ChunkGroup } from './opener.js';
import type { Ex01Segment } from './segments.js';
import { inflateUnit } from '../inflate.js';
import { readRun } from '../read-parts.js';
import { RoomRun, ScanBuffers } from '../scan-buffers.js';

interface Plan {
  index: number;
  segment: number;
  offset: number; // in its file; for a pattern fill, unused
  size: number;
  flags: number;
  pattern?: Buffer;
  want: number; // media bytes it covers
  first: number; // media offset of its first byte
}

const READ_BATCH = 4 * 1024 * 1024;
/** Chunks aligned to 16 bytes leave a little padding between them; a run read at once may span it. */
const MAX_GAP = 64;

export class Ex01Chunks {
  private cache: { index: number; data: Buffer } | undefined;
  private warnedUnchecked = false;
  private lastFill: { pattern: Buffer; data: Buffer } | undefined;
  /** Where a transient scan reads its stored bytes and inflates its chunks (see chunks). */
  private readonly scan: ScanBuffers;
  closed = false;

  constructor(
    private readonly segments: readonly Ex01Segment[],
    private readonly groups: readonly ChunkGroup[],
    private readonly chunkSize: number,
    private readonly chunkCount: number,
    private readonly size: number,
    private readonly compression: number,
    private readonly sectorSize: number,
    private readonly warnings: string[],
  ) {
    this.scan = new ScanBuffers(chunkSize, READ_BATCH);
  }

  /** "chunk N (media bytes a..b, sectors s..t) in file", for messages. */
  label(index: number): string {
    const sectorSize = this.sectorSize;
    const first = index * this.chunkSize;
    const want = Math.min(this.chunkSize, this.size - first);
    const g = this.groups[lastAtOrBefore(this.groups, (x) => x.firstChunk, index)];
    const file = g ? this.segments[g.segment]!.path : this.segments[0]!.path;
    return `chunk ${index} (media bytes ${first}..${first + want - 1}, sectors ${Math.floor(first / sectorSize)}..${Math.ceil((first + want) / sectorSize) - 1}) in ${file}`;
  }

  fileOf(index: number): string {
    const g = this.groups[lastAtOrBefore(this.groups, (x) => x.firstChunk, index)];
    return this.segments[g?.segment ?? 0]!.path;
  }

  private fail(index: number, what: string, cause?: unknown): ExhibitError {
    return new ExhibitError('IMAGE_INVALID', `${this.label(index)}: ${what}`, cause === undefined ? {} : { cause });
  }

  private plan(index: number): Plan {
    if (!Number.isInteger(index) || index < 0 || index >= this.chunkCount) throw new RangeError(`no chunk ${index} (the image has ${this.chunkCount})`);
    const g = this.groups[lastAtOrBefore(this.groups, (x) => x.firstChunk, index)]!;
    const first = index * this.chunkSize;
    const want = Math.min(this.chunkSize, this.size - first);
    if (!g.entries) throw this.fail(index, `listed by a damaged sector table (${g.where}; ${g.damage})`);
    const j = (index - g.firstChunk) * TABLE_ENTRY_SIZE;
    const flags = g.entries.readUInt32LE(j + 12);
    const size = g.entries.readUInt32LE(j + 8);
    if ((flags & CHUNK_COMPRESSED) !== 0 && (flags & CHUNK_PATTERN_FILL) !== 0) {
      return { index, segment: g.segment, offset: 0, size: 0, flags, pattern: g.entries.subarray(j, j + 8), want, first };
    }
    const offset = Number(g.entries.readBigUInt64LE(j));
    if (offset < g.low || offset + size > g.high) throw this.fail(index, `its table entry places it at offset ${offset} (${size} bytes), outside the sector data section it belongs to (${g.low}..${g.high})`);
    const limit = (flags & CHUNK_COMPRESSED) !== 0 ? this.chunkSize + Math.ceil(this.chunkSize / 100) + 1024 : this.chunkSize + 4;
    if (size === 0 || size > limit) throw this.fail(index, `its stored size ${size} cannot hold a ${want}-byte chunk`);
    return { index, segment: g.segment, offset, size, flags, want, first };
  }

  /** Decode one chunk; with `scratch`, a deflate one may be inflated into it (valid until the next call). */
  private decode(p: Plan, stored: Buffer, scratch?: Buffer): Buffer {
    const isLast = p.index === this.chunkCount - 1;
    const fits = (n: number) => n === p.want || (isLast && n > p.want && n <= this.chunkSize);
    let data: Buffer;
    if (p.pattern) {
      // Unused space is one pattern (zeros) chunk after chunk: the last one made is handed out again, never written to.
      const last = this.lastFill;
      if (last && last.data.length === p.want && last.pattern.equals(p.pattern)) return last.data;
      data = Buffer.allocUnsafe(p.want).fill(p.pattern);
      this.lastFill = { pattern: Buffer.from(p.pattern), data };
      return data;
    }
    if ((p.flags & CHUNK_COMPRESSED) !== 0) {
      try {
        if (this.compression === COMPRESSION.bzip2) data = bunzip2(stored, this.chunkSize);
        else data = inflateUnit(stored, this.chunkSize, scratch);
      } catch (err) {
        const tooLong = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || /more than/.test((err as Error).message);
        const how = this.compression === COMPRESSION.bzip2 ? 'bzip2' : 'zlib';
        throw this.fail(p.index, tooLong ? `expands to more than ${this.chunkSize} bytes` : `${how} stream is damaged (${(err as Error).message})`, err);
      }
    } else if ((p.flags & CHUNK_CHECKSUMMED) !== 0) {
      data = stored.subarray(0, stored.length - 4);
      if (fits(data.length) && adler32(data) !== stored.readUInt32LE(stored.length - 4)) throw this.fail(p.index, 'checksum mismatch');
    } else {
      data = stored;
      if (!this.warnedUnchecked) {
        this.warnedUnchecked = true;
        this.warnings.push('some chunks are stored without a checksum: their bytes are checked by the stored hashes alone');
      }
    }
    if (!fits(data.length)) throw this.fail(p.index, `holds ${data.length} bytes, expected ${p.want}`);
    return data.length > p.want ? data.subarray(0, p.want) : data;
  }

  /**
   * Decode `count` chunks from `first`, each checked: its bytes, or the error naming it. With
   * `transient` (a scan that uses each chunk before asking for more), stored bytes are read into
   * one buffer and deflate chunks inflated into another, both used again by the next call, and
   * nothing is kept for the next read. With `room` as well (a transient scan's, at least `count`
   * chunks long), chunk k of the call is put at `room[k * chunkSize]` where it can be, as the E01
   * chunk store does: a raw chunk read straight there (its checksum beside it), a deflate one
   * inflated there.
   */
  async chunks(first: number, count: number, transient = false, room?: Uint8Array): Promise<(Buffer | ExhibitError)[]> {
    if (this.closed) throw new ExhibitError('INTERNAL', 'read after close');
    const out: (Buffer | ExhibitError)[] = [];
    const last = first + count - 1;
    let index = first;
    let used = 0; // transient: bytes of the scan buffer holding earlier runs of this call
    const inflated = transient ? this.scan.batchOut(count) : undefined; // chunk k of this call inflates at k * chunkSize
    while (index <= last) {
      let head: Plan;
      try {
        head = this.plan(index);
      } catch (err) {
        if (!(err instanceof ExhibitError)) throw err;
        out.push(err);
        index++;
        continue;
      }
      if (this.cache?.index === index || head.pattern) {
        out.push(this.cache?.index === index ? this.cache.data : this.decode(head, Buffer.alloc(0)));
        index++;
        continue;
      }
      const run = [head];
      let end = head.offset + head.size;
      while (index + run.length <= last && end - head.offset < READ_BATCH) {
        let next: Plan;
        try {
          next = this.plan(index + run.length);
        } catch {
          break; // reported in its turn
        }
        if (next.pattern || next.segment !== head.segment || next.offset < end || next.offset - end > MAX_GAP) break;
        run.push(next);
        end = next.offset + next.size;
      }
      const file = this.segments[head.segment]!;
      const into = transient ? this.scan.storedRoom(used, end - head.offset) : undefined;
      // With room: the run put in its place where it can be (raw, checksummed chunks read there, see RoomRun).
      const inRoom = room && into ? new RoomRun(room, this.chunkSize, first, run, (k) => (run[k]!.flags & (CHUNK_COMPRESSED | CHUNK_CHECKSUMMED)) === CHUNK_CHECKSUMMED) : undefined;
      const read = inRoom?.any ? readRun(file.handle, run, into!, (k) => inRoom.place(k), 4, file.path).then(() => into!) : into ? readInto(file.handle, into, head.offset, end - head.offset, file.path) : readAt(file.handle, head.offset, end - head.offset, file.path);
      const stored = await read.catch((err: unknown) => err);
      used += into ? end - head.offset : 0;
      for (const [k, p] of run.entries()) {
        if (!Buffer.isBuffer(stored)) {
          // A run that cannot be read whole is read again a chunk at a time: the error names only the chunks that cannot be read.
          out.push(run.length > 1 ? await this.alone(p) : this.unread(p, stored));
          continue;
        }
        try {
          const at = p.offset - head.offset;
          const placed = inRoom?.data(k);
          if (placed) {
            // Read into its place; its Adler-32 was read beside it, into its own place in the stored bytes.
            if (adler32(placed) !== stored.readUInt32LE(at + p.size - 4)) throw this.fail(p.index, 'checksum mismatch');
            out.push(placed);
            continue;
          }
          const scratch = inRoom?.inflateRoom(k) ?? inflated?.subarray((p.index - first) * this.chunkSize);
          const data = this.decode(p, stored.subarray(at, at + p.size), scratch);
          out.push(data);
          if (!transient) this.cache = { index: p.index, data };
        } catch (err) {
          if (!(err instanceof ExhibitError)) throw err;
          out.push(err);
        }
      }
      index += run.length;
    }
    return out;
  }

  /** The error for chunk `p` whose stored bytes could not be read. */
  private unread(p: Plan, err: unknown): ExhibitError {
    return err instanceof ExhibitError ? this.fail(p.index, err.message) : this.fail(p.index, 'cannot be read');
  }

  /** Chunk `p` read and decoded on its own (in a buffer of its own), or its error. */
  private async alone(p: Plan): Promise<Buffer | ExhibitError> {
    const file = this.segments[p.segment]!;
    let own: Buffer;
    try {
      own = await readAt(file.handle, p.offset, p.size, file.path);
    } catch (err) {
      return this.unread(p, err);
    }
    try {
      return this.decode(p, own);
    } catch (err) {
      if (err instanceof ExhibitError) return err;
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cache = undefined;
    this.scan.release();
    await Promise.all(this.segments.map((s) => s.handle.close()));
  }
}
