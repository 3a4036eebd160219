/**
 * Guess a partition's filesystem from the signatures in its first bytes.
 * A guess, not a proof: only magic numbers and a few header fields are read.
 */

/** The byte ranges (from the partition's start) the guess looks at. */
export const SIGNATURE_WINDOWS: readonly { offset: number; length: number }[] = [
  { offset: 0, length: 16384 }, // boot sectors, superblocks, swap headers for pages up to 16 KiB
  { offset: 61440, length: 8192 }, // a 64 KiB-page swap header (ends at 65536) and the Btrfs superblock (at 65536)
];

/** Bytes of a partition's start as read: some windows may be short or missing. */
export class PartitionBytes {
  constructor(private readonly windows: readonly { offset: number; data: Uint8Array }[]) {}

  /** The `length` bytes at `offset`, if a window holds all of them. */
  at(offset: number, length: number): Uint8Array | undefined {
    for (const w of this.windows) {
      if (offset >= w.offset && offset + length <= w.offset + w.data.length) return w.data.subarray(offset - w.offset, offset - w.offset + length);
    }
    return undefined;
  }

  /** True when the bytes at `offset` are the ASCII (Latin-1) text `text`. */
  has(offset: number, text: string): boolean {
    const b = this.at(offset, text.length);
    if (b === undefined) return false;
    for (let i = 0; i < text.length; i++) if (b[i] !== text.charCodeAt(i)) return false;
    return true;
  }

  u8(offset: number): number | undefined {
    return this.at(offset, 1)?.[0];
  }

  u16le(offset: number): number | undefined {
    const b = this.at(offset, 2);
    return b === undefined ? undefined : b[0]! | (b[1]! << 8);
  }

  u16be(offset: number): number | undefined {
    const b = this.at(offset, 2);
    return b === undefined ? undefined : (b[0]! << 8) | b[1]!;
  }

  u32le(offset: number): number | undefined {
    const b = this.at(offset, 4);
    return b === undefined ? undefined : (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }
}

const EXT_MAGIC = 0xef53;
const EXT_SB = 1024;
const EXT_COMPAT_HAS_JOURNAL = 0x4;
const EXT_INCOMPAT_EXT4 = 0x40 | 0x80 | 0x200; // extents, 64bit, flex_bg

function ext(p: PartitionBytes): string | undefined {
  if (p.u16le(EXT_SB + 56) !== EXT_MAGIC) return undefined;
  const compat = p.u32le(EXT_SB + 92) ?? 0;
  const incompat = p.u32le(EXT_SB + 96) ?? 0;
  if (incompat & EXT_INCOMPAT_EXT4) return 'ext4';
  if (compat & EXT_COMPAT_HAS_JOURNAL) return 'ext3';
  return 'ext2';
}

/** FAT by the type label of the FAT12/16 or FAT32 extended BPB. */
function fatByLabel(p: PartitionBytes): string | undefined {
  if (p.has(82, 'FAT32   ')) return 'FAT32';
  if (p.has(54, 'FAT12   ')) return 'FAT12';
  if (p.has(54, 'FAT16   ')) return 'FAT16';
  return undefined;
}

const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/** FAT without a type label: a plausible BPB, typed by its cluster count as the FAT specification does. */
function fatByBpb(p: PartitionBytes): string | undefined {
  const jump = p.u8(0);
  if ((jump !== 0xeb && jump !== 0xe9) || p.u16be(510) !== 0x55aa) return undefined;
  const bytesPerSector = p.u16le(11) ?? 0;
  const perCluster = p.u8(13) ?? 0;
  const reserved = p.u16le(14) ?? 0;
  const fats = p.u8(16) ?? 0;
  const rootEntries = p.u16le(17) ?? 0;
  const total = p.u16le(19) || (p.u32le(32) ?? 0);
  const media = p.u8(21) ?? 0;
  const fatSize = p.u16le(22) || (p.u32le(36) ?? 0);
  if (bytesPerSector < 512 || bytesPerSector > 4096 || !isPowerOfTwo(bytesPerSector)) return undefined;
  if (!isPowerOfTwo(perCluster) || reserved === 0 || fats < 1 || fats > 2 || media < 0xf0 || fatSize === 0) return undefined;
  const rootSectors = Math.ceil((rootEntries * 32) / bytesPerSector);
  const data = total - (reserved + fats * fatSize + rootSectors);
  if (data <= 0) return undefined;
  const clusters = Math.floor(data / perCluster);
  return clusters < 4085 ? 'FAT12' : clusters < 65525 ? 'FAT16' : 'FAT32';
}

function swap(p: PartitionBytes): string | undefined {
  for (const page of [4096, 8192, 16384, 65536]) {
    if (p.has(page - 10, 'SWAPSPACE2') || p.has(page - 10, 'SWAP-SPACE')) return 'Linux swap';
  }
  return undefined;
}

/** The filesystem (or container) whose signature `p` starts with, or undefined. Strong signatures are tried first. */
export function detectFilesystem(p: PartitionBytes): string | undefined {
  if (p.has(0, 'LUKS\xba\xbe')) return 'LUKS';
  if (p.has(0, 'XFSB')) return 'XFS';
  if (p.has(3, '-FVE-FS-')) return 'BitLocker';
  if (p.has(3, 'NTFS    ')) return 'NTFS';
  if (p.has(3, 'EXFAT   ')) return 'exFAT';
  if (p.has(32, 'NXSB')) return 'APFS';
  if (p.has(65536 + 64, '_BHRfS_M')) return 'Btrfs';
  const labelled = fatByLabel(p);
  if (labelled !== undefined) return labelled;
  const e = ext(p);
  if (e !== undefined) return e;
  if ((p.has(1024, 'H+') && p.u16be(1026) === 4) || (p.has(1024, 'HX') && p.u16be(1026) === 5)) return 'HFS+';
  return swap(p) ?? fatByBpb(p);
}
