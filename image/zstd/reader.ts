/**
 * Reads a seekable zstd image: the seek table at the end gives every frame's
 * place, so any media offset is one frame's decompression away. Every frame's
 * own checksum (XXH64) is checked by zstd as it decompresses, and compared
 * with the seek table's copy. Without a seek table, `openScanning` finds the
 * frames by walking their headers, for recovery.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import zstdBinding from 'zstd-napi/binding.js'; // zstd's own decoder with a fixed output buffer (zstd-napi's Decompressor sizes it from the frame header)
import { describeSystemError, ExhibitError, withDamagedRange } from '../../core/errors.js';
import { openInput } from '../../core/input-file.js';
import { lastAtOrBefore } from '../../core/search.js';
import type { FormatName, ImageReader, IntegrityUnitKind, ScannedUnit } from '../types.js';
import { CHECKSUM_FLAG, ENTRY_SIZE, FOOTER_SIZE, frameHeader, frameInfo, MAX_FRAME_SIZE, MIN_FRAME_LENGTH, SEEKABLE_MAGIC, SKIPPABLE_MAGIC, zstdFailureWords, type FrameEntry } from './layout.js';
import { scanFrames } from './scan.js';

interface Frame extends FrameEntry {
  offset: number; // in the file
  mediaStart: number;
}

/** Stored bytes fetched in one read when frames are small. */
const READ_AHEAD = 4 * 1024 * 1024;

const invalid = (where: string, why: string, cause?: unknown) => new ExhibitError('IMAGE_INVALID', `${where}: ${why}`, cause === undefined ? {} : { cause });

/** What any zstd image says of itself, seekable or plain: frames, and no sector size, stored hashes, case facts or error ranges. */
export abstract class ZstdFacts {
  readonly format: FormatName = 'zst';
  readonly warnings: string[] = [];
  readonly sectorSize = undefined;
  readonly storedHashes = {};
  readonly caseFacts = undefined;
  readonly errorRanges = [];
  readonly unitKind: IntegrityUnitKind = 'frame';
}

export class ZstdReader extends ZstdFacts implements ImageReader {
  readonly files: readonly string[];
  readonly size: number;
  get unitBytes(): number | undefined {
    return this.frames[0]?.decompressed;
  }
  private readonly dctx = new zstdBinding.DCtx();
  private cache: { index: number; data: Buffer } | undefined;
  /** Stored bytes read ahead (up to READ_AHEAD at once), so many small frames do not cost a read each. */
  private window: { start: number; bytes: Buffer } | undefined;
  /** The frame decoded last: reading goes on in order when the next one asked for follows it. */
  private lastFrame = -2;
  /** Buffers for frames read alone, used again once their frame is decoded (no allocation per random read). */
  private readonly scratch: Buffer[] = [];
  /** Scratch buffers lent to one frame's decoding, by their memory. */
  private readonly lent = new Map<ArrayBufferLike, Buffer>();
  private readonly largestStored: number;
  /** Where the last frame's stored bytes end: a read ahead goes no further (a small image, a small buffer). */
  private readonly storedEnd: number;

  private constructor(
    private readonly file: string,
    private readonly handle: fsp.FileHandle,
    readonly frames: readonly Frame[],
    readonly hasSeekTable: boolean,
  ) {
    super();
    this.files = [file];
    this.largestStored = frames.reduce((m, f) => Math.max(m, f.compressed), 0);
    this.storedEnd = frames.reduce((m, f) => Math.max(m, f.offset + f.compressed), 0);
    const last = frames[frames.length - 1];
    this.size = last ? last.mediaStart + last.decompressed : 0;
  }

