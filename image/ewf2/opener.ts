/**
 * Opening an Ex01 set: every segment walked and every metadata section read
 * and checked (Adler-32s, integrity MD5s, counts against the room they
 * occupy), the sector tables gathered into chunk groups that must cover the
 * media exactly once, and the checks that need the whole set (geometry,
 * chunk count, stored hashes). Encrypted images and logical evidence files
 * are named and refused.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { adler32 } from '../../core/adler32.js';
import { ExhibitError } from '../../core/errors.js';
import { MAX_METADATA } from '../ewf/model.js';
import { invalid } from '../ewf/sections.js';
import { CHUNK_COMPRESSED, CHUNK_PATTERN_FILL, SECTION, SECTION_ENCRYPTED, SECTION_MD5_HASHED, sectionName, TABLE_ENTRY_SIZE, TABLE_HEADER_SIZE } from './layout.js';
import { decimal, type ErrorEntry, objectAttributes, parseErrorTable, parseHashSection } from './metadata.js';
import { EX01_FIRST, type Ex01Segment, findSegment, openSegment, type Section, WindowedReader, walkSections } from './segments.js';

/** The chunks one sector table lists, all in one segment file. */
export interface ChunkGroup {
  segment: number;
  firstChunk: number;
  count: number;
  /** Per chunk: file offset (or the fill pattern's 8 bytes), stored size, flags; undefined when the table is damaged. */
  entries: Buffer | undefined;
  /** Why the entries cannot be used. */
  damage?: string;
  /** Where the chunks may lie: the sector data section before the table. */
  low: number;
  high: number;
  where: string;
}

export interface Ex01Opened {
  segments: Ex01Segment[];
  groups: ChunkGroup[];
  compression: number;
  chunkCount: number;
  chunkSize: number;
  sectorSize: number;
  size: number;
  device: Record<string, string>;
  caseData: Record<string, string>;
  storedHashes: { md5?: string; sha1?: string };
  errors: ErrorEntry[];
  warnings: string[];
}

const MAX_CHUNK = 64 * 1024 * 1024;

const encrypted = (file: string) =>
  new ExhibitError('IMAGE_UNSUPPORTED', `${file} is an encrypted Ex01 image, which exhibit does not read`, {
    hints: ['decrypt it with the tool that made it (EnCase) and give exhibit the decrypted image'],
  });

export async function openEx01(file: string): Promise<Ex01Opened> {
  const abs = path.resolve(file);
  const m = EX01_FIRST.exec(path.basename(abs));
  const segments: Ex01Segment[] = [];
  try {
    return await gather(abs, m ? path.join(path.dirname(abs), m[1]!) : undefined, m?.[2], segments);
  } catch (err) {
    await Promise.all(segments.map((s) => s.handle.close().catch(() => undefined)));
    throw err;
  }
}

