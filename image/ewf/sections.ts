/**
 * Decoding the payloads of EWF sections for the reader: volume/disk/data,
 * table/table2, error2, digest, hash and the header text. Each function takes
 * the payload (the bytes after the 76-byte descriptor) and a `where` that names
 * the section, file and offset for messages.
 */
import zlib from 'node:zlib';
import { adler32 } from '../../core/adler32.js';
import { ExhibitError } from '../../core/errors.js';
import { DIGEST_SIZE, ERROR2_HEADER_SIZE, HASH_SIZE, TABLE_HEADER_SIZE, VOLUME, VOLUME_SIZE } from './layout.js';

export function invalid(where: string, what: string, cause?: unknown): ExhibitError {
  return new ExhibitError('IMAGE_INVALID', `${where}: ${what}`, cause === undefined ? {} : { cause });
}

/** The stored Adler-32 at `at` matches the bytes before it. */
function sealed(p: Buffer, at: number): boolean {
  return p.readUInt32LE(at) === adler32(p, 1, 0, at);
}

export interface EwfVolume {
  /** Which section held it: 'volume', 'disk' (FTK Imager) or 'data'. */
  section: string;
  /** 'e01': the 1052-byte EnCase layout; 's01': the 94-byte SMART/EWF layout (no media type, flags, compression or set identifier). */
  layout: 'e01' | 's01';
  chunkCount: number;
  sectorsPerChunk: number;
  bytesPerSector: number;
  sectorCount: number;
  /** 0 removable, 1 fixed, 3 optical, 0x0e logical evidence, 0x10 memory. */
  mediaType?: number;
  /** 0x01 image file, 0x02 physical device, 0x04 Fastbloc, 0x08 Tableau. */
  mediaFlags?: number;
  /** 0 none, 1 fast/good, 2 best. */
  compressionLevel?: number;
  errorGranularity?: number;
  /** 32 hex digits; all zeros when the writer set none. */
  setIdentifier: string;
}

/** S01 (SMART, `ewfacquire -f ewf`) volume: 94 bytes, sector count u32 at 16, Adler-32 at 90. */
const S01_VOLUME_SIZE = 94;
const S01_VOLUME_CHECKSUM = 90;

export function parseVolume(p: Buffer, section: string, where: string): EwfVolume {
  if (p.length >= VOLUME_SIZE) {
    if (!sealed(p, VOLUME.checksum)) throw invalid(where, 'checksum mismatch');
    return {
      section,
      layout: 'e01',
      chunkCount: p.readUInt32LE(VOLUME.chunkCount),
      sectorsPerChunk: p.readUInt32LE(VOLUME.sectorsPerChunk),
      bytesPerSector: p.readUInt32LE(VOLUME.bytesPerSector),
      sectorCount: Number(p.readBigUInt64LE(VOLUME.sectorCount)),
      mediaType: p[VOLUME.mediaType]!,
      mediaFlags: p[VOLUME.mediaFlags]!,
      compressionLevel: p[VOLUME.compressionLevel]!,
      errorGranularity: p.readUInt32LE(VOLUME.errorGranularity),
      setIdentifier: p.toString('hex', VOLUME.setIdentifier, VOLUME.setIdentifier + 16),
    };
  }
  if (p.length >= S01_VOLUME_SIZE) {
    if (!sealed(p, S01_VOLUME_CHECKSUM)) throw invalid(where, 'checksum mismatch');
    return {
      section,
      layout: 's01',
      chunkCount: p.readUInt32LE(4),
      sectorsPerChunk: p.readUInt32LE(8),
      bytesPerSector: p.readUInt32LE(12),
      sectorCount: p.readUInt32LE(16),
      setIdentifier: '0'.repeat(32),
    };
  }
  throw invalid(where, `too short for a volume section (${p.length} bytes)`);
}

export interface TableHeader {
  count: number;
  base: number;
}

/** The 24-byte table header, or a reason why it does not hold. */
export function parseTableHeader(p: Buffer): TableHeader | string {
  if (p.length < TABLE_HEADER_SIZE) return `its header is cut short (${p.length} bytes)`;
  if (!sealed(p, 20)) return 'its header checksum does not match';
  return { count: p.readUInt32LE(0), base: Number(p.readBigUInt64LE(8)) };
}

/** The entry array (and its trailing Adler-32 when `footer`), or a reason why it does not hold. */
export function parseTableEntries(p: Buffer, count: number, footer: boolean): Uint32Array | string {
  if (p.length < count * 4 + (footer ? 4 : 0)) return `its ${count} entries run past the end of the section`;
  if (footer && p.readUInt32LE(count * 4) !== adler32(p, 1, 0, count * 4)) return 'its entry array checksum does not match';
  const entries = new Uint32Array(count);
  for (let i = 0; i < count; i++) entries[i] = p.readUInt32LE(i * 4);
  return entries;
}

