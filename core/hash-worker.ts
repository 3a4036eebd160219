/**
 * Worker thread: digests regions of a SharedArrayBuffer for one group of hash
 * jobs. The main thread owns the buffer; this thread only reads the region it
 * is told about and answers `done` when it no longer needs it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { HashJob } from './hash-plan.js';
import type { WorkerReply, WorkerRequest } from './hash-pool.js';
import { GroupHasher } from './segment-digest.js';

const { buffer, jobs } = workerData as { buffer: SharedArrayBuffer; jobs: HashJob[] };
const group = new GroupHasher(jobs);
const port = parentPort!;

port.on('message', (msg: WorkerRequest) => {
  try {
    if (msg.t === 'data') {
      group.update(Buffer.from(buffer, msg.offset, msg.length));
      port.postMessage({ t: 'done', seq: msg.seq } satisfies WorkerReply);
    } else {
      port.postMessage({ t: 'result', results: group.results() } satisfies WorkerReply);
    }
  } catch (err) {
    port.postMessage({ t: 'error', message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply);
  }
});
