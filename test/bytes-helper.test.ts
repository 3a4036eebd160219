/**
 * test/helpers/bytes.ts, which the resume and bad-sector tests compare images with: it must say "not
 * the same" for every way two byte strings can differ, or their assertions could not fail.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileSha256, filesHold } from './helpers/bytes.js';
import { tempDir } from './helpers/cli.js';

const work = tempDir('exhibit-bytes-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const MiB = 1024 * 1024;
const data = randomBytes(2 * MiB + 777); // more than two of the helper's MiB reads
/** `data` written as files cut at `cuts`. */
function split(name: string, bytes: Buffer, cuts: number[]): string[] {
  const edges = [0, ...cuts, bytes.length];
  return edges.slice(1).map((end, i) => {
    const f = path.join(work, `${name}.${String(i).padStart(3, '0')}`);
    fs.writeFileSync(f, bytes.subarray(edges[i], end));
    return f;
  });
}
const whole = path.join(work, 'whole.bin');
fs.writeFileSync(whole, data);

describe('filesHold', () => {
  it('holds the same bytes, one file or several, against a buffer or a file', () => {
    for (const files of [[whole], split('a', data, [1000, MiB + 5]), split('b', data, [MiB])]) {
      expect(filesHold(files, data)).toBe(true);
      expect(filesHold(files, whole)).toBe(true);
    }
  });

  it('not when one byte differs, wherever it is', () => {
    for (const at of [0, MiB - 1, MiB, MiB + 6, data.length - 1]) {
      const other = Buffer.from(data);
      other[at]! ^= 1;
      const files = split(`c${at}`, other, [1000, MiB + 5]);
      expect(filesHold(files, data), `byte ${at}`).toBe(false);
      expect(filesHold(files, whole), `byte ${at}`).toBe(false);
    }
  });

  it('not when either side is longer or shorter; with upTo, only the first bytes count', () => {
    expect(filesHold([whole], data.subarray(0, data.length - 1))).toBe(false);
    expect(filesHold(split('d', data.subarray(0, data.length - 1), [MiB]), data)).toBe(false);
    expect(filesHold(split('e', data.subarray(0, MiB), []), whole)).toBe(false);
    expect(filesHold(split('f', data.subarray(0, MiB), []), data.subarray(0, MiB))).toBe(true);
    expect(filesHold([whole], data.subarray(0, MiB + 3), { upTo: MiB + 3 })).toBe(true);
    expect(filesHold(split('g', data.subarray(0, MiB), []), whole, { upTo: MiB })).toBe(true);
    expect(filesHold(split('h', data.subarray(0, MiB), []), whole, { upTo: MiB + 1 })).toBe(false);
    const other = Buffer.from(data);
    other[MiB + 2]! ^= 1;
    expect(filesHold([whole], other, { upTo: MiB + 2 })).toBe(true);
    expect(filesHold([whole], other, { upTo: MiB + 3 })).toBe(false);
  });
});

it('fileSha256 is the SHA-256 of the whole file', () => {
  expect(fileSha256(whole)).toBe(createHash('sha256').update(data).digest('hex'));
});