export interface ErrorRange {
  first_sector: number;
  sectors: number;
}

export function parseError2(p: Buffer, where: string): ErrorRange[] {
  if (p.length < ERROR2_HEADER_SIZE) throw invalid(where, `too short for an error2 section (${p.length} bytes)`);
  if (!sealed(p, ERROR2_HEADER_SIZE - 4)) throw invalid(where, 'header checksum mismatch');
  const count = p.readUInt32LE(0);
  const entries = p.subarray(ERROR2_HEADER_SIZE);
  if (count === 0) return [];
  if (entries.length < count * 8 + 4) throw invalid(where, `its ${count} entries run past the end of the section`);
  if (!sealed(entries, count * 8)) throw invalid(where, 'entry array checksum mismatch');
  const out: ErrorRange[] = [];
  for (let i = 0; i < count; i++) out.push({ first_sector: entries.readUInt32LE(i * 8), sectors: entries.readUInt32LE(i * 8 + 4) });
  return out;
}

function hex(p: Buffer, from: number, to: number): string | undefined {
  for (let i = from; i < to; i++) if (p[i] !== 0) return p.toString('hex', from, to);
  return undefined; // all zero: not set
}

export function parseDigest(p: Buffer, where: string): { md5?: string; sha1?: string } {
  if (p.length < DIGEST_SIZE) throw invalid(where, `too short for a digest section (${p.length} bytes)`);
  if (!sealed(p, DIGEST_SIZE - 4)) throw invalid(where, 'checksum mismatch');
  const out: { md5?: string; sha1?: string } = {};
  const md5 = hex(p, 0, 16);
  const sha1 = hex(p, 16, 36);
  if (md5) out.md5 = md5;
  if (sha1) out.sha1 = sha1;
  return out;
}

export function parseHash(p: Buffer, where: string): string | undefined {
  if (p.length < HASH_SIZE) throw invalid(where, `too short for a hash section (${p.length} bytes)`);
  if (!sealed(p, HASH_SIZE - 4)) throw invalid(where, 'checksum mismatch');
  return hex(p, 0, 16);
}

/** Inflated header text is small; anything larger is damage. */
export const MAX_HEADER_TEXT = 16 * 1024 * 1024;

/**
 * Inflate a header or header2 payload and decode its text: header2 is UTF-16
 * (little-endian with BOM FF FE as written; big-endian with FE FF and no BOM
 * are also read), header is ASCII or a single-byte code page (read as UTF-8
 * when valid, else as Windows-1252, which Latin-1 is a part of).
 */
export function headerTextOf(p: Buffer, utf16: boolean): string {
  const raw = zlib.inflateSync(p, { maxOutputLength: MAX_HEADER_TEXT });
  if (utf16) return utf16Text(raw);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return windows1252(raw);
  }
}

/**
 * EnCase on a Western Windows writes the header in its code page, 1252: Latin-1 but for 0x80-0x9F
 * (€, ’, “, ...). Spelled out here: a Node built without ICU decodes 'windows-1252' as Latin-1.
 */
const CP1252_HIGH = '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';
function windows1252(raw: Buffer): string {
  const text = raw.toString('latin1');
  return /[\u0080-\u009f]/.test(text) ? text.replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!) : text;
}

/** UTF-16 text: little-endian with or without the BOM FF FE, big-endian with FE FF (EWF header2, EWF2 object strings). */
export function utf16Text(raw: Buffer): string {
  if (raw[0] === 0xfe && raw[1] === 0xff) {
    const swapped = Buffer.from(raw.subarray(2, raw.length & ~1));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  return raw.toString('utf16le', raw[0] === 0xff && raw[1] === 0xfe ? 2 : 0, raw.length & ~1);
}

/** The identifiers and values of the `main` category, e.g. { c: 'case 1', n: 'evidence 1', e: 'examiner', ... }. */
export function parseMainCategory(text: string): Record<string, string> | undefined {
  const lines = text.split(/\r?\n|\r/);
  const at = lines.findIndex((l) => l.trim() === 'main');
  if (at < 0) return undefined;
  const ids = lines[at + 1];
  const values = lines[at + 2];
  if (ids === undefined || values === undefined || ids.trim() === '') return undefined;
  const v = values.split('\t');
  const out: Record<string, string> = {};
  ids.split('\t').forEach((id, i) => {
    const key = id.trim();
    if (key !== '' && key !== '__proto__' && !Object.hasOwn(out, key)) out[key] = v[i] ?? '';
  });
  return out;
}
