/**
 * Fuzzing exhibit verify on AFF4: 1,000 seeded mutations (bit flips,
 * truncations, inserted and deleted bytes) of a small AFF4 image built here
 * (snappy chunks, a map with zero, unknown and unreadable regions), verified
 * in-process. Never a crash, a hang or an error that is not exhibit's own,
 * and never "verified" unless the media still reads back byte for byte as
 * the original.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ExhibitError } from '../core/errors.js';
import { openImage } from '../image/open.js';
import { verifyImage } from '../verify/verify.js';
import { buildAff4, expectedMedia, type Region } from './helpers/aff4-builder.js';
import { tempDir } from './helpers/cli.js';

const MUTATIONS = 1000;
const work = tempDir('exhibit-aff4-fuzz-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms (a hang)`)), ms).unref())]);

async function mediaNow(file: string): Promise<Buffer | undefined> {
  try {
    const { reader } = await openImage(file);
    try {
      const buf = Buffer.alloc(reader.size);
      return buf.subarray(0, await reader.read(buf, 0, reader.size));
    } finally {
      await reader.close();
    }
  } catch {
    return undefined;
  }
}

it(`AFF4 survives ${MUTATIONS} random mutations: never a crash, a hang or a false "verified"`, async () => {
  const media = Buffer.from(crypto.createHash('sha512').update('seed').digest().toString('hex').repeat(200));
  const regions: Region[] = [
    { start: 0, length: 12_000, kind: 'data' },
    { start: 12_000, length: 4096, kind: 'zero' },
    { start: 16_096, length: 1024, kind: 'unreadable' },
    { start: 17_120, length: 2000, kind: 'unknown' },
    { start: 19_120, length: media.length - 19_120, kind: 'data' },
  ];
  const original = expectedMedia(media, regions);
  const image = buildAff4(media, { compression: 'snappy', regions, chunkSize: 2048, chunksInSegment: 4 });
  const seed = 0xaff40001;
  const rand = rng(seed);
  const file = path.join(work, 'EV.aff4');
  const tally: Record<string, number> = { verified: 0, failed: 0, unverifiable: 0, error: 0 };
  for (let i = 0; i < MUTATIONS; i++) {
    const at = Math.floor(rand() * image.length);
    const kind = (['flip', 'flip', 'truncate', 'insert', 'delete'] as const)[Math.floor(rand() * 5)]!;
    const n = 1 + Math.floor(rand() * 64);
    let out: Buffer;
    if (kind === 'flip') {
      out = Buffer.from(image);
      out[at] = out[at]! ^ (1 << Math.floor(rand() * 8));
    } else if (kind === 'truncate') out = image.subarray(0, at);
    else if (kind === 'insert') out = Buffer.concat([image.subarray(0, at), Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256))), image.subarray(at)]);
    else out = Buffer.concat([image.subarray(0, at), image.subarray(Math.min(image.length, at + n))]);
    fs.writeFileSync(file, out);
    const where = `AFF4 mutation ${i} (seed ${seed}): ${kind} of ${n} at byte ${at}`;
    try {
      const r = await withTimeout(verifyImage({ target: file, inline: true }), 10_000, where);
      tally[r.verdict]!++;
      if (r.verdict === 'verified') {
        const now = await mediaNow(file);
        expect(now !== undefined && now.equals(original), `${where}: "verified" but the media differs`).toBe(true);
      }
    } catch (err) {
      if (!(err instanceof ExhibitError) || err.code === 'INTERNAL') throw new Error(`${where}: ${err instanceof Error ? err.stack : String(err)}`);
      tally.error!++;
    }
  }
  console.log(`aff4: ${MUTATIONS} mutations: ${Object.entries(tally).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  expect(tally.failed! + tally.error!).toBeGreaterThan(MUTATIONS / 3);
}, 600_000);
