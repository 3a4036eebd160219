/**
 * Open any image exhibit reads, identified by its first bytes, never by its
 * name alone: E01, seekable zstd, or raw (one file, or split .001, .002, ...)
 * when there is no known container signature. A name that disagrees with the
 * content is reported; a container exhibit does not read, or an E01 segment
 * other than the first, is named and refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExhibitError, refuseEmptyName } from '../core/errors.js';
import { openInput } from '../core/input-file.js';
import { describeOwner, liveRunIn } from '../core/process-owner.js';
import { readRecordBeside } from '../core/record/read.js';
import { isRecordFileName, recordBesideImage } from '../core/record/paths.js';
import { foreignMapBeside, sectorsIn } from './foreign-map.js';
import { RawReader } from './raw/reader.js';
import { detect, readEnds, type Detected } from './detect.js';
import { firstOfLetterSet } from './split-raw/naming.js';
import { READABLE_FORMATS, formatByName, formatsInWords, formatOf, readableFormatOf } from './registry.js';
import type { ImageErrorRange, ImageReader } from './types.js';

export interface OpenedImage {
  reader: ImageReader;
  /** The name the image's files share, without extension (what `<base>.acquisition.yaml` would be named after). */
  base: string;
  warnings: string[];
  /** Those of `warnings` that say the files are not as written (OpenedByFormat.damaged): verify fails on them. */
  damaged: string[];
  /** How the image was identified, when that is worth saying (no signature: read as raw media). */
  notes: string[];
}

export const RAW_NOTE = 'no known container signature: read as raw media';

async function sniff(p: string): Promise<Detected> {
  const h = await openInput(p);
  try {
    const { head, tail } = await readEnds(h, (await h.stat()).size);
    return detect(head, tail, READABLE_FORMATS);
  } finally {
    await h.close();
  }
}

/** For a file that a drive's copy could be: the way to read it as such. */
const RAW_HINT = 'if it is a copy of a drive (or of a file) that only begins as one does, --raw reads it as raw media';
const refuse = (what: string, hint?: string) => new ExhibitError('IMAGE_UNSUPPORTED', what, { hints: [hint ?? `exhibit reads ${formatsInWords()}`, RAW_HINT] });

/** Whether the record beside an image (`base`) says, readable and whole, that `name` is a file of a `format` image. */
function acquiredAsNamed(base: string, name: string, format: string): boolean {
  const record = readRecordBeside(base);
  return record?.image.format === format && record.image.files.some((f) => f.name === name);
}

/** Whether an acquisition record beside `file` lists it as a file of the image it describes (of any format). */
export function listedByRecordBeside(file: string): boolean {
  const p = path.resolve(file);
  const byName = formatByName(path.basename(p));
  const record = byName ? readRecordBeside(path.join(path.dirname(p), byName.base)) : undefined;
  return record?.image.files.some((f) => f.name === path.basename(p)) === true;
}

/**
 * Whether an error opening `file` is damage to an image that is there (its structure does not read, or
 * a file its record lists no longer reads as its format): verify fails it and convert meets it as
 * damage, rather than calling it a failure of exhibit or a format it does not read.
 */
export function damagedAtOpen(err: unknown, file: string): err is ExhibitError {
  if (!(err instanceof ExhibitError) || fs.statSync(file, { throwIfNoEntry: false })?.isFile() !== true) return false; // gone, a pipe, a device: not an image at all
  return err.code === 'IMAGE_INVALID' || (err.code === 'IMAGE_UNSUPPORTED' && listedByRecordBeside(file));
}

/**
 * An image (or its record) that another run on this machine is still writing is neither whole nor
 * damaged: nothing is read from it yet, and the refusal says which run and where.
 */
export function refuseWhileWritten(what: string, dir: string, evidence: string): void {
  const writing = liveRunIn(dir, evidence);
  if (!writing) return;
  if (writing.state === 'unreadable') {
    throw new ExhibitError('OUTPUT_LOCKED', `${what} may not be finished: its lock file ${writing.file} cannot be read (${writing.why}), so exhibit cannot tell whether a run still writes it`, {
      hints: [`run the command as a user who can read ${writing.file}, or, once sure no run writes it, remove that file`],
    });
  }
  if (writing.state === 'alive') {
    throw new ExhibitError('OUTPUT_LOCKED', `${what} is not finished: ${writing.task} of ${evidence} is under way in ${dir} (${describeOwner(writing.owner)}); exhibit reads nothing of it while it runs`, {
      hints: ['wait for it to end, then run the command again'],
    });
  }
  const why = writing.state === 'elsewhere' ? 'exhibit cannot tell from this machine whether it still runs' : 'it does not give that process\'s start time, so exhibit cannot tell it from another process with its number';
  throw new ExhibitError('OUTPUT_LOCKED', `${what} may not be finished: ${writing.file} says ${writing.task} of ${evidence} is under way there (${describeOwner(writing.owner)}), and ${why}`, {
    hints: [`once sure that run has ended, remove ${writing.file} and run the command again (on read-only media, copy the folder first)`],
  });
}

