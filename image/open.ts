/**
 * Open any image exhibit reads, by its name and first bytes: E01 (and .e01,
 * .s01), seekable zstd, split raw (.001), or raw (anything else).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExhibitError } from '../core/errors.js';
import { EwfReader } from './ewf/reader.js';
import { RawReader } from './raw/reader.js';
import { findSegments } from './split-raw/naming.js';
import type { ImageReader } from './types.js';
import { ZstdReader } from './zstd/reader.js';

export interface OpenedImage {
  reader: ImageReader;
  /** The name the image's files share, without extension (what `<base>.acquisition.yaml` would be named after). */
  base: string;
  warnings: string[];
}

export async function openImage(file: string): Promise<OpenedImage> {
  const p = path.resolve(file);
  if (!fs.existsSync(p)) throw new ExhibitError('IMAGE_INVALID', `${file} does not exist`);
  if (fs.statSync(p).isDirectory()) throw new ExhibitError('USAGE', `${file} is a folder: name the image's first file (.raw, .001, .E01 or .zst)`);
  const name = path.basename(p);
  const dir = path.dirname(p);
  const m = /^(.*)\.([Ees])01$/.exec(name);
  if (m) {
    const r = await EwfReader.open(p);
    return { reader: r, base: path.join(dir, m[1]!), warnings: [...r.warnings] };
  }
  if (name.endsWith('.zst')) {
    try {
      const r = await ZstdReader.open(p);
      return { reader: r, base: p.slice(0, -4), warnings: [...r.warnings] };
    } catch (err) {
      if (!(err instanceof ExhibitError) || !/seek table is missing or damaged/.test(err.message)) throw err;
      // Recoverable: every frame says its own size; decompress them in order.
      const r = await ZstdReader.openScanning(p, 0);
      return {
        reader: r,
        base: p.slice(0, -4),
        warnings: [`${err.message.replace(/, so exhibit cannot seek.*$/, '')}: recovered by decompressing its ${r.frames.length} frames in order`, ...r.warnings],
      };
    }
  }
  const seg = /^(.*)\.(\d{3,})$/.exec(name);
  if (seg) {
    const { files, strays } = await findSegments(p);
    if (files[0] !== p) throw new ExhibitError('USAGE', `${file} is not the first segment: name ${path.basename(files[0] ?? `${seg[1]}.001`)}`);
    const warnings = strays.map((s) => `${s} lies beyond a missing segment and was not read`);
    return { reader: await RawReader.open(files), base: path.join(dir, seg[1]!), warnings };
  }
  return { reader: await RawReader.open([p]), base: p.replace(/\.(raw|dd|img|bin)$/i, ''), warnings: [] };
}
