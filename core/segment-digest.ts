/**
 * One digest job fed in order (core/hash-plan.ts): a whole-stream digest, or
 * one digest per segment. Shared by the hash workers and by hashing inline.
 *
 * A segmented job digests only the segments its share gives it (the others
 * it counts past; their digests come from another worker, and the result has
 * an empty string in their place). A segment that is all zero bytes is not
 * fed to the digest at all: its digest is that of so many zero bytes, worked
 * out once per length. Zero runs are common on drives, and a zero test is a
 * memcmp that stops at the first non-zero byte, so random data pays nothing.
 */
import crypto from 'node:crypto';
import { ownsSegment, type DigestJob, type EmittedSegment, type HashJob } from './hash-plan.js';

const ZERO = Buffer.alloc(1024 * 1024);

export interface DigestState {
  job: DigestJob;
  hash: crypto.Hash | undefined; // undefined while the current segment has been all zero bytes
  index: number; // segment number
  inSegment: number; // bytes of the current segment so far
  digests: string[];
  /** An `emit` job's digests made since they were last taken. */
  fresh: EmittedSegment[];
}

export function newDigestState(job: DigestJob): DigestState {
  return { job, hash: job.segmentSize ? undefined : crypto.createHash(job.algorithm), index: 0, inSegment: 0, digests: [], fresh: [] };
}

/** Whether every byte of `data` is zero (memcmp in 1 MiB steps). */
export function allZero(data: Uint8Array): boolean {
  for (let at = 0; at < data.length; at += ZERO.length) {
    const n = Math.min(ZERO.length, data.length - at);
    if (ZERO.compare(data, at, at + n, 0, n) !== 0) return false;
  }
  return true;
}

const zeroDigests = new Map<string, string>();
/** The digest of `length` zero bytes (kept, so each length is digested once). */
function zeroDigest(algorithm: string, length: number): string {
  const key = `${algorithm}:${length}`;
  let d = zeroDigests.get(key);
  if (d === undefined) {
    const h = crypto.createHash(algorithm);
    for (let left = length; left > 0; left -= ZERO.length) h.update(ZERO.subarray(0, Math.min(left, ZERO.length)));
    d = h.digest('hex');
    zeroDigests.set(key, d);
  }
  return d;
}

/** Feed the segment's zero bytes so far into a new digest (the segment just met a non-zero byte). */
function startDigest(s: DigestState): crypto.Hash {
  const h = crypto.createHash(s.job.algorithm);
  for (let left = s.inSegment; left > 0; left -= ZERO.length) h.update(ZERO.subarray(0, Math.min(left, ZERO.length)));
  return h;
}

function endSegment(s: DigestState): void {
  const mine = ownsSegment(s.job.share, s.index);
  const digest = !mine ? '' : s.hash ? s.hash.digest('hex') : zeroDigest(s.job.algorithm, s.inSegment);
  if (!s.job.emit) s.digests.push(digest);
  else if (mine) s.fresh.push({ id: s.job.id, index: s.index, digest });
  s.hash = undefined;
  s.index++;
  s.inSegment = 0;
}

export function feedDigest(s: DigestState, data: Uint8Array): void {
  const seg = s.job.segmentSize;
  if (!seg) {
    s.hash!.update(data);
    return;
  }
  let pos = 0;
  while (pos < data.length) {
    const take = Math.min(seg - s.inSegment, data.length - pos);
    if (ownsSegment(s.job.share, s.index)) {
      const part = data.subarray(pos, pos + take);
      if (s.hash) s.hash.update(part);
      else if (!allZero(part)) (s.hash = startDigest(s)).update(part);
    }
    s.inSegment += take;
    pos += take;
    if (s.inSegment === seg) endSegment(s);
  }
}

/** The job's digests: one for a whole stream; one per segment (at least one, the last maybe short). */
export function digestResult(s: DigestState): string[] {
  if (!s.job.segmentSize) return [s.hash!.digest('hex')];
  if (s.inSegment > 0 || s.index === 0) endSegment(s);
  return s.digests;
}

/**
 * All-zero whole sectors of `data`, which starts on a sector boundary; a
 * partial last sector is not counted. A sector whose first 8 bytes are not
 * zero is passed over without a call; the rest are compared 64 KiB at a time
 * where they can be, else sector by sector.
 */
const ZERO_RUN = 64 * 1024;
export function countZeroSectors(data: Buffer, sectorSize: number): number {
  let count = 0;
  let i = 0;
  const aligned = data.byteOffset % 4 === 0 && sectorSize % 8 === 0;
  const words = aligned ? new Uint32Array(data.buffer, data.byteOffset, Math.floor(data.length / 4)) : undefined;
  const runs = ZERO_RUN % sectorSize === 0;
  while (i + sectorSize <= data.length) {
    if (words && (words[i / 4]! | words[i / 4 + 1]!) !== 0) {
      i += sectorSize;
      continue;
    }
    if (runs && i + ZERO_RUN <= data.length && data.compare(ZERO, 0, ZERO_RUN, i, i + ZERO_RUN) === 0) {
      count += ZERO_RUN / sectorSize;
      i += ZERO_RUN;
      continue;
    }
    if (data.compare(ZERO, 0, sectorSize, i, i + sectorSize) === 0) count++;
    i += sectorSize;
  }
  return count;
}

/** One group of hash jobs (core/hash-plan.ts) fed in order: what a hash worker runs, or hashing inline runs on its own thread. */
export class GroupHasher {
  private readonly digests: DigestState[] = [];
  private readonly zeros: { id: string; sectorSize: number; count: number }[] = [];

  /** `onSegments`: given the digests of `emit` jobs made by each update (and by results(), the last ones). */
  constructor(
    jobs: readonly HashJob[],
    private readonly onSegments?: (s: EmittedSegment[]) => void,
  ) {
    for (const job of jobs) {
      if (job.algorithm === 'zero-sectors') this.zeros.push({ id: job.id, sectorSize: job.sectorSize, count: 0 });
      else this.digests.push(newDigestState(job));
    }
  }

  update(view: Uint8Array): void {
    for (const s of this.digests) feedDigest(s, view);
    this.hand();
    if (this.zeros.length === 0) return;
    const bytes = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
    for (const z of this.zeros) z.count += countZeroSectors(bytes, z.sectorSize);
  }

  /** The digests of `emit` jobs made since the last hand-over, to `onSegments`. */
  private hand(): void {
    const out: EmittedSegment[] = [];
    for (const s of this.digests) if (s.fresh.length > 0) out.push(...s.fresh.splice(0));
    if (out.length > 0) this.onSegments?.(out);
  }

  /** Each job's digests (a zero-sector count as one decimal string; an `emit` job's go to `onSegments`, not here). */
  results(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const s of this.digests) out[s.job.id] = digestResult(s);
    this.hand();
    for (const z of this.zeros) out[z.id] = [String(z.count)];
    return out;
  }
}