  /**
   * Place the frames, each checked to be one a decoder can be held to: at
   * least a minimal frame long, and between 1 byte and MAX_FRAME_SIZE of
   * media. Decoding is bounded by that declared size (see `frame`).
   */
  private static index(entries: readonly FrameEntry[], file: string, largeAllowed = false): Frame[] {
    let offset = 0;
    let media = 0;
    const frames: Frame[] = [];
    for (const [i, e] of entries.entries()) {
      if (e.offset !== undefined) offset = e.offset;
      const where = () => `frame ${i} (at byte ${offset}) in ${file}`; // built only for a frame refused
      if (e.compressed < MIN_FRAME_LENGTH) throw invalid(where(), `${e.offset === undefined ? 'the seek table gives it' : 'it has'} ${e.compressed} stored bytes, too few for a zstd frame`);
      if (e.decompressed > MAX_FRAME_SIZE && !largeAllowed) throw invalid(where(), `it declares ${e.decompressed} bytes of media, more than the ${MAX_FRAME_SIZE} a frame may hold`);
      // An empty frame is read only in order (the stream reader decodes it to see it holds nothing): a seek table
      // that declares one empty would have it passed over unread.
      if (e.decompressed === 0) throw invalid(where(), 'the seek table declares it empty (0 bytes of media)');
      // Written out, not spread: V8's object spread costs ten times as much, which shows with 500,000 frames.
      frames.push({ compressed: e.compressed, decompressed: e.decompressed, checksum: e.checksum, offset, mediaStart: media });
      offset += e.compressed;
      media += e.decompressed;
    }
    return frames;
  }

  /**
   * Open with the seek table; a missing or damaged one is an IMAGE_INVALID error that says so. A table
   * that gives a frame more media than one decodes whole in memory (MAX_FRAME_SIZE; the seekable
   * format allows up to 2 GiB, and other tools write such frames) is handed to `large` with the file
   * and the frames placed by the table, to be read in order; without `large` it is refused.
   */
  static async open<L = never>(file: string, large?: (handle: fsp.FileHandle, entries: FrameEntry[], checksums: boolean) => Promise<L>): Promise<ZstdReader | L> {
    const abs = path.resolve(file);
    const h = await openInput(abs).catch((err: unknown) => {
      if (err instanceof ExhibitError) throw err;
      throw invalid(abs, `cannot open: ${describeSystemError(err)}`, err);
    });
    try {
      const size = (await h.stat()).size;
      const noTable = (why: string) =>
        invalid(abs, `${why}; the seek table is missing or damaged, so exhibit cannot seek in it (its frames can still be decompressed in order)`);
      if (size < 8 + FOOTER_SIZE) throw noTable(`only ${size} bytes`);
      const foot = Buffer.alloc(FOOTER_SIZE);
      await h.read(foot, 0, FOOTER_SIZE, size - FOOTER_SIZE);
      if (foot.readUInt32LE(5) !== SEEKABLE_MAGIC) throw noTable('it does not end with the seekable-format magic number');
      const count = foot.readUInt32LE(0);
      const descriptor = foot[4]!;
      if (descriptor & 0x7c) throw noTable(`reserved bits are set in the seek table descriptor (${descriptor.toString(16)})`);
      const es = descriptor & CHECKSUM_FLAG ? ENTRY_SIZE : 8;
      const content = count * es + FOOTER_SIZE;
      const tableStart = size - content - 8;
      if (tableStart < 0) throw noTable(`the seek table claims ${count} frames, more than the file can hold`);
      const table = Buffer.alloc(content + 8);
      await h.read(table, 0, table.length, tableStart);
      if (table.readUInt32LE(0) !== SKIPPABLE_MAGIC || table.readUInt32LE(4) !== content) throw noTable(`the seek table frame at byte ${tableStart} is damaged`);
      const entries: FrameEntry[] = [];
      for (let i = 0; i < count; i++) {
        const at = 8 + i * es;
        entries.push({ compressed: table.readUInt32LE(at), decompressed: table.readUInt32LE(at + 4), checksum: es === ENTRY_SIZE ? table.readUInt32LE(at + 8) : 0 });
      }
      const wide = large !== undefined && entries.some((e) => e.decompressed > MAX_FRAME_SIZE);
      const frames = ZstdReader.index(entries, abs, wide);
      const end = frames.length > 0 ? frames[frames.length - 1]!.offset + frames[frames.length - 1]!.compressed : 0;
      if (end !== tableStart) throw noTable(`the seek table's frames end at byte ${end}, but the table starts at ${tableStart}`);
      if (wide) return await large(h, frames.map((f) => ({ compressed: f.compressed, decompressed: f.decompressed, checksum: f.checksum, offset: f.offset })), es === ENTRY_SIZE);
      return new ZstdReader(abs, h, frames, es === ENTRY_SIZE); // a table without checksums (descriptor bit 7 clear) gives none to compare
    } catch (err) {
      await h.close();
      throw err;
    }
  }

