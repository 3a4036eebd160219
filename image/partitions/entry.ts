import type { PartitionEntry } from './types.js';

/** A PartitionEntry with its derived fields (last sector, sector and byte counts) filled in. */
export function makeEntry(fields: Omit<PartitionEntry, 'lastSector' | 'sectors' | 'bytes'> & { count: number }, sectorSize: number): PartitionEntry {
  const { count, index, scheme, kind, firstSector, ...rest } = fields;
  return { index, scheme, kind, firstSector, lastSector: firstSector + count - 1, sectors: count, bytes: count * sectorSize, ...rest };
}

/** "sectors 2048-10239". */
export function sectorRange(first: number, last: number): string {
  return `sectors ${first}-${last}`;
}
