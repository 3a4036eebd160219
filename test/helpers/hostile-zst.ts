/** Hand-made seekable zstd files for the hostile-input tests (layout: image/zstd/SPEC.md). */
import fs from 'node:fs';
import { seekTable, type FrameEntry } from '../../image/zstd/layout.js';

/**
 * One zstd frame of RLE blocks (4 bytes each, 128 KiB of zeros each) that
 * decodes to `content` bytes: 512 MiB takes 16 KiB. `headerSize` is what its
 * header declares (null: no content size in the header).
 */
export function rleFrame(content: number, headerSize: number | null = content): Buffer {
  const BLOCK = 128 * 1024;
  const parts: Buffer[] = [];
  const head = Buffer.alloc(headerSize === null ? 6 : 14);
  head.writeUInt32LE(0xfd2fb528, 0);
  head[4] = headerSize === null ? 0x00 : 0xc0; // content size: none, or 8 bytes; no single segment, no checksum
  head[5] = (17 - 10) << 3; // window 128 KiB
  if (headerSize !== null) head.writeBigUInt64LE(BigInt(headerSize), 6);
  parts.push(head);
  for (let left = content; left > 0; left -= BLOCK) {
    const n = Math.min(BLOCK, left);
    const last = left <= BLOCK ? 1 : 0;
    const h = (n << 3) | (1 << 1) | last; // RLE block
    parts.push(Buffer.from([h & 0xff, (h >>> 8) & 0xff, (h >>> 16) & 0xff, 0]));
  }
  return Buffer.concat(parts);
}

/** A seekable zstd file of the given frames, with a seek table that says what `entries` say. */
export function writeSeekable(file: string, frames: readonly Buffer[], entries: readonly FrameEntry[]): void {
  fs.writeFileSync(file, Buffer.concat([...frames, seekTable(entries)]));
}

/** The seek table entry a frame would honestly get, with `decompressed` as given. */
export function entryOf(frame: Buffer, decompressed: number): FrameEntry {
  return { compressed: frame.length, decompressed, checksum: frame.readUInt32LE(frame.length - 4) };
}
