/**
 * Worker thread: digests regions of a SharedArrayBuffer for one group of hash
 * jobs. The main thread owns the buffer; this thread only reads the region it
 * is told about and answers `done` when it no longer needs it. `init` gives
 * the buffer and the jobs; `end` answers the digests and drops both, so the
 * thread can be kept for the next pool (core/thread-park.ts) without holding
 * this one's memory.
 */
import { parentPort } from 'node:worker_threads';
import { throughGate, type GatePass } from './core-gate.js';
import type { EmittedSegment } from './hash-plan.js';
import type { WorkerReply, WorkerRequest } from './hash-pool.js';
import { GroupHasher } from './segment-digest.js';

let buffer: SharedArrayBuffer | undefined;
let group: GroupHasher | undefined;
const fresh: EmittedSegment[] = [];
let gate: GatePass | undefined; // the process's share of the cores (core/core-share.ts), and this thread's flag
const port = parentPort!;

port.on('message', (msg: WorkerRequest) => {
  try {
    if (msg.t === 'init') {
      buffer = msg.buffer;
      fresh.length = 0; // nothing of an earlier pool's
      group = new GroupHasher(msg.jobs, (s) => fresh.push(...s)); // an `emit` job's digests, handed over with the next reply
      gate = msg.gate;
    } else if (!buffer || !group) {
      throw new Error('a hash worker was sent data before its jobs');
    } else if (msg.t === 'data') {
      const bytes = Buffer.from(buffer, msg.offset, msg.length);
      const g = group;
      throughGate(gate, () => g.update(bytes));
      const segments = fresh.splice(0);
      port.postMessage({ t: 'done', seq: msg.seq, ...(segments.length > 0 ? { segments } : {}) } satisfies WorkerReply);
    } else {
      const results = group.results();
      const segments = fresh.splice(0);
      buffer = undefined;
      group = undefined;
      gate = undefined;
      port.postMessage({ t: 'result', results, ...(segments.length > 0 ? { segments } : {}) } satisfies WorkerReply);
    }
  } catch (err) {
    port.postMessage({ t: 'error', message: err instanceof Error ? err.message : String(err) } satisfies WorkerReply);
  }
});
