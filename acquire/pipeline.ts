/**
 * The copy loop: source -> ring slot -> (hash workers || ordered writer).
 *
 * One read is in flight at a time (sequential reads are what drives and the
 * page cache serve best); while it runs, earlier slots are being hashed on the
 * worker threads and written in order. A slot returns to the ring when both
 * the hashes and the write are done with it.
 *
 * Resuming: the bytes an earlier run made durable are read back from the image
 * (`replay`) and only hashed, which rebuilds the digests (node:crypto cannot
 * save a hash state) and re-reads the partial image; the source is read from
 * there on. Safe points: every so often the writer fsyncs, in write order, and
 * `onSafePoint` records how far the image is durable.
 */
import { ExhibitError } from '../core/errors.js';
import { HashPool } from '../core/hash-pool.js';
import type { EmittedSegment, HashJob } from '../core/hash-plan.js';
import type { ImageReader, ImageWriter } from '../image/types.js';
import { BufferRing } from './ring.js';

/** Fills a buffer with source bytes at a position (handling read errors itself). */
export interface BlockSource {
  read(into: Buffer, pos: number): Promise<void>;
}

export interface PipelineOptions {
  source: BlockSource;
  size: number;
  sectorSize: number;
  writer: ImageWriter;
  jobs: HashJob[];
  /**
   * A resume: bytes before `upTo` come from the partial image (each block shown to `observe`),
   * and `beforeFresh` runs once before the first byte is read from the source, when every replayed
   * byte has been hashed (a throw stops the copy).
   */
  replay?: { image: ImageReader; upTo: number; observe?: (data: Uint8Array, at: number) => void; beforeFresh?: () => Promise<unknown> };
  safePoint?: { everyBytes: number; everyMs: number; onSafePoint: (bytes: number) => Promise<void> };
  slotSize?: number; // bytes per read, a multiple of the sector size
  slots?: number;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (bytesDone: number) => void;
  /** Given the digests of `emit` jobs as the workers hand them over (core/hash-plan.ts). */
  onSegments?: (s: EmittedSegment[]) => void;
}

export interface PipelineResult {
  bytesDone: number; // bytes read, hashed and written (or replayed)
  interrupted: boolean;
  digests: Map<string, string[]> | undefined; // undefined when the copy did not finish
  failure?: unknown; // why the copy stopped early
}

export const DEFAULT_SLOT_SIZE = 4 * 1024 * 1024;
export const DEFAULT_SLOTS = 8;
/**
 * Below this many bytes of media, the digests run on this thread: starting the
 * hash workers costs about 0.1 s of a core each (Node's own start), more than
 * their overlap with reading and writing saves on so little.
 */
export const HASH_INLINE_BELOW = 16 * 1024 * 1024;

