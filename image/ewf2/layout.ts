/**
 * The fixed structures of an EWF2 (Ex01) segment file: the 32-byte file
 * header, the 64-byte section descriptor that ends every section, and the
 * numbers that name section types and chunk flags. SPEC.md beside this file
 * describes them.
 */
import { adler32 } from '../../core/adler32.js';

export const EX01_SIGNATURE = Buffer.from('EVF2\r\n\x81\x00', 'latin1');
export const LX01_SIGNATURE = Buffer.from('LEF2\r\n\x81\x00', 'latin1');
export const FILE_HEADER_SIZE = 32;
export const DESCRIPTOR_SIZE = 64;

export const SECTION = {
  deviceInformation: 0x01,
  caseData: 0x02,
  sectorData: 0x03,
  sectorTable: 0x04,
  errorTable: 0x05,
  sessionTable: 0x06,
  incrementData: 0x07,
  md5: 0x08,
  sha1: 0x09,
  restartData: 0x0a,
  encryptionKeys: 0x0b,
  memoryExtents: 0x0c,
  next: 0x0d,
  finalInformation: 0x0e,
  done: 0x0f,
  analyticalData: 0x10,
} as const;

const NAMES = new Map<number, string>(Object.entries(SECTION).map(([k, v]) => [v, k.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)]));

/** A section type in words, for messages ("sector table", "type 0x2a"). */
export function sectionName(type: number): string {
  return NAMES.get(type) ?? `type 0x${type.toString(16)}`;
}

/** Section data flags. */
export const SECTION_MD5_HASHED = 0x1;
export const SECTION_ENCRYPTED = 0x2;

/** Chunk flags in a sector table entry. */
export const CHUNK_COMPRESSED = 0x1;
export const CHUNK_CHECKSUMMED = 0x2;
export const CHUNK_PATTERN_FILL = 0x4;

/** Compression methods (file header and case data). */
export const COMPRESSION = { none: 0, deflate: 1, bzip2: 2 } as const;
export type CompressionMethod = 0 | 1 | 2;

export const TABLE_HEADER_SIZE = 32; // 20 bytes and 12 of padding
export const TABLE_ENTRY_SIZE = 16;
export const ERROR_ENTRY_SIZE = 16;

export interface FileHeader {
  logical: boolean;
  major: number;
  minor: number;
  compression: number;
  segment: number;
  setIdentifier: string; // hex
}

/** The file header, or undefined when the first bytes are not an EWF2 signature. */
export function parseFileHeader(b: Uint8Array): FileHeader | undefined {
  if (b.length < FILE_HEADER_SIZE) return undefined;
  const buf = Buffer.from(b.buffer, b.byteOffset, FILE_HEADER_SIZE);
  const sig = buf.subarray(0, 8);
  const logical = sig.equals(LX01_SIGNATURE);
  if (!logical && !sig.equals(EX01_SIGNATURE)) return undefined;
  return { logical, major: buf[8]!, minor: buf[9]!, compression: buf.readUInt16LE(10), segment: buf.readUInt32LE(12), setIdentifier: buf.toString('hex', 16, 32) };
}

export interface Descriptor {
  type: number;
  flags: number;
  previous: number;
  dataSize: number;
  descriptorSize: number;
  paddingSize: number;
  md5: string; // hex of the data integrity hash
}

/** A section descriptor, or a reason why it does not hold. */
export function parseDescriptor(b: Buffer): Descriptor | string {
  if (b.length < DESCRIPTOR_SIZE) return `cut short (${b.length} bytes)`;
  if (b.readUInt32LE(60) !== adler32(b, 1, 0, 60)) return 'checksum mismatch';
  const previous = b.readBigUInt64LE(8);
  const dataSize = b.readBigUInt64LE(16);
  if (previous > BigInt(Number.MAX_SAFE_INTEGER) || dataSize > BigInt(Number.MAX_SAFE_INTEGER)) return `offset ${previous} or data size ${dataSize} out of range`;
  return {
    type: b.readUInt32LE(0),
    flags: b.readUInt32LE(4),
    previous: Number(previous),
    dataSize: Number(dataSize),
    descriptorSize: b.readUInt32LE(24),
    paddingSize: b.readUInt32LE(28),
    md5: b.toString('hex', 32, 48),
  };
}
