import type fs from 'node:fs/promises';
import { openInput } from '../../core/input-file.js';
import path from 'node:path';
import { lastAtOrBefore } from '../../core/search.js';
import { ExhibitError } from '../../core/errors.js';
import type { FormatName, ImageErrorRange, ImageReader, IntegrityUnitKind, ScannedUnit, UnitsOptions } from '../types.js';

/** Raw media is checked in pieces this large (a piece that cannot be read is reported as a range). */
const PIECE = 4 * 1024 * 1024;

/**
 * Reads media stored verbatim in one file or in consecutive segment files.
 */
export class RawReader implements ImageReader {
  readonly warnings: string[] = [];
  readonly sectorSize = undefined;
  readonly storedHashes = {};
  readonly caseFacts = undefined;
  /** Empty: raw media keeps no list; a ddrescue mapfile beside it may give one (image/foreign-map.ts, set by openImage). */
  errorRanges: ImageErrorRange[] = [];
  errorRangesFrom?: string;
  readonly unitKind: IntegrityUnitKind = 'range';
  readonly unitBytes = undefined;

  private constructor(
    readonly format: FormatName,
    readonly files: readonly string[],
    private readonly handles: fs.FileHandle[],
    private readonly starts: number[], // media offset where each file begins
    readonly size: number,
  ) {}

  static async open(files: readonly string[], format: FormatName = files.length > 1 ? 'split-raw' : 'raw'): Promise<RawReader> {
    const handles: fs.FileHandle[] = [];
    const starts: number[] = [];
    let size = 0;
    try {
      for (const f of files) {
        const h = await openInput(f);
        handles.push(h);
        starts.push(size);
        size += (await h.stat()).size;
      }
    } catch (err) {
      await Promise.all(handles.map((h) => h.close()));
      throw err;
    }
    return new RawReader(format, files.map((f) => path.resolve(f)), handles, starts, size);
  }

  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    let done = 0;
    const end = Math.min(offset + length, this.size);
    let pos = offset;
    while (pos < end) {
      const i = lastAtOrBefore(this.starts, (x) => x, pos);
      const fileEnd = i + 1 < this.starts.length ? this.starts[i + 1]! : this.size;
      const want = Math.min(end, fileEnd) - pos;
      const { bytesRead } = await this.handles[i]!.read(into, done, want, pos - this.starts[i]!);
      if (bytesRead === 0) break;
      done += bytesRead;
      pos += bytesRead;
    }
    return done;
  }

  /**
   * The media in 4 MiB pieces, read into the room given when it holds the piece (see
   * core/hash-stream.ts), else into one buffer, reused, no larger than the media; a piece that cannot
   * be read whole comes with its error.
   */
  async *units(o?: UnitsOptions): AsyncGenerator<ScannedUnit> {
    let own: Buffer | undefined;
    for (let pos = 0; pos < this.size; ) {
      const want = Math.min(PIECE, this.size - pos);
      const room = o?.room?.();
      const buf = room && room.length >= want ? room : (own ??= Buffer.allocUnsafe(Math.max(1, Math.min(PIECE, this.size))));
      let n: number;
      try {
        n = await this.read(buf, pos, want);
        if (n !== want) throw new ExhibitError('IMAGE_INVALID', `the image ends at byte ${pos + n}, short of its ${this.size} bytes`);
      } catch (err) {
        yield { start: pos, bytes: want, file: this.files[0] ?? '', index: pos, error: err };
        pos += want;
        continue;
      }
      yield { start: pos, data: buf.subarray(0, n) };
      pos += want;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.close()));
  }
}
