/**
 * Piecewise hashes: the SHA-256 of every piece of the media (64 MiB by
 * default, a whole number of sectors; the last piece may be shorter), kept in
 * `<evidence>.pieces` beside the record. A changed byte then fails one piece,
 * which names where the change is and leaves every other piece proven intact.
 *
 * Each piece's SHA-256 is the plain SHA-256 of its bytes, so the file checks
 * with `dd` and `sha256sum` alone (SECURITY.md). The file is text, LF line
 * ends, five header lines then one line per piece:
 *
 *     # exhibit pieces 1
 *     # evidence EV-001
 *     # media_bytes 2147483648
 *     # sector_size 512
 *     # piece_size 67108864
 *     0 67108864 <64 lowercase hex digits>
 *     67108864 67108864 <...>
 *
 * Pieces are numbered from 0 in the order of the file, as E01 chunks and zst
 * frames are. The file's SHA-256 is in the record and in the signed custody
 * entry of the acquisition.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sha256Hex } from './crypto.js';
import { describeSystemError, ExhibitError } from './errors.js';
import { readInputSync } from './input-file.js';
import { formatBytes } from './units.js';

export const PIECES_SUFFIX = '.pieces';
export const DEFAULT_PIECE_SIZE = 64 * 1024 * 1024;
/** The smallest and largest piece exhibit makes or reads. */
export const MIN_PIECE_SIZE = 1024 * 1024;
export const MAX_PIECE_SIZE = 1024 ** 4;
/** A pieces file of a 16 PiB medium in 1 MiB pieces would be far larger; this bounds what is read (about 1.6 million pieces). */
export const MAX_PIECES_FILE_BYTES = 160 * 1024 * 1024;

const SIGNATURE = '# exhibit pieces 1';
const HEADER_KEYS = ['evidence', 'media_bytes', 'sector_size', 'piece_size'] as const;

export interface PieceList {
  evidence: string;
  mediaBytes: number;
  sectorSize: number;
  pieceSize: number;
  /** One SHA-256 (lowercase hex) per piece, in media order. */
  sha256: string[];
}

/** What the record and the custody entry keep of the pieces file. */
export interface PiecesSummary {
  file: string;
  piece_size: number;
  count: number;
  sha256: string;
}

/** A piece of the media, in bytes and in sectors. */
export interface PieceSpan {
  index: number;
  first_byte: number;
  bytes: number;
  first_sector: number;
  sectors: number;
}

/**
 * How the media is cut into pieces, for people: "1 piece, the whole 4.00 MiB of media", or
 * "3 pieces of 64.0 MiB (the last 12.0 MiB)". `mediaBytes` is what the pieces cover (an E01's media
 * includes the zeros after a source that is not whole sectors).
 */
export function piecesShape(count: number, pieceSize: number, mediaBytes: number): string {
  if (count === 1) return `1 piece, the whole ${formatBytes(mediaBytes)} of media`;
  const last = mediaBytes - (count - 1) * pieceSize; // the last piece may be shorter
  return `${count} pieces of ${formatBytes(pieceSize)}${last < pieceSize ? ` (the last ${formatBytes(last)})` : ''}`;
}

export function piecesFileName(evidence: string): string {
  return `${evidence}${PIECES_SUFFIX}`;
}

/** How many pieces a medium of `mediaBytes` has (at least one, so an empty medium still has its hash). */
export function pieceCount(mediaBytes: number, pieceSize: number): number {
  return Math.max(1, Math.ceil(mediaBytes / pieceSize));
}

export function pieceSpan(list: Pick<PieceList, 'mediaBytes' | 'pieceSize' | 'sectorSize'>, index: number): PieceSpan {
  const first = index * list.pieceSize;
  const bytes = Math.max(0, Math.min(list.pieceSize, list.mediaBytes - first));
  const firstSector = Math.floor(first / list.sectorSize);
  return { index, first_byte: first, bytes, first_sector: firstSector, sectors: Math.ceil((first + bytes) / list.sectorSize) - firstSector };
}

export function renderPieces(list: PieceList): string {
  const head = [SIGNATURE, `# evidence ${list.evidence}`, `# media_bytes ${list.mediaBytes}`, `# sector_size ${list.sectorSize}`, `# piece_size ${list.pieceSize}`];
  const lines = list.sha256.map((h, i) => {
    const s = pieceSpan(list, i);
    return `${s.first_byte} ${s.bytes} ${h}`;
  });
  return `${[...head, ...lines].join('\n')}\n`;
}

/** The summary the record and the custody entry keep, from the file's text. */
export function summarise(list: PieceList, text: string): PiecesSummary {
  return { file: piecesFileName(list.evidence), piece_size: list.pieceSize, count: list.sha256.length, sha256: sha256Hex(text) };
}

