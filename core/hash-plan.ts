import { HASH_COST, type HashAlgorithm } from './crypto.js';

/**
 * A stream to digest. `segmentSize` makes the job restart its digest every
 * `segmentSize` bytes and report one digest per segment (used for the SHA-256
 * of each split-raw segment file); without it the job digests the whole stream.
 */
export interface DigestJob {
  id: string;
  algorithm: HashAlgorithm;
  segmentSize?: number;
}

/** Counts the all-zero whole sectors of the stream (result: one decimal string). */
export interface ZeroSectorJob {
  id: string;
  algorithm: 'zero-sectors';
  sectorSize: number;
}

export type HashJob = DigestJob | ZeroSectorJob;

/** Relative cost per byte; a zero scan is a memcmp that stops at the first non-zero byte. */
export function jobCost(job: HashJob): number {
  return job.algorithm === 'zero-sectors' ? 0.25 : HASH_COST[job.algorithm];
}

/**
 * Spread jobs over at most `workers` groups so the slowest group is as fast as
 * possible: largest cost first, each to the least-loaded group (LPT scheduling,
 * within 4/3 of optimal). With md5,sha1,sha256 on two cores this gives
 * {md5} and {sha1, sha256}.
 */
export function planHashGroups(jobs: readonly HashJob[], workers: number): HashJob[][] {
  const n = Math.max(1, Math.min(workers, jobs.length));
  const groups: { load: number; jobs: HashJob[] }[] = Array.from({ length: n }, () => ({ load: 0, jobs: [] }));
  const sorted = [...jobs].sort((a, b) => jobCost(b) - jobCost(a));
  for (const job of sorted) {
    let best = groups[0]!;
    for (const g of groups) if (g.load < best.load) best = g;
    best.jobs.push(job);
    best.load += jobCost(job);
  }
  return groups.filter((g) => g.jobs.length > 0).map((g) => g.jobs);
}
