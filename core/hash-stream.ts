/**
 * Hashing a stream of byte pieces that arrive in order (an image's decoded
 * units, a source read again): on worker threads through a ring of shared
 * slots (core/hash-pool.ts), so reading and decoding the next piece overlaps
 * the hashing of the last; or inline on this thread, for small inputs where
 * starting workers costs more than the hashing.
 */
import type { DigestJob, EmittedSegment } from './hash-plan.js';
import { HashPool } from './hash-pool.js';
import { GroupHasher } from './segment-digest.js';

const SLOT = 4 * 1024 * 1024;
const SLOTS = 6;

/** Below this, hashing on this thread costs less than starting workers. */
export const INLINE_BELOW = 64 * 1024 * 1024;

/**
 * Where the next bytes of the stream would go in the ring (the rest of the slot being filled), for a
 * producer that can decode or read them there itself: a piece handed back as a view of exactly that
 * place (same memory, same offset) is taken as it stands, without a copy. Valid until the producer
 * yields; undefined when the hashing is inline (there is no ring).
 */
export type RingRoom = () => Uint8Array | undefined;

/**
 * Digest every piece with every job; returns each job's digests (one, or one per segment for
 * segmented jobs). `size` (the bytes to come) decides between workers and inline unless `inline` says.
 * `pieces` may be a function of a RingRoom (see there), for producers that fill the ring in place.
 */
export async function hashStream(
  source: AsyncIterable<Uint8Array> | ((room: RingRoom) => AsyncIterable<Uint8Array>),
  jobs: readonly DigestJob[],
  o: { size: number; inline?: boolean; onBytes?: (done: number) => void; onSegments?: (s: EmittedSegment[]) => void },
): Promise<Map<string, string[]>> {
  let done = 0;
  if (o.inline ?? o.size < INLINE_BELOW) {
    const pieces = typeof source === 'function' ? source(() => undefined) : source;
    const group = new GroupHasher(jobs, o.onSegments); // what a worker runs, fed the pieces where they are (no copy into a ring)
    for await (const piece of pieces) {
      group.update(piece);
      done += piece.length;
      o.onBytes?.(done);
    }
    return new Map(Object.entries(group.results()));
  }
  const sab = new SharedArrayBuffer(SLOT * SLOTS);
  const ring = new Uint8Array(sab);
  const pool = new HashPool(sab, jobs, undefined, o.onSegments);
  const busy: (Promise<void> | undefined)[] = new Array(SLOTS).fill(undefined);
  let slot = 0;
  let fill = 0;
  const pieces = typeof source === 'function' ? source(() => ring.subarray(slot * SLOT + fill, (slot + 1) * SLOT)) : source;
  const flush = async () => {
    if (fill === 0) return;
    const update = pool.update(slot * SLOT, fill);
    update.catch(() => undefined); // awaited below or abandoned on failure: never an unhandled rejection
    busy[slot] = update;
    slot = (slot + 1) % SLOTS;
    fill = 0;
    await busy[slot]; // the next slot must be free before it is filled
  };
  try {
    for await (const piece of pieces) {
      // Already in its place (the producer filled the room): taken as it stands.
      const inPlace = piece.buffer === sab && piece.byteOffset === slot * SLOT + fill && fill + piece.length <= SLOT;
      for (let at = 0; at < piece.length; ) {
        const n = Math.min(SLOT - fill, piece.length - at);
        if (!inPlace) ring.set(piece.subarray(at, at + n), slot * SLOT + fill);
        fill += n;
        at += n;
        if (fill === SLOT) await flush();
      }
      done += piece.length;
      o.onBytes?.(done);
    }
    await flush();
    await Promise.all(busy);
    return await pool.finish();
  } catch (err) {
    await pool.terminate();
    await Promise.allSettled(busy);
    throw err;
  }
}
