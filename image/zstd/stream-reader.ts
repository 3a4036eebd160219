/**
 * Reads a plain zstd file (no seek table) whose frames cannot each be decoded
 * whole in memory: a frame larger than MAX_FRAME_SIZE (`zstd disk.img` makes
 * one frame of the whole disk) or one whose header gives no content size
 * (`... | zstd`). Each such frame is decompressed as a stream into one reused
 * buffer, so memory stays bounded whatever the frame's size; zstd checks the
 * frame's own checksum (XXH64) as it ends. A frame without a content size is
 * decompressed once when the file is opened, to learn the media size.
 *
 * Reading is in order: `units()` walks the media once; `read()` goes on from
 * where the last read stopped and decompresses a frame again from its start
 * only to go back in it. That suits verify, convert and a look at the
 * partition table, not a mount's random reads (`sequentialOnly`).
 */
import fsp from 'node:fs/promises';
import zstdBinding from 'zstd-napi/binding.js';
import { ExhibitError, withDamagedRange } from '../../core/errors.js';
import { lastAtOrBefore } from '../../core/search.js';
import type { ImageReader, ScannedUnit } from '../types.js';
import { ZstdFacts } from './reader.js';
import { zstdFailureWords, type FrameEntry } from './layout.js';

/** Bytes decompressed (and stored bytes read) at a time. */
const STEP = 4 * 1024 * 1024;
/** The media size of a frame whose header gives none, until it has been decompressed once. */
const UNKNOWN = Number.MAX_SAFE_INTEGER;
/** The largest window a frame may need: zstd's own default limit for decoding (128 MiB), what `zstd --long` up to 27 uses. */
export const WINDOW_LOG_MAX = 27;

interface StreamFrame {
  offset: number; // in the file
  compressed: number;
  mediaStart: number;
  decompressed: number;
  /** Who gives `decompressed`: the frame's header, or the seek table a seekable file places its frames by. */
  declaredBy: 'its header' | 'the seek table';
  /** The seek table's checksum of the frame (the low 32 bits of its XXH64), compared with the frame's own at its end. */
  tableChecksum?: number;
}

const invalid = (where: string, why: string, cause?: unknown) => new ExhibitError('IMAGE_INVALID', `${where}: ${why}`, cause === undefined ? {} : { cause });

/** One frame being decompressed: where its input and output stand. */
class FrameCursor {
  readonly dctx = new zstdBinding.DCtx();
  inPos = 0; // stored bytes of the frame consumed
  outPos = 0; // media bytes of the frame produced
  ended = false;
  private input: Buffer = Buffer.alloc(0);
  private inputAt = 0; // frame offset of input[0]

  constructor(
    readonly index: number,
    private readonly f: StreamFrame,
    private readonly handle: fsp.FileHandle,
    private readonly label: string,
    private readonly inBuf: Buffer,
  ) {
    this.dctx.setParameter(zstdBinding.DParameter.windowLogMax, WINDOW_LOG_MAX);
  }

  /** The frame's own checksum (its last 4 bytes, when its header says it has one; zstd checked it) against the seek table's. */
  private async compareChecksum(want: number): Promise<void> {
    const head = Buffer.alloc(5);
    await this.handle.read(head, 0, 5, this.f.offset);
    if ((head[4]! & 0x04) === 0) return; // no checksum in the frame: nothing to compare
    const tail = Buffer.alloc(4);
    await this.handle.read(tail, 0, 4, this.f.offset + this.f.compressed - 4);
    if (tail.readUInt32LE(0) !== want) throw invalid(this.label, 'its checksum differs from the seek table\'s');
  }

  /** Decompress the next bytes of the frame into `out`; returns how many (0 once the frame has ended). */
  async next(out: Buffer): Promise<number> {
    if (this.ended) return 0;
    for (;;) {
      if (this.inPos - this.inputAt >= this.input.length && this.inPos < this.f.compressed) {
        const want = Math.min(this.inBuf.length, this.f.compressed - this.inPos);
        const { bytesRead } = await this.handle.read(this.inBuf, 0, want, this.f.offset + this.inPos);
        if (bytesRead === 0) throw invalid(this.label, 'the file ends inside it (truncated)');
        this.input = this.inBuf.subarray(0, bytesRead);
        this.inputAt = this.inPos;
      }
      const src = this.input.subarray(this.inPos - this.inputAt);
      let ret: number, produced: number, consumed: number;
      try {
        [ret, produced, consumed] = this.dctx.decompressStream(out, src);
      } catch (err) {
        const m = (err as Error).message;
        const why = /memory/i.test(m) ? `it needs a window larger than ${2 ** WINDOW_LOG_MAX / 1024 / 1024} MiB to decompress (zstd --long above 27); exhibit decodes with at most that` : `it does not decompress (${zstdFailureWords(m)}): damaged`;
        throw invalid(this.label, why, err);
      }
      this.inPos += consumed;
      this.outPos += produced;
      const known = this.f.decompressed !== UNKNOWN;
      if (known && this.outPos > this.f.decompressed) throw invalid(this.label, `it decompresses to more than the ${this.f.decompressed} bytes ${this.f.declaredBy} declares`);
      if (ret === 0) {
        if (this.inPos !== this.f.compressed) throw invalid(this.label, `it ends after ${this.inPos} of its ${this.f.compressed} stored bytes: damaged`);
        if (known && this.outPos !== this.f.decompressed) throw invalid(this.label, `it decompresses to ${this.outPos} bytes, ${this.f.declaredBy} declares ${this.f.decompressed}`);
        if (this.f.tableChecksum !== undefined) await this.compareChecksum(this.f.tableChecksum);
        this.ended = true;
        return produced;
      }
      if (produced > 0) return produced;
      if (consumed === 0 && this.inPos >= this.f.compressed) throw invalid(this.label, 'its stored bytes end before the frame does: damaged');
    }
  }
}

