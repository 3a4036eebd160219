import fs from 'node:fs/promises';
import path from 'node:path';
import { describeSystemError, errnoOf, ExhibitError } from '../core/errors.js';
import { EVIDENCE_FILE_MODE } from '../core/modes.js';

/**
 * One output file, created on the first write with O_CREAT|O_EXCL so that an
 * existing file is never replaced and an early failure leaves no empty file.
 * Writes are sequential; `sync` fsyncs the file and, the first time, its folder
 * (so the new directory entry is durable too).
 */
export class OutputFile {
  private handle: fs.FileHandle | undefined;
  private dirSynced = false;
  size = 0;

  private adopt = false;

  constructor(readonly filePath: string) {}

  /**
   * An existing file of an interrupted image: it is opened read-write, cut to
   * `keep` bytes (what the last safe point covers), and appended to.
   */
  static async adopt(filePath: string, keep: number): Promise<OutputFile> {
    const f = new OutputFile(filePath);
    f.adopt = true;
    const h = await f.open();
    try {
      await h.truncate(keep);
      await h.sync();
    } catch (err) {
      throw outputError(err, filePath, 'write');
    }
    f.size = keep;
    f.dirSynced = true;
    return f;
  }

  get name(): string {
    return path.basename(this.filePath);
  }

  get opened(): boolean {
    return this.handle !== undefined;
  }

  private async open(): Promise<fs.FileHandle> {
    if (this.handle) return this.handle;
    try {
      this.handle = await fs.open(this.filePath, this.adopt ? 'r+' : 'wx', EVIDENCE_FILE_MODE);
    } catch (err) {
      throw outputError(err, this.filePath, 'create');
    }
    return this.handle;
  }

  async write(data: Uint8Array): Promise<void> {
    const h = await this.open();
    let done = 0;
    while (done < data.length) {
      let n: number;
      try {
        ({ bytesWritten: n } = await h.write(data, done, data.length - done, this.size));
      } catch (err) {
        throw outputError(err, this.filePath, 'write');
      }
      done += n;
      this.size += n;
    }
  }

  /** Append several buffers with one system call (writev). */
  async writev(parts: Uint8Array[]): Promise<void> {
    if (parts.length === 0) return;
    const h = await this.open();
    let total = 0;
    for (const p of parts) total += p.length;
    let written: number;
    try {
      ({ bytesWritten: written } = await h.writev(parts, this.size));
    } catch (err) {
      throw outputError(err, this.filePath, 'write');
    }
    this.size += written;
    if (written < total) {
      // A short writev (rare, e.g. a signal): finish the rest piece by piece.
      let skip = written;
      for (const p of parts) {
        if (skip >= p.length) {
          skip -= p.length;
          continue;
        }
        await this.write(p.subarray(skip));
        skip = 0;
      }
    }
  }

  /** Overwrite bytes already written (a section descriptor completed after its data). */
  async writeAt(position: number, data: Uint8Array): Promise<void> {
    if (position + data.length > this.size) throw new ExhibitError('INTERNAL', `writeAt past the end of ${this.filePath}`);
    const h = await this.open();
    let done = 0;
    try {
      while (done < data.length) done += (await h.write(data, done, data.length - done, position + done)).bytesWritten;
    } catch (err) {
      throw outputError(err, this.filePath, 'write');
    }
  }

  async sync(): Promise<void> {
    if (!this.handle) return;
    try {
      await this.handle.sync();
      if (!this.dirSynced) {
        await syncDirectory(path.dirname(this.filePath));
        this.dirSynced = true;
      }
    } catch (err) {
      throw outputError(err, this.filePath, 'sync');
    }
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    if (h) await h.close();
  }
}

/** fsync a folder so that files created or renamed in it survive a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const d = await fs.open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

export function outputError(err: unknown, filePath: string, action: 'create' | 'write' | 'sync'): ExhibitError {
  if (err instanceof ExhibitError) return err;
  const code = errnoOf(err);
  if (code === 'EEXIST') {
    return new ExhibitError('OUTPUT_EXISTS', `${filePath} already exists; exhibit never overwrites an image`, { cause: err });
  }
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') {
    return new ExhibitError('OUTPUT_NO_ROOM', `cannot ${action} ${filePath}: ${describeSystemError(err)}`, { cause: err });
  }
  return new ExhibitError('OUTPUT_WRITE', `cannot ${action} ${filePath}: ${describeSystemError(err)}`, { cause: err });
}
