import type fsp from 'node:fs/promises';
import path from 'node:path';
import { openInput } from '../../core/input-file.js';
import { frameInfo, SKIPPABLE_MAGIC, type FrameEntry } from './layout.js';

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
export async function scanFrames(h: fsp.FileHandle, end: number, decompressedOf: (i: number) => number): Promise<{ entries: FrameEntry[]; stoppedAt: number }> {
  const entries: FrameEntry[] = [];
  let buf = Buffer.allocUnsafe(8 << 20); // only the bytes read are ever looked at: not zeroed, which cost more than the scan of a small image
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
      entries.push({ compressed: f.length, decompressed: f.contentSize ?? decompressedOf(entries.length), checksum: view.readUInt32LE(at + f.length - 4), offset: pos + at, ...(f.contentSize === undefined ? { noContentSize: true } : {}) });
      at += f.length;
      if (pos + at >= end) break;
    }
    if (at === 0) {
      // Not a whole frame here: a frame longer than the window (read a larger one), or the end of the frames.
      if (bytesRead === buf.length && buf.length < 256 << 20) {
        buf = Buffer.allocUnsafe(buf.length * 2);
        continue;
      }
      return { entries, stoppedAt: pos };
    }
    pos += at;
  }
  return { entries, stoppedAt: pos };
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
