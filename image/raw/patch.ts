import fs from 'node:fs/promises';
import path from 'node:path';
import { outputError } from '../output-file.js';
import { segmentName } from '../split-raw/naming.js';

/**
 * Write `data` at media offset `pos` into an existing raw or split-raw image,
 * and fsync. Used by a rescue pass that comes back to regions the first pass
 * skipped; it never creates a file, so it can only change an image exhibit is
 * still writing.
 */
export async function patchRawImage(dir: string, base: string, segmentSize: number | null, pos: number, data: Uint8Array): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const at = pos + done;
    const index = segmentSize === null ? 0 : Math.floor(at / segmentSize);
    const offset = segmentSize === null ? at : at - index * segmentSize;
    const room = segmentSize === null ? data.length - done : Math.min(segmentSize - offset, data.length - done);
    const file = path.join(dir, segmentSize === null ? `${base}.raw` : segmentName(base, index));
    let h: fs.FileHandle | undefined;
    try {
      h = await fs.open(file, 'r+');
      let n = 0;
      while (n < room) n += (await h.write(data, done + n, room - n, offset + n)).bytesWritten;
      await h.sync();
    } catch (err) {
      throw outputError(err, file, 'write');
    } finally {
      await h?.close();
    }
    done += room;
  }
}
