/** One place that turns a format and its settings into an image writer (acquire and convert both use it). */
import { CODEC_INLINE_BELOW } from '../image/batch-encoder.js';
import { formatOf } from '../image/registry.js';
import type { FormatSettings, ImageWriter, WriterRequest } from '../image/types.js';

export type { FormatSettings };

/** A small image is encoded without codec workers, unless `threads` says how many. */
export function makeWriter(o: WriterRequest): ImageWriter {
  const threads = o.threads ?? (o.mediaBytes < CODEC_INLINE_BELOW ? 0 : undefined);
  return formatOf(o.settings.format).createWriter({ ...o, ...(threads !== undefined ? { threads } : {}) });
}