export class ZstdStreamReader extends ZstdFacts implements ImageReader {
  readonly files: readonly string[];
  readonly size: number;
  readonly unitBytes = undefined;
  /** Random reads each cost up to a frame's decompression: not for a mount. */
  readonly sequentialOnly = true;
  private readonly out = Buffer.allocUnsafe(STEP);
  private readonly inBuf = Buffer.allocUnsafe(STEP);
  private cursor: FrameCursor | undefined;
  /** Media bytes of `cursor`'s frame in `out` after its last call: [outStart, outStart + outLength). */
  private outStart = 0;
  private outLength = 0;

  private constructor(
    private readonly file: string,
    private readonly handle: fsp.FileHandle,
    readonly frames: readonly StreamFrame[],
  ) {
    super();
    this.files = [file];
    const last = frames[frames.length - 1];
    this.size = last ? last.mediaStart + last.decompressed : 0;
  }

  /** Frames found by a scan (image/zstd/scan.ts); those without a content size are decompressed once to learn it. */
  static async open(file: string, handle: fsp.FileHandle, entries: readonly FrameEntry[], table?: { checksums: boolean }): Promise<ZstdStreamReader> {
    const frames: StreamFrame[] = [];
    let media = 0;
    const counter = Buffer.allocUnsafe(STEP);
    const inBuf = Buffer.allocUnsafe(STEP);
    for (const [i, e] of entries.entries()) {
      const f: StreamFrame = { offset: e.offset!, compressed: e.compressed, mediaStart: media, decompressed: e.noContentSize ? UNKNOWN : e.decompressed, declaredBy: table ? 'the seek table' : 'its header', ...(table?.checksums ? { tableChecksum: e.checksum } : {}) };
      if (e.noContentSize || e.decompressed === 0) {
        const c = new FrameCursor(i, f, handle, `frame ${i} (at byte ${f.offset}) in ${file}`, inBuf);
        let n = 0;
        for (let got = await c.next(counter); got > 0; got = await c.next(counter)) n += got;
        f.decompressed = n;
      }
      // An empty frame (pzstd ends every file with one; `zstd < /dev/null` writes one) holds no media: it
      // was decoded whole just above, so a damaged one is still found, and is then passed over.
      if (f.decompressed === 0) continue;
      frames.push(f);
      media += f.decompressed;
    }
    return new ZstdStreamReader(file, handle, frames);
  }

  private label(i: number): string {
    const f = this.frames[i]!;
    return `frame ${i} (media bytes ${f.mediaStart}..${f.mediaStart + f.decompressed - 1}) in ${this.file}`;
  }

  /** A cursor at the start of frame `i`. */
  private restart(i: number): FrameCursor {
    this.cursor = new FrameCursor(i, this.frames[i]!, this.handle, this.label(i), this.inBuf);
    this.outStart = 0;
    this.outLength = 0;
    return this.cursor;
  }

  /** The next decompressed bytes of the cursor's frame, in `out` (empty once it has ended). */
  private async advance(c: FrameCursor): Promise<Buffer> {
    const start = c.outPos;
    const n = await c.next(this.out);
    this.outStart = start;
    this.outLength = n;
    return this.out.subarray(0, n);
  }

  /** Every frame in order, in pieces of up to 4 MiB; a frame that fails yields its error for the rest of its bytes. */
  async *units(): AsyncGenerator<ScannedUnit> {
    for (let i = 0; i < this.frames.length; i++) {
      const f = this.frames[i]!;
      const c = this.restart(i);
      for (;;) {
        const at = c.outPos;
        let piece: Buffer;
        try {
          piece = await this.advance(c);
        } catch (err) {
          if (!(err instanceof ExhibitError) || err.code !== 'IMAGE_INVALID') throw err;
          const done = Math.min(at, f.decompressed);
          this.cursor = undefined;
          // The frame's bytes given already are in doubt too (its checksum is checked at its end): the damage is the whole frame.
          yield { start: f.mediaStart + done, bytes: f.decompressed - done, file: this.file, index: i, error: err, damagedFrom: f.mediaStart };
          break;
        }
        if (piece.length === 0) break;
        yield at === 0 ? { start: f.mediaStart, data: piece } : { start: f.mediaStart + at, data: piece, continues: true };
      }
    }
  }

  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    const end = Math.min(offset + length, this.size);
    let pos = offset;
    while (pos < end) {
      const i = lastAtOrBefore(this.frames, (f) => f.mediaStart, pos);
      const f = this.frames[i]!;
      const want = pos - f.mediaStart; // within the frame
      let c = this.cursor;
      // Bytes still in the output buffer serve; going back in the frame starts it again.
      if (!c || c.index !== i || want < this.outStart) c = this.restart(i);
      const cursor = c;
      try {
        while (want >= this.outStart + this.outLength) {
          const got = await this.advance(cursor);
          if (got.length === 0) throw invalid(this.label(i), `it ends before media byte ${pos}`);
        }
        const from = want - this.outStart;
        const n = Math.min(end - pos, this.outLength - from);
        into.set(this.out.subarray(from, from + n), pos - offset);
        pos += n;
        // The frame's last byte given: its end (and checksum) is reached before the bytes are, or its damage would go unseen.
        if (want + n === f.decompressed && !cursor.ended) while ((await this.advance(cursor)).length > 0);
      } catch (err) {
        this.cursor = undefined;
        throw err instanceof ExhibitError && err.code === 'IMAGE_INVALID' ? withDamagedRange(err, f.mediaStart, f.mediaStart + f.decompressed - 1) : err;
      }
    }
    return Math.max(0, end - offset);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
