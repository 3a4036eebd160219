/** Each image file's SHA-256, read back: on a worker thread for large images, inline for small ones. */
import { Worker } from 'node:worker_threads';
import { releaseEnded } from '../core/core-gate.js';
import { holdCoreShare } from '../core/core-share.js';
import { describeSystemError, ExhibitError } from '../core/errors.js';
import { workerUrl } from '../core/worker-url.js';
import { fileSha256 } from '../image/file-hash.js';

export async function fileSums(files: readonly string[], inline: boolean, signal?: AbortSignal): Promise<string[]> {
  if (inline) return Promise.all(files.map((f) => fileSha256(f)));
  const share = holdCoreShare(); // the thread hashes within the process's share of the cores
  const pass = share.pass();
  let worker: Worker;
  try {
    worker = new Worker(workerUrl(import.meta.url, 'file-hash-worker'), { workerData: { files, gate: pass } });
  } catch (err) {
    share.release();
    throw err;
  }
  let onAbort: (() => void) | undefined;
  try {
    const reply = await new Promise<{ sums?: string[]; error?: string; code?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the file hashing thread stopped (exit code ${code})`)));
      // Stopped, the thread is ended at once rather than left reading a large file to its end.
      onAbort = () => reject(new ExhibitError('INTERRUPTED', 'verification interrupted'));
      if (signal?.aborted) onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    if (!reply.sums) throw new ExhibitError('IMAGE_INVALID', `an image file cannot be read back: ${describeSystemError(Object.assign(new Error(reply.error ?? ''), { code: reply.code }))}`);
    return reply.sums;
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    await worker.terminate();
    releaseEnded(pass); // stopped mid-read, the thread could not give its place in the gate back
    share.release();
  }
}
