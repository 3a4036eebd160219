/**
 * What verify is pointed at (an image, its record, or their folder) and the
 * checks of the set of files against the record; split from verify.ts.
 */
import fs from 'node:fs';
import { checkMapFile } from './map-check.js';
import path from 'node:path';
import { describeSystemError, ExhibitError, refuseEmptyName } from '../core/errors.js';
import { evidenceOfLockFileName } from '../core/process-owner.js';
import { evidenceOfRecordName, isRecordFileName, journalFileName, type AcquisitionRecord } from '../core/record.js';
import { readRecord, type ReadRecord } from '../core/record/read.js';
import { imageFileName, isFirstImageFile, isImageFileOf } from '../image/names.js';
import { refuseWhileWritten } from '../image/open.js';
import type { ImageReader } from '../image/types.js';
import type { StoreView } from './anchor.js';

export interface Target {
  image: string;
  record?: string;
  /** The record as read when the target was resolved (read once: what names the image is what is checked). */
  read?: ReadRecord | Error;
}

/** What to verify: an image file, the record beside one, or the folder holding them. */
export function resolveTarget(target: string): Target {
  refuseEmptyName(target, 'image, record or folder');
  let st: fs.Stats;
  try {
    st = fs.statSync(target);
  } catch (err) {
    throw new ExhibitError('NOT_FOUND', `cannot read ${target}: ${describeSystemError(err)}`, { cause: err });
  }
  if (st.isDirectory()) {
    const names = fs.readdirSync(target);
    // A folder another run is still writing into holds no finished image yet (its record is a placeholder):
    // the locks of the evidence its records and images are of are heeded, not a lock of some other name.
    const evidences = new Set(names.flatMap((n) => (isRecordFileName(n) ? [evidenceOfRecordName(n)] : isFirstImageFile(n) ? [imageFileName(n)!.base] : [])));
    for (const n of names) {
      const evidence = evidenceOfLockFileName(n);
      if (evidence !== undefined && evidences.has(evidence)) refuseWhileWritten(`the image of ${evidence} in ${target}`, target, evidence);
    }
    const records = names.filter(isRecordFileName);
    if (records.length > 1) throw new ExhibitError('USAGE', `${target} holds ${records.length} acquisition records`, { hints: [`name one: ${records.join(', ')}`] });
    if (records.length === 1) return fromRecord(path.join(target, records[0]!));
    const images = names.filter(isFirstImageFile);
    if (images.length !== 1) throw new ExhibitError('USAGE', `${target} holds ${images.length === 0 ? 'no image' : `${images.length} images`} and no acquisition record`, { hints: ['name the image file to verify'] });
    return { image: path.join(target, images[0]!) };
  }
  if (isRecordFileName(target)) {
    refuseWhileWritten(target, path.dirname(target), evidenceOfRecordName(target));
    return fromRecord(target);
  }
  return { image: target };
}

/**
 * The image a record belongs to. A record that cannot be read is a failed verification (exit 4)
 * however it was found: named, in a folder, or beside an image. Its image is then found by name,
 * so the rest is still checked; without one, the damaged record is the whole answer.
 */
function fromRecord(file: string): Target {
  const stem = evidenceOfRecordName(file);
  const dir = path.dirname(file);
  /** The record cannot be taken as it stands: the image is found by name, so the rest is still checked. */
  const byName = (err: unknown): Target => {
    const images = fs.readdirSync(dir).filter((n) => isImageFileOf(n, stem) && isFirstImageFile(n)).sort();
    if (images.length === 0) throw new ExhibitError('VERIFY_FAILED', err instanceof Error ? err.message : String(err), { cause: err });
    return { image: path.join(dir, images[0]!), record: file, read: err instanceof Error ? err : new Error(String(err)) };
  };
  let read: ReadRecord;
  try {
    read = readRecord(file);
  } catch (err) {
    return byName(err);
  }
  const first = read.record.image.files[0]?.name; // a plain file name: the record's check makes sure
  if (first === undefined && read.record.result === 'incomplete') {
    const why = typeof read.record.incomplete_reason === 'string' && read.record.incomplete_reason !== '' ? ` (${read.record.incomplete_reason})` : '';
    // The placeholder an acquisition writes before its first byte, beside the journal it resumes from: no image has been finished to check.
    // (A journal is a regular file exhibit wrote: anything else of its name, a folder or a link, is not one.)
    if (fs.lstatSync(path.join(dir, journalFileName(stem)), { throwIfNoEntry: false })?.isFile() === true) {
      throw new ExhibitError('VERIFY_FAILED', `the record ${file} is of an acquisition that did not finish${why}: there is no finished image to verify`, {
        hints: [`if it stopped, resume it with: exhibit acquire --resume ${dir}`],
      });
    }
    // With no journal it is not an acquisition that can still finish: a placeholder put where a record was is checked as a damaged record.
    return byName(new Error(`the record ${file} says the acquisition did not finish${why} and lists no image file, but no resume journal is beside it: it is not the record of the image here`));
  }
  if (first === undefined) throw new ExhibitError('VERIFY_FAILED', `the record ${file} names no image file in its folder`);
  return { image: path.join(path.dirname(file), first), record: file, read };
}

