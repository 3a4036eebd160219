/** The raw format: the media verbatim in one file. */
import type { FormatDescriptor } from '../descriptor.js';
import { patchRawImage } from './patch.js';
import { RawReader } from './reader.js';
import { RawWriter } from './writer.js';

export const rawFormat: FormatDescriptor<'raw'> = {
  name: 'raw',
  title: 'a raw image',
  fileNames: { extensions: 'raw', first: /^(.*)\.(raw|dd|img|bin)$/i },
  async open(file) {
    return { reader: await RawReader.open([file]), warnings: [] };
  },
  openPartial: (files) => RawReader.open(files),
  createWriter: (r) => new RawWriter(r.dir, r.base, null, r.staged === true),
  options: {},
  container: false,
  listsReadErrors: false,
  wholeSectors: false,
  storesHashes: [],
  requiresHashes: [],
  patch: (dir, base, _settings, pos, data) => patchRawImage(dir, base, null, pos, data),
};
