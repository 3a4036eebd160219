/** Worker: SHA-256 of whole files, read back on this thread so the main thread keeps decoding media. */
import { parentPort, workerData } from 'node:worker_threads';
import type { GatePass } from '../core/core-gate.js';
import { fileSha256 } from '../image/file-hash.js';

const { files, gate } = workerData as { files: string[]; gate: GatePass };
(async () => {
  const sums: string[] = [];
  for (const f of files) sums.push(await fileSha256(f, gate));
  parentPort!.postMessage({ sums });
})().catch((err: unknown) => parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err), code: (err as { code?: string }).code }));
