/**
 * Worker thread: digests regions of a SharedArrayBuffer for one group of hash
 * jobs. The main thread owns the buffer; this thread only reads the region it
 * is told about and answers `done` when it no longer needs it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import crypto from 'node:crypto';
import type { HashJob } from './hash-plan.js';
import type { WorkerReply, WorkerRequest } from './hash-pool.js';

interface JobState {
  job: HashJob;
  hash: crypto.Hash;
  inSegment: number; // bytes fed to the current segment
  digests: string[];
}

const { buffer, jobs } = workerData as { buffer: SharedArrayBuffer; jobs: HashJob[] };
const states: JobState[] = jobs.map((job) => ({ job, hash: crypto.createHash(job.algorithm), inSegment: 0, digests: [] }));
const port = parentPort!;

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
      port.postMessage({ t: 'done', seq: msg.seq } satisfies WorkerReply);
    } else {
      const results: Record<string, string[]> = {};
      for (const s of states) {
        if (!s.job.segmentSize || s.inSegment > 0 || s.digests.length === 0) s.digests.push(s.hash.digest('hex'));
        results[s.job.id] = s.digests;
      }
      port.postMessage({ t: 'result', results } satisfies WorkerReply);
    }
  } catch (err) {
    port.postMessage({ t: 'error', message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply);
  }
});
