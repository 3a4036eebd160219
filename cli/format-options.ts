/** The image-format options `acquire` and `convert` share, and their checks. */
import { Option, type Command } from 'commander';
import type { FormatSettings, OutputFormat } from '../acquire/writers.js';
import { ExhibitError } from '../core/errors.js';
import { formatBytes, parseSize } from '../core/units.js';
import type { Compression } from '../image/ewf/chunk-codec.js';
import type { MediaType } from '../image/ewf/layout.js';
import { MAX_FRAME_SIZE } from '../image/zstd/layout.js';

export interface FormatFlags {
  segmentSize?: string;
  compression: string;
  chunkSectors: string;
  mediaType?: string;
  level: string;
  frameSize: string;
}

export function addFormatOptions(c: Command): Command {
  return c
    .option('--segment-size <size>', 'split-raw and E01 segment size (KiB, MiB, GiB, or KB, MB, GB); default 2GiB for split-raw, 1.4GiB for E01')
    .addOption(new Option('--compression <level>', 'E01 chunk compression').choices(['none', 'empty-block', 'fast', 'best']).default('fast'))
    .option('--chunk-sectors <n>', 'E01 sectors per chunk, a power of two from 16 to 32768', '64')
    .addOption(new Option('--media-type <type>', 'E01 media type (default: removable when the drive says so, else fixed)').choices(['fixed', 'removable', 'optical', 'memory']))
    .option('--level <n>', 'zst compression level, 1 (fastest) to 19 (smallest)', '3')
    .option('--frame-size <size>', 'zst frame size: media bytes per independently compressed frame', '2MiB');
}

export function wholeNumber(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new ExhibitError('USAGE', `${what} must be a whole number, not "${text}"`);
  return Number(text);
}

export function formatSettings(format: OutputFormat, f: FormatFlags): FormatSettings {
  const segmentSize = parseSize(f.segmentSize ?? (format === 'e01' ? '1.4GiB' : '2GiB'), '--segment-size');
  if (format !== 'raw' && segmentSize < 1024 * 1024) throw new ExhibitError('USAGE', '--segment-size must be at least 1 MiB');
  if (format === 'split-raw' && segmentSize % 4096 !== 0) {
    throw new ExhibitError('USAGE', '--segment-size must be a whole number of 4 KiB blocks', { hints: ['for example 650MiB, 2GiB or 4GiB'] });
  }
  const chunkSectors = wholeNumber(f.chunkSectors, '--chunk-sectors');
  if (chunkSectors < 16 || chunkSectors > 32768 || (chunkSectors & (chunkSectors - 1)) !== 0) {
    throw new ExhibitError('USAGE', '--chunk-sectors must be a power of two from 16 to 32768', { hints: ['64 (32 KiB chunks) is what EnCase and ewfacquire use by default'] });
  }
  if (format === 'e01' && segmentSize < 4 * chunkSectors * 512) {
    throw new ExhibitError('USAGE', `--segment-size must hold at least four chunks of ${formatBytes(chunkSectors * 512)}`, { hints: ['use a larger --segment-size or fewer --chunk-sectors'] });
  }
  const level = wholeNumber(f.level, '--level');
  if (level < 1 || level > 19) throw new ExhibitError('USAGE', '--level must be from 1 to 19');
  const frameSize = parseSize(f.frameSize, '--frame-size');
  if (frameSize < 64 * 1024 || frameSize > MAX_FRAME_SIZE || frameSize % 4096 !== 0) {
    throw new ExhibitError('USAGE', '--frame-size must be a whole number of 4 KiB blocks from 64 KiB to 32 MiB');
  }
  return {
    format,
    ...(format === 'split-raw' || format === 'e01' ? { segment_size: segmentSize } : {}),
    ...(format === 'e01'
      ? { ewf: { compression: f.compression as Compression, chunk_sectors: chunkSectors, ...(f.mediaType ? { media_type: f.mediaType as MediaType } : {}) } }
      : {}),
    ...(format === 'zst' ? { zstd: { level, frame_size: frameSize } } : {}),
  };
}
