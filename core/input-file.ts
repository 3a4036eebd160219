/**
 * Opening a file exhibit reads (an image file, a record, a custody log, a key,
 * a template, a passphrase): only a regular file, or a block device where one
 * is allowed. A named pipe would block open() and every read until someone
 * writes to it, a character device can act on being opened, and a socket cannot
 * be opened at all; so the name is checked first, the file is opened with
 * O_NONBLOCK (which never waits, and does nothing to a regular file), and what
 * was opened is checked again (the name could have been swapped in between).
 * Errors from the system (ENOENT, EACCES...) are thrown as they are, for the
 * caller to word; a file of the wrong kind is an ExhibitError naming it.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { ExhibitError, type ErrorCode } from './errors.js';

export interface InputOptions {
  /** A block device is acceptable too (a drive read as a source). */
  allowBlock?: boolean;
  /** The error code for a file of the wrong kind; IMAGE_INVALID unless said. */
  code?: ErrorCode;
  /** Refuse a file larger than this (readInputSync), with its size and what it is: `{ bytes, what }`. */
  max?: { bytes: number; what: string };
}

const FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY;

/** How much of a file that says it is empty is read, when no limit is given (see readInputSync). */
const UNSIZED_LIMIT = 64 * 1024 * 1024;

/** What a file is, in plain words: "a named pipe (FIFO)", "a socket", "a folder"... */
export function kindOf(st: fs.Stats | fs.BigIntStats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a file';
}

function check(file: string, st: fs.Stats, o: InputOptions): void {
  if (st.isFile() || (o.allowBlock === true && st.isBlockDevice())) return;
  throw new ExhibitError(o.code ?? 'IMAGE_INVALID', `${file} is ${kindOf(st)}, not a regular file${o.allowBlock === true ? ' or a block device' : ''}`);
}

/** stat(2) of `file`; a link to nothing is said in words (a file not there stays ENOENT, which callers test). */
async function statNamed(file: string, o: InputOptions): Promise<fs.Stats> {
  try {
    return await fsp.stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || (await fsp.lstat(file).catch(() => undefined))?.isSymbolicLink() !== true) throw err;
    throw new ExhibitError(o.code ?? 'IMAGE_INVALID', `${file} is a link to ${await fsp.readlink(file).catch(() => '?')}, which does not exist`, { cause: err });
  }
}

/** Open `file` for reading, if it is a regular file (or a block device, when allowed). */
export async function openInput(file: string, o: InputOptions = {}): Promise<fsp.FileHandle> {
  check(file, await statNamed(file, o), o);
  const h = await fsp.open(file, FLAGS);
  try {
    check(file, await h.stat(), o);
  } catch (err) {
    await h.close();
    throw err;
  }
  return h;
}

/** The whole of `file`, read the same careful way (small files: records, logs, keys, templates). */
export function readInputSync(file: string, o: InputOptions = {}): Buffer {
  check(file, fs.statSync(file), o);
  const fd = fs.openSync(file, FLAGS);
  try {
    const st = fs.fstatSync(fd);
    check(file, st, o);
    const tooLarge = (bytes: string) => new ExhibitError(o.code ?? 'IMAGE_INVALID', `${file} is ${bytes} bytes, more than exhibit reads as ${o.max!.what} (${o.max!.bytes} bytes)`);
    if (o.max && st.size > o.max.bytes) throw tooLarge(String(st.size));
    // A file that says it is empty may be a kernel's (/proc/self/pagemap reads out hundreds of GiB behind
    // a size of 0): it is read up to its limit, and refused past it, whatever its size says.
    if (st.size === 0) {
      const limit = o.max?.bytes ?? UNSIZED_LIMIT;
      const buf = Buffer.allocUnsafe(Math.min(Math.ceil((limit + 1) / 4096) * 4096, 1024 * 1024)); // whole pages: some kernel files read only in whole records
      const parts: Buffer[] = [];
      let total = 0;
      for (let n = fs.readSync(fd, buf, 0, buf.length, null); n > 0; n = fs.readSync(fd, buf, 0, buf.length, null)) {
        total += n;
        if (total > limit) {
          if (o.max) throw tooLarge(`more than ${limit}`);
          throw new ExhibitError(o.code ?? 'IMAGE_INVALID', `${file} says it is empty but reads on past ${limit} bytes: not a file exhibit reads`);
        }
        parts.push(Buffer.from(buf.subarray(0, n)));
      }
      return Buffer.concat(parts);
    }
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The same, as UTF-8 text. */
export function readInputTextSync(file: string, o: InputOptions & { strictUtf8?: boolean } = {}): string {
  const bytes = readInputSync(file, o);
  if (!o.strictUtf8) return bytes.toString('utf8');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ExhibitError(o.code ?? 'IMAGE_INVALID', `${file} is not UTF-8 text (exhibit reads it as UTF-8, and will not guess at other bytes)`);
  }
}

/** The whole of `file`, asynchronously. */
export async function readInput(file: string, o: InputOptions = {}): Promise<Buffer> {
  const h = await openInput(file, o);
  try {
    return await h.readFile();
  } finally {
    await h.close();
  }
}
