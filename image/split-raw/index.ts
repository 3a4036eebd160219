/** The split raw format: the media verbatim in consecutive segment files (.001, .002, ...). */
import { ExhibitError } from '../../core/errors.js';
import path from 'node:path';
import type { FormatDescriptor } from '../descriptor.js';
import { patchRawImage } from '../raw/patch.js';
import { RawReader } from '../raw/reader.js';
import { RawWriter } from '../raw/writer.js';
import { findSegments } from './naming.js';

export const splitRawFormat: FormatDescriptor<'split-raw'> = {
  name: 'split-raw',
  title: 'a split raw image',
  fileNames: { extensions: '\\d{3,}', first: /^(.*)\.(\d{3,})$/ },
  async open(file, given) {
    const { files, strays } = await findSegments(file);
    if (files[0] !== file) {
      const m = splitRawFormat.fileNames.first.exec(path.basename(file));
      throw new ExhibitError('USAGE', `${given} is not the first segment: name ${path.basename(files[0] ?? `${m?.[1] ?? ''}.001`)}`);
    }
    return { reader: await RawReader.open(files), warnings: strays.map((s) => `${s} lies beyond a missing segment and was not read`) };
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