/** The store's log for the first of these case numbers that the store holds. */
export function storeLogFor(store: StoreView, cases: readonly (string | undefined)[], files: readonly (string | undefined)[] = [], problems: string[] = []): ReturnType<StoreView['caseLog']> {
  for (const n of cases) {
    if (typeof n !== 'string' || n.trim() === '') continue;
    const found = store.caseLog(n.trim());
    if (found) return found;
  }
  // The names are the image's to choose: a store that logged these very files (by their path) holds
  // the reference for them whatever case the image now names. An image that names another case is
  // not the one logged there (a substitute, or a folder used again for another case): one problem
  // says so. One that names none (a bare image) is checked against what was logged there.
  for (const f of files) {
    const c = f ? store.caseOfFile?.(path.resolve(f)) : undefined;
    const found = c ? store.caseLog(c) : undefined;
    if (!found) continue;
    const said = [...new Set(cases.filter((n): n is string => typeof n === 'string' && n.trim() !== '').map((n) => n.trim()))];
    if (said.length > 0) {
      problems.push(`this case store logged ${path.basename(f!)} at this path in case ${found.case}, but the image here names case ${said.join(', ')}: it is not the image logged there; if the folder was used again for another case, verify it where that case is held, or with --key or --trust for its examiner`);
      return undefined;
    }
    problems.push(`this case store logged ${path.basename(f!)} at this path in case ${found.case}, and the image names no case: it is checked against case ${found.case}'s log`);
    return found;
  }
  return undefined;
}

/** A problem for a case number the image names that only looks like one the store holds (a look-alike character): the store's reference would be missed. */
export function lookAlikeCases(store: StoreView, cases: readonly (string | undefined)[], what = 'this image'): string[] {
  for (const n of cases) {
    if (typeof n !== 'string' || n.trim() === '') continue;
    const twin = store.lookAlikeCase?.(n.trim());
    if (twin) return [`${what} names case ${n.trim()}, which looks like case ${twin} in this case store but is another name (a look-alike character): it is not checked against the store's case`];
  }
  return [];
}

/** The files the record lists against the files the image is made of: missing, extra, misordered or resized. */
export function checkFileSet(reader: ImageReader, rec: AcquisitionRecord | undefined, problems: string[], notes: string[]): void {
  if (!rec) return;
  const dir = path.dirname(reader.files[0] ?? '.');
  strayImageFiles(dir, reader, rec, notes);
  checkMapFile(dir, rec, problems);
  const listed = rec.image.files.map((f) => f.name);
  const found = reader.files.map((f) => path.basename(f));
  // A file of another name beside the record (a copy named EV.dd, an E01 named EV.E09): none of the record's files.
  if (found.length > 0 && found.every((n) => !listed.includes(n))) {
    const what = listed.length === 1 ? listed[0]! : `${listed[0]} to ${listed[listed.length - 1]}`;
    problems.push(`${found.join(', ')} ${found.length === 1 ? 'is' : 'are'} not the image the record ${rec.evidence}.acquisition.yaml beside it describes (${what}): the record proves nothing of ${found.length === 1 ? 'it' : 'them'}; verify ${listed[0]}, or a copy of ${found.length === 1 ? 'this file' : 'these files'} in a folder of ${found.length === 1 ? 'its' : 'their'} own`);
    return;
  }
  for (const [i, name] of listed.entries()) {
    if (!fs.existsSync(path.join(dir, name))) problems.push(`${name} is missing (file ${i + 1} of the ${listed.length} the record lists)`);
    else if (!found.includes(name)) problems.push(`${name} exists but is not part of the image as it can be read (a file before it is missing or damaged)`);
    else if (found.indexOf(name) !== i) problems.push(`${name} is file ${found.indexOf(name) + 1} of the image but file ${i + 1} in the record`);
    else {
      const size = fs.statSync(path.join(dir, name)).size;
      const want = rec.image.files[i]!.size;
      if (size !== want) problems.push(`${name} holds ${size} bytes, the record says ${want}${size < want ? ' (truncated)' : ''}`);
    }
  }
  for (const name of found) if (!listed.includes(name)) problems.push(`${name} is part of the image but not in the record (an extra file)`);
}

/** The extensions an image file of any format may have (EV.raw, EV.001, EV.aa, EV.E01, EV.Ex01, EV.s01, EV.zst, EV.aff4). */
const IMAGE_FILE_EXTENSION = /^(raw|img|dd|zst|aff4?|\d{2,}|[a-z]{2}|a[a-z]{2}|[ELSels][0-9A-Za-z]{2}|[Ee]x[0-9A-Za-z]{2})$/; // not map, tsr and the like: exhibit's own files beside an image

/**
 * Files beside the image named as files of it (its evidence name, any case, and an image file's
 * extension) that the record does not list and the image does not read: a note, so none goes unsaid
 * (a copy of a segment, a segment past a gap, a split file beside a raw image).
 */
function strayImageFiles(dir: string, reader: ImageReader, rec: AcquisitionRecord, notes: string[]): void {
  const known = new Set([...rec.image.files.map((f) => f.name), ...reader.files.map((f) => path.basename(f))]);
  const stem = rec.evidence.toLowerCase();
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names.sort()) {
    const dot = name.lastIndexOf('.');
    if (dot <= 0 || known.has(name) || name.slice(0, dot).toLowerCase() !== stem || !IMAGE_FILE_EXTENSION.test(name.slice(dot + 1))) continue;
    notes.push(`${name} lies beside the image, named as one of its files, but is not part of it: the record does not list it and it was not read`);
  }
}
