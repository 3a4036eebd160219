export type { FormatName, FormatSettings, ImageFile, ImageReader, ImageWriter, MediaLayout, WriterFacts, WriterRequest } from './types.js';
export { FORMAT_NAMES, FORMATS, formatOf } from './registry.js';
export { syncDirectory } from './output-file.js';
