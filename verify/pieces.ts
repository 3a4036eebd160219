/**
 * verify's piecewise check: the pieces file beside the record (core/pieces.ts)
 * is found, its SHA-256 compared with the record and with every signed entry
 * that logs it, and each piece of the media compared with its line. A piece
 * that differs is a damage entry with its media bytes and sectors, beside any
 * chunk or frame the format found damaged, so an edit whose chunk checksums
 * were recomputed is still located; every other piece is proven intact.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import fs from 'node:fs';
import { digestsEqual } from '../core/crypto.js';
import { pieceSpan, readPiecesFile, type PieceList, type PieceSpan } from '../core/pieces.js';
import type { AcquisitionRecord } from '../core/record.js';
import type { ImageReader } from '../image/types.js';
import type { DamagedUnit } from './media-scan.js';

/** Comparisons of the pieces file carry this subject (so they are told from a value an image stores about itself). */
export const PIECES_SUBJECT = 'the pieces file';

export interface PiecesComparison {
  against: string;
  algorithm: 'sha256';
  expected: string;
  computed: string;
  equal: boolean;
  anchor: boolean;
  subject: string;
}

/** The pieces the media was checked in, as the report gives them. */
export interface PiecesResult {
  file: string;
  sha256: string;
  piece_size: number;
  count: number;
  /** Pieces checked: each hashed and compared, or all proven at once (`proven_by`); fewer than `count` only with --pieces. */
  checked: number;
  intact: number;
  damaged: number;
  /** Set when the pieces were proven by the media's hash rather than hashed one by one: what proved them. */
  proven_by?: string;
}

export interface ExpectedPieces {
  /** The list, when the file was read and its SHA-256 is what the record and every signed entry say. */
  list?: PieceList;
  /**
   * With `list`: the signed entries that list this pieces file, by the names comparisons give them. Only
   * these may vouch that the media their hash matches is what the pieces were made from (piecesProven):
   * the record beside the image lists the file too, but is anyone's to write.
   */
  vouchedBy?: string[];
  /** Piece size to compute with (from the record or the signed entry), even when the file cannot be trusted. */
  pieceSize?: number;
  file?: string;
  sha256?: string;
  comparisons: PiecesComparison[];
  problems: string[];
  notes: string[];
}

interface Anchor {
  from: string;
  payload: unknown;
}

/** What the record and each signed entry say of the pieces file, and the file itself. */
export function expectedPieces(dir: string, rec: AcquisitionRecord | undefined, anchors: readonly Anchor[], reader: ImageReader): ExpectedPieces {
  const out: ExpectedPieces = { comparisons: [], problems: [], notes: [] };
  const accounts: { against: string; sha256: string; file: string; pieceSize: number; anchor: boolean }[] = [];
  const p = rec?.media.pieces;
  if (p) accounts.push({ against: 'the record', sha256: p.sha256, file: p.file, pieceSize: p.piece_size, anchor: false });
  for (const a of anchors) {
    const e = (a.payload as { pieces?: { file?: unknown; sha256?: unknown; piece_size?: unknown } }).pieces;
    if (e && typeof e.sha256 === 'string' && typeof e.file === 'string' && Number.isSafeInteger(e.piece_size) && path.basename(e.file) === e.file) {
      accounts.push({ against: a.from, sha256: e.sha256, file: e.file, pieceSize: e.piece_size as number, anchor: true });
    }
  }
  if (accounts.length === 0) {
    const why = rec
      ? rec.result !== 'complete'
        ? 'the acquisition is incomplete (the pieces file is written when it completes)'
        : 'its record lists none (an acquisition by an earlier version of exhibit)'
      : `no acquisition record or custody entry of exhibit's lists one for this ${reader.format} image`;
    const own = reader.format === 'aff4' ? 'block hashes' : `${reader.unitKind} checksums${reader.format === 'raw' || reader.format === 'split-raw' ? ' (raw has none: by file)' : ''}`;
    out.notes.push(`there is no pieces file of exhibit's for this image: ${why}; a change is located only by the format's own ${own}`);
    return out;
  }
  const first = accounts.find((a) => a.anchor) ?? accounts[0]!;
  out.pieceSize = first.pieceSize;
  const file = path.join(dir, first.file);
  out.file = file;
  if (!fs.existsSync(file)) {
    out.problems.push(`the pieces file ${first.file} is missing (${first.against} lists it)`);
    return out;
  }
  let read: ReturnType<typeof readPiecesFile>;
  try {
    read = readPiecesFile(file);
  } catch (err) {
    out.problems.push(err instanceof Error ? err.message : String(err));
    return out;
  }
  out.sha256 = read.sha256;
  let trusted = true;
  for (const a of accounts) {
    const equal = digestsEqual(a.sha256, read.sha256);
    out.comparisons.push({ against: a.against, algorithm: 'sha256', expected: a.sha256, computed: read.sha256, equal, anchor: a.anchor, subject: `${PIECES_SUBJECT} ${first.file}` });
    if (!equal) {
      trusted = false;
      out.problems.push(`the pieces file ${first.file} was changed: its SHA-256 is ${read.sha256}, ${a.against} says ${a.sha256}`);
    }
    if (a.pieceSize !== read.list.pieceSize) {
      trusted = false;
      out.problems.push(`the pieces file ${first.file} holds pieces of ${read.list.pieceSize} bytes, ${a.against} says ${a.pieceSize}`);
    }
  }
  if (read.list.mediaBytes !== reader.size) {
    trusted = false;
    out.problems.push(`the pieces file ${first.file} covers ${read.list.mediaBytes} bytes of media, the image holds ${reader.size}`);
  }
  if (trusted) {
    out.list = read.list;
    out.vouchedBy = accounts.filter((a) => a.anchor).map((a) => a.against);
  }
  return out;
}

