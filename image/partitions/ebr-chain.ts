import { makeEntry, sectorRange } from './entry.js';
import type { Findings } from './findings.js';
import { hasBootSignature, isUnused, parseRecords, type MbrRecord } from './mbr-record.js';
import { EXTENDED_TYPES, mbrTypeHex, mbrTypeName } from './mbr-type-names.js';
import type { SafeReader } from './safe-reader.js';
import type { PartitionEntry } from './types.js';

/** The longest EBR chain followed; Linux stops well before this too. */
export const MAX_EBRS = 1024;

export interface ExtendedArea {
  /** The primary slot (1-4) that holds the extended partition. */
  slot: number;
  first: number;
  last: number;
}

export interface ChainResult {
  logicals: PartitionEntry[];
  /** The sectors that hold the EBRs read. */
  tableSectors: number[];
}

/**
 * Follow the chain of extended boot records (EBRs) of one extended partition.
 *
 * Each EBR holds the logical partition (first record; its start is relative to
 * the EBR itself) and the link to the next EBR (second record, an extended
 * type; its start is relative to the start of the extended partition). Loops,
 * over-long chains, links that leave the extended partition or the disk, and
 * unreadable EBRs end the walk with a finding.
 */
export async function walkEbrChain(
  reader: SafeReader,
  ext: ExtendedArea,
  totalSectors: number,
  firstIndex: number,
  seen: Set<number>,
  findings: Findings,
): Promise<ChainResult> {
  const logicals: PartitionEntry[] = [];
  const tableSectors: number[] = [];
  let ebr = ext.first;
  let from = `the extended partition in slot ${ext.slot}`;
  for (let hops = 0; ; hops++) {
    if (hops >= MAX_EBRS) {
      findings.error(`the EBR chain of the extended partition in slot ${ext.slot} goes on past ${MAX_EBRS} EBRs; it was not followed further`);
      break;
    }
    if (seen.has(ebr)) {
      findings.error(`the EBR chain loops: ${from} links to sector ${ebr}, whose EBR was already read; the chain was not followed further`);
      break;
    }
    seen.add(ebr);
    if (ebr >= totalSectors) {
      findings.error(`${from} links to an EBR at sector ${ebr}, past the end of the disk (last sector ${totalSectors - 1}); the chain ends there`);
      break;
    }
    const sector = await reader.sectors(ebr, 1, `the EBR at sector ${ebr}`);
    if (sector === undefined) break;
    if (!hasBootSignature(sector)) {
      findings.warning(`the EBR at sector ${ebr} (linked from ${from}) has no 0x55AA signature; the chain ends there`);
      break;
    }
    tableSectors.push(ebr);
    const [logical, link, third, fourth] = parseRecords(sector);
    for (const r of [third, fourth]) {
      if (!isUnused(r)) findings.info(`the EBR at sector ${ebr} has a record in slot ${r.slot + 1} (type ${mbrTypeHex(r.type)}); only the first two slots are used in an EBR, so it was ignored`);
    }
    const entry = logicalEntry(logical, ebr, ext, totalSectors, firstIndex + logicals.length, reader.sectorSize, findings);
    if (entry !== undefined) logicals.push(entry);

    const next = nextEbr(link, ebr, ext, findings);
    if (next === undefined) break;
    from = `the EBR at sector ${ebr}`;
    ebr = next;
  }
  return { logicals, tableSectors };
}

function logicalEntry(r: MbrRecord, ebr: number, ext: ExtendedArea, totalSectors: number, index: number, sectorSize: number, findings: Findings): PartitionEntry | undefined {
  if (r.type === 0) {
    if (r.count !== 0) findings.info(`the EBR at sector ${ebr} has an empty first record (type 0x00) with a length of ${r.count} sectors; ignored`);
    return undefined;
  }
  if (r.count === 0) {
    findings.warning(`the EBR at sector ${ebr} describes a logical partition of type ${mbrTypeHex(r.type)} with a length of 0 sectors; ignored`);
    return undefined;
  }
  if (EXTENDED_TYPES.has(r.type)) findings.warning(`the first record of the EBR at sector ${ebr} has an extended type (${mbrTypeHex(r.type)}); it is listed as a logical partition`);
  const first = ebr + r.start;
  const last = first + r.count - 1;
  const name = `logical partition ${index} (${sectorRange(first, last)})`;
  if (first < ext.first || last > ext.last) findings.warning(`${name} lies outside its extended partition (${sectorRange(ext.first, ext.last)})`);
  if (first >= totalSectors) findings.warning(`${name} starts past the end of the disk (last sector ${totalSectors - 1})`);
  else if (last >= totalSectors) findings.warning(`${name} ends past the end of the disk (last sector ${totalSectors - 1}): the image may be truncated`);
  if (r.status !== 0 && r.status !== 0x80) findings.info(`${name} has an invalid boot indicator 0x${r.status.toString(16).padStart(2, '0')}`);
  return makeEntry(
    { index, scheme: 'mbr', kind: 'logical', firstSector: first, count: r.count, type: mbrTypeHex(r.type), typeName: mbrTypeName(r.type), bootable: r.status === 0x80 },
    sectorSize,
  );
}

/** Where the link record points, or undefined when the chain ends (with a finding when it ends badly). */
function nextEbr(link: MbrRecord, ebr: number, ext: ExtendedArea, findings: Findings): number | undefined {
  if (link.type === 0) {
    if (link.start !== 0 || link.count !== 0) findings.info(`the EBR at sector ${ebr} has an empty link record (type 0x00) that still holds a start or length; the chain ends there`);
    return undefined;
  }
  if (!EXTENDED_TYPES.has(link.type)) {
    findings.warning(`the second record of the EBR at sector ${ebr} has type ${mbrTypeHex(link.type)} (${mbrTypeName(link.type)}), not a link to the next EBR; it was ignored and the chain ends there`);
    return undefined;
  }
  if (link.count === 0) {
    findings.info(`the EBR at sector ${ebr} links to the next EBR with a length of 0 sectors; treated as the end of the chain`);
    return undefined;
  }
  const next = ext.first + link.start;
  if (next > ext.last) {
    findings.error(`the EBR at sector ${ebr} links to sector ${next}, outside its extended partition (${sectorRange(ext.first, ext.last)}); the link was not followed`);
    return undefined;
  }
  return next;
}
