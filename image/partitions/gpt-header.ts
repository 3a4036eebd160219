import { crc32, hex32 } from './crc32.js';
import { formatGuid } from './guid.js';

/** A GPT header, as read from one sector. */
export interface GptHeader {
  /** The sector it was read from. */
  lba: number;
  revision: number;
  headerSize: number;
  storedCrc: number;
  computedCrc: number;
  myLba: number;
  alternateLba: number;
  firstUsable: number;
  lastUsable: number;
  diskGuid: string;
  entriesLba: number;
  entryCount: number;
  entrySize: number;
  entriesCrc: number;
}

export interface HeaderCheck {
  /** Undefined when the sector has no "EFI PART" signature (or is too short). */
  header?: GptHeader;
  /** Why the header cannot be trusted (bad CRC, wrong place, unusable fields); empty when it can. */
  problems: string[];
  /** Oddities that do not stop its use. */
  notes: string[];
  /** The entry array fields are sane enough to read the array (even if the header itself failed a check). */
  entriesReadable: boolean;
}

export const GPT_SIGNATURE = 'EFI PART';
export const MIN_HEADER_SIZE = 92;
export const MIN_ENTRY_SIZE = 128;
/**
 * Entry arrays larger than this are not read (the usual one is 16 KiB; sgdisk -S makes any count,
 * and 100,000 entries of 128 bytes, 12.2 MiB, is a valid table): 64 MiB is 524,288 such entries.
 */
export const MAX_ENTRY_ARRAY_BYTES = 64 * 1024 * 1024;

/** True when `sector` starts with "EFI PART". */
export function hasGptSignature(sector: Uint8Array): boolean {
  if (sector.length < 8) return false;
  for (let i = 0; i < 8; i++) if (sector[i] !== GPT_SIGNATURE.charCodeAt(i)) return false;
  return true;
}

/** A 64-bit little-endian field as a number (exact up to 2^53; larger values are past any disk anyway). */
function u64(view: DataView, at: number): number {
  return Number(view.getBigUint64(at, true));
}

/** Parse and check the GPT header in `sector`, which was read from sector `lba` of a disk of `totalSectors`. */
export function checkGptHeader(sector: Uint8Array, lba: number, totalSectors: number): HeaderCheck {
  if (sector.length < 512 || !hasGptSignature(sector)) return { problems: ['there is no "EFI PART" signature'], notes: [], entriesReadable: false };
  const view = new DataView(sector.buffer, sector.byteOffset, sector.byteLength);
  const problems: string[] = [];
  const notes: string[] = [];
  const headerSize = view.getUint32(12, true);
  const storedCrc = view.getUint32(16, true);
  let computedCrc = 0;
  if (headerSize < MIN_HEADER_SIZE || headerSize > sector.length) {
    problems.push(`the header size ${headerSize} is outside ${MIN_HEADER_SIZE}-${sector.length} bytes, so its CRC32 cannot be checked`);
  } else {
    const copy = sector.slice(0, headerSize);
    copy.fill(0, 16, 20);
    computedCrc = crc32(copy);
    if (computedCrc !== storedCrc) problems.push(`its CRC32 does not match (stored ${hex32(storedCrc)}, computed ${hex32(computedCrc)})`);
  }
  const header: GptHeader = {
    lba,
    revision: view.getUint32(8, true),
    headerSize,
    storedCrc,
    computedCrc,
    myLba: u64(view, 24),
    alternateLba: u64(view, 32),
    firstUsable: u64(view, 40),
    lastUsable: u64(view, 48),
    diskGuid: formatGuid(sector, 56),
    entriesLba: u64(view, 72),
    entryCount: view.getUint32(80, true),
    entrySize: view.getUint32(84, true),
    entriesCrc: view.getUint32(88, true),
  };
  if (header.myLba !== lba) problems.push(`it says it lies at sector ${header.myLba}, but it was read from sector ${lba}`);
  const entryProblems: string[] = [];
  if (header.entrySize < MIN_ENTRY_SIZE || header.entrySize % 8 !== 0) entryProblems.push(`its entry size ${header.entrySize} is not a multiple of 8 of at least ${MIN_ENTRY_SIZE} bytes`);
  else if (header.entryCount * header.entrySize > MAX_ENTRY_ARRAY_BYTES)
    entryProblems.push(`its entry array (${header.entryCount} entries of ${header.entrySize} bytes) is larger than ${MAX_ENTRY_ARRAY_BYTES} bytes and was not read`);
  if (header.entriesLba < 2 || header.entriesLba >= totalSectors) entryProblems.push(`its entry array would start at sector ${header.entriesLba}, outside sectors 2-${totalSectors - 1}`);
  for (const p of entryProblems) problems.push(p);
  const entriesReadable = entryProblems.length === 0;
  if (header.firstUsable > header.lastUsable) problems.push(`its first usable sector ${header.firstUsable} is after its last usable sector ${header.lastUsable}`);
  if (header.revision !== 0x00010000) notes.push(`its revision is ${hex32(header.revision)}, not 0x00010000 (1.0)`);
  if (view.getUint32(20, true) !== 0) notes.push('its reserved field (bytes 20-23) is not zero');
  if (header.lastUsable >= totalSectors && header.firstUsable <= header.lastUsable)
    notes.push(`its last usable sector ${header.lastUsable} is past the end of the disk (last sector ${totalSectors - 1}): the image may be truncated`);
  return { header, problems, notes, entriesReadable };
}
