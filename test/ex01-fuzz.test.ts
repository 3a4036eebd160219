/**
 * Fuzzing the Ex01 reader through exhibit verify: 700 seeded mutations (times EXHIBIT_FUZZ_SCALE) (bit
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
import type { Ex01Fixture } from './fixtures/ex01/make.js';
import { ROOT, tempDir } from './helpers/cli.js';
import { mutateBytes, newTally, tallyWords, verifyMutant, rng, mutations } from './helpers/fuzz.js';

const MUTATIONS_PER_IMAGE = mutations(350); // x 2 images = 700 (x EXHIBIT_FUZZ_SCALE)
const work = tempDir('exhibit-ex01-fuzz-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'ex01');
const { fixtures } = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'fixtures.json'), 'utf8')) as { fixtures: Ex01Fixture[] };

describe.each(['small-deflate', 'small-bzip2'])('%s', (name) => {
  it(`survives ${MUTATIONS_PER_IMAGE} random mutations: never a crash, a hang or a false "verified"`, async () => {
    const f = fixtures.find((x) => x.file === `${name}.Ex01`)!;
    const original = fs.readFileSync(path.join(FIXTURES, f.file));
    const dir = path.join(work, name);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, f.file);
    const seed = 0xe0010000 + name.length;
    const rand = rng(seed);
    const tally = newTally();
    for (let i = 0; i < MUTATIONS_PER_IMAGE; i++) {
      const m = mutateBytes(original, rand, ['flip', 'flip', 'flip', 'truncate', 'insert', 'delete']);
      fs.writeFileSync(file, m.out);
      const where = `${name} mutation ${i} (seed ${seed}): ${m.what}`;
      await verifyMutant(file, where, tally, { file, isOriginal: (now) => crypto.createHash('md5').update(now).digest('hex') === f.md5 });
    }
    console.log(`${name}: ${MUTATIONS_PER_IMAGE} mutations: ${tallyWords(tally)}`);
    expect(tally.failed + tally.error).toBeGreaterThan(MUTATIONS_PER_IMAGE / 2);
  }, 300_000);
});