/** Compare computed piece hashes (by piece number) with the list: a damage entry for each that differs. */
export function comparePieces(list: PieceList, computed: ReadonlyMap<number, string>, fileOf: (s: PieceSpan) => PieceFiles): { damage: DamagedUnit[]; result: Omit<PiecesResult, 'file' | 'sha256'>; intactBytes: number } {
  const damage: DamagedUnit[] = [];
  let intactBytes = 0;
  for (const [i, sum] of computed) {
    const s = pieceSpan(list, i);
    const want = list.sha256[i]!;
    if (digestsEqual(want, sum)) {
      intactBytes += s.bytes;
      continue;
    }
    damage.push({ ...fileOf(s), unit: 'piece', index: i, first_byte: s.first_byte, bytes: s.bytes, first_sector: s.first_sector, sectors: s.sectors, problem: `differs from the pieces file: its SHA-256 is ${sum}, the pieces file says ${want}` });
  }
  return { damage, result: { piece_size: list.pieceSize, count: list.sha256.length, checked: computed.size, intact: computed.size - damage.length, damaged: damage.length }, intactBytes };
}

/** The image file a piece begins in: the raw file or split-raw segment; for a container, the pieces file (the container's own units say which file). */
/** The image file a piece lies in, and the last when it spans several (an E01's segments). */
export interface PieceFiles {
  file: string;
  last_file?: string;
}

export function pieceFile(reader: ImageReader, piecesFile: string): (s: PieceSpan) => PieceFiles {
  if (reader.format === 'raw') return () => ({ file: reader.files[0]! });
  if (reader.format === 'split-raw') {
    const sizes = reader.files.map((f) => fs.statSync(f).size);
    return (s) => {
      let at = 0;
      for (const [i, n] of sizes.entries()) {
        if (s.first_byte < at + n) return { file: reader.files[i]! };
        at += n;
      }
      return { file: reader.files[reader.files.length - 1]! };
    };
  }
  // A segmented container (E01) says which segment holds each chunk: the piece is named by the segment(s) its chunks lie in.
  const located = reader as ImageReader & { locate?: (chunk: number) => { file: string } };
  const unit = reader.unitBytes;
  if (typeof located.locate === 'function' && unit !== undefined && reader.files.length > 1) {
    return (s) => {
      try {
        const first = located.locate!(Math.floor(s.first_byte / unit)).file;
        const last = located.locate!(Math.floor((s.first_byte + Math.max(s.bytes, 1) - 1) / unit)).file;
        return first === last ? { file: first } : { file: first, last_file: last };
      } catch {
        return { file: reader.files[0] ?? piecesFile }; // a chunk the image's tables do not place
      }
    };
  }
  // Otherwise its pieces are media ranges inside its file: named by the image (its first file), not the pieces file, which is not what is damaged.
  return () => ({ file: reader.files[0] ?? piecesFile });
}

/**
 * `verify --pieces`: read and hash only the pieces asked for. A piece the reader cannot read (a
 * damaged chunk or frame) is reported by its error and counts as damaged.
 */
export async function hashSelectedPieces(reader: ImageReader, list: PieceList, which: readonly number[], signal?: AbortSignal, onBytes?: (done: number) => void): Promise<{ sums: Map<number, string>; unreadable: DamagedUnit[] }> {
  const sums = new Map<number, string>();
  const unreadable: DamagedUnit[] = [];
  const buf = Buffer.allocUnsafe(Math.min(list.pieceSize, 4 * 1024 * 1024));
  let done = 0;
  for (const i of which) {
    const s = pieceSpan(list, i);
    const h = crypto.createHash('sha256');
    try {
      for (let at = 0; at < s.bytes; ) {
        if (signal?.aborted) break;
        const want = Math.min(buf.length, s.bytes - at);
        const n = await reader.read(buf, s.first_byte + at, want);
        if (n !== want) throw new Error(`the image ends at media byte ${s.first_byte + at + n}`);
        h.update(buf.subarray(0, n));
        at += n;
        done += n;
        onBytes?.(done);
      }
      sums.set(i, h.digest('hex'));
    } catch (err) {
      unreadable.push({ file: reader.files[0] ?? '', unit: 'piece', index: i, first_byte: s.first_byte, bytes: s.bytes, first_sector: s.first_sector, sectors: s.sectors, problem: `cannot be read: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  return { sums, unreadable };
}

/** verify --source: the pieces of the source read again that differ from the pieces file (the image as acquired). */
export function sourcePieceDifferences(list: PieceList, sums: readonly string[]): { count: number; same: number; differ: PieceSpan[] } {
  const differ: PieceSpan[] = [];
  for (const [i, want] of list.sha256.entries()) {
    const got = sums[i];
    if (got === undefined || !digestsEqual(want, got)) differ.push(pieceSpan(list, i));
  }
  return { count: list.sha256.length, same: list.sha256.length - differ.length, differ };
}
