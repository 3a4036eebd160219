/**
 * Fuzzing exhibit verify: 2,000 random mutations (bit flips, truncations,
 * inserted and deleted bytes) of small images of every format, verified
 * in-process. Never a crash, a hang or an error that is not exhibit's own,
 * and never "verified" unless the media still reads back byte for byte as
 * the original. Seeded, so a failure can be replayed (the message says how).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExhibitError } from '../core/errors.js';
import { openImage } from '../image/open.js';
import { verifyImage } from '../verify/verify.js';
import { makeSourceFile, run, tempDir } from './helpers/cli.js';

const MUTATIONS_PER_FORMAT = 500; // x 4 formats = 2,000
const work = tempDir('exhibit-fuzz-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true })); // registered first, so it runs after every other teardown
const src = path.join(work, 'source.bin');
const SIZE = 192 * 1024 + 512 * 3;
const FORMATS: Record<string, string[]> = {
  raw: [],
  'split-raw': ['--segment-size', '1MiB'],
  e01: ['--chunk-sectors', '16', '--segment-size', '1MiB'],
  zst: ['--frame-size', '64KiB'],
};

let original: Buffer;
beforeAll(() => {
  makeSourceFile(src, SIZE, 33);
  original = fs.readFileSync(src);
  for (const [format, args] of Object.entries(FORMATS)) {
    const r = run(['acquire', src, '-o', path.join(work, 'orig', format), '-c', 'F-1', '-e', 'EV', '-x', 'Fuzz Examiner', '-f', format, ...args], { env: { EXHIBIT_HOME: path.join(work, 'home') } });
    expect(r.code, r.stderr).toBe(0);
  }
});

/** xorshift32: small, seeded, good enough to pick offsets. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

type Mutation = { kind: 'flip' | 'truncate' | 'insert' | 'delete'; file: string; at: number; n: number };

function mutate(file: string, rand: () => number): Mutation {
  const data = fs.readFileSync(file);
  const at = Math.floor(rand() * data.length);
  const kinds = ['flip', 'flip', 'truncate', 'insert', 'delete'] as const; // flips, the subtle case, twice as often
  const kind = kinds[Math.floor(rand() * kinds.length)]!;
  const n = 1 + Math.floor(rand() * 64);
  let out: Buffer;
  if (kind === 'flip') {
    out = Buffer.from(data);
    out[at] = out[at]! ^ (1 << Math.floor(rand() * 8));
  } else if (kind === 'truncate') out = data.subarray(0, at);
  else if (kind === 'insert') out = Buffer.concat([data.subarray(0, at), Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256))), data.subarray(at)]);
  else out = Buffer.concat([data.subarray(0, at), data.subarray(Math.min(data.length, at + n))]);
  fs.writeFileSync(file, out);
  return { kind, file: path.basename(file), at, n };
}

/** The media as the image reads now, or undefined when it cannot be read whole. */
async function mediaNow(dir: string, first: string): Promise<Buffer | undefined> {
  try {
    const { reader } = await openImage(path.join(dir, first));
    try {
      const buf = Buffer.alloc(reader.size);
      const n = await reader.read(buf, 0, reader.size);
      return buf.subarray(0, n);
    } finally {
      await reader.close();
    }
  } catch {
    return undefined;
  }
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms (a hang)`)), ms).unref())]);

describe.each(Object.keys(FORMATS))('%s', (format) => {
  it(`survives ${MUTATIONS_PER_FORMAT} random mutations: never a crash, a hang or a false "verified"`, async () => {
    const orig = path.join(work, 'orig', format);
    const images = fs.readdirSync(orig).filter((n) => /^EV\.(raw|\d{3}|E\d\d|zst)$/.test(n)).sort();
    const first = images[0]!;
    // Two copies: the whole folder, and the image files alone. Each mutant changes one file of one
    // copy, which is put back from the original after its verification (verify writes nothing).
    const full = path.join(work, 'mutant', format, 'full');
    const bare = path.join(work, 'mutant', format, 'alone');
    fs.cpSync(orig, full, { recursive: true });
    fs.mkdirSync(bare, { recursive: true });
    for (const n of images) fs.copyFileSync(path.join(orig, n), path.join(bare, n));
    const seed = 0x5eed0000 + format.length;
    const rand = rng(seed);
    const tally: Record<string, number> = { verified: 0, failed: 0, unverifiable: 0, error: 0 };
    for (let i = 0; i < MUTATIONS_PER_FORMAT; i++) {
      // Every other mutant has no record and custody log: then only the image vouches for itself
      // (an E01's stored hashes), which is where a lenient reader would be fooled.
      const alone = i % 2 === 1;
      const dir = alone ? bare : full;
      const victim = images[Math.floor(rand() * images.length)]!;
      const m = mutate(path.join(dir, victim), rand);
      const where = `${format} mutation ${i} (seed ${seed}${alone ? ', image alone' : ''}): ${m.kind} of ${m.n} at byte ${m.at} of ${m.file}`;
      try {
        const r = await withTimeout(verifyImage({ target: alone ? path.join(dir, first) : dir, inline: true }), 10_000, where);
        tally[r.verdict]!++;
        if (r.verdict === 'verified') {
          const now = await mediaNow(dir, first);
          expect(now !== undefined && now.equals(original), `${where}: "verified" but the media differs`).toBe(true);
        }
      } catch (err) {
        if (!(err instanceof ExhibitError) || err.code === 'INTERNAL') throw new Error(`${where}: ${err instanceof Error ? err.stack : String(err)}`);
        tally.error!++;
      } finally {
        fs.copyFileSync(path.join(orig, victim), path.join(dir, victim));
      }
    }
    expect(fs.readdirSync(full).sort(), 'verify wrote nothing beside the image').toEqual(fs.readdirSync(orig).sort());
    expect(fs.readdirSync(bare).sort()).toEqual([...images].sort());
    console.log(`${format}: ${MUTATIONS_PER_FORMAT} mutations: ${Object.entries(tally).map(([k, v]) => `${v} ${k}`).join(', ')}`);
    expect(tally.failed! + tally.error!).toBeGreaterThan(MUTATIONS_PER_FORMAT / 3);
  }, 300_000);
});
