import { detectFilesystem, PartitionBytes, SIGNATURE_WINDOWS } from './fs-signature.js';
import { findGaps, type Span } from './gaps.js';
import { Findings } from './findings.js';
import { readGpt } from './gpt.js';
import { hasGptSignature } from './gpt-header.js';
import { readMbr } from './mbr.js';
import { hasBootSignature, isUnused, parseRecords } from './mbr-record.js';
import { checkOverlaps, checkTableSectors } from './overlaps.js';
import { checkProtectiveMbr, hasProtectiveEntry } from './protective-mbr.js';
import { describeError, SafeReader } from './safe-reader.js';
import type { ByteSource, Gap, PartitionEntry, PartitionTable } from './types.js';

export const DEFAULT_SECTOR_SIZE = 512;
/** Filesystem signatures are looked for in at most this many partitions. */
export const MAX_PROBED_PARTITIONS = 1024;
/** Filesystems that start with a boot sector, and so can sit in sector 0 of a disk without a partition table. */
const BOOT_SECTOR_FILESYSTEMS = new Set(['NTFS', 'exFAT', 'FAT12', 'FAT16', 'FAT32', 'BitLocker']);

/**
 * Read the partition table of a disk image: MBR (with extended partitions) or
 * GPT (primary or backup), the unallocated gaps, a filesystem guess for each
 * partition, and findings for everything odd. Never throws and never hangs on
 * a hostile table: damage, loops, short images and read errors become findings.
 *
 * With no `sectorSize`, 512 is assumed unless a GPT header is found at 4096
 * bytes and none at 512 (a 4Kn disk).
 *
 * Unallocated gaps: for GPT, the sectors between the first and last usable
 * sector (as the header in use says) that no partition covers; for MBR, the
 * sectors from 1 to the disk's end that no primary or logical partition and
 * no EBR covers (the extended partition itself counts as free room); with no
 * table, the whole disk.
 */
export async function readPartitionTable(src: ByteSource, sectorSize?: number): Promise<PartitionTable> {
  const findings = new Findings();
  const ss = sectorSize ?? DEFAULT_SECTOR_SIZE;
  try {
    return await read(src, sectorSize, findings);
  } catch (err) {
    // A last line of defence: a bug here must not take `exhibit inspect` down with it.
    findings.error(`internal error while reading the partition table: ${describeError(err)}`);
    return { scheme: 'none', sectorSize: ss, totalSectors: 0, partitions: [], unallocated: [], findings: findings.toArray() };
  }
}

function sourceSize(src: ByteSource, findings: Findings): number {
  let size: unknown;
  try {
    size = src.size;
  } catch (err) {
    findings.error(`the source's size could not be read: ${describeError(err)}`);
    return 0;
  }
  if (typeof size !== 'number' || !Number.isFinite(size) || size < 0) {
    findings.error(`the source reports an impossible size (${describeError(size)}); nothing was read`);
    return 0;
  }
  if (!Number.isSafeInteger(size)) {
    findings.warning(`the source reports a size of ${size} bytes, which is not a whole number below 2^53; it was rounded down`);
    return Math.min(Math.floor(size), Number.MAX_SAFE_INTEGER);
  }
  return size;
}

function validSectorSize(n: number): boolean {
  return Number.isInteger(n) && n >= 512 && n <= 65536 && (n & (n - 1)) === 0;
}

/** 4096 when a GPT header sits at byte 4096 and none at byte 512; else 512. Reads quietly. */
async function guessSectorSize(src: ByteSource, size: number, findings: Findings): Promise<number> {
  const quiet = new SafeReader(src, size, DEFAULT_SECTOR_SIZE, new Findings());
  const at512 = await quiet.upTo(512, 8, 'a GPT signature');
  if (at512 !== undefined && hasGptSignature(at512)) return DEFAULT_SECTOR_SIZE;
  const at4096 = await quiet.upTo(4096, 8, 'a GPT signature');
  if (at4096 !== undefined && hasGptSignature(at4096)) {
    findings.info('a GPT header was found at byte 4096 and none at byte 512: the disk was read with 4096-byte sectors');
    return 4096;
  }
  return DEFAULT_SECTOR_SIZE;
}

