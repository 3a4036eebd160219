import type fsp from 'node:fs/promises';
import path from 'node:path';
import { openInput } from '../../core/input-file.js';
import { blockHeader, frameHeader, frameInfo, SKIPPABLE_MAGIC, type FrameEntry } from './layout.js';

/** The length of the skippable frame (magic 0x184D2A50..5F, a u32 size, that many bytes) at `at`, when it is whole in `b`. */
function skippableLength(b: Buffer, at: number): number | undefined {
  if (at + 8 > b.length || (b.readUInt32LE(at) & 0xfffffff0) !== (SKIPPABLE_MAGIC & 0xfffffff0)) return undefined;
  const n = 8 + b.readUInt32LE(at + 4);
  return at + n <= b.length ? n : undefined;
}

/**
 * Find the zstd frames in bytes [0, end) of a file by walking frame and block
 * headers (no decompression). Each frame's checksum is its last 4 bytes; its
 * media size comes from its header, or else from `decompressedOf`; `offset`
 * is where it starts in the file. Skippable frames (pzstd puts one before
 * each frame; a seek table is one) are stepped over. Stops at the first place
 * that is not a whole frame and says where.
 */
export async function scanFrames(h: fsp.FileHandle, end: number, decompressedOf: (i: number) => number, windowBytes = WINDOW): Promise<{ entries: FrameEntry[]; stoppedAt: number }> {
  const entries: FrameEntry[] = [];
  const buf = Buffer.allocUnsafe(windowBytes); // only the bytes read are ever looked at: not zeroed, which cost more than the scan of a small image
  let pos = 0;
  while (pos < end) {
    const { bytesRead } = await h.read(buf, 0, Math.min(buf.length, end - pos), pos);
    const view = buf.subarray(0, bytesRead);
    let at = 0;
    for (;;) {
      const skip = skippableLength(view, at);
      if (skip !== undefined) {
        at += skip;
        if (pos + at >= end) break;
        continue;
      }
      const f = frameInfo(view, at);
      if (f === undefined) break;
      entries.push({ ...entry(f, decompressedOf(entries.length)), checksum: view.readUInt32LE(at + f.length - 4), offset: pos + at });
      at += f.length;
      if (pos + at >= end) break;
    }
    if (at === 0) {
      // Not a whole frame in the window: a frame longer than the window (its block headers are walked
      // in the file, however long it is: `zstd disk.img` makes one frame of the whole disk), or the end of the frames.
      const f = bytesRead === buf.length ? await longFrame(h, pos, end, view) : undefined;
      if (!f) return { entries, stoppedAt: pos };
      const tail = Buffer.alloc(4);
      await h.read(tail, 0, 4, pos + f.length - 4);
      entries.push({ ...entry(f, decompressedOf(entries.length)), checksum: tail.readUInt32LE(0), offset: pos });
      at = f.length;
    }
    pos += at;
  }
  return { entries, stoppedAt: pos };
}

/** A frame's entry, but for its checksum and offset: its media size from its header, else `otherwise`. */
function entry(f: { length: number; contentSize?: number; window?: number; dictionary?: number }, otherwise: number): Omit<FrameEntry, 'checksum'> {
  return { compressed: f.length, decompressed: f.contentSize ?? otherwise, ...(f.contentSize === undefined ? { noContentSize: true } : {}), ...(f.window === undefined ? {} : { window: f.window }), ...(f.dictionary === undefined ? {} : { dictionary: f.dictionary }) };
}

/** The bytes of the file read at a time while walking its frames. */
const WINDOW = 8 << 20;

/**
 * The frame that starts at `start` (its header in `head`, the bytes there), found by walking its
 * block headers in the file, a window at a time: its length and, when its header says, its content
 * size; undefined when the bytes before `end` do not hold it whole.
 */
async function longFrame(h: fsp.FileHandle, start: number, end: number, head: Buffer): Promise<{ length: number; contentSize?: number; window?: number; dictionary?: number } | undefined> {
  const header = frameHeader(head, 0);
  if (!header) return undefined;
  // A small window read where the next block header is: a frame's blocks are up to 128 KiB, so the walk
  // reads a few KiB of each, not the frame (and a frame of tiny blocks still finds many headers a read).
  const w = Buffer.allocUnsafe(Math.min(head.length, 4096));
  let wStart = 0;
  let wLength = 0; // the window holds file bytes [wStart, wStart + wLength)
  let q = start + header.blocksAt;
  for (;;) {
    if (q + 3 > end) return undefined;
    if (q < wStart || q + 3 > wStart + wLength) {
      ({ bytesRead: wLength } = await h.read(w, 0, Math.min(w.length, end - q), q));
      wStart = q;
      if (wLength < 3) return undefined;
    }
    const block = blockHeader(w, q - wStart);
    if (!block) return undefined;
    q += 3 + block.bytes;
    if (block.last) break;
  }
  q += header.checksum ? 4 : 0;
  if (q > end) return undefined;
  return { length: q - start, ...(header.contentSize === undefined ? {} : { contentSize: header.contentSize }), ...(header.window === undefined ? {} : { window: header.window }), ...(header.dictionary === undefined ? {} : { dictionary: header.dictionary }) };
}

/** Open `file` and find its frames (the whole file); the caller owns the handle. */
export async function scanFile(file: string): Promise<{ entries: FrameEntry[]; stoppedAt: number; size: number; handle: fsp.FileHandle }> {
  const handle = await openInput(path.resolve(file));
  try {
    const size = (await handle.stat()).size;
    const { entries, stoppedAt } = await scanFrames(handle, size, () => 0);
    return { entries, stoppedAt, size, handle };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
