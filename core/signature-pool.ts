/**
 * The Ed25519 signatures of a long custody log, verified on every core before the checker walks the
 * log, so checking a 100,000-entry case uses both cores of a two-core workstation. The checker stays
 * synchronous (it runs inside the store's read snapshot): the calling thread hands each of one
 * worker thread per other core a contiguous share of the lines, verifies the first share itself,
 * and then sleeps on an Atomics.wait until the workers are done.
 *
 * A worker only ever says "this signature verifies under the key its fingerprint names" (the key
 * taken from a public key the log itself holds, its fingerprint computed here, not read). The
 * checker still decides whether that key is registered to that signer at that point of the log,
 * and verifies on its own thread every signature a worker did not vouch for, so a worker that
 * fails, is slow or is never started costs time, never a wrong answer.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { keyFingerprint, readPublicKey, verifyBytes, type PublicKey } from './crypto.js';
import { splitLogLine } from './custody.js';
import { workerUrl } from './worker-url.js';

/** Below this many lines the workers' start (tens of milliseconds) costs more than it saves. */
export const PARALLEL_FROM_LINES = 2_000;
/** Signatures per line a worker checks; a line with more has the rest checked by the checker itself. */
export const SLOTS = 4;
/** Workers that show no progress for this long are given up on (the checker verifies what they did not). */
const STALL_MS = 10_000;

export interface SignatureWork {
  lines: readonly string[];
  first: number; // index of lines[0] in the log
  pems: string[];
  results: SharedArrayBuffer; // one byte per line and slot: 1 = verifies under the key its fingerprint names
  done: SharedArrayBuffer; // Int32 x 2: workers finished, lines done by all
}

/** The public keys a log holds (key.registered, key.rotated), as PEM text. */
function publicKeysIn(lines: readonly string[]): string[] {
  const pems = new Set<string>();
  for (const line of lines) {
    if (!line.includes('-----BEGIN PUBLIC KEY-----')) continue;
    for (const m of line.matchAll(/"(-----BEGIN PUBLIC KEY-----[^"]*)"/g)) {
      try {
        pems.add(JSON.parse(`"${m[1]!}"`) as string);
      } catch {
        /* not a JSON string: the checker reports the line */
      }
    }
  }
  return [...pems];
}

/**
 * Verify a long log's signatures on workers. Returns whether signature `index` of line `n` (1-based)
 * was found to verify under the key its fingerprint names; undefined for a short log or one core.
 */
export function verifySignaturesInParallel(lines: readonly string[], threads = os.availableParallelism()): ((n: number, index: number) => boolean) | undefined {
  if (lines.length < PARALLEL_FROM_LINES || threads < 2) return undefined;
  const results = new SharedArrayBuffer(lines.length * SLOTS);
  const done = new SharedArrayBuffer(8);
  const doneCount = new Int32Array(done);
  const pems = publicKeysIn(lines);
  const share = Math.ceil(lines.length / threads);
  const workers: Worker[] = [];
  for (let first = share; first < lines.length; first += share) {
    const work: SignatureWork = { lines: lines.slice(first, first + share), first, pems, results, done };
    try {
      const w = new Worker(workerUrl(import.meta.url, 'signature-worker'), { workerData: work });
      w.on('error', () => {}); // a worker that fails vouches for nothing: the checker verifies those itself
      w.unref();
      workers.push(w);
    } catch {
      break;
    }
  }
  verifyShare({ lines: lines.slice(0, share), first: 0, pems, results, done }); // this thread's share, while the workers do theirs
  let progress = -1;
  let since = Date.now();
  for (;;) {
    const finished = Atomics.load(doneCount, 0);
    if (finished >= workers.length) break;
    const now = Atomics.load(doneCount, 1);
    if (now !== progress) [progress, since] = [now, Date.now()];
    else if (Date.now() - since > STALL_MS) break; // a worker that died never counts: stop waiting for it
    Atomics.wait(doneCount, 0, finished, 500);
  }
  for (const w of workers) void w.terminate();
  const verified = new Uint8Array(results);
  return (n, index) => index < SLOTS && verified[(n - 1) * SLOTS + index] === 1;
}

/** Verify one share of the lines (on a worker, or the calling thread), marking each signature that verifies. */
export function verifyShare(work: SignatureWork): void {
  const keys = new Map<string, PublicKey>();
  for (const pem of work.pems) {
    const key = readPublicKey(pem);
    if (key) keys.set(keyFingerprint(key), key);
  }
  const out = new Uint8Array(work.results);
  const progress = new Int32Array(work.done);
  work.lines.forEach((line, i) => {
    if (i % 256 === 255) Atomics.add(progress, 1, 256);
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
}
