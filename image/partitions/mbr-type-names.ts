/** Plain names for MBR partition type bytes, and which of them open an extended partition. */
const MBR_TYPES: ReadonlyMap<number, string> = new Map([
  [0x01, 'FAT12'],
  [0x04, 'FAT16 (under 32 MiB)'],
  [0x05, 'Extended'],
  [0x06, 'FAT16'],
  [0x07, 'NTFS/exFAT/HPFS'],
  [0x0b, 'FAT32 (CHS)'],
  [0x0c, 'FAT32 (LBA)'],
  [0x0e, 'FAT16 (LBA)'],
  [0x0f, 'Extended (LBA)'],
  [0x11, 'Hidden FAT12'],
  [0x12, 'Compaq diagnostics / recovery'],
  [0x14, 'Hidden FAT16 (under 32 MiB)'],
  [0x16, 'Hidden FAT16'],
  [0x17, 'Hidden NTFS/exFAT/HPFS'],
  [0x1b, 'Hidden FAT32 (CHS)'],
  [0x1c, 'Hidden FAT32 (LBA)'],
  [0x1e, 'Hidden FAT16 (LBA)'],
  [0x27, 'Windows recovery'],
  [0x42, 'Windows dynamic disk (LDM)'],
  [0x82, 'Linux swap'],
  [0x83, 'Linux'],
  [0x85, 'Linux extended'],
  [0x8e, 'Linux LVM'],
  [0xa5, 'FreeBSD'],
  [0xa6, 'OpenBSD'],
  [0xa8, 'Apple UFS'],
  [0xa9, 'NetBSD'],
  [0xab, 'Apple boot'],
  [0xaf, 'Apple HFS/HFS+'],
  [0xbe, 'Solaris boot'],
  [0xbf, 'Solaris'],
  [0xde, 'Dell utility'],
  [0xee, 'GPT protective'],
  [0xef, 'EFI system (FAT)'],
  [0xfb, 'VMware VMFS'],
  [0xfc, 'VMware swap'],
  [0xfd, 'Linux RAID autodetect'],
]);

/** The type bytes that mark an extended partition (a chain of EBRs). */
export const EXTENDED_TYPES: ReadonlySet<number> = new Set([0x05, 0x0f, 0x85]);

/** The GPT protective type. */
export const PROTECTIVE_TYPE = 0xee;

export function mbrTypeName(type: number): string {
  return MBR_TYPES.get(type) ?? 'unknown';
}

/** "0x83" (lower-case hex, as sfdisk and mmls print it). */
export function mbrTypeHex(type: number): string {
  return `0x${type.toString(16).padStart(2, '0')}`;
}
