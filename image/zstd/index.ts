/** The seekable zstd format: independent zstd frames and a seek table. */
import { ExhibitError } from '../../core/errors.js';
import type { FormatDescriptor } from '../descriptor.js';
import { zstdCodec } from './codec.js';
import { MAX_FRAME_SIZE, SKIPPABLE_MAGIC, ZSTD_FRAME_MAGIC } from './layout.js';
import { ZstdReader } from './reader.js';
import { scanFile } from './scan.js';
import { WINDOW_LOG_MAX, ZstdStreamReader } from './stream-reader.js';
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
    let reader: ZstdReader | ZstdStreamReader;
    const warnings: string[] = [];
    const damaged: string[] = [];
    const damage = (text: string) => {
      warnings.push(text);
      damaged.push(text);
    };
    try {
      // Frames too large to decode whole are read in order, placed by the table.
      let wide = false;
      reader = await ZstdReader.open(file, (handle, entries, checksums) => {
        wide = true;
        return ZstdStreamReader.open(file, handle, entries, { checksums }); // a failure closes the handle in ZstdReader.open
      });
      if (wide) warnings.push(`a frame of it holds more than ${MAX_FRAME_SIZE / 1024 / 1024} MiB of media, too large to decode whole, so it is read in order only: a mount cannot read it at random; exhibit convert ${file} --to zst makes a seekable copy with smaller frames`);
    } catch (err) {
      if (!(err instanceof ExhibitError) || !/seek table is missing or damaged/.test(err.message)) throw err;
      // Recoverable: every frame says where it ends; decompress them in order.
      const plain = /does not end with the seekable-format magic number|: only \d+ bytes; the seek table/.test(err.message); // too short to hold one: plain
      const { entries, stoppedAt, size, handle } = await scanFile(file);
      if (entries.length === 0) {
        await handle.close();
        // It begins as zstd does, so it is a damaged image (verify: FAILED), not a format exhibit does not read.
        throw new ExhibitError('IMAGE_INVALID', `${file} holds no whole zstd frame: it is damaged from its first frame (or cut short inside it), and exhibit reads no media from it`);
      }
      // A frame made with a long window (zstd --long above 27) cannot be read here: refused, not called damaged.
      const wide = entries.findIndex((e) => (e.window ?? 0) > 2 ** WINDOW_LOG_MAX);
      if (wide >= 0) {
        await handle.close();
        const mib = (b: number) => `${Math.round(b / 1024 / 1024)} MiB`;
        throw new ExhibitError('IMAGE_UNSUPPORTED', `${file}: frame ${wide} needs a ${mib(entries[wide]!.window!)} window to decompress (zstd --long above 27); exhibit decompresses with at most ${mib(2 ** WINDOW_LOG_MAX)}: decompress it with zstd -d --long=31 and give exhibit the raw file`);
      }
      // A frame made with a dictionary (zstd -D) cannot be decompressed without it: refused, not called damaged.
      const dict = entries.findIndex((e) => e.dictionary !== undefined);
      if (dict >= 0) {
        await handle.close();
        throw new ExhibitError('IMAGE_UNSUPPORTED', `${file}: frame ${dict} was compressed with a dictionary (ID ${entries[dict]!.dictionary}), which exhibit does not have: decompress it with zstd -d -D <dictionary> and give exhibit the raw file`);
      }
      const n = `${entries.length} frame${entries.length === 1 ? '' : 's'}`;
      // A plain zstd file has no seek table by design (a note); one that has a damaged table is damaged (verify fails it).
      if (plain) warnings.push(`${file} has no seek table at its end (a plain zstd file, or a seekable one whose table was cut off): its ${n} ${entries.length === 1 ? 'is' : 'are'} decompressed in order`);
      else damage(`${err.message.replace(/, so exhibit cannot seek.*$/, '')}: recovered by decompressing its ${n} in order`);
      if (stoppedAt < size) damage(`no whole zstd frame at byte ${stoppedAt} of ${file}; ${size - stoppedAt} bytes from there were not read: damaged`);
      // Empty frames (pzstd writes them) are decoded in order by the stream reader, which checks they hold nothing.
      const streamed = entries.some((e) => e.noContentSize || e.decompressed > MAX_FRAME_SIZE || e.decompressed === 0);
      try {
        reader = streamed ? await ZstdStreamReader.open(file, handle, entries) : ZstdReader.fromScan(file, handle, entries);
      } catch (e) {
        await handle.close();
        throw e;
      }
      if (streamed) warnings.push(`its frames are too large to decode whole (or do not say their size), so it is read in order only: a mount cannot read it at random; exhibit convert ${file} --to zst makes a seekable copy`);
    }
    return { reader, warnings: [...warnings, ...reader.warnings], damaged };
  },
  openPartial: (files, state, settings) => ZstdReader.openScanning(files[0]!, settings.zstd!.frame_size, (state as ZstdResumeState).size),
  createWriter: (r) => new ZstdWriter({ dir: r.dir, base: r.base, frameSize: r.settings.zstd!.frame_size, level: r.settings.zstd!.level, ...(r.threads !== undefined ? { threads: r.threads } : {}), staged: r.staged === true }),
  options: { level: 3, frameSize: '2MiB', frameBytes: 2 * 1024 * 1024, maxFrameSize: MAX_FRAME_SIZE },
  codecModule: zstdCodec(3).module,
  container: true,
  listsReadErrors: false,
  wholeSectors: false,
  storesHashes: [],
  requiresHashes: [],
};
