/**
 * The byte layout of EWF (E01) as EnCase 6 and libewf write it. Offsets and
 * sizes here are the single source for the writer and the reader; SPEC.md
 * beside this file explains them. Little-endian throughout; every checksum is
 * Adler-32.
 */
import { adler32 } from '../../core/adler32.js';

/** Segment file header: "EVF" 09 0D 0A FF 00, then 01, segment number u16, 00 00. */
export const FILE_SIGNATURE = Buffer.from([0x45, 0x56, 0x46, 0x09, 0x0d, 0x0a, 0xff, 0x00]);
export const FILE_HEADER_SIZE = 13;

/** Section descriptor: type[16] ASCII NUL-padded, next u64 (absolute), size u64 (descriptor included), 40 zero bytes, Adler-32 of bytes 0..71. */
export const DESCRIPTOR_SIZE = 76;

/** volume (and data) payload: 1052 bytes, Adler-32 of bytes 0..1047 at 1048. */
export const VOLUME_SIZE = 1052;
export const VOLUME = {
  mediaType: 0, // u8: 0 removable, 1 fixed, 3 optical, 0x10 memory
  chunkCount: 4, // u32
  sectorsPerChunk: 8, // u32
  bytesPerSector: 12, // u32
  sectorCount: 16, // u64
  mediaFlags: 36, // u8: 0x01 always, 0x02 physical device
  compressionLevel: 52, // u8: 0 none, 1 fast, 2 best
  errorGranularity: 56, // u32 (libewf writes sectors per chunk)
  setIdentifier: 64, // 16 bytes: random GUID, identical in volume and every data section
  checksum: 1048,
} as const;

export const MEDIA_TYPES = { removable: 0, fixed: 1, optical: 3, memory: 0x10 } as const;
export type MediaType = keyof typeof MEDIA_TYPES;

/** table/table2 header: count u32, 0 u32, base offset u64, 0 u32, Adler-32 of bytes 0..19. Entries u32 follow, then Adler-32 of the entries. */
export const TABLE_HEADER_SIZE = 24;
export const TABLE_COMPRESSED = 0x80000000; // entry bit 31: the chunk is a zlib stream
export const TABLE_OFFSET_MASK = 0x7fffffff;
/** Entries per table: FTK 1 reads no more than 16375; EnCase 6 allows 65534. */
export const MAX_TABLE_ENTRIES = 16375;

/** error2: count u32, 512 zero bytes, Adler-32 of those 516; then {first sector u32, count u32}..., Adler-32 of the entries. */
export const ERROR2_HEADER_SIZE = 520;
/** digest: MD5[16], SHA-1[20], 40 zero bytes, Adler-32 of bytes 0..75. */
export const DIGEST_SIZE = 80;
/** hash: MD5[16], 16 zero bytes, Adler-32 of bytes 0..31. */
export const HASH_SIZE = 36;

export interface Descriptor {
  type: string;
  offset: number; // where the descriptor starts in its file
  next: number;
  size: number;
}

export function fileHeader(segment: number): Buffer {
  const b = Buffer.alloc(FILE_HEADER_SIZE);
  FILE_SIGNATURE.copy(b, 0);
  b[8] = 1;
  b.writeUInt16LE(segment, 9);
  return b;
}

export function descriptor(type: string, next: number, size: number): Buffer {
  const b = Buffer.alloc(DESCRIPTOR_SIZE);
  b.write(type, 0, 16, 'ascii');
  b.writeBigUInt64LE(BigInt(next), 16);
  b.writeBigUInt64LE(BigInt(size), 24);
  b.writeUInt32LE(adler32(b, 1, 0, 72), 72);
  return b;
}

/** Parse a descriptor; undefined when its checksum does not hold. */
export function parseDescriptor(b: Buffer, offset: number): Descriptor | undefined {
  if (b.length < DESCRIPTOR_SIZE) return undefined;
  if (b.readUInt32LE(72) !== adler32(b, 1, 0, 72)) return undefined;
  const nul = b.indexOf(0, 0);
  const type = b.toString('ascii', 0, nul >= 0 && nul < 16 ? nul : 16);
  return { type, offset, next: Number(b.readBigUInt64LE(16)), size: Number(b.readBigUInt64LE(24)) };
}

/** Segment file extensions: E01..E99, then EAA..EZZ, FAA..ZZZ. */
export function segmentExtension(segment: number): string {
  if (segment < 1) throw new RangeError('segment numbers start at 1');
  if (segment <= 99) return `E${String(segment).padStart(2, '0')}`;
  let n = segment - 100; // 0 -> EAA
  const third = n % 26;
  n = Math.floor(n / 26);
  const second = n % 26;
  n = Math.floor(n / 26);
  const first = 4 + n; // 'E' is letter 4
  if (first > 25) throw new RangeError('too many segments for EWF naming');
  const L = (i: number) => String.fromCharCode(65 + i);
  return `${L(first)}${L(second)}${L(third)}`;
}

/** Fill in a payload's trailing Adler-32 over the bytes before it. */
export function sealPayload(b: Buffer, checksumAt: number): Buffer {
  b.writeUInt32LE(adler32(b, 1, 0, checksumAt), checksumAt);
  return b;
}
