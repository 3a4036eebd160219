/** The image-format options `acquire` and `convert` share, and their checks. */
import { Option, type Command } from 'commander';
import { ExhibitError } from '../core/errors.js';
import { formatBytes } from '../core/units.js';
import { KiB, MiB, sizeOption, TiB, wholeNumber } from './numbers.js';
import { formatOf } from '../image/registry.js';
import type { FormatName, FormatSettings } from '../image/types.js';

type EwfSettings = NonNullable<FormatSettings['ewf']>;
const e01 = formatOf('e01').options;
const zst = formatOf('zst').options;
const splitRaw = formatOf('split-raw').options;

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
    .option('--segment-size <size>', `split-raw and E01 segment size, 1 MiB to 16 TiB (KiB, MiB, GiB, TiB, or KB, MB, GB, TB); default ${splitRaw.segmentSize} for split-raw, ${e01.segmentSize} for E01`)
    .addOption(new Option('--compression <level>', 'E01 chunk compression').choices(['none', 'empty-block', 'fast', 'best']).default(e01.compression))
    .option('--chunk-sectors <n>', 'E01 sectors per chunk, a power of two from 16 to 32768', String(e01.chunkSectors))
    .addOption(new Option('--media-type <type>', 'E01 media type (default: removable when the drive says so, else fixed)').choices(['fixed', 'removable', 'optical', 'memory']))
    .option('--level <n>', 'zst compression level, 1 (fastest) to 19 (smallest); frames that look random are stored at level 1, raw', String(zst.level))
    .option('--frame-size <size>', 'zst frame size: media bytes per independently compressed frame, 64 KiB to 1 GiB in 4 KiB blocks', zst.frameSize);
}

export function formatSettings(format: FormatName, f: FormatFlags): FormatSettings {
  const segmentSize = sizeOption(f.segmentSize ?? (format === 'e01' ? e01.segmentSize! : splitRaw.segmentSize!), '--segment-size', MiB, 16 * TiB, format === 'split-raw' ? 4 * KiB : undefined);
  const chunkSectors = wholeNumber(f.chunkSectors, '--chunk-sectors', 16, 32768);
  if ((chunkSectors & (chunkSectors - 1)) !== 0) {
    throw new ExhibitError('USAGE', '--chunk-sectors must be a power of two from 16 to 32768', { hints: ['64 (32 KiB chunks) is what EnCase and ewfacquire use by default'] });
  }
  if (format === 'e01' && segmentSize < 4 * chunkSectors * 512) {
    throw new ExhibitError('USAGE', `--segment-size must hold at least four chunks of ${formatBytes(chunkSectors * 512)}`, { hints: ['use a larger --segment-size or fewer --chunk-sectors'] });
  }
  const level = wholeNumber(f.level, '--level', 1, 19);
  const frameSize = sizeOption(f.frameSize, '--frame-size', 64 * KiB, zst.maxFrameSize!, 4 * KiB);
  return {
    format,
    ...(format === 'split-raw' || format === 'e01' ? { segment_size: segmentSize } : {}),
    ...(format === 'e01'
      ? { ewf: { compression: f.compression as EwfSettings['compression'], chunk_sectors: chunkSectors, ...(f.mediaType ? { media_type: f.mediaType as NonNullable<EwfSettings['media_type']> } : {}) } }
      : {}),
    ...(format === 'zst' ? { zstd: { level, frame_size: frameSize } } : {}),
  };
}

/** --raw, as verify, inspect, convert, mount and restore give it (image/open.ts openAsRaw). */
export const RAW_OPTION_HELP =
  'read the image as raw media (split raw if named .001, .000 or .aa) whatever its first bytes look like: for a copy of a drive that begins as a container does';
