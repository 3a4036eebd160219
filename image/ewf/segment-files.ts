/**
 * Finding and opening the segment files of an EWF image: their names (.E01 to
 * .E99, then .EAA on), and each file's 13-byte header, which must carry the
 * EWF signature and the segment's number.
 */
import fs from 'node:fs';
import type fsp from 'node:fs/promises';
import { describeSystemError, ExhibitError } from '../../core/errors.js';
import { openInput } from '../../core/input-file.js';
import { FILE_HEADER_SIZE, FILE_SIGNATURE } from './layout.js';
import { readMeta, type Segment } from './model.js';
import { invalid } from './sections.js';

/** A first segment's name: the prefix up to the dot, and the letter (E, e, S or s) before 01. */
export const SEGMENT_ONE = /^(.*\.)([EeSs])01$/;

/** Segment file names: .E01-.E99, then .EAA-.EZZ, .FAA-.ZZZ (SMART: .s01, .saa ...), keeping the first file's letter case. */
export function segmentPath(prefix: string, letter: string, n: number): string | undefined {
  let ext: string;
  if (n <= 99) ext = `${letter}${String(n).padStart(2, '0')}`;
  else {
    let k = n - 100;
    const third = k % 26;
    k = Math.floor(k / 26);
    const second = k % 26;
    k = Math.floor(k / 26);
    const first = letter.toUpperCase().charCodeAt(0) - 65 + k;
    if (first > 25) return undefined;
    ext = String.fromCharCode(65 + first, 65 + second, 65 + third);
    if (letter !== letter.toUpperCase()) ext = ext.toLowerCase();
  }
  return prefix + ext;
}

/** Segment `n` beside the first, in the first file's letter case or the other. */
export function findSegment(prefix: string, letter: string, n: number): string | undefined {
  for (const l of [letter, letter === letter.toUpperCase() ? letter.toLowerCase() : letter.toUpperCase()]) {
    const p = segmentPath(prefix, l, n);
    if (p && fs.existsSync(p)) return p;
  }
  return undefined;
}

/**
 * Open segment `n` and check its file header. The segment is added to
 * `opened` as soon as its file is open, so the caller closes it whatever
 * goes wrong after.
 */
export async function openSegment(file: string, n: number, opened: Segment[]): Promise<Segment> {
  let handle: fsp.FileHandle;
  try {
    handle = await openInput(file);
  } catch (err) {
    if (err instanceof ExhibitError) throw err;
    throw invalid(file, `cannot open segment ${n}: ${describeSystemError(err)}`, err);
  }
  let size: number;
  try {
    size = (await handle.stat()).size;
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw invalid(file, `cannot read: ${describeSystemError(err)}`, err);
  }
  const segment: Segment = { path: file, handle, size, sections: [] };
  opened.push(segment);
  if (size < FILE_HEADER_SIZE) throw invalid(file, size === 0 ? 'empty file, not an EWF segment' : `only ${size} bytes, too short for an EWF segment`);
  const h = await readMeta(segment, 0, FILE_HEADER_SIZE, `file header of ${file}`);
  if (!h.subarray(0, 8).equals(FILE_SIGNATURE)) {
    if (h.toString('latin1', 0, 3) === 'LVF') throw invalid(file, 'a logical evidence file (L01), not a disk image');
    throw invalid(file, `not an EWF segment file (signature ${h.toString('hex', 0, 8)})`);
  }
  if (h[8] !== 1) throw invalid(file, `unexpected file header field ${h[8]} at offset 8`);
  const number = h.readUInt16LE(9);
  if (number !== n) throw invalid(file, `holds segment ${number} but segment ${n} belongs here (files renamed, out of order, or from another image)`);
  return segment;
}
