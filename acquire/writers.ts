/** One place that turns a format and its settings into an image writer (acquire and convert both use it). */
import { formatOf } from '../image/registry.js';
import type { FormatSettings, ImageWriter, WriterRequest } from '../image/types.js';

export type { FormatSettings };

export function makeWriter(o: WriterRequest): ImageWriter {
  return formatOf(o.settings.format).createWriter(o);
}
