/**
 * What the fuzz tests share: a seeded generator, one mutation of a file's
 * bytes, the media an image reads now, and one verification of a mutant with
 * its outcome tallied. A failing mutation names its seed and number, so it can
 * be replayed.
 */
import { expect } from 'vitest';
import { ExhibitError } from '../../core/errors.js';
import { openImage } from '../../image/open.js';
import { verifyImage } from '../../verify/verify.js';

/**
 * How many mutations a fuzz test makes: `base`, times EXHIBIT_FUZZ_SCALE (default 1). `npm test` keeps
 * the base counts, to stay within its time; .ci/run, which has time to spare, runs three times as many.
 * The seeds are fixed, so a larger scale runs the same mutations and more.
 */
export function mutations(base: number): number {
  const scale = Number(process.env.EXHIBIT_FUZZ_SCALE ?? 1);
  return Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
}

/** xorshift32: small, seeded, good enough to pick offsets. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

export type MutationKind = 'flip' | 'truncate' | 'insert' | 'delete';

/** Flips (the subtle case) twice as often as the others, unless told otherwise. */
export const DEFAULT_KINDS: readonly MutationKind[] = ['flip', 'flip', 'truncate', 'insert', 'delete'];

/** One random change of `original`: a bit flipped, the end cut off, up to 64 bytes inserted or deleted. */
export function mutateBytes(original: Buffer, rand: () => number, kinds: readonly MutationKind[] = DEFAULT_KINDS): { out: Buffer; what: string } {
  const at = Math.floor(rand() * original.length);
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

/** The media as the image reads now, or undefined when it cannot be read whole. */
export async function mediaNow(file: string): Promise<Buffer | undefined> {
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

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms (a hang)`)), ms).unref())]);

export type Tally = Record<'verified' | 'failed' | 'unverifiable' | 'error', number>;
export const newTally = (): Tally => ({ verified: 0, failed: 0, unverifiable: 0, error: 0 });
export const tallyWords = (t: Tally): string => Object.entries(t).map(([k, v]) => `${v} ${k}`).join(', ');

/**
 * Verify a mutant in-process (10 s at most: longer is a hang) and count its verdict. exhibit's own
 * refusal counts as `error`; anything else thrown fails the test, naming the mutation. A "verified"
 * mutant must still read as the original: `media.file` is the image file, `media.isOriginal` says
 * whether what it reads is the original media.
 */
export async function verifyMutant(target: string, where: string, tally: Tally, media: { file: string; isOriginal: (m: Buffer) => boolean }): Promise<void> {
  try {
    const r = await withTimeout(verifyImage({ target, inline: true }), 10_000, where);
    tally[r.verdict]++;
    if (r.verdict === 'verified') {
      const now = await mediaNow(media.file);
      expect(now !== undefined && media.isOriginal(now), `${where}: "verified" but the media differs`).toBe(true);
    }
  } catch (err) {
    if (!(err instanceof ExhibitError) || err.code === 'INTERNAL') throw new Error(`${where}: ${err instanceof Error ? err.stack : String(err)}`);
    tally.error++;
  }
}