/** How to open an image: `raw` reads it as raw media (split raw by a .001-style name) whatever its first bytes say. */
export interface OpenImageOptions {
  raw?: boolean;
}

/** What `found` (the first bytes' verdict) says the file begins as, in words; undefined when it says nothing. */
function beginsAs(found: Detected): string | undefined {
  if (found.kind === 'format') return found.format.title;
  if (found.kind === 'unsupported') return found.what.replace(/ \(decompress it first[^)]*\)$/, ''); // what it looks like, not advice
  if (found.kind === 'later-segment') return 'a later E01 segment';
  return undefined;
}

export async function openImage(file: string, opts: OpenImageOptions = {}): Promise<OpenedImage> {
  const opened = await openByContent(file, opts);
  // Raw media another tool made (ddrescue) may have a mapfile beside it saying which areas it never read.
  const r = opened.reader;
  if ((r.format === 'raw' || r.format === 'split-raw') && r instanceof RawReader && !fs.existsSync(recordBesideImage(opened.base)) && r.files[0]) {
    const map = foreignMapBeside(r.files[0], r.size, opened.warnings);
    if (map && (map.unreadable.length > 0 || map.untried.length > 0)) {
      r.errorRanges = map.all;
      r.errorRangesFrom = `the ddrescue mapfile ${path.basename(map.file)} beside it`;
      const where = (ranges: readonly ImageErrorRange[]) => `${sectorsIn(ranges)} sectors of 512 bytes in ${ranges.length} range${ranges.length === 1 ? '' : 's'}, the first at sector ${ranges[0]!.first_sector}`;
      const said = [map.unreadable.length > 0 ? `${where(map.unreadable)} the tool could not read` : '', map.untried.length > 0 ? `${where(map.untried)} it never tried` : ''].filter(Boolean).join(', and ');
      opened.notes.push(`${path.basename(map.file)} beside the image is a ddrescue mapfile (not signed: its word alone): it lists ${said}; the image holds there whatever the output held (zeros in a new file), and the hashes include those bytes`);
    } else if (map) opened.notes.push(`${path.basename(map.file)} beside the image is a ddrescue mapfile (not signed: its word alone): it says every byte the image holds was read`);
    if (map && map.sourceBytes > r.size) {
      opened.warnings.push(`by ${path.basename(map.file)}, the source held ${map.sourceBytes} bytes and the image stops at ${r.size}: its last ${map.sourceBytes - r.size} bytes were never read into the image, which is not a whole copy of the source`);
    }
  }
  return opened;
}

