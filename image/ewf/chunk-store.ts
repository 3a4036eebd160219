/**
 * Reading an EWF image's chunks: where each is stored (through the groups the
 * tables made), fetching a run of chunks stored back to back with one read,
 * and decoding each one checked (zlib, or the Adler-32 after a raw chunk).
 * A damaged chunk is an IMAGE_INVALID error naming the chunk, the media bytes
 * it covers and its file.
 */
import { adler32 } from '../../core/adler32.js';
import { ExhibitError } from '../../core/errors.js';
import { lastAtOrBefore } from '../../core/search.js';
import { TABLE_COMPRESSED } from './layout.js';
import { type ChunkGroup, entryOffset, readAt, readInto, type Segment } from './model.js';
import { readRun } from '../read-parts.js';
import { inflateScratchBytes, inflateUnit } from '../inflate.js';
import { RoomRun, ScanBuffers } from '../scan-buffers.js';

export interface ChunkLocation {
  file: string;
  offset: number;
  size: number;
  compressed: boolean;
}

interface ChunkPlan {
  index: number;
  segment: number;
  offset: number;
  size: number;
  compressed: boolean;
  want: number; // media bytes the chunk covers
  first: number; // media offset of its first byte
  segmentPath: string; // for messages: see chunkLabel
}

/**
 * A compressed chunk this small is remembered for the next (a compare costs far less than inflating
 * 32 KiB); its bytes are kept once the same stream comes twice in a row (runs of zeros do, text does not).
 */
const REPEAT_MAX = 1024;

/** Stored bytes fetched in one read when a read spans several chunks. */
const READ_BATCH = 4 * 1024 * 1024;
/** Read buffers `decodeInto` keeps for the next runs (reads of a mount's cache run side by side). */
const SCRATCH_BUFFERS = 4;

/** "chunk N (media bytes a..b) in file", for messages: made only when one is needed (65,536 chunks in 2 GiB). */
function chunkLabel(p: { index: number; first: number; want: number; segmentPath: string }): string {
  return `chunk ${p.index} (media bytes ${p.first}..${p.first + p.want - 1}) in ${p.segmentPath}`;
}

/** A copy of `b` in memory of its own: one allocation and a memcpy (Buffer.from of a view takes its generic path, about 3 times as long for a 32 KiB chunk). */
function copyOf(b: Buffer): Buffer {
  const c = Buffer.allocUnsafe(b.length);
  b.copy(c);
  return c;
}

/** The chunks of an opened image, with the last one decoded kept for the next read. */
export class ChunkStore {
  private cache: { index: number; data: Buffer } | undefined;
  private warnedLongLastChunk = false;
  private isClosed = false;
  /** The last small compressed chunk and what it decoded to: unused space repeats one chunk (zeros) for gigabytes. */
  private repeat: { stored: Buffer; data?: Buffer } | undefined;
  /** The table group of the last chunk asked for (see groupOf). */
  private lastGroup = 0;
  /** Where a transient scan reads its stored bytes and inflates its chunks (see chunks). */
  private readonly scan: ScanBuffers;
  /** Where decodeInto inflates each chunk before copying it to its place. */
  private inflateScratch: Buffer | undefined;
  /** Buffers for stored bytes that `decodeInto` reads into, used again. */
  private readonly scratch: Buffer[] = [];

