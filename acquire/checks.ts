/** Refusals made before a byte of the source is read. */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { describeSystemError, ExhibitError } from '../core/errors.js';
import { EVIDENCE_DIR_MODE } from '../core/modes.js';
import { checkText } from '../core/text.js';

export { checkText };
import { formatBytes } from '../core/units.js';
import { isImageFileOf } from '../image/names.js';
import { syncDirectory } from '../image/output-file.js';

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Evidence ids become file names: letters, digits, dot, dash and underscore only. */
export function checkEvidenceId(id: string): void {
  if (!isSafeEvidenceId(id)) {
    throw new ExhibitError('USAGE', `evidence id "${id}" cannot be used as a file name`, {
      hints: ['use letters, digits, dot, dash and underscore, starting with a letter or digit (for example EV-001 or 2026-0117.HDD1)'],
    });
  }
}

export function isSafeEvidenceId(id: string): boolean {
  return SAFE_ID.test(id) && !id.includes('..');
}

/**
 * A file name made from text that is not one (another tool's evidence number: empty, blank, `Item 3/B`):
 * each run of other characters becomes one dash, dots never come in pairs, and the ends are letters or
 * digits. Empty when nothing usable is left.
 */
export function safeEvidenceName(text: string): string {
  const s = text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 100)
    .replace(/[^A-Za-z0-9]+$/, '');
  return isSafeEvidenceId(s) ? s : '';
}

/** The nearest folder that exists on the way to `dir` (where room and device are measured). */
export async function existingAncestor(dir: string): Promise<string> {
  let p = path.resolve(dir);
  while (!fs.existsSync(p)) p = path.dirname(p);
  const st = await fsp.stat(p);
  if (!st.isDirectory()) throw new ExhibitError('OUTPUT_NOT_DIRECTORY', `the output ${p} is a file, not a folder`);
  return p;
}

/**
 * Refuse when any of `names`, or any file that looks like part of an image of
 * this evidence (`<evidence>.raw`, `.<digits>`, `.E01`...), is already there: a
 * stray old segment beside a new set would be read as part of it.
 */
export function refuseExisting(outDir: string, evidence: string, names: string[]): void {
  if (!fs.existsSync(outDir)) return;
  // lstat: a name taken by a symbolic link, even one that leads nowhere, is taken.
  const present = [...names.filter((n) => fs.lstatSync(path.join(outDir, n), { throwIfNoEntry: false }) !== undefined), ...fs.readdirSync(outDir).filter((n) => isImageFileOf(n, evidence)).sort()];
  if (present.length > 0) {
    throw new ExhibitError('OUTPUT_EXISTS', `${path.join(outDir, present[0]!)} already exists; exhibit never overwrites an image or its record`, {
      hints: ['choose another --out folder or another --evidence id'],
    });
  }
}

/** Create the output folder (and its parents), durably; refuse one that cannot be written. */
export async function prepareOutputDir(outDir: string): Promise<void> {
  let existing = outDir;
  while (!fs.existsSync(existing)) existing = path.dirname(existing);
  try {
    await fsp.mkdir(outDir, { recursive: true, mode: EVIDENCE_DIR_MODE });
    await fsp.access(outDir, fs.constants.W_OK);
    // A new folder survives a power cut only once its entry in its parent is on disk.
    for (let d = outDir; d !== existing; d = path.dirname(d)) await syncDirectory(path.dirname(d));
  } catch (err) {
    throw new ExhibitError('OUTPUT_WRITE', `cannot write to the output folder ${outDir}: ${describeSystemError(err)}`, { cause: err });
  }
}

export async function refuseNoRoom(outDir: string, needed: number): Promise<void> {
  const at = await existingAncestor(outDir);
  const st = await fsp.statfs(at);
  const free = Number(st.bavail) * Number(st.bsize);
  if (free < needed) {
    throw new ExhibitError('OUTPUT_NO_ROOM', `the destination has ${formatBytes(free)} free but the image needs ${formatBytes(needed)}`, {
      hints: ['write to a larger drive, or make room and run the same command again'],
    });
  }
}
