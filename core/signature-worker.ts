/**
 * Worker thread of signature-pool.ts: verifies the signatures of its share of a custody log's
 * lines, each under the public key whose fingerprint (computed here) the signature names, and
 * marks those that verify. It decides nothing else about the log.
 */
import { workerData } from 'node:worker_threads';
import { keyFingerprint, readPublicKey, verifyBytes, type PublicKey } from './crypto.js';
import { splitLogLine } from './custody.js';
import { SLOTS, type SignatureWork } from './signature-pool.js';

const work = workerData as SignatureWork;
const done = new Int32Array(work.done);
try {
  const keys = new Map<string, PublicKey>();
  for (const pem of work.pems) {
    const key = readPublicKey(pem);
    if (key) keys.set(keyFingerprint(key), key);
  }
  const out = new Uint8Array(work.results);
  work.lines.forEach((line, i) => {
    if (i % 256 === 255) Atomics.add(done, 1, 256);
    const parts = splitLogLine(line);
    const sigs = parts?.signatures;
    if (!parts || !Array.isArray(sigs)) return;
    for (let k = 0; k < Math.min(SLOTS, sigs.length); k++) {
      const s = sigs[k] as { key?: unknown; sig?: unknown } | null;
      if (typeof s?.key !== 'string' || typeof s.sig !== 'string') continue;
      const key = keys.get(s.key);
      if (key && verifyBytes(key, parts.entryBytes, s.sig)) out[(work.first + i) * SLOTS + k] = 1;
    }
  });
} finally {
  Atomics.add(done, 0, 1);
  Atomics.notify(done, 0);
}
