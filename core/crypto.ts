/**
 * The one place exhibit touches node:crypto (OpenSSL): streaming digests and
 * constant-time comparison. Ed25519 joins here when custody logs are signed.
 */
import crypto from 'node:crypto';
import { ExhibitError } from './errors.js';

export const HASH_ALGORITHMS = ['md5', 'sha1', 'sha256', 'sha512'] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];
export const DEFAULT_HASHES: readonly HashAlgorithm[] = ['md5', 'sha1', 'sha256'];

/**
 * Relative cost per byte of each algorithm on one core (ns/byte, measured with
 * OpenSSL on an x86-64 with SHA-NI: md5 ~450 MiB/s, sha1 ~910, sha256 ~1030,
 * sha512 ~340). Used only to balance algorithms across worker threads.
 */
export const HASH_COST: Record<HashAlgorithm, number> = { md5: 2.2, sha1: 1.1, sha256: 1.0, sha512: 2.9 };

export type Digests = Partial<Record<HashAlgorithm, string>>;

export function isHashAlgorithm(name: string): name is HashAlgorithm {
  return (HASH_ALGORITHMS as readonly string[]).includes(name);
}

/** Parse `md5,sha1,sha256` into a de-duplicated list in canonical order. */
export function parseHashList(text: string): HashAlgorithm[] {
  const names = text
    .split(',')
    .map((s) => s.trim().toLowerCase().replace(/-/g, ''))
    .filter((s) => s.length > 0);
  if (names.length === 0) throw new ExhibitError('USAGE', 'no hash algorithm given', { hints: [`choose from ${HASH_ALGORITHMS.join(', ')}`] });
  for (const n of names) {
    if (!isHashAlgorithm(n)) {
      throw new ExhibitError('USAGE', `unknown hash algorithm "${n}"`, { hints: [`choose from ${HASH_ALGORITHMS.join(', ')}`] });
    }
  }
  return HASH_ALGORITHMS.filter((a) => names.includes(a));
}

export function createDigest(algorithm: HashAlgorithm): crypto.Hash {
  return crypto.createHash(algorithm);
}

/** One-shot hex digest of a small buffer. */
export function digestHex(algorithm: HashAlgorithm, data: Uint8Array | string): string {
  return crypto.createHash(algorithm).update(data).digest('hex');
}

/** Compare two hex digests without leaking where they first differ. */
export function digestsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase(), 'utf8');
  const y = Buffer.from(b.toLowerCase(), 'utf8');
  if (x.length !== y.length) return false;
  return crypto.timingSafeEqual(x, y);
}
