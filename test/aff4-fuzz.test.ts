/**
 * Fuzzing exhibit verify on AFF4: 400 seeded mutations (bit flips,
 * truncations, inserted and deleted bytes) of a small AFF4 image built here
 * (snappy chunks, a map with zero, unknown and unreadable regions), verified
 * in-process; and 200 of an image whose one stream is the whole media
 * (deflate), where verify proves the block hashes through the stream's
 * stored MD5 and SHA-1 rather than chunk by chunk. Never a crash, a hang or
 * an error that is not exhibit's own, and never "verified" unless the media
 * still reads back byte for byte as the original. (Counts times
 * EXHIBIT_FUZZ_SCALE: see helpers/fuzz.ts.)
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { buildAff4, expectedMedia, type Region } from './helpers/aff4-builder.js';
import { tempDir } from './helpers/cli.js';
import { mutateBytes, newTally, rng, tallyWords, verifyMutant, mutations } from './helpers/fuzz.js';

const MUTATIONS = mutations(400);
const work = tempDir('exhibit-aff4-fuzz-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** `count` seeded mutations of `image`, each verified in-process: never "verified" unless the media still reads as `original`. */
async function fuzz(name: string, image: Buffer, original: Buffer, seed: number, count: number): Promise<void> {
  const rand = rng(seed);
  const file = path.join(work, `${name}.aff4`);
  const tally = newTally();
  for (let i = 0; i < count; i++) {
    const m = mutateBytes(image, rand);
    fs.writeFileSync(file, m.out);
    await verifyMutant(file, `${name} mutation ${i} (seed ${seed}): ${m.what}`, tally, { file, isOriginal: (now) => now.equals(original) });
  }
  console.log(`${name}: ${count} mutations: ${tallyWords(tally)}`);
  expect(tally.failed + tally.error).toBeGreaterThan(count / 3);
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
  const image = buildAff4(media, { compression: 'snappy', regions, chunkSize: 2048, chunksInSegment: 4 });
  await fuzz('aff4', image, expectedMedia(media, regions), 0xaff40001, MUTATIONS);
}, 600_000);

// Fewer: the first test already gives the format its 1,000; this one is for the check made on the media walk's pass.
const LINEAR_MUTATIONS = mutations(200);
it(`an AFF4 whose stream is the whole media survives ${LINEAR_MUTATIONS} random mutations: never a false "verified"`, async () => {
  const media = Buffer.from(crypto.createHash('sha512').update('linear').digest().toString('hex').repeat(180));
  media.fill(0, 4096, 10_240); // zero chunks too
  const image = buildAff4(media, { compression: 'deflate', chunkSize: 2048, chunksInSegment: 4 });
  await fuzz('aff4-linear', image, media, 0xaff40002, LINEAR_MUTATIONS);
}, 600_000);
