import { walkEbrChain } from './ebr-chain.js';
import { makeEntry, sectorRange } from './entry.js';
import type { Findings } from './findings.js';
import { parseRecords } from './mbr-record.js';
import { EXTENDED_TYPES, mbrTypeHex, mbrTypeName } from './mbr-type-names.js';
import type { SafeReader } from './safe-reader.js';
import type { PartitionEntry } from './types.js';

export interface MbrResult {
  /** Primary and extended entries in slot order, then the logical ones in chain order. */
  partitions: PartitionEntry[];
  /** Sectors holding partition tables: 0 and every EBR read. */
  tableSectors: number[];
}

/**
 * The partitions of a DOS/MBR table whose sector 0 (with its 0x55AA signature
 * already checked) is `mbr`: the four primary slots, and the logical
 * partitions of each extended one. Primary and extended entries are numbered
 * by slot (1-4), logical ones from 5 in chain order, as Linux does.
 */
export async function readMbr(reader: SafeReader, mbr: Uint8Array, totalSectors: number, findings: Findings): Promise<MbrResult> {
  const partitions: PartitionEntry[] = [];
  const logicals: PartitionEntry[] = [];
  const tableSectors = [0];
  const seenEbrs = new Set<number>();
  const lastSector = totalSectors - 1;
  let bootable = 0;
  let extendedCount = 0;

  for (const r of parseRecords(mbr)) {
    const slot = r.slot + 1;
    if (r.status !== 0 && r.status !== 0x80) findings.warning(`MBR slot ${slot}: the boot indicator is 0x${r.status.toString(16).padStart(2, '0')}, neither 0x00 nor 0x80`);
    if (r.type === 0) {
      if (r.count !== 0) findings.info(`MBR slot ${slot} is marked empty (type 0x00) but holds a length of ${r.count} sectors; ignored`);
      continue;
    }
    if (r.count === 0) {
      findings.warning(`MBR slot ${slot} has type ${mbrTypeHex(r.type)} (${mbrTypeName(r.type)}) but a length of 0 sectors; ignored`);
      continue;
    }
    const first = r.start;
    const last = first + r.count - 1;
    const extended = EXTENDED_TYPES.has(r.type);
    const what = `MBR slot ${slot} (${extended ? 'extended' : 'primary'}, ${sectorRange(first, last)})`;
    if (first > lastSector) findings.warning(`${what} starts past the end of the disk (last sector ${lastSector})`);
    else if (last > lastSector) findings.warning(`${what} ends past the end of the disk (last sector ${lastSector}): the image may be truncated, or the entry is wrong`);
    if (r.status === 0x80) bootable++;
    partitions.push(
      makeEntry(
        { index: slot, scheme: 'mbr', kind: extended ? 'extended' : 'primary', firstSector: first, count: r.count, type: mbrTypeHex(r.type), typeName: mbrTypeName(r.type), bootable: r.status === 0x80 },
        reader.sectorSize,
      ),
    );
    if (!extended || first === 0) continue;
    extendedCount++;
    if (extendedCount === 2) findings.warning('the MBR has more than one extended partition; the logical partitions of each are listed');
    const chain = await walkEbrChain(reader, { slot, first, last }, totalSectors, 5 + logicals.length, seenEbrs, findings);
    for (const l of chain.logicals) logicals.push(l);
    for (const s of chain.tableSectors) tableSectors.push(s);
  }
  if (bootable > 1) findings.info(`${bootable} MBR slots are marked bootable; at most one is usual`);
  return { partitions: [...partitions, ...logicals], tableSectors };
}
