/**
 * Worker thread: digests regions of a SharedArrayBuffer for one group of hash
 * jobs. The main thread owns the buffer; this thread only reads the region it
 * is told about and answers `done` when it no longer needs it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import crypto from 'node:crypto';
import type { DigestJob, HashJob, ZeroSectorJob } from './hash-plan.js';
import type { WorkerReply, WorkerRequest } from './hash-pool.js';

interface JobState {
  job: DigestJob;
  hash: crypto.Hash;
  inSegment: number; // bytes fed to the current segment
  digests: string[];
}

interface ZeroState {
  job: ZeroSectorJob;
  zeros: number;
}

const { buffer, jobs } = workerData as { buffer: SharedArrayBuffer; jobs: HashJob[] };
const states: JobState[] = [];
const zeroStates: ZeroState[] = [];
for (const job of jobs) {
  if (job.algorithm === 'zero-sectors') zeroStates.push({ job, zeros: 0 });
  else states.push({ job, hash: crypto.createHash(job.algorithm), inSegment: 0, digests: [] });
}
const port = parentPort!;
const ZERO = Buffer.alloc(64 * 1024);

/**
 * Count all-zero whole sectors. Blocks arrive at sector-aligned media offsets,
 * so every sector starts at a multiple of the sector size within the block; a
 * partial last sector (odd-sized files) is not counted. Buffer.compare with
 * ranges is a memcmp with no allocation: random data fails on the first byte.
 */
function countZeros(state: ZeroState, data: Buffer): void {
  const ss = state.job.sectorSize;
  let i = 0;
  while (i + ss <= data.length) {
    if (i + ZERO.length <= data.length && data.compare(ZERO, 0, ZERO.length, i, i + ZERO.length) === 0) {
      state.zeros += ZERO.length / ss;
      i += ZERO.length;
      continue;
    }
    if (data.compare(ZERO, 0, ss, i, i + ss) === 0) state.zeros++;
    i += ss;
  }
}

function feed(state: JobState, data: Buffer): void {
  const seg = state.job.segmentSize;
  if (!seg) {
    state.hash.update(data);
    return;
  }
  let pos = 0;
  while (pos < data.length) {
    const take = Math.min(seg - state.inSegment, data.length - pos);
    state.hash.update(data.subarray(pos, pos + take));
    state.inSegment += take;
    pos += take;
    if (state.inSegment === seg) {
      state.digests.push(state.hash.digest('hex'));
      state.hash = crypto.createHash(state.job.algorithm);
      state.inSegment = 0;
    }
  }
}

port.on('message', (msg: WorkerRequest) => {
  try {
    if (msg.t === 'data') {
      const view = Buffer.from(buffer, msg.offset, msg.length);
      for (const s of states) feed(s, view);
      for (const z of zeroStates) countZeros(z, view);
      port.postMessage({ t: 'done', seq: msg.seq } satisfies WorkerReply);
    } else {
      const results: Record<string, string[]> = {};
      for (const s of states) {
        if (!s.job.segmentSize || s.inSegment > 0 || s.digests.length === 0) s.digests.push(s.hash.digest('hex'));
        results[s.job.id] = s.digests;
      }
      for (const z of zeroStates) results[z.job.id] = [String(z.zeros)];
      port.postMessage({ t: 'result', results } satisfies WorkerReply);
    }
  } catch (err) {
    port.postMessage({ t: 'error', message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply);
  }
});
