/**
 * Fuzzing exhibit verify: 800 random mutations (times EXHIBIT_FUZZ_SCALE) (bit flips, truncations,
 * inserted and deleted bytes) of small images of every format, verified
 * in-process. Never a crash, a hang or an error that is not exhibit's own,
 * and never "verified" unless the media still reads back byte for byte as
 * the original. Seeded, so a failure can be replayed (the message says how).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSourceFile, run, tempDir } from './helpers/cli.js';
import { mutateBytes, newTally, rng, tallyWords, verifyMutant, mutations } from './helpers/fuzz.js';

const MUTATIONS_PER_FORMAT = mutations(200); // x 4 formats = 800 (x EXHIBIT_FUZZ_SCALE)
const work = tempDir('exhibit-fuzz-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true })); // registered first, so it runs after every other teardown
const src = path.join(work, 'source.bin');
// 130 KiB: an E01 of 17 chunks (8 KiB each, the last cut short) and a zst of 3 frames (64 KiB, 64 KiB, 1.5 KiB),
// each with its table, header, record, custody log and pieces. Random data, then zeros and text, so the E01 has
// stored and compressed chunks and the zst has raw and compressed frames. Smaller than 192 KiB of random data,
// it keeps every structure a mutation can hit and makes each verification cheaper.
const SIZE = 128 * 1024 + 512 * 3;
const TEXT = Buffer.from('exhibit test source: The quick brown fox jumps over the lazy dog.\n');
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
  original.fill(0, 64 * 1024, 80 * 1024);
  for (let i = 80 * 1024; i < 112 * 1024; i++) original[i] = TEXT[i % TEXT.length]!;
  fs.writeFileSync(src, original);
  for (const [format, args] of Object.entries(FORMATS)) {
    const r = run(['acquire', src, '-o', path.join(work, 'orig', format), '-c', 'F-1', '-e', 'EV', '-x', 'Fuzz Examiner', '-f', format, ...args], { env: { EXHIBIT_HOME: path.join(work, 'home') } });
    expect(r.code, r.stderr).toBe(0);
  }
});

/** Change one byte range of `file` in place; what was done, in words. */
function mutate(file: string, rand: () => number): { what: string; file: string } {
  const m = mutateBytes(fs.readFileSync(file), rand);
  fs.writeFileSync(file, m.out);
  return { what: m.what, file: path.basename(file) };
}

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
    const tally = newTally();
    for (let i = 0; i < MUTATIONS_PER_FORMAT; i++) {
      // Every other mutant has no record and custody log: then only the image vouches for itself
      // (an E01's stored hashes), which is where a lenient reader would be fooled.
      const alone = i % 2 === 1;
      const dir = alone ? bare : full;
      const victim = images[Math.floor(rand() * images.length)]!;
      const m = mutate(path.join(dir, victim), rand);
      const where = `${format} mutation ${i} (seed ${seed}${alone ? ', image alone' : ''}): ${m.what} of ${m.file}`;
      try {
        await verifyMutant(alone ? path.join(dir, first) : dir, where, tally, { file: path.join(dir, first), isOriginal: (now) => now.equals(original) });
      } finally {
        fs.copyFileSync(path.join(orig, victim), path.join(dir, victim));
      }
    }
    expect(fs.readdirSync(full).sort(), 'verify wrote nothing beside the image').toEqual(fs.readdirSync(orig).sort());
    expect(fs.readdirSync(bare).sort()).toEqual([...images].sort());
    console.log(`${format}: ${MUTATIONS_PER_FORMAT} mutations: ${tallyWords(tally)}`);
    expect(tally.failed + tally.error).toBeGreaterThan(MUTATIONS_PER_FORMAT / 3);
  }, 300_000);
});
