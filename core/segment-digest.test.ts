import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { planHashGroups, type DigestJob } from './hash-plan.js';
import { countZeroSectors, digestResult, feedDigest, newDigestState } from './segment-digest.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const KiB = 1024;

/** 10 segments of 64 KiB and a short one: random, zero, zero with one byte set at its end, zero, ... */
function media(): Buffer {
  const b = Buffer.alloc(10 * 64 * KiB + 1000);
  randomBytes(64 * KiB).copy(b, 0);
  b[3 * 64 * KiB - 1] = 7; // the last byte of segment 2: the zeros before it must be digested too
  randomBytes(64 * KiB).copy(b, 5 * 64 * KiB + 100);
  return b;
}
const expected = (b: Buffer, seg: number) => Array.from({ length: Math.ceil(b.length / seg) }, (_, i) => sha(b.subarray(i * seg, (i + 1) * seg)));

/** Feed `b` in the given step sizes (wrapping), as the pipeline's slots or a reader's units arrive. */
function feed(job: DigestJob, b: Buffer, steps: number[]): string[] {
  const s = newDigestState(job);
  for (let at = 0, k = 0; at < b.length; k++) {
    const n = Math.min(steps[k % steps.length]!, b.length - at);
    feedDigest(s, b.subarray(at, at + n));
    at += n;
  }
  return digestResult(s);
}

describe('segmented digests', () => {
  const b = media();
  const job: DigestJob = { id: 'p', algorithm: 'sha256', segmentSize: 64 * KiB };

  it('give the plain SHA-256 of every segment, all-zero segments included, however the bytes arrive', () => {
    for (const steps of [[b.length], [4096], [1000, 70 * KiB, 3], [64 * KiB]]) expect(feed(job, b, steps)).toEqual(expected(b, 64 * KiB));
  });

  it('an empty stream has one digest, that of no bytes; a whole-stream job ignores segments', () => {
    expect(digestResult(newDigestState(job))).toEqual([sha(Buffer.alloc(0))]);
    expect(feed({ id: 'm', algorithm: 'sha256' }, b, [3000])).toEqual([sha(b)]);
  });

  it('shared among the planned groups, each digests its own segments and together they give every one once', () => {
    const groups = planHashGroups([...(['md5', 'sha1', 'sha256'] as const).map((a) => ({ id: a, algorithm: a })), job], 2);
    const parts = groups.flatMap((g) => g.filter((j) => j.id === 'p')) as DigestJob[];
    expect(parts).toHaveLength(2);
    const results = parts.map((p) => feed(p, b, [5000]));
    const want = expected(b, 64 * KiB);
    for (const [i, h] of want.entries()) {
      expect(results.filter((r) => r[i] !== '')).toHaveLength(1);
      expect(results.map((r) => r[i]).join('')).toBe(h);
    }
    expect(results.every((r) => r.some((h) => h !== ''))).toBe(true);
  });
});

describe('countZeroSectors', () => {
  it('counts whole zero sectors only, in runs and one by one, at any alignment of the view', () => {
    const b = Buffer.alloc(256 * KiB + 700);
    b[512 * 3 + 511] = 1; // sector 3 not zero (its last byte)
    b[100 * KiB] = 1; // inside a 64 KiB run: sector 200
    randomBytes(512).copy(b, 512 * 300);
    const whole = Math.floor(b.length / 512);
    expect(countZeroSectors(b, 512)).toBe(whole - 3);
    const odd = Buffer.concat([Buffer.alloc(1), b]).subarray(1); // not 4-byte aligned
    expect(countZeroSectors(odd, 512)).toBe(whole - 3);
    expect(countZeroSectors(b, 4096)).toBe(Math.floor(b.length / 4096) - 3);
  });
});

describe("an 'emit' segmented job", () => {
  it('hands over each segment digest once, the same as kept, on worker threads and inline, with zero segments and a short last one', async () => {
    const { hashStream } = await import('./hash-stream.js');
    const data = randomBytes(9 * 1024 * 1024 + 777);
    data.fill(0, 3 * 1024 * 1024, 5 * 1024 * 1024); // whole segments of zeros: digested without being fed
    async function* pieces() {
      for (let at = 0; at < data.length; at += 1_000_003) yield data.subarray(at, Math.min(data.length, at + 1_000_003));
    }
    const kept = (await hashStream(pieces(), [{ id: 'k', algorithm: 'sha1', segmentSize: 65536 }], { size: data.length, inline: true })).get('k')!;
    expect(kept).toHaveLength(Math.ceil(data.length / 65536));
    for (const inline of [true, false]) {
      const got = new Map<number, string>();
      const r = await hashStream(pieces(), [{ id: 'md5', algorithm: 'md5' }, { id: 'e', algorithm: 'sha1', segmentSize: 65536, emit: true }], {
        size: data.length,
        inline,
        onSegments: (s) => {
          for (const x of s) {
            expect(got.has(x.index), `segment ${x.index} handed over twice`).toBe(false);
            got.set(x.index, x.digest);
          }
        },
      });
      expect(r.get('e')).toEqual([]);
      expect(r.get('md5')).toEqual([createHash('md5').update(data).digest('hex')]);
      expect([...got.keys()].sort((a, b) => a - b)).toEqual(kept.map((_, i) => i));
      expect(kept.map((_, i) => got.get(i))).toEqual(kept);
    }
  });
});