  constructor(
    private readonly segments: readonly Segment[],
    private readonly groups: readonly ChunkGroup[],
    private readonly chunkSize: number,
    private readonly chunkCount: number,
    /** Media bytes. */
    private readonly size: number,
    /** The reader's warnings, added to in place. */
    private readonly warnings: string[],
  ) {
    this.scan = new ScanBuffers(chunkSize, READ_BATCH);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Where chunk `index` is stored. */
  locate(index: number): ChunkLocation {
    const { segment, ...rest } = this.find(index);
    return { file: this.segments[segment]!.path, ...rest };
  }

  private find(index: number): { segment: number; offset: number; size: number; compressed: boolean } {
    if (!Number.isInteger(index) || index < 0 || index >= this.chunkCount) throw new RangeError(`no chunk ${index} (the image has ${this.chunkCount})`);
    const g = this.groupOf(index);
    const j = index - g.firstChunk;
    const start = entryOffset(g, j);
    const end = j + 1 < g.entries.length ? entryOffset(g, j + 1) : g.end;
    const compressed = j < g.overflowFrom && (g.entries[j]! & TABLE_COMPRESSED) !== 0;
    return { segment: g.segment, offset: start, size: end - start, compressed };
  }

  /** The table group holding chunk `index` (a valid one): the last one asked for, most often, as reads go in order. */
  private groupOf(index: number): ChunkGroup {
    const k = this.lastGroup;
    const g = this.groups[k];
    if (g && index >= g.firstChunk && (k + 1 >= this.groups.length || index < this.groups[k + 1]!.firstChunk)) return g;
    const found = lastAtOrBefore(this.groups, (x) => x.firstChunk, index);
    if (found >= 0) this.lastGroup = found;
    return this.groups[found]!;
  }

  /**
   * Decode `count` chunks from `first`, each checked: its bytes, or the error that names it (a
   * verifier goes on past a damaged chunk). Chunks stored back to back in one file are fetched
   * with one read of up to 4 MiB. With `transient` (a scan that uses each chunk before asking
   * for more), the stored bytes are read into one buffer reused by the next call, and compressed
   * chunks are inflated into another, so a chunk is valid only until then, and the chunks are not
   * kept for the next read. With `room` as well (a transient scan's, at least `count` chunks long),
   * chunk k of the call is put at `room[k * chunkSize]` where it can be: a raw chunk read straight
   * there (its checksum beside it), a compressed one inflated there; the caller hashing `room` then
   * copies nothing (see core/hash-stream.ts).
   */
  async chunks(first: number, count: number, transient = false, room?: Uint8Array): Promise<(Buffer | ExhibitError)[]> {
    if (this.isClosed) throw new ExhibitError('INTERNAL', 'read after close');
    const out: (Buffer | ExhibitError)[] = [];
    const one = async (index: number) => {
      try {
        out.push(await this.chunk(index));
      } catch (err) {
        if (!(err instanceof ExhibitError) || err.code !== 'IMAGE_INVALID') throw err;
        out.push(err);
      }
    };
    const last = first + count - 1;
    let index = first;
    let used = 0; // transient: bytes of the scan buffer holding earlier runs of this call
    const inflated = transient ? this.scan.batchOut(count) : undefined; // chunk k of this call inflates at k * chunkSize
    while (index <= last) {
      let head: ChunkPlan;
      try {
        head = this.plan(index);
      } catch (err) {
        if (!(err instanceof ExhibitError)) throw err;
        out.push(err);
        index++;
        continue;
      }
      if (this.cache?.index === index) {
        await one(index);
        index++;
        continue;
      }
      // A run of chunks stored back to back in one file: one read for all.
      const run = [head];
      let bytes = head.size;
      while (index + run.length <= last && bytes < READ_BATCH) {
        const prev = run[run.length - 1]!;
        let next: ChunkPlan;
        try {
          next = this.plan(index + run.length);
        } catch {
          break; // reported when its turn comes, after the chunks before it
        }
        if (next.segment !== prev.segment || next.offset !== prev.offset + prev.size) break;
        run.push(next);
        bytes += next.size;
      }
      const file = this.segments[run[0]!.segment]!;
      // A failed batch read (a file cut short) is retried chunk by chunk to name the chunk.
      const into = transient ? this.scan.storedRoom(used, bytes) : undefined;
      // With room: the run put in its place where it can be (raw chunks read there, see RoomRun).
      const inRoom = room && into ? new RoomRun(room, this.chunkSize, first, run, (k) => !run[k]!.compressed) : undefined;
      const read = inRoom?.any ? readRun(file.handle, run, into!, (k) => inRoom.place(k), 4, file.path).then(() => into!) : into ? readInto(file.handle, into, run[0]!.offset, bytes, file.path) : readAt(file.handle, run[0]!.offset, bytes, file.path);
      const stored = await read.catch(() => undefined);
      used += into ? bytes : 0;
      for (const [k, p] of run.entries()) {
        if (!stored) {
          await one(p.index);
          continue;
        }
        const at = p.offset - run[0]!.offset;
        try {
          const placed = inRoom?.data(k);
          if (placed) {
            // Read into its place; its Adler-32 was read beside it, into its own place in the stored bytes.
            if (adler32(placed) !== stored.readUInt32LE(at + p.size - 4)) throw new ExhibitError('IMAGE_INVALID', `${chunkLabel(p)}: checksum mismatch`);
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

  /**
   * Decode chunks `first`..`last` (checked) into `into`, chunk `first` at `into[0]`, for a reader
   * that wants the bytes in its own buffer (a mount's cache): the stored bytes are read, a run at a
   * time, into buffers this store uses again, and nothing decoded is kept. A damaged chunk throws
   * its error.
   */
  async decodeInto(into: Uint8Array, first: number, last: number): Promise<void> {
    if (this.isClosed) throw new ExhibitError('INTERNAL', 'read after close');
    let index = first;
    while (index <= last) {
      const run = [this.plan(index)];
      let bytes = run[0]!.size;
      while (index + run.length <= last && bytes < READ_BATCH) {
        const next = this.plan(index + run.length);
        const prev = run[run.length - 1]!;
        if (next.segment !== prev.segment || next.offset !== prev.offset + prev.size) break;
        run.push(next);
        bytes += next.size;
      }
      const file = this.segments[run[0]!.segment]!;
      const k = this.scratch.findIndex((b) => b.length >= bytes);
      // A quarter batch at least, so buffers serve runs of other sizes too; no more than the run needs
      // (a mount's cache asks for blocks of 256 KiB, several at once).
      const buf = k >= 0 ? this.scratch.splice(k, 1)[0]! : Buffer.allocUnsafe(Math.max(bytes, READ_BATCH / 4));
      try {
        await readInto(file.handle, buf, run[0]!.offset, bytes, file.path);
        for (const p of run) {
          const at = p.offset - run[0]!.offset;
          const pos = (p.index - first) * this.chunkSize;
          // Inflated where it goes when the room after it allows (what spills into the next chunk's place
          // is written over when that chunk's turn comes), else into the kept buffer and copied.
          const room = into.length - pos >= inflateScratchBytes(this.chunkSize) ? Buffer.from(into.buffer, into.byteOffset + pos, into.length - pos) : this.inflated();
          const data = this.decode(p, buf.subarray(at, at + p.size), room);
          if (data.buffer !== into.buffer || data.byteOffset !== into.byteOffset + pos) into.set(data, pos);
        }
      } finally {
        if (this.scratch.length < SCRATCH_BUFFERS) this.scratch.push(buf);
      }
      index += run.length;
    }
  }

  /** Decode chunk `index` (checked); the bytes are exactly the media bytes it covers. */
  async chunk(index: number): Promise<Buffer> {
    if (this.isClosed) throw new ExhibitError('INTERNAL', 'read after close');
    if (this.cache?.index === index) return this.cache.data;
    const p = this.plan(index);
    const file = this.segments[p.segment]!;
    const data = this.decode(p, await readAt(file.handle, p.offset, p.size, chunkLabel(p)));
    this.cache = { index, data };
    return data;
  }

  private plan(index: number): ChunkPlan {
    const { segment, offset, size, compressed } = this.find(index);
    const first = index * this.chunkSize;
    const want = Math.min(this.chunkSize, this.size - first);
    const segmentPath = this.segments[segment]!.path;
    // A zlib stream can exceed its chunk by a little (SMART stores every chunk compressed).
    if (size > this.chunkSize + Math.ceil(this.chunkSize / 1000) + 1024 || size < (compressed ? 8 : 5))
      throw new ExhibitError('IMAGE_INVALID', `${chunkLabel({ index, first, want, segmentPath })}: stored size ${size} at offset ${offset} cannot hold a ${want}-byte chunk`);
    return { index, segment, offset, size, compressed, first, want, segmentPath };
  }

  /** A buffer to inflate a chunk into, for a caller that copies it out at once (decodeInto). */
  private inflated(): Buffer {
    if (!this.inflateScratch) this.inflateScratch = Buffer.allocUnsafe(inflateScratchBytes(this.chunkSize));
    return this.inflateScratch;
  }

  /** Decode one chunk; with `scratch`, a compressed one may be inflated into it (valid until the next decode). */
  private decode(p: ChunkPlan, stored: Buffer, scratch?: Buffer): Buffer {
    const isLast = p.index === this.chunkCount - 1;
    const fits = (n: number) => n === p.want || (isLast && n > p.want && n <= this.chunkSize);
    let data: Buffer;
    const last = this.repeat;
    const again = p.compressed && last !== undefined && stored.length === last.stored.length && stored.equals(last.stored);
    if (again && last.data) {
      // The same zlib stream inflates to the same bytes (already checked when first decoded); they are handed out again, never written to.
      data = last.data;
    } else if (p.compressed) {
      try {
        data = inflateUnit(stored, this.chunkSize, scratch);
        // The second time in a row, its bytes are kept for the runs that follow; the first time, only its stream.
        if (again) last.data = data.buffer === scratch?.buffer ? copyOf(data) : data;
        else if (stored.length <= REPEAT_MAX) this.repeat = { stored: copyOf(stored) };
      } catch (err) {
        const tooLong = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
        throw new ExhibitError('IMAGE_INVALID', `${chunkLabel(p)}: ${tooLong ? `inflates to more than ${this.chunkSize} bytes` : `zlib stream is damaged (${(err as Error).message})`}`, { cause: err });
      }
    } else {
      data = stored.subarray(0, stored.length - 4);
      if (fits(data.length) && adler32(data) !== stored.readUInt32LE(stored.length - 4)) throw new ExhibitError('IMAGE_INVALID', `${chunkLabel(p)}: checksum mismatch`);
    }
    if (!fits(data.length)) throw new ExhibitError('IMAGE_INVALID', `${chunkLabel(p)}: holds ${data.length} bytes, expected ${p.want}`);
    if (data.length > p.want) {
      if (!this.warnedLongLastChunk) {
        this.warnedLongLastChunk = true;
        this.warnings.push(
          `the last chunk in ${this.segments[p.segment]!.path} holds ${data.length} bytes but the media ends after ${p.want}: the writer did not pad the source to whole sectors; the extra ${data.length - p.want} bytes are ignored`,
        );
      }
      data = data.subarray(0, p.want);
    }
    return data;
  }

  /** Close every segment file; reads after this are refused. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.cache = undefined;
    this.scan.release();
    await Promise.all(this.segments.map((s) => s.handle.close()));
  }
}
