/**
 * Every image format exhibit reads and writes, each declared by its own
 * folder (see descriptor.ts). Adding a format is adding its folder and one
 * line here; `FormatName` follows.
 */
import { ExhibitError } from '../core/errors.js';
import { aff4Format } from './aff4/index.js';
import type { FormatDescriptor, ReadableFormat } from './descriptor.js';
import { ewfFormat } from './ewf/index.js';
import { ex01Format } from './ewf2/index.js';
import { rawFormat } from './raw/index.js';
import { splitRawFormat } from './split-raw/index.js';
import { zstdFormat } from './zstd/index.js';

/** The formats exhibit writes (and reads). */
export const FORMATS = [rawFormat, splitRawFormat, ewfFormat, zstdFormat] as const;

/** Formats exhibit reads but does not write (other tools' containers). */
export const READ_ONLY_FORMATS = [ex01Format, aff4Format] as const satisfies readonly ReadableFormat[];

/** Every format exhibit reads, in the order content detection tries them. */
export const READABLE_FORMATS: readonly ReadableFormat<ReadableFormatName>[] = [...FORMATS, ...READ_ONLY_FORMATS];

/** The one name of a format exhibit writes, wherever it is kept (command line, journal, record, writer). */
export type FormatName = (typeof FORMATS)[number]['name'];

/** The name of any format exhibit reads (a reader's `format`). */
export type ReadableFormatName = FormatName | (typeof READ_ONLY_FORMATS)[number]['name'];

export const FORMAT_NAMES: readonly FormatName[] = FORMATS.map((f) => f.name);

export function formatOf(name: FormatName | string): FormatDescriptor<FormatName> {
  const f = FORMATS.find((x) => x.name === name);
  if (!f) throw new ExhibitError('USAGE', `exhibit does not know the image format ${name}`);
  return f;
}

/** Any format exhibit reads, by its name. */
export function readableFormatOf(name: ReadableFormatName | string): ReadableFormat<ReadableFormatName> {
  const f = READABLE_FORMATS.find((x) => x.name === name);
  if (!f) throw new ExhibitError('USAGE', `exhibit does not know the image format ${name}`);
  return f;
}

/** The format a file name says (`EV.E01`: e01), and the name the image's files share; undefined when the name says none. */
export function formatByName(fileName: string): { format: ReadableFormat<ReadableFormatName>; base: string } | undefined {
  for (const f of [...READ_ONLY_FORMATS, ewfFormat, zstdFormat, splitRawFormat, rawFormat] as ReadableFormat<ReadableFormatName>[]) {
    const m = f.fileNames.first.exec(fileName);
    if (m) return { format: f, base: m[1]! };
  }
  return undefined;
}

/** A regular expression source matching the extension of any image file of any format (without the dot). */
export function imageExtensions(): string {
  return READABLE_FORMATS.map((f) => f.fileNames.extensions).join('|');
}

/** What exhibit reads, in words, for refusals. */
export function formatsInWords(): string {
  return 'E01 (EWF1), Ex01 (EWF2), AFF4, raw, split raw (.001, .000, .aa, xaa) and zstd images';
}
