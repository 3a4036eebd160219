/**
 * Fuzzing the Ex01 reader through exhibit verify: 1,000 seeded mutations (bit
 * flips, truncations, inserted and deleted bytes) of the small Ex01 images
 * libewf wrote (deflate and bzip2, 8 KiB chunks), verified in-process with no
 * record, so the image vouches for itself. Never a crash, a hang or an error
 * that is not exhibit's own, and never "verified" unless the media still reads
 * as its source (the MD5 fixtures.json took from the source, not from exhibit).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExhibitError } from '../core/errors.js';
import { openImage } from '../image/open.js';
import { verifyImage } from '../verify/verify.js';
import type { Ex01Fixture } from './fixtures/ex01/make.js';
import { ROOT, tempDir } from './helpers/cli.js';

const MUTATIONS_PER_IMAGE = 500; // x 2 images = 1,000
const work = tempDir('exhibit-ex01-fuzz-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'ex01');
const { fixtures } = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'fixtures.json'), 'utf8')) as { fixtures: Ex01Fixture[] };

/** xorshift32, seeded, so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function mutate(original: Buffer, rand: () => number): { out: Buffer; what: string } {
  const at = Math.floor(rand() * original.length);
  const kinds = ['flip', 'flip', 'flip', 'truncate', 'insert', 'delete'] as const;
  const kind = kinds[Math.floor(rand() * kinds.length)]!;
  const n = 1 + Math.floor(rand() * 64);
  let out: Buffer;
  if (kind === 'flip') {
    out = Buffer.from(original);
    out[at] = out[at]! ^ (1 << Math.floor(rand() * 8));
  } else if (kind === 'truncate') out = original.subarray(0, at);
  else if (kind === 'insert') out = Buffer.concat([original.subarray(0, at), Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256))), original.subarray(at)]);
  else out = Buffer.concat([original.subarray(0, at), original.subarray(Math.min(original.length, at + n))]);
  return { out, what: `${kind} of ${n} at byte ${at}` };
}

async function mediaMd5(file: string): Promise<string | undefined> {
  try {
    const { reader } = await openImage(file);
    try {
      const buf = Buffer.alloc(reader.size);
      const n = await reader.read(buf, 0, reader.size);
      return crypto.createHash('md5').update(buf.subarray(0, n)).digest('hex');
    } finally {
      await reader.close();
    }
  } catch {
    return undefined;
  }
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms (a hang)`)), ms).unref())]);

describe.each(['small-deflate', 'small-bzip2'])('%s', (name) => {
  it(`survives ${MUTATIONS_PER_IMAGE} random mutations: never a crash, a hang or a false "verified"`, async () => {
    const f = fixtures.find((x) => x.file === `${name}.Ex01`)!;
    const original = fs.readFileSync(path.join(FIXTURES, f.file));
    const dir = path.join(work, name);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, f.file);
    const seed = 0xe0010000 + name.length;
    const rand = rng(seed);
    const tally: Record<string, number> = { verified: 0, failed: 0, unverifiable: 0, error: 0 };
    for (let i = 0; i < MUTATIONS_PER_IMAGE; i++) {
      const m = mutate(original, rand);
      fs.writeFileSync(file, m.out);
      const where = `${name} mutation ${i} (seed ${seed}): ${m.what}`;
      try {
        const r = await withTimeout(verifyImage({ target: file, inline: true }), 10_000, where);
        tally[r.verdict]!++;
        if (r.verdict === 'verified') expect(await mediaMd5(file), `${where}: "verified" but the media differs from the source`).toBe(f.md5);
      } catch (err) {
        if (!(err instanceof ExhibitError) || err.code === 'INTERNAL') throw new Error(`${where}: ${err instanceof Error ? err.stack : String(err)}`);
        tally.error!++;
      }
    }
    console.log(`${name}: ${MUTATIONS_PER_IMAGE} mutations: ${Object.entries(tally).map(([k, v]) => `${v} ${k}`).join(', ')}`);
    expect(tally.failed! + tally.error!).toBeGreaterThan(MUTATIONS_PER_IMAGE / 2);
  }, 300_000);
});
