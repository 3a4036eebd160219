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
import { hashStream, type RingRoom } from '../core/hash-stream.js';
import type { ImageReader } from '../image/types.js';

export interface DamagedUnit {
  file: string; // the image file holding it
  last_file?: string; // the last of the files it spans, when it spans several (a piece across an E01's segments)
  unit: 'chunk' | 'frame' | 'range' | 'piece';
  index: number; // chunk, frame or piece number, from 0; for a range, the byte offset in the file
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
  /** SHA-256 of each piece of `pieceSize` bytes (core/pieces.ts), when asked for. */
  pieceSha256?: string[];
  damaged: DamagedUnit[];
  units: { kind: 'chunk' | 'frame' | 'range'; count: number };
}

export interface ScanOptions {
  algorithms: HashAlgorithm[];
  sectorSize: number;
  /** Size of each slice whose SHA-256 is wanted (raw and split raw: the segment size). */
  sliceSize?: number;
  /** Size of the pieces whose SHA-256 is wanted (the pieces file's). */
  pieceSize?: number;
  onProgress?: (done: number) => void;
  signal?: AbortSignal;
  /** Hash on the main thread (small images, tests). Default: workers for 64 MiB and more. */
  inline?: boolean;
}

/** A media unit as read: where it starts, its bytes (zeros when damaged). */
interface Unit {
  start: number;
  data: Uint8Array;
}

/** The units of a reader in media order; damaged ones are reported and come back as zeros. */
async function* units(reader: ImageReader, sectorSize: number, damaged: DamagedUnit[], count: { n: number }, room: RingRoom): AsyncGenerator<Unit> {
  for await (const u of reader.units({ room })) {
    if (!('data' in u && u.continues) && !('error' in u && u.damagedFrom !== undefined && u.damagedFrom < u.start)) count.n++;
    if ('data' in u) {
      yield u;
      continue;
    }
    const from = Math.min(u.damagedFrom ?? u.start, u.start);
    const first = Math.floor(from / sectorSize);
    damaged.push({
      file: u.file,
      unit: reader.unitKind,
      index: u.index,
      first_byte: from,
      bytes: u.start + u.bytes - from,
      first_sector: first,
      sectors: Math.ceil((u.start + u.bytes) / sectorSize) - first,
      problem: u.error instanceof ExhibitError ? unitProblem(u.error.message, u.file) : describeSystemError(u.error),
    });
    // Zeros in its place, from one shared buffer in pieces: a damaged frame may declare terabytes.
    for (let at = 0; at < u.bytes; at += ZEROS.length) yield { start: u.start + at, data: ZEROS.subarray(0, Math.min(ZEROS.length, u.bytes - at)) };
  }
}

/**
 * A reader's error for one unit without the words that name the unit and its file (the damage entry
 * gives those): what follows "<file>: " when the message names the file so, else what follows the
 * last ": ". The why is kept: "it does not decompress (...): damaged", not only "damaged".
 */
function unitProblem(message: string, file: string): string {
  const at = file === '' ? -1 : message.indexOf(`${file}: `);
  return at >= 0 ? message.slice(at + file.length + 2) : message.replace(/^.*?: (?=[^:]*$)/, '');
}

/** Zeros given for damaged units, never written to. */
const ZEROS = new Uint8Array(4 * 1024 * 1024);

export async function scanMedia(reader: ImageReader, o: ScanOptions): Promise<MediaScan> {
  const damaged: DamagedUnit[] = [];
  const count = { n: 0 };
  const kind: MediaScan['units']['kind'] = reader.unitKind;
  const jobs: DigestJob[] = o.algorithms.map((a) => ({ id: a, algorithm: a }));
  if (o.sliceSize) jobs.push({ id: 'slices', algorithm: 'sha256', segmentSize: o.sliceSize });
  if (o.pieceSize) jobs.push({ id: 'pieces', algorithm: 'sha256', segmentSize: o.pieceSize });
  const wanted = reader.walkDigests?.(); // the reader's own, handed to it as they are made
  if (wanted) jobs.push(...wanted.jobs);
  let expected = 0;
  // The units, checked to follow one another without gap or overlap.
  async function* pieces(room: RingRoom): AsyncGenerator<Uint8Array> {
    for await (const u of units(reader, o.sectorSize, damaged, count, room)) {
      if (u.start !== expected) throw new ExhibitError('IMAGE_INVALID', `the image's units leave a gap or overlap at media byte ${expected}`);
      expected += u.data.length;
      if (o.signal?.aborted) throw new ExhibitError('INTERRUPTED', 'verification interrupted');
      yield u.data;
    }
  }
  const results = await hashStream(pieces, jobs, { size: reader.size, ...(o.inline !== undefined ? { inline: o.inline } : {}), ...(o.onProgress ? { onBytes: o.onProgress } : {}), ...(wanted ? { onSegments: (s) => wanted.segments(s) } : {}) });
  if (expected !== reader.size) throw new ExhibitError('IMAGE_INVALID', `the image's units cover ${expected} bytes of its ${reader.size}`);
  const hashes: Digests = {};
  for (const a of o.algorithms) hashes[a] = results.get(a)![0]!;
  return { hashes, ...(o.sliceSize ? { sliceSha256: results.get('slices')! } : {}), ...(o.pieceSize ? { pieceSha256: results.get('pieces')! } : {}), damaged, units: { kind, count: count.n } };
}