async function gather(first: string, prefix: string | undefined, letters: string | undefined, segments: Ex01Segment[]): Promise<Ex01Opened> {
  const warnings: string[] = [];
  const groups: ChunkGroup[] = [];
  const errors: ErrorEntry[] = [];
  const hashes: { md5?: string; sha1?: string } = {};
  let device: Record<string, string> | undefined;
  let caseData: Record<string, string> | undefined;
  for (let n = 1; ; n++) {
    let file = first;
    if (n > 1) {
      const found = prefix && letters ? findSegment(prefix, letters, n) : undefined;
      if (!found) throw invalid(first, `segment ${n} is missing (segment ${n - 1} ends with 'next'): the set is incomplete`);
      file = found;
    }
    const seg = await openSegment(file, n, segments, segments[0]?.header);
    const window = new WindowedReader(seg);
    seg.sections = await walkSections(seg, window);
    let sectorData: Section | undefined;
    for (const s of seg.sections) {
      const where = `${sectionName(s.type)} section in ${seg.path} at ${s.descriptor}`;
      if ((s.flags & SECTION_ENCRYPTED) !== 0 || s.type === SECTION.encryptionKeys) throw encrypted(segments[0]!.path);
      if (s.type === SECTION.sectorData) {
        sectorData = s;
        continue;
      }
      if (s.type === SECTION.next || s.type === SECTION.done || s.dataSize === 0) continue;
      const known: number[] = [SECTION.deviceInformation, SECTION.caseData, SECTION.sectorTable, SECTION.errorTable, SECTION.md5, SECTION.sha1];
      if (!known.includes(s.type)) continue; // sessions, restart data, analytical data: nothing a disk image's media depends on
      if (s.dataSize > MAX_METADATA) throw invalid(where, `${s.dataSize} bytes, larger than any metadata section (64 MiB)`);
      const p = await window.bytes(s.start, s.dataSize, where);
      if ((s.flags & SECTION_MD5_HASHED) !== 0 && crypto.createHash('md5').update(p).digest('hex') !== s.md5) throw invalid(where, 'its data does not match the MD5 its descriptor holds');
      if (s.type === SECTION.deviceInformation) device ??= objectAttributes(p, seg.header.compression, where);
      else if (s.type === SECTION.caseData) caseData ??= objectAttributes(p, seg.header.compression, where);
      else if (s.type === SECTION.md5) hashes.md5 = parseHashSection(p, 16, where) ?? hashes.md5;
      else if (s.type === SECTION.sha1) hashes.sha1 = parseHashSection(p, 20, where) ?? hashes.sha1;
      else if (s.type === SECTION.errorTable) errors.push(...parseErrorTable(p, where));
      else groups.push(parseTable(p, n - 1, sectorData, where));
    }
    const last = seg.sections[seg.sections.length - 1]!;
    if (last.type === SECTION.done) {
      const extra = [prefix && letters ? findSegment(prefix, letters, n + 1) : undefined].filter((x) => x);
      if (extra.length) warnings.push(`${extra[0]} was ignored: segment ${n} ends the set with 'done'`);
      break;
    }
  }
  if (!device) throw invalid(first, 'has no device information section');
  if (!caseData) throw invalid(first, 'has no case data section');
  return settle({ segments, groups, device, caseData, storedHashes: hashes, errors, warnings, first });
}

