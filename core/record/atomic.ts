/**
 * Writing exhibit's own files atomically (records, journals, locks, custody
 * copies): a temporary file in the same folder, fsync, then put in place
 * without ever replacing an existing file unless asked, and the folder fsynced.
 */
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describeSystemError, ExhibitError } from '../errors.js';
import { EVIDENCE_FILE_MODE } from '../modes.js';

/** Remove what writeFileAtomic leaves behind when killed mid-write (`.<name>.<pid>.tmp`) for the given target names in `dir`. */
export async function removeAtomicLeftovers(dir: string, targets: readonly string[]): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  const prefixes = targets.map((n) => `.${n}.`);
  for (const n of names) {
    if (/\.\d+\.tmp$/.test(n) && prefixes.some((p) => n.startsWith(p))) await fs.rm(path.join(dir, n), { force: true });
  }
}

/**
 * Write `text` (or bytes) to `target` atomically: a temporary file in the same folder,
 * fsync, rename over nothing (refuses if `target` exists unless `replace`),
 * then fsync the folder.
 */
export async function writeFileAtomic(target: string, text: string | Uint8Array, replace = false): Promise<void> {
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.tmp`);
  const h = await fs.open(tmp, 'wx', EVIDENCE_FILE_MODE);
  try {
    await (typeof text === 'string' ? h.writeFile(text, 'utf8') : h.writeFile(text));
    await h.sync();
  } catch (err) {
    await h.close();
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await h.close();
  try {
    if (!replace) {
      // link() fails with EEXIST where rename() would silently replace. File
      // systems without hard links (exFAT, FAT) fall back to check-then-rename.
      try {
        await fs.link(tmp, target);
        await fs.unlink(tmp);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
        if (await fs.stat(target).then(() => true, () => false)) throw Object.assign(new Error(`${target} exists`), { code: 'EEXIST' });
        await fs.rename(tmp, target);
      }
    } else {
      await fs.rename(tmp, target);
    }
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  const d = await fs.open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/**
 * Create `file` (never replacing one: EEXIST is thrown as it is), write every byte of `data`
 * (a write that stops short, as on a full disk, goes on until done or failed), fsync; any failure
 * removes the file, so a name never stands for cut-short bytes. Errors are the system's, for the
 * caller to word.
 */
export function writeNewFileSync(file: string, data: string | Uint8Array, mode: number = EVIDENCE_FILE_MODE): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = fsSync.openSync(file, 'wx', mode);
  try {
    for (let at = 0; at < bytes.length; ) at += fsSync.writeSync(fd, bytes, at, bytes.length - at);
    fsSync.fsyncSync(fd);
  } catch (err) {
    try {
      fsSync.closeSync(fd);
    } finally {
      fsSync.rmSync(file, { force: true });
    }
    throw err;
  }
  fsSync.closeSync(fd);
}

/** writeNewFileSync for a file the user named (a report, a register, a key): refusals in exhibit's words. */
export function writeNewOutputSync(file: string, data: string | Uint8Array, mode?: number): void {
  try {
    writeNewFileSync(file, data, mode);
  } catch (err) {
    const exists = (err as { code?: string }).code === 'EEXIST';
    throw new ExhibitError(exists ? 'OUTPUT_EXISTS' : 'OUTPUT_WRITE', `cannot write ${file}: ${describeSystemError(err)}`, { cause: err });
  }
}
