/**
 * Worker thread: digests regions of a SharedArrayBuffer for one group of hash
 * jobs. The main thread owns the buffer; this thread only reads the region it
 * is told about and answers `done` when it no longer needs it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { HashJob } from './hash-plan.js';
import type { WorkerReply, WorkerRequest } from './hash-pool.js';
import { countZeroSectors, digestResult, feedDigest, newDigestState, type DigestState } from './segment-digest.js';

const { buffer, jobs } = workerData as { buffer: SharedArrayBuffer; jobs: HashJob[] };
const digests: DigestState[] = [];
const zeros: { id: string; sectorSize: number; count: number }[] = [];
for (const job of jobs) {
  if (job.algorithm === 'zero-sectors') zeros.push({ id: job.id, sectorSize: job.sectorSize, count: 0 });
  else digests.push(newDigestState(job));
}
const port = parentPort!;

port.on('message', (msg: WorkerRequest) => {
  try {
    if (msg.t === 'data') {
      const view = Buffer.from(buffer, msg.offset, msg.length);
      for (const s of digests) feedDigest(s, view);
      for (const z of zeros) z.count += countZeroSectors(view, z.sectorSize);
      port.postMessage({ t: 'done', seq: msg.seq } satisfies WorkerReply);
    } else {
      const results: Record<string, string[]> = {};
      for (const s of digests) results[s.job.id] = digestResult(s);
      for (const z of zeros) results[z.id] = [String(z.count)];
      port.postMessage({ t: 'result', results } satisfies WorkerReply);
    }
  } catch (err) {
    port.postMessage({ t: 'error', message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply);
  }
});