async function read(src: ByteSource, requested: number | undefined, findings: Findings): Promise<PartitionTable> {
  const size = sourceSize(src, findings);
  if (requested !== undefined && !validSectorSize(requested)) {
    findings.error(`the sector size ${describeError(requested)} is not a power of two from 512 to 65536; nothing was read`);
    // The media as it is (520-byte sectors, 8000 of them), though no table is looked for in it.
    const known = Number.isSafeInteger(requested) && requested > 0;
    return { scheme: 'none', sectorSize: known ? requested : DEFAULT_SECTOR_SIZE, totalSectors: known ? Math.floor(size / requested) : 0, partitions: [], unallocated: [], findings: findings.toArray() };
  }
  const sectorSize = requested ?? (await guessSectorSize(src, size, findings));
  const totalSectors = Math.floor(size / sectorSize);
  const none = (unallocated: Gap[]): PartitionTable => ({ scheme: 'none', sectorSize, totalSectors, partitions: [], unallocated, findings: findings.toArray() });
  const wholeDisk = (): Gap[] => findGaps([], 0, totalSectors - 1);

  if (totalSectors === 0) {
    findings.info(`the image is ${size} byte${size === 1 ? '' : 's'}, smaller than one ${sectorSize}-byte sector: there is no partition table`);
    return none([]);
  }
  if (size % sectorSize !== 0) findings.info(`the image's last ${size % sectorSize} bytes are less than a whole sector and were ignored`);

  const reader = new SafeReader(src, size, sectorSize, findings);
  const mbr = await reader.sectors(0, 1, 'the MBR (sector 0)');
  if (mbr === undefined) return none(wholeDisk());
  const records = parseRecords(mbr);
  const signed = hasBootSignature(mbr);
  const quiet = new SafeReader(src, size, sectorSize, new Findings());
  const lba1 = totalSectors > 1 ? await quiet.upTo(sectorSize, 8, 'sector 1') : undefined;
  const gptAtOne = lba1 !== undefined && hasGptSignature(lba1);

  let useGpt: boolean;
  if (signed && hasProtectiveEntry(records)) {
    checkProtectiveMbr(records, totalSectors, findings);
    useGpt = true;
  } else if (signed) {
    const bootFs = detectFilesystem(new PartitionBytes([{ offset: 0, data: mbr }]));
    if (bootFs !== undefined && BOOT_SECTOR_FILESYSTEMS.has(bootFs) && !gptAtOne) {
      findings.info(`sector 0 is the boot sector of a filesystem (${bootFs}), not an MBR: the disk holds one filesystem and no partition table`);
      return none(wholeDisk());
    }
    useGpt = gptAtOne && records.every(isUnused);
    if (useGpt) findings.warning('the MBR has no protective (0xee) entry and no partitions, but sector 1 holds a GPT header; the GPT was used');
    else if (gptAtOne) findings.warning('sector 1 holds a GPT header, but the MBR has partitions and no protective (0xee) entry; the MBR partitions are listed');
  } else if (gptAtOne) {
    findings.warning('sector 0 has no 0x55AA signature (no protective MBR), but sector 1 holds a GPT header; the GPT was used');
    useGpt = true;
  } else {
    findings.info('sector 0 has no 0x55AA boot signature and sector 1 no GPT header: no partition table was found');
    const whole = await probe(reader, 0, size, 'the start of the disk');
    if (whole !== undefined) findings.info(`the disk starts with ${/^(?:[aeiou]|NTFS|XFS|HFS)/i.test(whole) ? 'an' : 'a'} ${whole} signature: it seems to hold one filesystem or volume and no partition table`);
    return none(wholeDisk());
  }

  let table: PartitionTable;
  if (useGpt) {
    const gpt = await readGpt(reader, totalSectors, findings);
    const h = gpt.header;
    if (h === undefined) await hintOtherSectorSize(quiet, sectorSize, findings);
    const from = h === undefined ? 1 : Math.max(h.firstUsable, 0);
    const to = h === undefined ? totalSectors - 1 : Math.min(h.lastUsable, totalSectors - 1);
    checkOverlaps(gpt.partitions, findings);
    table = {
      scheme: 'gpt',
      sectorSize,
      totalSectors,
      ...(h !== undefined ? { diskGuid: h.diskGuid } : {}),
      partitions: gpt.partitions,
      unallocated: findGaps(spans(gpt.partitions), from, to),
      findings: [],
    };
  } else {
    const m = await readMbr(reader, mbr, totalSectors, findings);
    checkOverlaps(m.partitions, findings);
    checkTableSectors(m.partitions, m.tableSectors, findings);
    const used: Span[] = [...spans(m.partitions), ...m.tableSectors.map((s) => ({ first: s, last: s }))];
    table = { scheme: 'mbr', sectorSize, totalSectors, partitions: m.partitions, unallocated: findGaps(used, 1, totalSectors - 1), findings: [] };
  }
  await guessFilesystems(reader, table.partitions, totalSectors, findings);
  table.findings = findings.toArray();
  return table;
}

/** When no GPT header was found, say so if there is one where another sector size would put it. */
async function hintOtherSectorSize(quiet: SafeReader, sectorSize: number, findings: Findings): Promise<void> {
  for (const other of [512, 4096]) {
    if (other === sectorSize) continue;
    const sig = await quiet.upTo(other, 8, 'a GPT signature');
    if (sig !== undefined && hasGptSignature(sig)) findings.info(`a GPT header lies at byte ${other}: the disk may use ${other}-byte sectors rather than ${sectorSize}`);
  }
}

/** The sectors data partitions cover (extended partitions are containers, not used room). */
function spans(parts: readonly PartitionEntry[]): Span[] {
  return parts.filter((p) => p.kind !== 'extended').map((p) => ({ first: p.firstSector, last: p.lastSector }));
}

/** The filesystem signature at byte `start` of the disk, reading no further than `length` bytes from there. */
async function probe(reader: SafeReader, start: number, length: number, what: string): Promise<string | undefined> {
  const windows: { offset: number; data: Uint8Array }[] = [];
  for (const w of SIGNATURE_WINDOWS) {
    const n = Math.min(w.length, length - w.offset);
    if (n <= 0) continue;
    const data = await reader.upTo(start + w.offset, n, what);
    if (data !== undefined) windows.push({ offset: w.offset, data });
  }
  return detectFilesystem(new PartitionBytes(windows));
}

async function guessFilesystems(reader: SafeReader, parts: PartitionEntry[], totalSectors: number, findings: Findings): Promise<void> {
  let probed = 0;
  for (const p of parts) {
    if (p.kind === 'extended' || p.firstSector >= totalSectors) continue;
    if (probed++ === MAX_PROBED_PARTITIONS) {
      findings.info(`filesystem signatures were looked for in the first ${MAX_PROBED_PARTITIONS} partitions only`);
      break;
    }
    const fs = await probe(reader, p.firstSector * reader.sectorSize, p.bytes, `the start of partition ${p.index}`);
    if (fs !== undefined) p.filesystem = fs;
  }
}
