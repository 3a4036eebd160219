import { HASH_COST, type HashAlgorithm } from './crypto.js';

/**
 * A stream to digest. `segmentSize` makes the job restart its digest every
 * `segmentSize` bytes and report one digest per segment (the SHA-256 of each
 * split-raw segment file, of each piece); without it the job digests the whole
 * stream. Segments do not depend on each other, so a segmented job may be
 * shared among workers: `share` (set by planHashGroups) names the segments
 * this worker digests (see ownsSegment); the others it only counts.
 */
export interface DigestJob {
  id: string;
  algorithm: HashAlgorithm;
  segmentSize?: number;
  share?: SegmentShare;
  /**
   * A segmented job whose digests are handed over as each segment ends (GroupHasher.take; hashStream's
   * `onSegments`) instead of kept to the end: for a digest a chunk, where keeping them all would hold
   * memory in proportion to the media. Its result is then empty.
   */
  emit?: true;
}

/** A segment digest of an `emit` job, as it is handed over. */
export interface EmittedSegment {
  id: string;
  index: number;
  digest: string;
}

/** Counts the all-zero whole sectors of the stream (result: one decimal string). */
export interface ZeroSectorJob {
  id: string;
  algorithm: 'zero-sectors';
  sectorSize: number;
}

export type HashJob = DigestJob | ZeroSectorJob;

/**
 * The segments a worker digests of a shared job: those whose slot
 * `(index * SHARE_STEP) mod SHARE_SLOTS` lies in [from, to). The step is odd
 * (coprime with the power-of-two slot count) and near the golden ratio of it,
 * so consecutive segments land far apart and every worker's segments are
 * spread evenly along the media rather than bunched at one end.
 */
export interface SegmentShare {
  from: number;
  to: number;
}
export const SHARE_SLOTS = 1024;
const SHARE_STEP = 633;

export function ownsSegment(share: SegmentShare | undefined, index: number): boolean {
  if (!share) return true;
  const slot = (index * SHARE_STEP) % SHARE_SLOTS;
  return slot >= share.from && slot < share.to;
}

/** Relative cost per byte; a zero scan is a memcmp that stops at the first non-zero byte. */
export function jobCost(job: HashJob): number {
  return job.algorithm === 'zero-sectors' ? 0.05 : HASH_COST[job.algorithm];
}

const isShareable = (job: HashJob): job is DigestJob => job.algorithm !== 'zero-sectors' && job.segmentSize !== undefined;

/**
 * Spread jobs over at most `workers` groups so the slowest group is as fast as
 * possible. Whole-stream jobs go largest cost first, each to the least-loaded
 * group (LPT scheduling, within 4/3 of optimal). Segmented jobs then fill the
 * groups up to one level, like water (each shared by the groups below that
 * level, in proportion to their room under it), since any worker can digest
 * any segment. With md5,sha1,sha256 and pieces on two cores this gives
 * {md5, some pieces} and {sha1, sha256, the other pieces}.
 */
export function planHashGroups(jobs: readonly HashJob[], workers: number): HashJob[][] {
  const shared = jobs.filter(isShareable);
  // Shared jobs can use every worker; otherwise one job a worker at most.
  const n = Math.max(1, Math.min(workers, shared.length > 0 ? Number.MAX_SAFE_INTEGER : jobs.length));
  const groups: { load: number; jobs: HashJob[] }[] = Array.from({ length: n }, () => ({ load: 0, jobs: [] }));
  const whole = jobs.filter((j) => !isShareable(j)).sort((a, b) => jobCost(b) - jobCost(a));
  for (const job of whole) {
    let best = groups[0]!;
    for (const g of groups) if (g.load < best.load) best = g;
    best.jobs.push(job);
    best.load += jobCost(job);
  }
  if (shared.length > 0) {
    const total = shared.reduce((a, j) => a + jobCost(j), 0);
    // The level h where the room below it, summed over the groups, holds the shared load.
    const loads = groups.map((g) => g.load).sort((a, b) => a - b);
    let level = loads[0]! + total;
    for (let k = 1; k <= loads.length; k++) {
      level = (loads.slice(0, k).reduce((a, b) => a + b, 0) + total) / k;
      if (k === loads.length || level <= loads[k]!) break;
    }
    // Whole slots out of SHARE_SLOTS, in group order; the last group with room takes the rounding.
    const rooms = groups.map((g) => Math.max(0, level - g.load));
    const roomTotal = rooms.reduce((a, b) => a + b, 0);
    const lastWithRoom = rooms.reduce((last, r, i) => (r > 0 ? i : last), 0);
    let from = 0;
    for (const [i, g] of groups.entries()) {
      const to = i === lastWithRoom ? SHARE_SLOTS : Math.min(SHARE_SLOTS, from + Math.round((rooms[i]! / roomTotal) * SHARE_SLOTS));
      if (to > from) {
        for (const job of shared) g.jobs.push(to - from === SHARE_SLOTS ? job : { ...job, share: { from, to } });
        g.load += (total * (to - from)) / SHARE_SLOTS;
      }
      from = to;
      if (i === lastWithRoom) break;
    }
  }
  return groups.filter((g) => g.jobs.length > 0).map((g) => g.jobs);
}
