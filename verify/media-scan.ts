/**
 * Reading every byte of an image's media, unit by unit, and hashing it: on
 * worker threads (core/hash-pool.ts, fed from a shared ring) for images of
 * any size, or inline for small ones where starting workers would cost more
 * than hashing. A unit that cannot be read (an E01 chunk whose checksum or
 * zlib stream is damaged, a zstd frame that does not decompress, a raw range
 * that gives an I/O error) is reported with its file, its index and the media
 * bytes and sectors it covers, hashed as zeros, and the scan goes on: the
 * examiner learns what is damaged and what is still sound.
 */
import { type Digests, type HashAlgorithm } from '../core/crypto.js';
import { describeSystemError, ExhibitError } from '../core/errors.js';
import type { DigestJob } from '../core/hash-plan.js';
import { hashStream } from '../core/hash-stream.js';
import { EwfReader } from '../image/ewf/reader.js';
import type { ImageReader } from '../image/types.js';
import { ZstdReader } from '../image/zstd/reader.js';

export interface DamagedUnit {
  file: string; // the image file holding it
  unit: 'chunk' | 'frame' | 'range';
  index: number; // chunk or frame number, from 0; for a range, the byte offset in the file
  first_byte: number; // media offset
  bytes: number;
  first_sector: number;
  sectors: number;
  problem: string;
}

export interface MediaScan {
  hashes: Digests;
  /** SHA-256 of each slice of the media stream (for raw and split raw, each file's SHA-256). */
  sliceSha256?: string[];
  damaged: DamagedUnit[];
  units: { kind: 'chunk' | 'frame' | 'range'; count: number };
}

export interface ScanOptions {
  algorithms: HashAlgorithm[];
  sectorSize: number;
  /** Size of each slice whose SHA-256 is wanted (raw and split raw: the segment size). */
  sliceSize?: number;
  onProgress?: (done: number) => void;
  signal?: AbortSignal;
  /** Hash on the main thread (small images, tests). Default: workers for 64 MiB and more. */
  inline?: boolean;
}

const SLOT = 4 * 1024 * 1024;

/** A media unit as read: where it starts, its bytes (zeros when damaged). */
interface Unit {
  start: number;
  data: Uint8Array;
}

/** The units of a reader in media order; damaged ones are reported and come back as zeros. */
async function* units(reader: ImageReader, sectorSize: number, damaged: DamagedUnit[], count: { n: number }): AsyncGenerator<Unit> {
  const note = (file: string, unit: DamagedUnit['unit'], index: number, start: number, bytes: number, err: unknown) => {
    const first = Math.floor(start / sectorSize);
    damaged.push({
      file,
      unit,
      index,
      first_byte: start,
      bytes,
      first_sector: first,
      sectors: Math.ceil((start + bytes) / sectorSize) - first,
      problem: err instanceof ExhibitError ? err.message.replace(/^.*?: (?=[^:]*$)/, '') : describeSystemError(err),
    });
  };
  if (reader instanceof EwfReader) {
    const batch = Math.max(1, Math.floor(SLOT / reader.chunkSize));
    for (let first = 0; first < reader.chunkCount; first += batch) {
      const got = await reader.chunks(first, Math.min(batch, reader.chunkCount - first));
      for (const [k, data] of got.entries()) {
        const i = first + k;
        const start = i * reader.chunkSize;
        const want = Math.min(reader.chunkSize, reader.size - start);
        count.n++;
        if (!(data instanceof ExhibitError)) {
          yield { start, data: data.length > want ? data.subarray(0, want) : data };
          continue;
        }
        let file = '';
        try {
          file = reader.locate(i).file;
        } catch {
          /* the table itself is what is damaged */
        }
        note(file, 'chunk', i, start, want, data);
        yield { start, data: new Uint8Array(want) };
      }
    }
    return;
  }
  if (reader instanceof ZstdReader) {
    for (let i = 0; i < reader.frames.length; i++) {
      const f = reader.frames[i]!;
      count.n++;
      try {
        yield { start: f.mediaStart, data: await reader.frame(i) };
      } catch (err) {
        if (!(err instanceof ExhibitError) || err.code !== 'IMAGE_INVALID') throw err;
        note(reader.files[0] ?? '', 'frame', i, f.mediaStart, f.decompressed, err);
        yield { start: f.mediaStart, data: new Uint8Array(f.decompressed) };
      }
    }
    return;
  }
  // Raw: read in large pieces; a piece that fails is reported as a range.
  const buf = Buffer.allocUnsafe(SLOT);
  for (let pos = 0; pos < reader.size; ) {
    const want = Math.min(SLOT, reader.size - pos);
    count.n++;
    try {
      const n = await reader.read(buf, pos, want);
      if (n !== want) throw new ExhibitError('IMAGE_INVALID', `the image ends at byte ${pos + n}, short of its ${reader.size} bytes`);
      yield { start: pos, data: buf.subarray(0, n) };
    } catch (err) {
      note(reader.files[0] ?? '', 'range', pos, pos, want, err);
      yield { start: pos, data: new Uint8Array(want) };
    }
    pos += want;
  }
}

export async function scanMedia(reader: ImageReader, o: ScanOptions): Promise<MediaScan> {
  const damaged: DamagedUnit[] = [];
  const count = { n: 0 };
  const kind: MediaScan['units']['kind'] = reader instanceof EwfReader ? 'chunk' : reader instanceof ZstdReader ? 'frame' : 'range';
  const jobs: DigestJob[] = o.algorithms.map((a) => ({ id: a, algorithm: a }));
  if (o.sliceSize) jobs.push({ id: 'slices', algorithm: 'sha256', segmentSize: o.sliceSize });
  let expected = 0;
  // The units, checked to follow one another without gap or overlap.
  async function* pieces(): AsyncGenerator<Uint8Array> {
    for await (const u of units(reader, o.sectorSize, damaged, count)) {
      if (u.start !== expected) throw new ExhibitError('IMAGE_INVALID', `the image's units leave a gap or overlap at media byte ${expected}`);
      expected += u.data.length;
      if (o.signal?.aborted) throw new ExhibitError('INTERRUPTED', 'verification interrupted');
      yield u.data;
    }
  }
  const results = await hashStream(pieces(), jobs, { size: reader.size, ...(o.inline !== undefined ? { inline: o.inline } : {}), ...(o.onProgress ? { onBytes: o.onProgress } : {}) });
  if (expected !== reader.size) throw new ExhibitError('IMAGE_INVALID', `the image's units cover ${expected} bytes of its ${reader.size}`);
  const hashes: Digests = {};
  for (const a of o.algorithms) hashes[a] = results.get(a)![0]!;
  return { hashes, ...(o.sliceSize ? { sliceSha256: results.get('slices')! } : {}), damaged, units: { kind, count: count.n } };
}
