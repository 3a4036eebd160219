/**
 * What the hash workers are asked for during an acquisition or a conversion,
 * and their results read back in one typed shape. The job ids (`media:md5`,
 * `file:sha256`, `zero-sectors`) are known to this file alone.
 */
import type { Digests, HashAlgorithm } from '../core/crypto.js';
import { ExhibitError } from '../core/errors.js';
import type { EmittedSegment, HashJob } from '../core/hash-plan.js';
import type { ImageWriter } from '../image/types.js';

/** The digests of one finished pass: of the media, of each image file (when computed apart), and the count of all-zero sectors. */
export interface RunDigests {
  media: Digests;
  /** SHA-256 of each image file in order, when the files are not simply the media (split raw, or raw without a media SHA-256). */
  files?: string[];
  /** All-zero whole sectors, when counted. */
  zeroSectors?: number;
  /** SHA-256 of each piece of the media (core/pieces.ts), when asked for. */
  pieces?: string[];
}

const mediaId = (a: HashAlgorithm): string => `media:${a}`;
const FILES_ID = 'file:sha256';
const ZEROS_ID = 'zero-sectors';
const PIECES_ID = 'pieces:sha256';

/** Jobs for the media's digests and, for a writer that lays the media down in files, each file's SHA-256. */
export function mediaJobs(algorithms: readonly HashAlgorithm[], writer: ImageWriter, opts: { wholeFileSha256: boolean }): HashJob[] {
  const jobs: HashJob[] = algorithms.map((a) => ({ id: mediaId(a), algorithm: a }));
  if (writer.layout.kind === 'slices') {
    const seg = writer.layout.segmentSize;
    if (seg !== null) jobs.push({ id: FILES_ID, algorithm: 'sha256', segmentSize: seg });
    else if (opts.wholeFileSha256) jobs.push({ id: FILES_ID, algorithm: 'sha256' });
  }
  return jobs;
}

/**
 * The SHA-256 of each piece: one more SHA-256 stream, restarted at every piece boundary, fed the
 * same memory as the media hashes. (Chosen over a tree of smaller hashes: each piece's value is the
 * plain SHA-256 of its bytes, which `dd | sha256sum` checks; see ARCHITECTURE.md for the measure.)
 */
export function piecesJob(pieceSize: number, emit = false): HashJob {
  return { id: PIECES_ID, algorithm: 'sha256', segmentSize: pieceSize, ...(emit ? { emit: true as const } : {}) };
}

/**
 * An acquisition's jobs: the media's digests, each file's SHA-256 unless the one file is the media, the
 * zero-sector count, and each piece's SHA-256. The pieces are handed over as each ends (a PieceDigests
 * takes them), so the journal can note those the image holds durably at each safe point.
 */
export function acquisitionJobs(algorithms: readonly HashAlgorithm[], writer: ImageWriter, sectorSize: number, pieceSize?: number): HashJob[] {
  // One file holding the media verbatim has the media's SHA-256: no second pass.
  const jobs = mediaJobs(algorithms, writer, { wholeFileSha256: !algorithms.includes('sha256') });
  jobs.push({ id: ZEROS_ID, algorithm: 'zero-sectors', sectorSize });
  if (pieceSize !== undefined) jobs.push(piecesJob(pieceSize, true));
  return jobs;
}

/**
 * The pieces' SHA-256 of one pass, by piece number, as the hash workers hand them over (an
 * acquisition's pieces job emits them, see acquisitionJobs). Give `take` to the pass as its
 * onSegments, and `complete` the pass's results with them when it has finished.
 */
export class PieceDigests {
  private readonly byIndex: string[] = [];

  readonly take = (segments: readonly EmittedSegment[]): void => {
    for (const s of segments) if (s.id === PIECES_ID) this.byIndex[s.index] = s.digest;
  };

  /** The digest of piece `index`, once handed over. */
  at(index: number): string | undefined {
    return this.byIndex[index];
  }

  /** The digests of the first pieces that end at or before byte `bytes`, up to the first not yet handed over. */
  before(bytes: number, pieceSize: number): string[] {
    const out: string[] = [];
    for (let i = 0; (i + 1) * pieceSize <= bytes && this.byIndex[i] !== undefined; i++) out.push(this.byIndex[i]!);
    return out;
  }

  /** A finished pass's results with the pieces in them (an emitting job's own result is empty). */
  complete(results: Map<string, string[]> | undefined): Map<string, string[]> | undefined {
    if (!results?.has(PIECES_ID)) return results;
    const all = Array.from(this.byIndex);
    if (all.some((d) => d === undefined)) throw new ExhibitError('INTERNAL', 'a piece\'s SHA-256 was not handed over by the hash workers');
    results.set(PIECES_ID, all);
    return results;
  }
}

/** The typed results of a pass (undefined when it did not finish). */
export function digestsOf(results: ReadonlyMap<string, string[]> | undefined): RunDigests | undefined {
  if (!results) return undefined;
  const media: Digests = {};
  for (const [id, values] of results) {
    if (id.startsWith('media:') && values[0] !== undefined) media[id.slice('media:'.length) as HashAlgorithm] = values[0];
  }
  const files = results.get(FILES_ID);
  const zeros = results.get(ZEROS_ID)?.[0];
  const pieces = results.get(PIECES_ID);
  return { media, ...(files ? { files } : {}), ...(zeros !== undefined ? { zeroSectors: Number(zeros) } : {}), ...(pieces ? { pieces } : {}) };
}

/** Each image file's SHA-256: computed per file, or the media's when the one file is the media. */
export function fileSha256s(d: RunDigests | undefined): string[] | undefined {
  return d?.files ?? (d?.media.sha256 ? [d.media.sha256] : undefined);
}
