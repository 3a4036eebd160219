/**
 * Every image format exhibit reads and writes, each declared by its own
 * folder (see descriptor.ts). Adding a format is adding its folder and one
 * line here; `FormatName` follows.
 */
import { ExhibitError } from '../core/errors.js';
import type { FormatDescriptor } from './descriptor.js';
import { ewfFormat } from './ewf/index.js';
import { rawFormat } from './raw/index.js';
import { splitRawFormat } from './split-raw/index.js';
import { zstdFormat } from './zstd/index.js';

export const FORMATS = [rawFormat, splitRawFormat, ewfFormat, zstdFormat] as const;

/** The one name of a format, wherever it is kept (command line, journal, record, reader, writer). */
export type FormatName = (typeof FORMATS)[number]['name'];

export const FORMAT_NAMES: readonly FormatName[] = FORMATS.map((f) => f.name);

export function formatOf(name: FormatName | string): FormatDescriptor<FormatName> {
  const f = FORMATS.find((x) => x.name === name);
  if (!f) throw new ExhibitError('USAGE', `exhibit does not know the image format ${name}`);
  return f;
}

/** The format a file name says (`EV.E01`: e01), and the name the image's files share; undefined when the name says none. */
export function formatByName(fileName: string): { format: FormatDescriptor<FormatName>; base: string } | undefined {
  for (const f of [ewfFormat, zstdFormat, splitRawFormat, rawFormat]) {
    const m = f.fileNames.first.exec(fileName);
    if (m) return { format: f, base: m[1]! };
  }
  return undefined;
}

/** A regular expression source matching the extension of any image file of any format (without the dot). */
export function imageExtensions(): string {
  return FORMATS.map((f) => f.fileNames.extensions).join('|');
}

/** What exhibit reads, in words, for refusals. */
export function formatsInWords(): string {
  return 'E01 (EWF1), raw, split raw (.001) and seekable zstd images';
}
