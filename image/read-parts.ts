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

/**
 * Read a run of units stored in one file, from the first one's offset to the last one's end, with
 * one call: unit k's bytes go into `stored` at their distance from the first unit's offset (as a
 * plain read of the run would put them, gaps between units too), except that when `place(k)`
 * gives a buffer, the unit's first bytes (all but its last `keep`) are read straight into it. The
 * bytes of a placed unit in `stored` are then only its last `keep`.
 */
export async function readRun(
  handle: fsp.FileHandle,
  units: readonly { offset: number; size: number }[],
  stored: Uint8Array,
  place: (k: number) => Uint8Array | undefined,
  keep: number,
  where: string,
): Promise<void> {
  const base = units[0]!.offset;
  const parts: Uint8Array[] = [];
  let at = 0; // bytes of the run given a part so far
  for (const [k, u] of units.entries()) {
    const from = u.offset - base;
    if (from > at) parts.push(stored.subarray(at, from)); // a gap between units
    const there = place(k);
    if (there) parts.push(there.subarray(0, u.size - keep), stored.subarray(from + u.size - keep, from + u.size));
    else parts.push(stored.subarray(from, from + u.size));
    at = from + u.size;
  }
  await readvFully(handle, parts, base, where);
}