async function openByContent(file: string, opts: OpenImageOptions): Promise<OpenedImage> {
  refuseEmptyName(file, 'image');
  const p = path.resolve(file);
  if (!fs.existsSync(p)) throw new ExhibitError('IMAGE_INVALID', `${file} does not exist`);
  if (fs.statSync(p).isDirectory()) throw new ExhibitError('USAGE', `${file} is a folder: name the image's first file (.raw, .001, .E01, .Ex01 or .zst)`);
  const name = path.basename(p);
  const dir = path.dirname(p);
  // A record names an image; it is not one (read as raw media it would be copied or listed as a disk).
  if (isRecordFileName(name)) throw new ExhibitError('USAGE', `${file} is an acquisition record, not an image`, { hints: ['name the image file it is beside (.raw, .001, .E01, .Ex01, .aff4 or .zst)'] });
  const byName = formatByName(name);
  // A later file of a letter-named split set (disk.ab beside disk.aa) would read as raw media alone
  // (a name some format has, EV.raw or EV.zst, is none: a stray EV.aaa beside it changes nothing).
  const firstOfSet = byName ? undefined : firstOfLetterSet(p);
  if (firstOfSet !== undefined) throw new ExhibitError('USAGE', `${file} is not the first segment: name ${firstOfSet}`);
  // A name no format gives its first file (EV.E09, EV.img) belongs to the evidence the name without its extension
  // names when that evidence's record lies beside it: the record then says whether the file is its image's.
  const stem = byName ? undefined : path.parse(name).name;
  const evidence = byName?.base ?? (stem && stem !== name && fs.existsSync(recordBesideImage(path.join(dir, stem))) ? stem : undefined);
  const base = evidence !== undefined ? path.join(dir, evidence) : p;
  if (evidence !== undefined) refuseWhileWritten(file, dir, evidence);
  const found = await sniff(p);
  if (opts.raw) return openAsRaw(p, file, byName, found);
  // Raw media may itself begin as a container does (a drive or file that holds an image): when the
  // acquisition record beside it says it was acquired as raw media, under this name, it is read so.
  if (found.kind !== 'none' && (byName?.format.name === 'raw' || byName?.format.name === 'split-raw') && acquiredAsNamed(base, name, byName.format.name)) {
    const opened = await byName.format.open(p, file);
    const held = beginsAs(found)!;
    return { reader: opened.reader, base, warnings: opened.warnings, damaged: opened.damaged ?? [], notes: [`${name} begins as ${held} does, but the acquisition record beside it says it was acquired as ${byName.format.title}: it was read as that`] };
  }
  if (found.kind === 'unsupported') throw refuse(`${file} is ${found.what}, which exhibit does not read`);
  if (found.kind === 'later-segment' && found.segment === 0) {
    throw refuse(`${file} begins with the E01 signature but gives segment number 0, which no E01 segment has (they count from 1)`);
  }
  if (found.kind === 'later-segment') {
    throw refuse(`${file} is segment ${found.segment} of an E01 image, not its first: exhibit opens an E01 image by its first segment (.E01)`, 'name the .E01 file; the other segments are found beside it');
  }
  if (found.kind === 'format') {
    const f = found.format;
    const opened = await f.open(p, file);
    // The content decides; a name that says otherwise is reported.
    const said = byName && byName.format.name !== f.name ? [`${name} holds ${f.title}, not ${byName.format.title} as its name says: it was read as what it holds`] : [];
    const notes = byName ? [] : [`${name} holds ${f.title} (identified by its content)`];
    return { reader: opened.reader, base, warnings: [...said, ...opened.warnings], damaged: opened.damaged ?? [], notes };
  }
  // No known signature: raw media, unless the name promises a container (which then says what is wrong with it).
  const named = byName?.format ?? formatOf('raw');
  if (named.recognise) {
    try {
      const opened = await named.open(p, file);
      return { reader: opened.reader, base, warnings: opened.warnings, damaged: opened.damaged ?? [], notes: [] };
    } catch (err) {
      if (!(err instanceof ExhibitError) || (err.code !== 'IMAGE_INVALID' && err.code !== 'IMAGE_UNSUPPORTED')) throw err;
      throw refuse(`${file} is named as ${named.title} but does not read as one (${err.message})`);
    }
  }
  const opened = await named.open(p, file);
  return { reader: opened.reader, base, warnings: opened.warnings, damaged: opened.damaged ?? [], notes: [RAW_NOTE] };
}

/**
 * --raw: the examiner says the file is raw media (a drive's copy may begin as a container does, and
 * with no record beside it nothing else can say so). A .001-style name is read as split raw, every
 * other name as one raw file. A record beside it that lists the file as part of an image of another
 * format is believed over the option: the file is that image's, and its bytes are not the media.
 */
async function openAsRaw(p: string, file: string, byName: ReturnType<typeof formatByName>, found: Detected): Promise<OpenedImage> {
  const name = path.basename(p);
  const dir = path.dirname(p);
  const split = byName?.format.name === 'split-raw';
  const format = split ? byName!.format : formatOf('raw');
  // The evidence name: what a name some format gives says (EV of EV.E01, EV.001), else the name without its
  // last extension (EV of EV.E02, a later segment): its record and lock are those this file belongs to.
  const stem = byName?.base ?? path.parse(name).name;
  const base = path.join(dir, stem);
  if (stem !== byName?.base) refuseWhileWritten(file, dir, stem);
  const listed = readRecordBeside(base);
  if (listed && listed.image.format !== format.name && listed.image.files.some((f) => f.name === name)) {
    throw new ExhibitError('USAGE', `${file} is a file of ${readableFormatOf(listed.image.format).title}, as the acquisition record beside it says: --raw reads raw media only`, {
      hints: ['run the command without --raw'],
    });
  }
  const opened = await format.open(p, file);
  const held = beginsAs(found);
  const note = held ? `${name} begins as ${held} does; it was read as ${format.title}, as --raw asks` : `read as ${format.title}, as --raw asks`;
  return { reader: opened.reader, base, warnings: opened.warnings, damaged: opened.damaged ?? [], notes: [note] };
}
