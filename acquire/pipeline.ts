/**
 * The copy loop: source -> ring slot -> (hash workers || ordered writer).
 *
 * One read is in flight at a time (sequential reads are what drives and the
 * page cache serve best); while it runs, earlier slots are being hashed on the
 * worker threads and written in order. A slot returns to the ring when both
 * the hashes and the write are done with it.
 */
import type fsp from 'node:fs/promises';
import { describeSystemError, errnoOf, ExhibitError } from '../core/errors.js';
import { HashPool } from '../core/hash-pool.js';
import type { HashJob } from '../core/hash-plan.js';
import type { ImageWriter } from '../image/types.js';
import { BufferRing } from './ring.js';

export interface PipelineOptions {
  source: fsp.FileHandle;
  size: number;
  sectorSize: number;
  writer: ImageWriter;
  jobs: HashJob[];
  slotSize?: number; // bytes per read, a multiple of the sector size
  slots?: number;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (bytesDone: number) => void;
}

export interface PipelineResult {
  bytesDone: number; // bytes read, hashed and written
  interrupted: boolean;
  digests: Map<string, string[]> | undefined; // undefined when the copy did not finish
  failure?: unknown; // why the copy stopped early (read or write error)
}

export const DEFAULT_SLOT_SIZE = 4 * 1024 * 1024;
export const DEFAULT_SLOTS = 8;

async function readFully(h: fsp.FileHandle, into: Buffer, position: number): Promise<number> {
  let done = 0;
  while (done < into.length) {
    let n: number;
    try {
      ({ bytesRead: n } = await h.read(into, done, into.length - done, position + done));
    } catch (err) {
      const at = position + done;
      const code = errnoOf(err);
      const gone = code === 'ENODEV' || code === 'ENXIO' || code === 'ENOMEDIUM';
      throw new ExhibitError(gone ? 'SOURCE_CHANGED' : 'SOURCE_READ', `reading the source failed at byte ${at}: ${describeSystemError(err)}`, { cause: err });
    }
    if (n === 0) break;
    done += n;
  }
  return done;
}

export async function runPipeline(o: PipelineOptions): Promise<PipelineResult> {
  const slotSize = o.slotSize ?? DEFAULT_SLOT_SIZE;
  if (slotSize % o.sectorSize !== 0) throw new ExhibitError('INTERNAL', `read size ${slotSize} is not a multiple of the sector size ${o.sectorSize}`);
  const ring = new BufferRing(o.slots ?? DEFAULT_SLOTS, slotSize);
  const pool = new HashPool(ring.buffer, o.jobs, o.threads);
  let failure: unknown;
  let written = Promise.resolve();
  let bytesDone = 0;
  const inFlight = new Set<Promise<void>>();
  let pos = 0;
  try {
    while (pos < o.size && failure === undefined && !o.signal?.aborted) {
      const slot = await ring.take();
      if (failure !== undefined || o.signal?.aborted) {
        ring.give(slot);
        break;
      }
      const want = Math.min(slotSize, o.size - pos);
      const view = ring.view(slot, want);
      let n: number;
      try {
        n = await readFully(o.source, view, pos);
      } catch (err) {
        ring.give(slot);
        failure = err;
        break;
      }
      if (n < want) {
        ring.give(slot);
        failure = new ExhibitError('SOURCE_CHANGED', `the source ended at byte ${pos + n}, before its size of ${o.size} bytes; it shrank or was removed`);
        break;
      }
      const data = n === want ? view : view.subarray(0, n);
      const hashed = pool.update(ring.offset(slot), n);
      written = written.then(() => (failure === undefined ? o.writer.write(data) : undefined));
      const end = pos + n;
      const done: Promise<void> = Promise.all([hashed, written]).then(
        () => {
          bytesDone = Math.max(bytesDone, end);
          o.onProgress?.(bytesDone);
        },
        (err: unknown) => {
          failure ??= err;
        },
      );
      const tracked = done.finally(() => {
        inFlight.delete(tracked);
        ring.give(slot);
      });
      inFlight.add(tracked);
      pos = end;
    }
    await Promise.all(inFlight);
    if (failure !== undefined) {
      await pool.terminate();
      return { bytesDone, interrupted: false, digests: undefined, failure };
    }
    if (o.signal?.aborted && bytesDone < o.size) {
      await pool.terminate();
      return { bytesDone, interrupted: true, digests: undefined };
    }
    return { bytesDone, interrupted: false, digests: await pool.finish() };
  } catch (err) {
    await Promise.all(inFlight);
    await pool.terminate();
    throw err;
  }
}
