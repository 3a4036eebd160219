import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CodecPool } from './codec-pool.js';
import type { CodecSpec } from './codec-worker.js';
import { ewfCodec } from './ewf/codec.js';
import { zstdCodec } from './zstd/codec.js';

/** Random, zero and text units: each kind a codec treats differently. */
function batch(units: number, unit: number): Uint8Array {
  const b = new Uint8Array(units * unit);
  for (let i = 0; i < units; i++) {
    const u = b.subarray(i * unit, (i + 1) * unit);
    if (i % 3 === 0) crypto.randomFillSync(u);
    else if (i % 3 === 1) u.fill(0);
    else u.set(Buffer.from('exhibit '.repeat(unit / 8)));
  }
  return b;
}

async function encodeWith(threads: number, spec: CodecSpec, data: Uint8Array, unit: number): Promise<{ bytes: Buffer; compressed: boolean }[]> {
  const pool = new CodecPool(threads);
  try {
    const out = await pool.encode(data.slice(), unit, spec);
    return out.map((c) => ({ bytes: Buffer.from(c.bytes), compressed: c.compressed }));
  } finally {
    await pool.close();
  }
}

describe('CodecPool', () => {
  for (const [name, spec, compresses] of [
    ['EWF deflate', ewfCodec('fast'), true],
    ['EWF stored', ewfCodec('none'), false],
    ['zstd', zstdCodec(3), true],
  ] as const) {
    it(`${name}: on this thread (no workers) gives the very units the workers give`, async () => {
      const unit = 32 * 1024;
      const data = batch(7, unit);
      const inline = await encodeWith(0, spec, data, unit);
      const workers = await encodeWith(2, spec, data, unit);
      expect(inline).toHaveLength(7);
      expect(inline.some((u) => u.compressed)).toBe(compresses);
      expect(inline).toEqual(workers);
    });
  }

  it('on this thread, a codec that fails rejects the batch with the reason', async () => {
    const pool = new CodecPool(0);
    await expect(pool.encode(new Uint8Array(16), 16, { module: 'file:///nonexistent/codec.js', params: {} })).rejects.toThrow(/compressing failed/);
    await pool.close();
  });
});
