import crypto from 'node:crypto';
import fs from 'node:fs/promises';

/** SHA-256 of a whole file, read back in 4 MiB pieces (for image files whose bytes were patched while written). */
export async function fileSha256(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  const fd = await fs.open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(4 << 20);
    for (;;) {
      const { bytesRead } = await fd.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fd.close();
  }
  return h.digest('hex');
}
