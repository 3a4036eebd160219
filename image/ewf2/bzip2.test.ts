import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Bzip2Error, bunzip2 } from './bzip2.js';

/** The bzip2 command line (Debian's bzip2 package) is the oracle: what it compresses, the decoder gives back. */
const bzip2 = (data: Uint8Array, level = 9): Buffer => execFileSync('bzip2', ['-c', `-${level}`], { input: data, maxBuffer: 64 * 1024 * 1024 });

/** Seeded pseudo-random bytes, the same in every run. */
function seeded(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let block = crypto.createHash('sha256').update(String(seed)).digest();
  for (let i = 0; i < n; i += 32) {
    block.copy(out, i, 0, Math.min(32, n - i));
    block = crypto.createHash('sha256').update(block).digest();
  }
  return out;
}

const samples: [string, Buffer][] = [
  ['zeros', Buffer.alloc(32768)],
  ['random', seeded(32768, 1)],
  ['text', Buffer.from('Chain of custody: seal 44812, bag 7. '.repeat(2000))],
  ['runs of every length', Buffer.concat(Array.from({ length: 300 }, (_, i) => Buffer.alloc(i, i & 0xff)))],
  ['one byte', Buffer.from('x')],
  ['several blocks', Buffer.concat([seeded(150_000, 2), Buffer.alloc(200_000, 0x41), seeded(100_000, 3)])],
];

const noBzip2 = spawnSync('bzip2', ['--help']).error ? 'needs the bzip2 command (apt-get install bzip2)' : undefined;

describe.skipIf(noBzip2 !== undefined)(`bzip2 decoding${noBzip2 ? ` (skipped: ${noBzip2})` : ''}`, () => {
  for (const [name, data] of samples) {
    it(`gives back what bzip2 compressed: ${name}`, () => {
      for (const level of [1, 9]) expect(bunzip2(bzip2(data, level), data.length).equals(data)).toBe(true);
    });
  }

  it('reads a bare block without the stream header and end marker', () => {
    const data = Buffer.from('EnCase stores its bzip2 chunks without the stream header. '.repeat(500));
    const z = bzip2(data);
    // The first block marker is byte aligned right after "BZh9"; drop the header, keep the block and what follows it.
    const bare = z.subarray(4);
    expect(bunzip2(bare, data.length).equals(data)).toBe(true);
  });

  it('refuses to expand past the room it is given', () => {
    const data = Buffer.alloc(1_000_000);
    expect(() => bunzip2(bzip2(data), 32768)).toThrow(/more than 32768 bytes/);
  });

  it('names a damaged stream: a flipped bit anywhere fails a CRC or a structure check, never returns other bytes silently', () => {
    const data = seeded(20_000, 4);
    const z = bzip2(data);
    let caught = 0;
    for (let at = 4; at < z.length; at += 41) {
      const bad = Buffer.from(z);
      bad[at] = bad[at]! ^ (1 << (at % 8));
      let out: Buffer | undefined;
      try {
        out = bunzip2(bad, data.length);
      } catch (err) {
        expect(err).toBeInstanceOf(Bzip2Error);
        caught++;
        continue;
      }
      // A flip in the final padding bits may leave the stream whole; then the bytes must be the same.
      expect(out.equals(data)).toBe(true);
    }
    expect(caught).toBeGreaterThan(0);
  });

  it('refuses what is not bzip2, and a stream cut short', () => {
    expect(() => bunzip2(Buffer.from('not bzip2 at all'), 100)).toThrow(Bzip2Error);
    const z = bzip2(seeded(5000, 5));
    expect(() => bunzip2(z.subarray(0, z.length - 20), 5000)).toThrow(Bzip2Error);
    expect(() => bunzip2(Buffer.alloc(0), 100)).toThrow(Bzip2Error);
  });
});
