/**
 * The payloads of EWF2 metadata sections: device information and case data
 * (compressed UTF-16 object strings, as EWF1's header2), the MD5 and SHA-1
 * hash sections and the error table. Each parser takes the section data and
 * a `where` naming the section for messages, and checks every Adler-32 and
 * count before use.
 */
import zlib from 'node:zlib';
import { adler32 } from '../../core/adler32.js';
import { invalid, MAX_HEADER_TEXT, parseMainCategory, utf16Text } from '../ewf/sections.js';
import { bunzip2 } from './bzip2.js';
import { COMPRESSION, ERROR_ENTRY_SIZE } from './layout.js';

const sealed = (p: Buffer, at: number): boolean => p.length >= at + 4 && p.readUInt32LE(at) === adler32(p, 1, 0, at);

/** EWF2 escapes line feed, carriage return and tab inside values as the characters 1, 2 and 3. */
const unescape = (v: string): string => v.replace(/[\x01-\x03]/g, (c) => ({ '\x01': '\n', '\x02': '\r', '\x03': '\t' })[c]!);

/**
 * The `main` object of a device information or case data section: its
 * attribute tags to values. The string is compressed as the file header says
 * (deflate or bzip2), at most 16 MiB once expanded.
 */
export function objectAttributes(p: Buffer, compression: number, where: string): Record<string, string> {
  let raw: Buffer;
  try {
    if (compression === COMPRESSION.deflate) raw = zlib.inflateSync(p, { maxOutputLength: MAX_HEADER_TEXT });
    else if (compression === COMPRESSION.bzip2) raw = bunzip2(p, Math.min(MAX_HEADER_TEXT, 64 * p.length + 1024 * 1024));
    else raw = p;
  } catch (err) {
    throw invalid(where, `its text does not decompress (${(err as Error).message})`, err);
  }
  const fields = parseMainCategory(utf16Text(raw));
  if (!fields) throw invalid(where, "holds no 'main' object");
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = unescape(v);
  return out;
}

/** A hash section: the digest (`bytes` long) and its Adler-32; undefined when all zero (not set). */
export function parseHashSection(p: Buffer, bytes: number, where: string): string | undefined {
  if (p.length < bytes + 4) throw invalid(where, `too short for a hash section (${p.length} bytes)`);
  if (!sealed(p, bytes)) throw invalid(where, 'checksum mismatch');
  for (let i = 0; i < bytes; i++) if (p[i] !== 0) return p.toString('hex', 0, bytes);
  return undefined;
}

export interface ErrorEntry {
  first_sector: number;
  sectors: number;
}

/** The error table: sector ranges the acquiring tool could not read. */
export function parseErrorTable(p: Buffer, where: string): ErrorEntry[] {
  if (p.length < 20) throw invalid(where, `too short for an error table (${p.length} bytes)`);
  if (!sealed(p, 16)) throw invalid(where, 'header checksum mismatch');
  const count = p.readUInt32LE(0);
  if (count === 0) return [];
  const at = 32;
  if (count > Math.floor((p.length - at - 4) / ERROR_ENTRY_SIZE) || p.length < at + 4) throw invalid(where, `its ${count} entries run past the end of the section`);
  const end = at + count * ERROR_ENTRY_SIZE;
  if (p.readUInt32LE(end) !== adler32(p, 1, at, end)) throw invalid(where, 'entry array checksum mismatch');
  const out: ErrorEntry[] = [];
  for (let i = 0; i < count; i++) {
    const first = p.readBigUInt64LE(at + i * ERROR_ENTRY_SIZE);
    const sectors = p.readUInt32LE(at + i * ERROR_ENTRY_SIZE + 8);
    if (first > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(where, `entry ${i} starts at sector ${first}, out of range`);
    if (sectors === 0) throw invalid(where, `entry ${i} covers no sectors`);
    out.push({ first_sector: Number(first), sectors });
  }
  return out;
}

/** A whole number written in decimal, or undefined when absent or not one. */
export function decimal(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d{1,16}$/.test(v.trim())) return undefined;
  const n = Number(v.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}
