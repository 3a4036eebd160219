/**
 * The zip container of an AFF4 image, read from its central directory (ZIP64
 * included) and never from a scan of local headers. Every number is checked
 * against the file before it is used: the directory must lie inside the file
 * before its end record, every member's data inside the file before the
 * directory, and a member is only ever read whole when it is small (metadata:
 * up to MAX_MEMBER bytes, inflated no further than its declared size, and its
 * CRC-32 checked). Image data (bevies) is read in place, by range.
 */
import type fsp from 'node:fs/promises';
import zlib from 'node:zlib';
import { ExhibitError } from '../../core/errors.js';
import { crc32 } from '../partitions/crc32.js';

/** The largest member read whole (information.turtle, a map, a bevy index, block hashes). */
export const MAX_MEMBER = 32 * 1024 * 1024;
/** The largest central directory exhibit reads (about 400,000 members). */
const MAX_DIRECTORY = 32 * 1024 * 1024;
const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export interface ZipMember {
  /** The name as stored (AFF4 names are URL-encoded). */
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressed: number;
  size: number;
  /** Where the local header starts. */
  header: number;
}

export interface ZipDirectory {
  members: Map<string, ZipMember>;
  /** The zip comment (an AFF4 volume keeps its URN there). */
  comment: string;
  /** Where the central directory starts: no member's data may reach it. */
  directoryStart: number;
  warnings: string[];
}

const invalid = (file: string, why: string) => new ExhibitError('IMAGE_INVALID', `${file}: ${why}`);

async function readExact(h: fsp.FileHandle, at: number, length: number, file: string, what: string): Promise<Buffer> {
  const b = Buffer.alloc(length);
  const { bytesRead } = await h.read(b, 0, length, at);
  if (bytesRead !== length) throw invalid(file, `the file ends inside ${what} (at byte ${at})`);
  return b;
}

/** A 64-bit little-endian number that must fit a JavaScript number exactly. */
function u64(b: Buffer, at: number, file: string, what: string): number {
  const v = b.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(file, `${what} is ${v}, more than exhibit can address`);
  return Number(v);
}

/** Read the central directory of the zip file `h` (of `size` bytes). */
export async function readZipDirectory(h: fsp.FileHandle, size: number, file: string): Promise<ZipDirectory> {
  const warnings: string[] = [];
  const tailLength = Math.min(size, 22 + 0xffff);
  const tail = await readExact(h, size - tailLength, tailLength, file, 'the zip end record');
  let eocd = -1;
  for (let i = tailLength - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD && i + 22 + tail.readUInt16LE(i + 20) <= tailLength) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw invalid(file, 'it has no zip end-of-central-directory record: it is not a whole zip container (cut short?)');
  const eocdAt = size - tailLength + eocd;
  const commentLength = tail.readUInt16LE(eocd + 20);
  const comment = tail.subarray(eocd + 22, eocd + 22 + commentLength).toString('utf8');
  let count = tail.readUInt16LE(eocd + 10);
  let dirSize = tail.readUInt32LE(eocd + 12);
  let dirStart = tail.readUInt32LE(eocd + 16);
  let endOfDirectory = eocdAt;
  if (tail.readUInt16LE(eocd + 4) !== 0 || tail.readUInt16LE(eocd + 6) !== 0) throw invalid(file, 'it is one part of a multi-disk zip archive, which AFF4 does not use');
  if (eocdAt >= 20) {
    const loc = await readExact(h, eocdAt - 20, 20, file, 'the ZIP64 locator');
    if (loc.readUInt32LE(0) === ZIP64_LOCATOR) {
      const recAt = u64(loc, 8, file, 'the ZIP64 end record offset');
      if (recAt + 56 > eocdAt - 20) throw invalid(file, `the ZIP64 locator points to byte ${recAt}, past where the record can be`);
      const rec = await readExact(h, recAt, 56, file, 'the ZIP64 end record');
      if (rec.readUInt32LE(0) !== ZIP64_EOCD) throw invalid(file, `there is no ZIP64 end record at byte ${recAt}, where its locator points`);
      count = u64(rec, 32, file, 'the ZIP64 member count');
      dirSize = u64(rec, 40, file, 'the ZIP64 directory size');
      dirStart = u64(rec, 48, file, 'the ZIP64 directory offset');
      endOfDirectory = recAt;
    }
  }
  if (dirSize > MAX_DIRECTORY) throw invalid(file, `its zip central directory declares ${dirSize} bytes, more than the ${MAX_DIRECTORY} exhibit reads`);
  if (dirStart + dirSize > endOfDirectory) throw invalid(file, `its zip central directory (${dirSize} bytes at byte ${dirStart}) runs past its end record at byte ${endOfDirectory}`);
  if (count * 46 > dirSize) throw invalid(file, `its zip end record counts ${count} members, more than its ${dirSize}-byte directory can hold`);
  const dir = await readExact(h, dirStart, dirSize, file, 'the zip central directory');
  const members = new Map<string, ZipMember>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > dir.length || dir.readUInt32LE(p) !== CENTRAL) throw invalid(file, `zip directory entry ${i} (at byte ${dirStart + p}) is damaged`);
    const flags = dir.readUInt16LE(p + 8);
    const method = dir.readUInt16LE(p + 10);
    const crc = dir.readUInt32LE(p + 16);
    let compressed = dir.readUInt32LE(p + 20);
    let uncompressed = dir.readUInt32LE(p + 24);
    const nameLength = dir.readUInt16LE(p + 28);
    const extraLength = dir.readUInt16LE(p + 30);
    const commentLen = dir.readUInt16LE(p + 32);
    let header = dir.readUInt32LE(p + 42);
    const end = p + 46 + nameLength + extraLength + commentLen;
    if (end > dir.length) throw invalid(file, `zip directory entry ${i} runs past the directory`);
    const name = dir.subarray(p + 46, p + 46 + nameLength).toString(flags & 0x800 ? 'utf8' : 'latin1');
    // ZIP64 extra field: the 64-bit values of the 32-bit fields that are all ones, in this order.
    let x = p + 46 + nameLength;
    const xEnd = x + extraLength;
    while (x + 4 <= xEnd) {
      const id = dir.readUInt16LE(x);
      const len = dir.readUInt16LE(x + 2);
      if (x + 4 + len > xEnd) throw invalid(file, `zip directory entry ${i} (${name}) has an extra field running past its end`);
      if (id === 0x0001) {
        let q = x + 4;
        const next = (what: string): number => {
          if (q + 8 > x + 4 + len) throw invalid(file, `the ZIP64 field of ${name} is too short for its ${what}`);
          const v = u64(dir, q, file, `the ${what} of ${name}`);
          q += 8;
          return v;
        };
        if (uncompressed === 0xffffffff) uncompressed = next('size');
        if (compressed === 0xffffffff) compressed = next('stored size');
        if (header === 0xffffffff) header = next('offset');
      }
      x += 4 + len;
    }
    if (header + 30 + compressed > dirStart) throw invalid(file, `zip member ${name} (${compressed} bytes at byte ${header}) runs into the central directory`);
    if (members.has(name)) warnings.push(`${file}: the zip member ${name} is stored more than once; its last copy is read`);
    members.set(name, { name, method, flags, crc, compressed, size: uncompressed, header });
    p = end;
  }
  return { members, comment, directoryStart: dirStart, warnings };
}