function parseTable(p: Buffer, segment: number, sectorData: Section | undefined, where: string): ChunkGroup {
  if (p.length < TABLE_HEADER_SIZE) throw invalid(where, `too short for a sector table (${p.length} bytes)`);
  if (p.readUInt32LE(16) !== adler32(p, 1, 0, 16)) throw invalid(where, 'header checksum mismatch');
  const first = p.readBigUInt64LE(0);
  const count = p.readUInt32LE(8);
  if (first > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(where, `first chunk ${first} out of range`);
  if (count === 0) throw invalid(where, 'lists no chunks');
  if (!sectorData) throw invalid(where, 'no sector data section comes before it');
  const group: ChunkGroup = { segment, firstChunk: Number(first), count, entries: undefined, low: sectorData.start, high: sectorData.descriptor, where };
  const end = TABLE_HEADER_SIZE + count * TABLE_ENTRY_SIZE;
  if (count > Math.floor((p.length - TABLE_HEADER_SIZE) / TABLE_ENTRY_SIZE) || end + 4 > p.length) group.damage = `its ${count} entries run past the end of the section`;
  else if (p.readUInt32LE(end) !== adler32(p, 1, TABLE_HEADER_SIZE, end)) group.damage = 'its entry checksum does not match';
  else group.entries = Buffer.from(p.subarray(TABLE_HEADER_SIZE, end));
  if (group.entries) {
    // Writers lay chunks down one after another: stored bytes shared by two entries would let a small file claim a large media.
    let last = 0;
    for (let j = 0; j < count; j++) {
      const flags = group.entries.readUInt32LE(j * TABLE_ENTRY_SIZE + 12);
      if ((flags & (CHUNK_COMPRESSED | CHUNK_PATTERN_FILL)) === (CHUNK_COMPRESSED | CHUNK_PATTERN_FILL)) continue; // a pattern fill stores nothing
      const offset = Number(group.entries.readBigUInt64LE(j * TABLE_ENTRY_SIZE));
      if (offset < last) {
        group.damage = `entry ${j} places chunk ${group.firstChunk + j} at offset ${offset}, inside the chunk before it (which ends at ${last})`;
        group.entries = undefined;
        break;
      }
      last = offset + group.entries.readUInt32LE(j * TABLE_ENTRY_SIZE + 8);
    }
  }
  return group;
}

interface Gathered {
  segments: Ex01Segment[];
  groups: ChunkGroup[];
  device: Record<string, string>;
  caseData: Record<string, string>;
  storedHashes: { md5?: string; sha1?: string };
  errors: ErrorEntry[];
  warnings: string[];
  first: string;
}

/** The checks that need the whole set: geometry from device information and case data, and tables that cover every chunk once. */
function settle(g: Gathered): Ex01Opened {
  const { device, caseData, first } = g;
  const sectorSize = decimal(device.bp) ?? 512;
  if (device.bp === undefined) g.warnings.push('the device information gives no bytes per sector: 512 assumed');
  const sectors = decimal(device.ts);
  const perChunk = decimal(caseData.sb);
  if (sectors === undefined) throw invalid(first, `the device information gives no sector count ('ts' is ${JSON.stringify(device.ts ?? null)})`);
  if (perChunk === undefined || perChunk === 0) throw invalid(first, `the case data gives no sectors per chunk ('sb' is ${JSON.stringify(caseData.sb ?? null)})`);
  if (sectorSize < 1 || sectorSize > 65536) throw invalid(first, `${sectorSize} bytes per sector is not a disk's`);
  const chunkSize = perChunk * sectorSize;
  if (chunkSize > MAX_CHUNK || chunkSize < 512) throw invalid(first, `${perChunk} sectors per chunk of ${sectorSize} bytes make ${chunkSize}-byte chunks: a chunk holds 512 bytes to 64 MiB`);
  const size = sectors * sectorSize;
  if (!Number.isSafeInteger(size)) throw invalid(first, `${sectors} sectors of ${sectorSize} bytes is too large a media`);
  const chunkCount = Math.ceil(size / chunkSize);
  const declared = decimal(caseData.tb);
  if (declared !== undefined && declared !== chunkCount) throw invalid(first, `the case data says ${declared} chunks, but ${sectors} sectors in chunks of ${perChunk} make ${chunkCount}`);
  const groups = [...g.groups].sort((a, b) => a.firstChunk - b.firstChunk);
  let next = 0;
  for (const t of groups) {
    if (t.firstChunk !== next) throw invalid(t.where, t.firstChunk < next ? `lists chunk ${t.firstChunk} again (an earlier table already lists chunks up to ${next - 1})` : `begins at chunk ${t.firstChunk}: chunks ${next} to ${t.firstChunk - 1} are in no table`);
    next += t.count;
  }
  if (next !== chunkCount) throw invalid(first, `the sector tables list ${next} chunks, but the media needs ${chunkCount}`);
  const cp = decimal(caseData.cp);
  const compression = g.segments[0]!.header.compression;
  if (cp !== undefined && cp !== compression) g.warnings.push(`the case data gives compression method ${cp}, the file header ${compression}: the file header's was used`);
  for (const e of g.errors) if (e.first_sector + e.sectors > sectors) g.warnings.push(`the error table lists sectors ${e.first_sector} to ${e.first_sector + e.sectors - 1}, past the media's ${sectors} sectors`);
  return { segments: g.segments, groups, compression, chunkCount, chunkSize, sectorSize, size, device, caseData, storedHashes: g.storedHashes, errors: g.errors, warnings: g.warnings };
}
