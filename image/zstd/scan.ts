import type fsp from 'node:fs/promises';
import { frameInfo, type FrameEntry } from './layout.js';

/**
 * Find the zstd frames in bytes [0, end) of a file by walking frame and block
 * headers (no decompression). Each frame's checksum is its last 4 bytes; its
 * media size comes from its header, or else from `decompressedOf`.
 * Stops at the first place that is not a whole frame and says where.
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
      const f = frameInfo(view, at);
      if (f === undefined) break;
      entries.push({ compressed: f.length, decompressed: f.contentSize ?? decompressedOf(entries.length), checksum: view.readUInt32LE(at + f.length - 4) });
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
