/**
 * The shapes the partition table reader takes and returns. Sector numbers are
 * in units of the table's sector size; byte counts are plain numbers.
 */

/** Random access to a disk or image: the same shape as ImageReader (../types.ts), so any reader fits. */
export interface ByteSource {
  readonly size: number;
  /** Read up to `length` bytes at `offset` into `into`; returns the count. May throw. */
  read(into: Uint8Array, offset: number, length: number): Promise<number>;
}

export type PartitionScheme = 'mbr' | 'gpt';

export interface PartitionEntry {
  /** MBR: the slot (1-4) for primary and extended entries, 5, 6, ... for logical ones in chain order. GPT: the entry's 1-based place in the entry array. */
  index: number;
  scheme: PartitionScheme;
  kind: 'primary' | 'extended' | 'logical' | 'gpt';
  firstSector: number;
  /** Inclusive. */
  lastSector: number;
  sectors: number;
  bytes: number;
  /** MBR: the type byte as "0x83"; GPT: the type GUID. */
  type: string;
  /** The type in plain words ("Linux", "EFI system"), or "unknown". */
  typeName: string;
  /** GPT: the partition's name. */
  name?: string;
  /** GPT: the unique partition GUID. */
  guid?: string;
  /** MBR: the boot indicator (0x80). */
  bootable?: boolean;
  /** A guess from the signature at the partition's start (NTFS, FAT32, ext4, ...). */
  filesystem?: string;
}

/** Sectors no partition (and no partition table) uses. */
export interface Gap {
  firstSector: number;
  /** Inclusive. */
  lastSector: number;
  sectors: number;
}

export interface Finding {
  severity: 'error' | 'warning' | 'info';
  /** Plain words, with the sector numbers and values involved. */
  message: string;
}

export interface PartitionTable {
  scheme: PartitionScheme | 'none';
  sectorSize: number;
  totalSectors: number;
  /** GPT: the disk GUID. */
  diskGuid?: string;
  partitions: PartitionEntry[];
  unallocated: Gap[];
  findings: Finding[];
}
