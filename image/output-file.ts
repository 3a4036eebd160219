import { constants as fsConstants } from 'node:fs';
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
  /** The file's length as written: bytes and holes (see writeSparse). */
  size = 0;
  /** Where the last byte actually written ends; below `size` after a trailing hole, until `sync` sets the length. */
  private extent = 0;

  private adopt = false;
  /** Where the bytes go: the final path, or `<final>.partial` until `publishStaged` gives the file its name. */
  readonly filePath: string;
  private readonly finalName: string;

  constructor(finalPath: string, staged = false) {
    this.filePath = staged ? `${finalPath}${PARTIAL_SUFFIX}` : finalPath;
    this.finalName = path.basename(finalPath);
  }

  /**
   * An existing file of an interrupted image: it is opened read-write, cut to
   * `keep` bytes (what the last safe point covers), and appended to.
   */
  static async adopt(filePath: string, keep: number): Promise<OutputFile> {
    const f = new OutputFile(filePath);
    f.adopt = true;
    const h = await f.open();
    try {
      const st = await h.stat();
      if (!st.isFile() || st.nlink !== 1) throw new ExhibitError('RESUME_MISMATCH', `${filePath} is not the one-name regular file exhibit wrote; it is left as it is`);
      await h.truncate(keep);
      await h.sync();
    } catch (err) {
      await f.close().catch(() => undefined);
      throw outputError(err, filePath, 'write');
    }
    f.size = keep;
    f.extent = keep;
    f.dirSynced = true;
    return f;
  }

  /** The file's final name (also while it is written under `<name>.partial`). */
  get name(): string {
    return this.finalName;
  }

  get opened(): boolean {
    return this.handle !== undefined;
  }

  private async open(): Promise<fs.FileHandle> {
    if (this.handle) return this.handle;
    try {
      // An adopted file is opened without following a symbolic link: resuming cuts it back (see adopt).
      this.handle = await fs.open(this.filePath, this.adopt ? fsConstants.O_RDWR | fsConstants.O_NOFOLLOW : 'wx', EVIDENCE_FILE_MODE);
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
      this.extent = this.size;
    }
  }

  /**
   * Append `data`, leaving each aligned block of HOLE_BLOCK zero bytes as a hole: the file reads back
   * the same bytes, but the zeros take no room on a file system that keeps holes (ext4, XFS, tmpfs,
   * NFS...; others store the zeros), and are not copied through the page cache. Only for a new file
   * exhibit created (or one it adopted to resume): a hole in a file that held other bytes would keep them.
   */
  async writeSparse(data: Uint8Array): Promise<void> {
    await this.open(); // created even when every byte is zero
    const base = this.size;
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.length);
    let runStart = -1; // where the bytes to write begin, within data
    const flush = async (end: number): Promise<void> => {
      this.size = base + runStart;
      await this.write(bytes.subarray(runStart, end));
      runStart = -1;
    };
    // Blocks are aligned to the file's offsets, so a hole covers whole blocks of the file system below.
    for (let off = 0; off < bytes.length; ) {
      const end = Math.min(bytes.length, off + HOLE_BLOCK - ((base + off) % HOLE_BLOCK));
      const zero = end - off === HOLE_BLOCK && bytes.subarray(off, end).equals(ZERO_BLOCK);
      if (!zero && runStart < 0) runStart = off;
      else if (zero && runStart >= 0) await flush(off);
      off = end;
    }
    if (runStart >= 0) await flush(bytes.length);
    this.size = base + bytes.length;
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
    this.extent = this.size;
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
      if (this.extent < this.size) {
        // A trailing hole: the file's length is set before it is made durable.
        await this.handle.truncate(this.size);
        this.extent = this.size;
      }
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

/** The size of the blocks writeSparse leaves as holes when they hold only zeros. */
export const HOLE_BLOCK = 64 * 1024;
const ZERO_BLOCK = Buffer.alloc(HOLE_BLOCK);

/** An output written under `<name>.partial` is not finished: it takes its name only once checked. */
export const PARTIAL_SUFFIX = '.partial';

/**
 * Give each staged file (`<name>.partial` in `dir`) its final name, never replacing a file: a hard link
 * (which fails if the name exists) then the `.partial` name removed; where the file system has no hard
 * links, a rename after checking the name is free. The folder is synced so the names are durable.
 */
export async function publishStaged(dir: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const final = path.join(dir, name);
    const partial = `${final}${PARTIAL_SUFFIX}`;
    try {
      await fs.link(partial, final);
      await fs.unlink(partial);
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'EEXIST') throw new ExhibitError('OUTPUT_EXISTS', `${final} appeared while exhibit wrote ${partial}; exhibit never overwrites an image (the checked image is left as ${partial})`, { cause: err });
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw outputError(err, final, 'create');
      if (await fs.stat(final).then(() => true, () => false)) throw new ExhibitError('OUTPUT_EXISTS', `${final} appeared while exhibit wrote ${partial}; exhibit never overwrites an image`);
      await fs.rename(partial, final).catch((e: unknown) => {
        throw outputError(e, final, 'create');
      });
    }
  }
  if (names.length > 0) await syncDirectory(dir);
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
