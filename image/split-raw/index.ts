/** The split raw format: the media verbatim in consecutive segment files (.001, .002, ...). */
import { ExhibitError } from '../../core/errors.js';
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

export const splitRawFormat: FormatDescriptor<'split-raw'> = {
  name: 'split-raw',
  title: 'a split raw image',
  fileNames: { extensions: '\\d{2,}|a{2,}', first: FIRST_SEGMENT },
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
    return { reader: await RawReader.open(files), warnings: [] };
  },
  openPartial: (files) => RawReader.open(files),
  createWriter: (r) => new RawWriter(r.dir, r.base, r.settings.segment_size!, r.staged === true),
  options: { segmentSize: '2GiB' },
  container: false,
  wholeSectors: false,
  storesHashes: [],
  requiresHashes: [],
  patch: (dir, base, settings, pos, data) => patchRawImage(dir, base, settings.segment_size!, pos, data),
};
