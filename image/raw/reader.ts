import type fs from 'node:fs/promises';
import { openInput } from '../../core/input-file.js';
import path from 'node:path';
import { lastAtOrBefore } from '../../core/search.js';
import type { ImageFormat, ImageReader } from '../types.js';

/**
 * Reads media stored verbatim in one file or in consecutive segment files.
 */
export class RawReader implements ImageReader {
  private constructor(
    readonly format: ImageFormat,
    readonly files: readonly string[],
    private readonly handles: fs.FileHandle[],
    private readonly starts: number[], // media offset where each file begins
    readonly size: number,
  ) {}

  static async open(files: readonly string[], format: ImageFormat = files.length > 1 ? 'split-raw' : 'raw'): Promise<RawReader> {
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

  async close(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.close()));
  }
}
