/**
 * One read that scatters consecutive bytes of a file over several buffers
 * (readv): how a walk of an image puts each stored unit where it is wanted
 * (a raw chunk straight into a hashing ring, its checksum or a compressed
 * neighbour into a scratch buffer) with one system call instead of a read
 * and a copy per unit.
 */
import type fsp from 'node:fs/promises';
import { describeSystemError, ExhibitError } from '../core/errors.js';

/** readv takes at most this many buffers at once on Linux (IOV_MAX). */
const MOST_PARTS = 1024;

/**
 * Fill `parts`, in order, from the file's bytes at `position`, with as few calls as the system
 * allows (one, most often). A failed or short read is an IMAGE_INVALID error naming `where`.
 */
export async function readvFully(handle: fsp.FileHandle, parts: readonly Uint8Array[], position: number, where: string): Promise<void> {
  const total = parts.reduce((n, b) => n + b.length, 0);
  let got = 0;
  const rest = parts.filter((b) => b.length > 0);
  let next = 0; // the first part not yet filled
  while (next < rest.length) {
    let n: number;
    try {
      ({ bytesRead: n } = await handle.readv(rest.slice(next, next + MOST_PARTS), position + got));
    } catch (err) {
      throw new ExhibitError('IMAGE_INVALID', `${where}: reading failed: ${describeSystemError(err)}`, { cause: err });
    }
    if (n === 0) throw new ExhibitError('IMAGE_INVALID', `${where}: cut short: the file ends after ${got} of ${total} bytes`);
    got += n;
    // Past the parts filled; the one filled in part goes on from where the read stopped.
    while (n > 0) {
      const b = rest[next]!;
      if (n >= b.length) {
        n -= b.length;
        next++;
      } else {
        rest[next] = b.subarray(n);
        n = 0;
      }
    }
  }
}