  /** A reader over frames a scan found (image/zstd/scan.ts), each small enough to decode whole; takes `handle`. */
  static fromScan(file: string, handle: fsp.FileHandle, entries: readonly FrameEntry[]): ZstdReader {
    const abs = path.resolve(file);
    return new ZstdReader(abs, handle, ZstdReader.index(entries, abs), false);
  }

  /**
   * Open without the seek table: walk the frames from the start (for an image
   * whose table is missing, or an unfinished one, up to `end`). Frame sizes
   * come from `frameSize` (every frame but the last is that long) or, when not
   * given, from decompressing nothing: callers that need sizes pass it.
   */
  static async openScanning(file: string, frameSize: number, end?: number): Promise<ZstdReader> {
    const abs = path.resolve(file);
    const h = await openInput(abs);
    try {
      const limit = end ?? (await h.stat()).size;
      const { entries, stoppedAt } = await scanFrames(h, limit, () => frameSize);
      const r = new ZstdReader(abs, h, ZstdReader.index(entries, abs), false);
      if (stoppedAt < limit) r.warnings.push(`no whole zstd frame at byte ${stoppedAt} of ${abs}; ${limit - stoppedAt} bytes from there were not read`);
      return r;
    } catch (err) {
      await h.close();
      throw err;
    }
  }

  /**
   * Frame `i` decompressed and checked. Its header must declare the media
   * size the seek table gives it, or none, and it is decoded into a buffer of
   * that size, which zstd never writes past: a frame that would decode to
   * more (a decompression bomb) fails without its output being made.
   */
  async frame(i: number): Promise<Buffer> {
    if (this.cache?.index === i) return this.cache.data;
    const data = Buffer.allocUnsafe(this.frames[i]!.decompressed);
    await this.decodeFrame(i, data);
    this.cache = { index: i, data };
    return data;
  }

  /**
   * Frame `i` decompressed and checked into `data` (exactly its media size):
   * a reader that asks for whole frames gets them decoded where they go, not
   * decoded and then copied.
   */
  private async decodeFrame(i: number, data: Uint8Array): Promise<void> {
    const f = this.frames[i]!;
    const label = `frame ${i} (media bytes ${f.mediaStart}..${f.mediaStart + f.decompressed - 1}) in ${this.file}`;
    const inOrder = i === this.lastFrame + 1;
    this.lastFrame = i;
    const stored = await this.stored(f, inOrder);
    try {
      this.check(f, stored, data, label);
    } finally {
      const own = this.lent.get(stored.buffer);
      if (own) {
        this.lent.delete(stored.buffer);
        if (this.scratch.length < 2) this.scratch.push(own);
      }
    }
  }