/** Parse a pieces file strictly; a plain Error names the line that is wrong. */
export function parsePieces(text: string): PieceList {
  if (!text.endsWith('\n')) throw new Error('its last line is cut short (no line end)');
  const lines = text.slice(0, -1).split('\n');
  if (lines[0] !== SIGNATURE) throw new Error(`line 1 is not "${SIGNATURE}" (not an exhibit pieces file)`);
  const head: Record<string, string> = {};
  for (const [k, key] of HEADER_KEYS.entries()) {
    const line = lines[k + 1] ?? '';
    const prefix = `# ${key} `;
    if (!line.startsWith(prefix) || line.length === prefix.length) throw new Error(`line ${k + 2} is not "${prefix}<value>"`);
    head[key] = line.slice(prefix.length);
  }
  const whole = (key: string, min: number, max: number): number => {
    const v = head[key]!;
    const n = /^\d{1,16}$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`its ${key} "${v}" is not a whole number from ${min} to ${max}`);
    return n;
  };
  const mediaBytes = whole('media_bytes', 0, Number.MAX_SAFE_INTEGER);
  const sectorSize = whole('sector_size', 1, 64 * 1024);
  const pieceSize = whole('piece_size', 1, MAX_PIECE_SIZE);
  if (pieceSize % sectorSize !== 0) throw new Error(`its piece_size ${pieceSize} is not a whole number of ${sectorSize}-byte sectors`);
  const list: PieceList = { evidence: head.evidence!, mediaBytes, sectorSize, pieceSize, sha256: [] };
  const count = pieceCount(mediaBytes, pieceSize);
  const body = lines.slice(1 + HEADER_KEYS.length);
  // A line that is not a piece's is named first (a blank line would otherwise read as one piece too many).
  const odd = body.findIndex((l) => !/^(\d{1,16}) (\d{1,16}) ([0-9a-f]{64})$/.test(l));
  if (odd >= 0) throw new Error(`line ${odd + 2 + HEADER_KEYS.length} is not "<offset> <length> <sha256>"${body[odd] === '' ? ' (it is empty)' : ''}`);
  if (body.length !== count) throw new Error(`it lists ${body.length} pieces; ${mediaBytes} bytes in pieces of ${pieceSize} make ${count}`);
  for (const [i, line] of body.entries()) {
    const s = pieceSpan(list, i);
    const m = /^(\d{1,16}) (\d{1,16}) ([0-9a-f]{64})$/.exec(line);
    if (!m) throw new Error(`line ${i + 2 + HEADER_KEYS.length} is not "<offset> <length> <sha256>"`);
    if (Number(m[1]) !== s.first_byte || Number(m[2]) !== s.bytes) throw new Error(`line ${i + 2 + HEADER_KEYS.length} says piece ${i} is ${m[2]} bytes at ${m[1]}; it is ${s.bytes} bytes at ${s.first_byte}`);
    list.sha256.push(m[3]!);
  }
  return list;
}

/** Read and parse a pieces file, bounded; IMAGE_INVALID naming the file when it cannot be read or is not one. */
export function readPiecesFile(file: string): { list: PieceList; text: string; sha256: string } {
  const fail = (why: string, cause?: unknown) => new ExhibitError('IMAGE_INVALID', `the pieces file ${file} cannot be read: ${why}`, cause === undefined ? {} : { cause });
  let bytes: Buffer;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_PIECES_FILE_BYTES) throw fail(`it is ${size} bytes, more than the ${MAX_PIECES_FILE_BYTES} exhibit reads`);
    bytes = readInputSync(file);
  } catch (err) {
    if (err instanceof ExhibitError) throw err;
    throw fail(describeSystemError(err), err);
  }
  const text = bytes.toString('utf8');
  try {
    return { list: parsePieces(text), text, sha256: sha256Hex(bytes) };
  } catch (err) {
    throw fail(err instanceof Error ? err.message : String(err), err);
  }
}

/** The pieces file beside a record (same folder, named for the evidence). */
export function piecesBeside(recordOrImageDir: string, evidence: string): string {
  return path.join(recordOrImageDir, piecesFileName(evidence));
}

/**
 * `--pieces 3`, `--pieces 0-7,12`: piece numbers from 0, ranges inclusive. Each must exist
 * (below `count`). Returns the sorted, de-duplicated numbers; a usage error names what is wrong.
 */
export function parsePieceSelection(text: string, count: number): number[] {
  const chosen = new Set<number>();
  const bad = (why: string) => new ExhibitError('USAGE', `--pieces ${why}`, { hints: [`name pieces by number from 0 to ${count - 1}, such as --pieces 3 or --pieces 0-7,12`] });
  for (const part of text.split(',')) {
    const m = /^\s*(\d{1,9})\s*(?:-\s*(\d{1,9})\s*)?$/.exec(part);
    if (!m) throw bad(`"${part}" is not a piece number or a range of them`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw bad(`"${part}" runs backwards`);
    if (b >= count) throw bad(`"${part}" names piece ${b}, but the media has ${count} piece${count === 1 ? '' : 's'} (0 to ${count - 1})`);
    for (let i = a; i <= b; i++) chosen.add(i);
  }
  return [...chosen].sort((x, y) => x - y);
}