export async function runPipeline(o: PipelineOptions): Promise<PipelineResult> {
  // Whole sectors a slot: 4 MiB holds whole sectors of any power-of-two size; an image of 520- or
  // 2352-byte sectors (other tools write E01s of them) is read in the most that fit under it.
  const slotSize = o.slotSize ?? DEFAULT_SLOT_SIZE - (DEFAULT_SLOT_SIZE % o.sectorSize);
  if (slotSize % o.sectorSize !== 0) throw new ExhibitError('INTERNAL', `read size ${slotSize} is not a multiple of the sector size ${o.sectorSize}`);
  const replayTo = o.replay?.upTo ?? 0;
  if (replayTo % o.sectorSize !== 0 && replayTo !== o.size) throw new ExhibitError('INTERNAL', 'resume point is not on a sector boundary');
  const ring = new BufferRing(o.slots ?? DEFAULT_SLOTS, slotSize);
  const pool = new HashPool(ring.buffer, o.jobs, o.threads ?? (o.size < HASH_INLINE_BELOW ? 0 : undefined), o.onSegments);
  let failure: unknown;
  let written: Promise<void> = Promise.resolve();
  let bytesDone = 0;
  let lastSafeBytes = replayTo;
  let lastSafeTime = Date.now();
  const inFlight = new Set<Promise<void>>();
  let pos = 0;

  let fresh = false;
  const readBlock = async (into: Buffer, at: number): Promise<void> => {
    if (at < replayTo) {
      const n = await o.replay!.image.read(into, at, into.length);
      if (n !== into.length) throw new ExhibitError('RESUME_MISMATCH', `the partial image ends at byte ${at + n}, before the journal's safe point at ${replayTo}`);
      o.replay!.observe?.(into, at);
    } else {
      if (!fresh) {
        fresh = true;
        if (o.replay?.beforeFresh) {
          await Promise.all(inFlight); // every replayed slot hashed (their emitted digests are in)
          await o.replay.beforeFresh();
        }
      }
      await o.source.read(into, at);
    }
  };

  const safePointDue = (end: number): boolean => {
    const sp = o.safePoint;
    if (!sp || end <= replayTo || end === o.size) return false;
    return end - lastSafeBytes >= sp.everyBytes || Date.now() - lastSafeTime >= sp.everyMs;
  };

  try {
    while (pos < o.size && failure === undefined && !o.signal?.aborted) {
      const slot = await ring.take();
      if (failure !== undefined || o.signal?.aborted) {
        ring.give(slot);
        break;
      }
      // Replayed and fresh bytes never share a slot, so each slot is either written or not.
      const limit = pos < replayTo ? replayTo : o.size;
      const n = Math.min(slotSize, limit - pos);
      const view = ring.view(slot, n);
      try {
        await readBlock(view, pos);
      } catch (err) {
        ring.give(slot);
        failure = err;
        break;
      }
      const hashed = pool.update(ring.offset(slot), n);
      const end = pos + n;
      if (pos >= replayTo) {
        const due = safePointDue(end);
        if (due) {
          lastSafeBytes = end;
          lastSafeTime = Date.now();
        }
        // A failed write rejects the chain, so no later write runs; a read failure
        // stops reading, but what was already read is still written.
        written = written.then(async () => {
          await o.writer.write(view);
          if (due) await o.safePoint!.onSafePoint(await o.writer.sync());
        });
      }
      // The slot goes back only when both the hashes and the write have settled.
      const done: Promise<void> = Promise.allSettled([hashed, written]).then(([h, w]) => {
        if (h.status === 'rejected') failure ??= h.reason;
        else if (w.status === 'rejected') failure ??= w.reason;
        else {
          bytesDone = Math.max(bytesDone, end);
          o.onProgress?.(bytesDone);
        }
      });
      const tracked = done.finally(() => {
        inFlight.delete(tracked);
        ring.give(slot);
      });
      inFlight.add(tracked);
      pos = end;
    }
    await Promise.all(inFlight);
    await written.catch(() => undefined); // every write has settled before the writer is sealed
    // A resume that replayed the whole media (an earlier session copied it all but could not seal it) is checked too.
    if (!fresh && replayTo > 0 && failure === undefined && !o.signal?.aborted && o.replay?.beforeFresh) {
      fresh = true;
      await o.replay.beforeFresh().catch((err: unknown) => {
        failure = err;
      });
    }
    if (failure !== undefined) {
      await pool.terminate();
      return { bytesDone, interrupted: false, digests: undefined, failure };
    }
    // Stopped by the user, even after the last read: the run says it stops, and the image is not called complete
    // (slow encoders can still be busy with the last slots when Ctrl-C comes).
    if (o.signal?.aborted) {
      await pool.terminate();
      return { bytesDone, interrupted: true, digests: undefined };
    }
    return { bytesDone, interrupted: false, digests: await pool.finish() };
  } catch (err) {
    await Promise.all(inFlight);
    await written.catch(() => undefined);
    await pool.terminate();
    return { bytesDone, interrupted: false, digests: undefined, failure: err };
  }
}