  /** Decode the `stored` bytes of frame `f` into `data`, checked. */
  private check(f: Frame, stored: Buffer, data: Uint8Array, label: string): void {
    if (stored.length !== f.compressed) throw invalid(label, 'the file ends inside it (truncated)');
    const head = frameInfo(stored, 0);
    if (head === undefined || head.length !== f.compressed) throw invalid(label, `its ${f.compressed} stored bytes are not one whole zstd frame: damaged`);
    // A header without a content size (zstd's own seekable library writes none) is bounded by the table's:
    // `data` is exactly that long, and zstd fails a frame that would decode to more.
    if (head.contentSize !== undefined && head.contentSize !== f.decompressed) throw invalid(label, `its header declares ${head.contentSize} bytes of content, the seek table ${f.decompressed}`);
    let n: number;
    try {
      n = this.dctx.decompress(data, stored);
    } catch (err) {
      throw invalid(label, `it does not decompress (${zstdFailureWords((err as Error).message)}): damaged`, err);
    }
    if (n !== f.decompressed) throw invalid(label, `it decompresses to ${n} bytes instead of ${f.decompressed}`);
    // The table's checksum is the low 32 bits of the frame's own (XXH64): compared when both have one (zstd checked the frame's as it decoded).
    if (this.hasSeekTable && frameHeader(stored, 0)?.checksum === true && f.checksum !== stored.readUInt32LE(stored.length - 4)) throw invalid(label, 'its checksum differs from the seek table\'s');
  }

  /**
   * The stored bytes of frame `f` (fewer when the file ends inside it), from the read-ahead window
   * when they are in it. Reading in order fills the window; a frame asked for out of order (random
   * access) is read alone, so it costs its own bytes and no more.
   */
  private async stored(f: Frame, inOrder: boolean): Promise<Buffer> {
    const w = this.window;
    if (w && f.offset >= w.start && f.offset + f.compressed <= w.start + w.bytes.length) return w.bytes.subarray(f.offset - w.start, f.offset - w.start + f.compressed);
    if (f.compressed >= READ_AHEAD || !inOrder) {
      const k = this.scratch.findIndex((x) => x.length >= f.compressed);
      const b = k >= 0 ? this.scratch.splice(k, 1)[0]! : Buffer.allocUnsafe(Math.max(f.compressed, Math.min(this.largestStored, READ_AHEAD)));
      this.lent.set(b.buffer, b);
      try {
        const { bytesRead } = await this.handle.read(b, 0, f.compressed, f.offset);
        return b.subarray(0, bytesRead);
      } catch (err) {
        this.lent.delete(b.buffer);
        throw err;
      }
    }
    const ahead = Math.max(f.compressed, Math.min(READ_AHEAD, this.storedEnd - f.offset));
    const b = Buffer.allocUnsafe(ahead); // only the bytes read are ever used
    const { bytesRead } = await this.handle.read(b, 0, ahead, f.offset);
    this.window = { start: f.offset, bytes: b.subarray(0, bytesRead) };
    return this.window.bytes.subarray(0, Math.min(f.compressed, bytesRead));
  }

  /** Every frame in order, decompressed and checked; one that does not decode comes with its error. */
  async *units(): AsyncGenerator<ScannedUnit> {
    for (let i = 0; i < this.frames.length; i++) {
      const f = this.frames[i]!;
      let data: Buffer;
      try {
        data = await this.frame(i);
      } catch (err) {
        if (!(err instanceof ExhibitError) || err.code !== 'IMAGE_INVALID') throw err;
        yield { start: f.mediaStart, bytes: f.decompressed, file: this.file, index: i, error: err };
        continue;
      }
      yield { start: f.mediaStart, data };
    }
  }

  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    const end = Math.min(offset + length, this.size);
    let pos = offset;
    let done = 0;
    while (pos < end) {
      const i = lastAtOrBefore(this.frames, (f) => f.mediaStart, pos);
      const f = this.frames[i]!;
      const from = pos - f.mediaStart;
      const n = Math.min(end - pos, f.decompressed - from);
      const whole = from === 0 && n === f.decompressed && this.cache?.index !== i; // decoded where it goes, not kept
      const damaged = (err: unknown) => {
        throw err instanceof ExhibitError && err.code === 'IMAGE_INVALID' ? withDamagedRange(err, f.mediaStart, f.mediaStart + f.decompressed - 1) : err;
      };
      if (whole) await this.decodeFrame(i, into.subarray(done, done + n)).catch(damaged);
      else into.set((await this.frame(i).catch(damaged)).subarray(from, from + n), done);
      done += n;
      pos += n;
    }
    return done;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
