/**
 * Worker thread of signature-pool.ts: verifies the signatures of its share of a custody log's
 * lines, each under the public key whose fingerprint (computed here) the signature names, and
 * marks those that verify. It decides nothing else about the log.
 */
import { workerData } from 'node:worker_threads';
import { verifyShare, type SignatureWork } from './signature-pool.js';

const work = workerData as SignatureWork;
try {
  verifyShare(work);
} finally {
  const done = new Int32Array(work.done);
  Atomics.add(done, 0, 1);
  Atomics.notify(done, 0);
}