/** Where a member's data starts (after its local header), checked to be a local header of that member. */
export async function dataStart(h: fsp.FileHandle, m: ZipMember, z: ZipDirectory, file: string): Promise<number> {
  const local = await readExact(h, m.header, 30, file, `the local header of ${m.name}`);
  if (local.readUInt32LE(0) !== LOCAL) throw invalid(file, `there is no zip local header at byte ${m.header}, where ${m.name} should start`);
  const start = m.header + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  if (start + m.compressed > z.directoryStart) throw invalid(file, `zip member ${m.name} runs into the central directory`);
  return start;
}

/** A small member read whole: stored or deflated, at most MAX_MEMBER bytes, CRC-32 checked. */
export async function readMember(h: fsp.FileHandle, m: ZipMember, z: ZipDirectory, file: string): Promise<Buffer> {
  if (m.flags & 1) throw new ExhibitError('IMAGE_UNSUPPORTED', `${file}: the zip member ${m.name} is encrypted, which exhibit does not read`);
  if (m.size > MAX_MEMBER) throw invalid(file, `the zip member ${m.name} declares ${m.size} bytes, more than the ${MAX_MEMBER} exhibit reads whole`);
  if (m.compressed > MAX_MEMBER) throw invalid(file, `the zip member ${m.name} stores ${m.compressed} bytes, more than the ${MAX_MEMBER} exhibit reads whole`);
  const start = await dataStart(h, m, z, file);
  const raw = await readExact(h, start, m.compressed, file, `the zip member ${m.name}`);
  let data: Buffer;
  if (m.method === 0) data = raw;
  else if (m.method === 8) {
    try {
      data = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, m.size) });
    } catch (err) {
      throw invalid(file, `the zip member ${m.name} does not inflate to its declared ${m.size} bytes (${(err as Error).message})`);
    }
  } else throw new ExhibitError('IMAGE_UNSUPPORTED', `${file}: the zip member ${m.name} uses zip compression method ${m.method}, which exhibit does not read`);
  if (data.length !== m.size) throw invalid(file, `the zip member ${m.name} holds ${data.length} bytes, its directory entry says ${m.size}`);
  if (crc32(data) !== m.crc) throw invalid(file, `the zip member ${m.name} is damaged: its CRC-32 differs from its directory entry`);
  return data;
}
