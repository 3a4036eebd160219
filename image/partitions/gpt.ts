import { crc32, hex32 } from './crc32.js';
import type { Findings } from './findings.js';
import { parseGptEntries } from './gpt-entries.js';
import { checkGptHeader, type GptHeader, type HeaderCheck } from './gpt-header.js';
import type { SafeReader } from './safe-reader.js';
import type { PartitionEntry } from './types.js';

export interface GptResult {
  partitions: PartitionEntry[];
  /** The header whose entries were used, if any. */
  header?: GptHeader;
}

/** One copy of the GPT: a header and its entry array. */
interface GptCopy {
  which: 'primary' | 'backup';
  lba: number;
  check: HeaderCheck;
  array?: Uint8Array;
  /** Why the entry array cannot be trusted, if it cannot. */
  arrayProblem?: string;
}

function label(c: GptCopy): string {
  return `the ${c.which} GPT header (sector ${c.lba})`;
}

/** Header fine and entry array matching its CRC32. */
function sound(c: GptCopy | undefined): c is GptCopy & { array: Uint8Array; check: { header: GptHeader } } {
  return c !== undefined && c.check.header !== undefined && c.check.problems.length === 0 && c.array !== undefined && c.arrayProblem === undefined;
}

async function readArray(reader: SafeReader, c: GptCopy, totalSectors: number): Promise<void> {
  const h = c.check.header;
  if (h === undefined || !c.check.entriesReadable) return;
  const bytes = h.entryCount * h.entrySize;
  const where = `the ${c.which} GPT entry array (sector ${h.entriesLba})`;
  const sectors = Math.ceil(bytes / reader.sectorSize);
  if (h.entriesLba + sectors > totalSectors) {
    c.arrayProblem = `it would end at sector ${h.entriesLba + sectors - 1}, past the end of the disk (last sector ${totalSectors - 1})`;
    return;
  }
  const array = await reader.exact(h.entriesLba * reader.sectorSize, bytes, where);
  if (array === undefined) {
    c.arrayProblem = 'it could not be read';
    return;
  }
  c.array = array;
  const computed = crc32(array);
  if (computed !== h.entriesCrc) c.arrayProblem = `its CRC32 does not match (stored ${hex32(h.entriesCrc)}, computed ${hex32(computed)})`;
}

async function readCopy(reader: SafeReader, which: GptCopy['which'], lba: number, totalSectors: number): Promise<GptCopy> {
  const sector = await reader.sectors(lba, 1, `the ${which} GPT header (sector ${lba})`);
  const check: HeaderCheck = sector === undefined ? { problems: ['it could not be read'], notes: [], entriesReadable: false } : checkGptHeader(sector, lba, totalSectors);
  const copy: GptCopy = { which, lba, check };
  await readArray(reader, copy, totalSectors);
  return copy;
}

/** Where to look for the backup header: where the primary says, then the disk's last sector. */
function backupPlaces(primary: GptCopy, totalSectors: number): number[] {
  const last = totalSectors - 1;
  const places: number[] = [];
  const alt = primary.check.header?.alternateLba;
  if (alt !== undefined && alt > 1 && alt <= last) places.push(alt);
  if (last > 1 && !places.includes(last)) places.push(last);
  return places;
}

/** Differences between two sound copies that should agree. */
function compare(p: GptHeader, b: GptHeader): string[] {
  const diffs: string[] = [];
  const field = (what: string, x: string | number, y: string | number): void => {
    if (x !== y) diffs.push(`${what} (primary ${x}, backup ${y})`);
  };
  field('disk GUID', p.diskGuid, b.diskGuid);
  field('first usable sector', p.firstUsable, b.firstUsable);
  field('last usable sector', p.lastUsable, b.lastUsable);
  field('entry count', p.entryCount, b.entryCount);
  field('entry size', p.entrySize, b.entrySize);
  field('entry array CRC32', hex32(p.entriesCrc), hex32(b.entriesCrc));
  if (p.alternateLba !== b.lba) diffs.push(`the primary places the backup at sector ${p.alternateLba}, but it was found at sector ${b.lba}`);
  if (b.alternateLba !== 1) diffs.push(`the backup points back to sector ${b.alternateLba}, not 1`);
  return diffs;
}

function damage(c: GptCopy): string {
  if (c.check.problems.length > 0) return `${label(c)} is damaged: ${c.check.problems.join('; ')}`;
  return `the ${c.which} GPT entry array (sector ${c.check.header?.entriesLba}) is damaged: ${c.arrayProblem ?? 'it could not be read'}`;
}

/**
 * Read the GPT: the primary header at sector 1 and its entry array, the
 * backup header (where the primary says, or the last sector) and its array.
 * The primary is used when its header and array check out, else the backup
 * (with a finding); when neither does, a primary whose entry array still
 * matches its stored CRC32 is used as a last resort, with an error finding.
 */
export async function readGpt(reader: SafeReader, totalSectors: number, findings: Findings): Promise<GptResult> {
  const primary = await readCopy(reader, 'primary', 1, totalSectors);
  let backup: GptCopy | undefined;
  const places = backupPlaces(primary, totalSectors);
  for (const lba of places) {
    backup = await readCopy(reader, 'backup', lba, totalSectors);
    if (backup.check.header !== undefined) break;
  }
  for (const c of [primary, backup]) for (const note of c?.check.notes ?? []) findings.warning(`${label(c!)}: ${note}`);

  const backupMissing = backup?.check.header === undefined;
  const missing = `no backup GPT header was found (looked at sector ${places.join(' and ') || 'none'}): the image may be truncated, or the backup was overwritten`;
  let used: GptCopy | undefined;
  if (sound(primary)) {
    used = primary;
    if (backupMissing) findings.warning(missing);
    else if (sound(backup)) {
      const diffs = compare(primary.check.header, backup.check.header);
      if (diffs.length > 0) findings.warning(`the primary and backup GPT headers disagree: ${diffs.join('; ')}; the primary was used`);
      else if (!equalBytes(primary.array, backup.array)) findings.warning('the primary and backup GPT entry arrays differ although both match their CRC32; the primary was used');
    } else if (backup !== undefined) findings.warning(`${damage(backup)}; the primary was used`);
  } else if (sound(backup)) {
    used = backup;
    findings.error(`${damage(primary)}; the backup header at sector ${backup.lba}${primary.check.problems.length === 0 ? ` and its entry array at sector ${backup.check.header.entriesLba} were` : ' was'} used`);
  } else {
    findings.error(damage(primary));
    if (backupMissing) findings.error(missing);
    else if (backup !== undefined) findings.error(damage(backup));
    // Last resort: a copy whose entry array matches the CRC32 its header stores.
    used = [primary, backup].find((c) => c?.check.header !== undefined && c.array !== undefined && c.arrayProblem === undefined);
    if (used === undefined) {
      findings.error('neither copy of the GPT can be trusted; no GPT partitions are listed');
      return { partitions: [] };
    }
    findings.error(`the entries were taken from ${label(used)} although it is damaged, because its entry array matches the CRC32 it stores; check them by hand`);
  }
  const header = used.check.header!;
  const partitions = parseGptEntries(used.array!, header, totalSectors, reader.sectorSize, findings);
  return { partitions, header };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
