/** The seekable zstd format: independent zstd frames and a seek table. */
import { ExhibitError } from '../../core/errors.js';
import type { FormatDescriptor } from '../descriptor.js';
import { zstdCodec } from './codec.js';
import { MAX_FRAME_SIZE, SKIPPABLE_MAGIC, ZSTD_FRAME_MAGIC } from './layout.js';
import { ZstdReader } from './reader.js';
import type { ZstdResumeState } from './writer.js';
import { ZstdWriter } from './writer.js';

/** A zstd frame or a skippable frame starts here. */
function recognise(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  const magic = Buffer.from(head.buffer, head.byteOffset, 4).readUInt32LE(0);
  return magic === ZSTD_FRAME_MAGIC || (magic & 0xfffffff0) === (SKIPPABLE_MAGIC & 0xfffffff0);
}

export const zstdFormat: FormatDescriptor<'zst'> = {
  name: 'zst',
  title: 'a zstd image',
  fileNames: { extensions: 'zst', first: /^(.*)\.zst$/ },
  recognise,
  async open(file) {
    let reader: ZstdReader;
    const warnings: string[] = [];
    try {
      reader = await ZstdReader.open(file);
    } catch (err) {
      if (!(err instanceof ExhibitError) || !/seek table is missing or damaged/.test(err.message)) throw err;
      // Recoverable: every frame says its own size; decompress them in order.
      reader = await ZstdReader.openScanning(file, 0);
      if (reader.frames.length === 0) {
        await reader.close();
        // It begins as zstd does, so it is a damaged image (verify: FAILED), not a format exhibit does not read.
        throw new ExhibitError('IMAGE_INVALID', `${file} holds no whole zstd frame: it is damaged from its first frame (or cut short inside it), and exhibit reads no media from it`);
      }
      warnings.push(`${err.message.replace(/, so exhibit cannot seek.*$/, '')}: recovered by decompressing its ${reader.frames.length} frames in order`);
    }
    return { reader, warnings: [...warnings, ...reader.warnings] };
  },
  openPartial: (files, state, settings) => ZstdReader.openScanning(files[0]!, settings.zstd!.frame_size, (state as ZstdResumeState).size),
  createWriter: (r) => new ZstdWriter({ dir: r.dir, base: r.base, frameSize: r.settings.zstd!.frame_size, level: r.settings.zstd!.level, ...(r.threads !== undefined ? { threads: r.threads } : {}), staged: r.staged === true }),
  options: { level: 3, frameSize: '2MiB', frameBytes: 2 * 1024 * 1024, maxFrameSize: MAX_FRAME_SIZE },
  codecModule: zstdCodec(3).module,
  container: true,
  wholeSectors: false,
  storesHashes: [],
  requiresHashes: [],
};
