/**
 * The volumes a mount shows as files: each partition of the table (primary,
 * logical, GPT; an extended partition is a container, not a volume), named
 * `p<slot>` as `inspect` numbers them, cut to the media when the table
 * claims more. With no partition table, the whole media is the one volume
 * `--browse` looks at.
 */
import { detectFilesystem, PartitionBytes, SIGNATURE_WINDOWS, type PartitionTable } from '../image/partitions/index.js';

export interface Volume {
  /** The file's name in the mount (`p1`, `p5`), or `media` for the whole media. */
  name: string;
  /** Byte offset on the media. */
  start: number;
  bytes: number;
  description: string;
  /** The file system guessed from its signature. */
  fs?: string;
}

export function partitionVolumes(table: PartitionTable, mediaSize: number): { volumes: Volume[]; skipped: string[] } {
  const volumes: Volume[] = [];
  const skipped: string[] = [];
  for (const p of table.partitions) {
    if (p.kind === 'extended') continue;
    const name = `p${p.index}`;
    const start = p.firstSector * table.sectorSize;
    if (start >= mediaSize) {
      skipped.push(`${name} starts at byte ${start}, past the end of the media (${mediaSize} bytes): not shown`);
      continue;
    }
    const bytes = Math.min(p.bytes, mediaSize - start);
    if (bytes < p.bytes) skipped.push(`${name} runs ${p.bytes - bytes} bytes past the end of the media: shown up to the end`);
    const description = p.scheme === 'mbr' ? `${p.typeName} (${p.type})` : `${p.typeName}${p.name ? ` "${p.name}"` : ''}`;
    volumes.push({ name, start, bytes, description, ...(p.filesystem !== undefined ? { fs: p.filesystem } : {}) });
  }
  return { volumes, skipped };
}

const ISO9660_AT = 32769; // "CD001" in the first volume descriptor (sector 16 of 2048 bytes, after its type byte)

/** The file system at the start of `bytes` bytes read by `read` (a volume's own offsets), or undefined. */
export async function guessFilesystem(read: (offset: number, length: number) => Promise<Buffer>, bytes: number): Promise<string | undefined> {
  const windows: { offset: number; data: Uint8Array }[] = [];
  for (const w of SIGNATURE_WINDOWS) {
    const n = Math.min(w.length, bytes - w.offset);
    if (n > 0) windows.push({ offset: w.offset, data: await read(w.offset, n) });
  }
  const found = detectFilesystem(new PartitionBytes(windows));
  if (found !== undefined) return found;
  if (bytes >= ISO9660_AT + 5 && (await read(ISO9660_AT, 5)).toString('latin1') === 'CD001') return 'ISO 9660';
  return undefined;
}
