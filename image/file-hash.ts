import crypto from 'node:crypto';
import { throughGate, type GatePass } from '../core/core-gate.js';
import { openInput } from '../core/input-file.js';

/**
 * Feed the first `length` bytes of a file (all of it when omitted) into `h`, read back in pieces of
 * up to 4 MiB; on a worker thread, each piece is digested within the process's share of the cores
 * (`gate`, core/core-share.ts).
 */
export async function hashPrefix(file: string, length: number, h: crypto.Hash, gate?: GatePass): Promise<void> {
  const fd = await openInput(file);
  try {
    const buf = Buffer.allocUnsafe(Math.max(1, Math.min(4 << 20, length, (await fd.stat()).size)));
    let pos = 0;
    while (pos < length) {
      const { bytesRead } = await fd.read(buf, 0, Math.min(buf.length, length - pos), pos);
      if (bytesRead === 0) break;
      const piece = buf.subarray(0, bytesRead);
      throughGate(gate, () => h.update(piece));
      pos += bytesRead;
    }
  } finally {
    await fd.close();
  }
}

/** SHA-256 of a whole file, read back (for image files whose bytes were patched while written). */
export async function fileSha256(file: string, gate?: GatePass): Promise<string> {
  const h = crypto.createHash('sha256');
  await hashPrefix(file, Infinity, h, gate);
  return h.digest('hex');
}
