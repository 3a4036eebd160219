/** The split raw format: the media verbatim in consecutive segment files (.001, .002, ...). */
import { ExhibitError } from '../../core/errors.js';
import fs from 'node:fs';
import path from 'node:path';
import { readRecordBeside } from '../../core/record/read.js';
import type { FormatDescriptor } from '../descriptor.js';
import { patchRawImage } from '../raw/patch.js';
import { RawReader } from '../raw/reader.js';
import { RawWriter } from '../raw/writer.js';
import { findSegments, FIRST_SEGMENT } from './naming.js';

/** Whether the acquisition record beside a split set, readable and whole, lists `file` as its first file. */
function recordedFirst(file: string): boolean {
  const m = FIRST_SEGMENT.exec(path.basename(file));
  const record = m ? readRecordBeside(path.join(path.dirname(file), m[1]!)) : undefined;
  return record?.image.format === 'split-raw' && record.image.files[0]?.name === path.basename(file);
}

/**
 * Split tools write every segment but the last at one size: a set where an earlier segment is of
 * another size (cut short, emptied, or a stray file taken in at the end) is read as it is, and said.
 */
function unevenSegments(files: readonly string[]): string[] {
  const sizes = files.map((f) => fs.statSync(f).size);
  let last = sizes.length - 1;
  while (last > 0 && sizes[last] === 0) last--; // empty files at the end, as ewfexport -S leaves one
  const odd = sizes.slice(0, last).findIndex((n) => n !== sizes[0]);
  if (odd < 0) return [];
  return [`segment ${path.basename(files[odd]!)} is ${sizes[odd]} bytes where ${path.basename(files[0]!)} is ${sizes[0]}: split tools write every segment but the last at one size, so check that the set is whole (a segment cut short or a stray file shifts every byte after it)`];
}

export const splitRawFormat: FormatDescriptor<'split-raw'> = {
  name: 'split-raw',
  title: 'a split raw image',
  fileNames: { extensions: '\\d+|a+|A+', first: FIRST_SEGMENT },
  async open(file, given) {
    // A file before the one given (a .000 beside a .001 set) does not make the set start earlier when the record says where it starts.
    const { files, strays, missing } = await findSegments(file, recordedFirst(file));
    // A file alone whose name only ends in a number (case.12, server.2024): not a set at all, read as one raw file.
    if (missing !== undefined && files.length === 0 && strays.length === 1 && strays[0] === file) {
      return { reader: await RawReader.open([file]), warnings: [`${given} is read as one raw file: its name ends in a number, but no other part of a split image lies beside it`] };
    }
    // A gap is damage, as a missing E01 segment is: the media would be cut short where it begins.
    if (missing !== undefined)
      throw new ExhibitError('IMAGE_INVALID', `segment ${missing} of the split image ${given} is missing: ${strays.length === 1 ? `${path.basename(strays[0]!)} lies` : `${strays.length} segments (${path.basename(strays[0]!)} to ${path.basename(strays[strays.length - 1]!)}) lie`} beyond it`);
    if (files[0] !== file) throw new ExhibitError('USAGE', `${given} is not the first segment: name ${path.basename(files[0]!)}`);
    const reader = await RawReader.open(files);
    return { reader, warnings: unevenSegments(files) };
  },
  openPartial: (files) => RawReader.open(files),
  createWriter: (r) => new RawWriter(r.dir, r.base, r.settings.segment_size!, r.staged === true),
  options: { segmentSize: '2GiB' },
  container: false,
  listsReadErrors: false,
  wholeSectors: false,
  storesHashes: [],
  requiresHashes: [],
  patch: (dir, base, settings, pos, data) => patchRawImage(dir, base, settings.segment_size!, pos, data),
};
