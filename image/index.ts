export type { ImageFile, ImageFormat, ImageReader, ImageWriter, MediaLayout } from './types.js';
export { IMAGE_FORMATS } from './types.js';
export { RawWriter } from './raw/writer.js';
export { RawReader } from './raw/reader.js';
export { findSegments, segmentName } from './split-raw/naming.js';
export { syncDirectory } from './output-file.js';
