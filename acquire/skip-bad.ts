/**
 * --skip-bad: the gentler strategy for a dying drive, after ddrescue's passes.
 *
 * Pass 1 copies the drive in large reads and, where a read fails, does not
 * stop to pick the area apart: it defers it, writes a placeholder, and skips
 * ahead, doubling the skip while reads keep failing (a failing area is often
 * larger than one read) and resetting it after a good read. Most healthy data
 * is saved before the drive is worked hard. Pass 2 comes back to the deferred
 * regions and reads them sector by sector with retries (SourceReader), patching
 * the image. The hashes of pass 1 then describe placeholders, so pass 3
 * rebuilds them by reading the finished image back; when nothing was deferred,
 * pass 1's in-stream hashes stand and passes 2 and 3 do not run.
 */
import { errnoOf } from '../core/errors.js';
import type { BlockSource, PipelineResult } from './pipeline.js';
import type { Fill } from '../source/bad-sectors.js';
import { MEDIA_ERRORS } from '../source/source-reader.js';

export interface Region {
  pos: number;
  len: number;
}


export class SkippingSource implements BlockSource {
  readonly deferred: Region[];
  private skipUntil = -1;
  private skip: number;

  constructor(
    private readonly read1: (into: Buffer, pos: number) => Promise<void>, // one plain read of the whole block
    private readonly fill: Fill,
    private readonly blockSize: number,
    private readonly maxSkip: number,
    deferred: Region[] = [],
  ) {
    this.skip = blockSize;
    this.deferred = deferred;
  }

  private defer(into: Buffer, pos: number): void {
    for (let i = 0; i < into.length; i += this.fill.sector.length) this.fill.sector.copy(into, i, 0, Math.min(this.fill.sector.length, into.length - i));
    const last = this.deferred[this.deferred.length - 1];
    if (last && last.pos + last.len === pos) last.len += into.length;
    else this.deferred.push({ pos, len: into.length });
  }

  async read(into: Buffer, pos: number): Promise<void> {
    if (pos < this.skipUntil) {
      this.defer(into, pos); // inside a skipped stretch: not even tried in this pass
      return;
    }
    try {
      await this.read1(into, pos);
      this.skip = this.blockSize;
    } catch (err) {
      if (!MEDIA_ERRORS.has(errnoOf(err) ?? '')) throw err;
      this.defer(into, pos);
      this.skipUntil = pos + into.length + this.skip;
      this.skip = Math.min(this.skip * 2, this.maxSkip);
    }
  }

  /** The deferred regions that lie before `bytes` (for the journal at a safe point), clipped. */
  before(bytes: number): Region[] {
    return this.deferred.filter((r) => r.pos < bytes).map((r) => ({ pos: r.pos, len: Math.min(r.len, bytes - r.pos) }));
  }
}

export interface RescueOptions {
  regions: Region[];
  read: (into: Buffer, pos: number) => Promise<void>; // sector-level reading with retries and fills
  patch: (pos: number, data: Buffer) => Promise<void>;
  rehash: () => Promise<PipelineResult>; // pass 3: the finished image read back through the hash workers
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  chunk?: number;
}

/** Passes 2 and 3. Returns pass 3's result, or where pass 2 stopped. */
export async function rescueDeferred(o: RescueOptions): Promise<PipelineResult> {
  const total = o.regions.reduce((a, r) => a + r.len, 0);
  const chunk = o.chunk ?? 4 * 1024 * 1024;
  const buf = Buffer.alloc(chunk);
  let done = 0;
  for (const r of o.regions) {
    for (let off = 0; off < r.len; off += chunk) {
      if (o.signal?.aborted) return { bytesDone: 0, interrupted: true, digests: undefined };
      const view = buf.subarray(0, Math.min(chunk, r.len - off));
      try {
        await o.read(view, r.pos + off);
        await o.patch(r.pos + off, view);
      } catch (err) {
        return { bytesDone: 0, interrupted: false, digests: undefined, failure: err };
      }
      done += view.length;
      o.onProgress?.(done, total);
    }
  }
  return o.rehash();
}
