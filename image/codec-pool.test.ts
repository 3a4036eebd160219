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

describe('the codec worker file', () => {
  it("answers only on a codec worker: another worker that loads it (reading an image) keeps its messages to itself", async () => {
    const { Worker } = await import('node:worker_threads');
    const { workerUrl } = await import('../core/worker-url.js');
    const url = workerUrl(import.meta.url, 'codec-worker').href;
    // A worker of another kind: it loads the codec file, as opening an image does, then takes a message
    // shaped like a codec request and, a few turns of its event loop later, says it is done.
    const code = `const { parentPort } = require('node:worker_threads');
      import(${JSON.stringify(url)}).then(() => {
        parentPort.on('message', () => setImmediate(() => setImmediate(() => setTimeout(() => parentPort.postMessage('done'), 20))));
        parentPort.postMessage('loaded');
      });`;
    const w = new Worker(code, { eval: true });
    const got: unknown[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        w.on('error', reject);
        w.on('message', (m) => {
          got.push(m);
          if (m === 'loaded') w.postMessage({ seq: 7, data: new ArrayBuffer(8), length: 8, unitSize: 8, codec: { module: 'not-a-codec', params: {} } });
          if (m === 'done') resolve();
        });
      });
    } finally {
      await w.terminate();
    }
    expect(got).toEqual(['loaded', 'done']);
  });
});
