/**
 * Where exhibit touches node:crypto (OpenSSL): streaming digests,
 * constant-time comparison, and the Ed25519 keys that sign custody logs.
 * The X.509 and CMS checks of RFC 3161 tokens are in core/timestamp-token.ts.
 */
import crypto from 'node:crypto';
import { ExhibitError } from './errors.js';

export const HASH_ALGORITHMS = ['md5', 'sha1', 'sha256', 'sha512'] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];
export const DEFAULT_HASHES: readonly HashAlgorithm[] = ['md5', 'sha1', 'sha256'];

/**
 * Relative cost per byte of each algorithm on one core (ns/byte, the CPU time
 * of node:crypto on an x86-64 with SHA-NI, 4 MiB updates: md5 ~625 MiB/s,
 * sha1 ~1550, sha256 ~1400, sha512 ~840). Used only to balance the work
 * across worker threads; what is computed does not depend on it.
 */
export const HASH_COST: Record<HashAlgorithm, number> = { md5: 1.6, sha1: 0.65, sha256: 0.7, sha512: 1.2 };

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

/** SHA-256 of `data` as lower-case hex: what sha256sum prints. */
export function sha256Hex(data: Uint8Array | string): string {
  return digestHex('sha256', data);
}

// ---------------------------------------------------------------------------
// Ed25519 signing keys. Private keys are PKCS#8 PEM (encrypted with a
// passphrase when one is given: PBES2, PBKDF2 and AES-256-CBC, which
// `openssl pkey` reads); public keys are SubjectPublicKeyInfo PEM. A key's
// fingerprint is the SHA-256 of its SubjectPublicKeyInfo DER, in hex, which
// anyone can compute with: openssl pkey -pubin -in key.pem -outform DER | sha256sum

export type PublicKey = crypto.KeyObject;
export type PrivateKey = crypto.KeyObject;

export interface NewSigningKey {
  privatePem: string;
  publicPem: string;
  fingerprint: string;
}

export function generateSigningKey(passphrase?: string): NewSigningKey {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const privatePem = passphrase
    ? privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase })
    : privateKey.export({ type: 'pkcs8', format: 'pem' });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' });
  return { privatePem: String(privatePem), publicPem: String(publicPem), fingerprint: keyFingerprint(publicKey) };
}

/** Whether a PKCS#8 PEM private key is encrypted (needs a passphrase). */
export function isEncryptedPem(pem: string): boolean {
  return pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----');
}

/**
 * Read an Ed25519 private key. Throws ExhibitError KEY with `what` named when
 * the passphrase is missing or wrong or the file is not such a key.
 */
export function readPrivateKey(pem: string, what: string, passphrase?: string): PrivateKey {
  if (isEncryptedPem(pem) && passphrase === undefined) {
    throw new ExhibitError('KEY', `${what} is protected by a passphrase and none was given`, {
      hints: ['give it with --passphrase-file <file> or in the EXHIBIT_PASSPHRASE environment variable'],
    });
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(passphrase === undefined ? { key: pem, format: 'pem' } : { key: pem, format: 'pem', passphrase });
  } catch (err) {
    const damaged = ['restore the key file from a backup; if there is none, revoke the key (exhibit key revoke) and make a new one'];
    if (isEncryptedPem(pem)) {
      // OpenSSL says "bad decrypt" when the passphrase gives no valid key; anything else is a file cut short or changed.
      if ((err as { code?: string }).code === 'ERR_OSSL_BAD_DECRYPT') {
        throw new ExhibitError('KEY', `the passphrase for ${what} is wrong`, { cause: err, hints: ['if it is right, the key file is damaged: ' + damaged[0]] });
      }
      throw new ExhibitError('KEY', `${what} is damaged: its file is not a whole encrypted private key (cut short or changed)`, { cause: err, hints: damaged });
    }
    throw new ExhibitError('KEY', `${what} is not a readable private key: its file is damaged or is not a key`, { cause: err, hints: damaged });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ExhibitError('KEY', `${what} is a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  return key;
}

/**
 * Keys read, by their PEM text: a custody log names the same few keys in
 * every entry, and reading one (OpenSSL's PEM and DER decoding) costs more
 * than checking a signature with it. A key object cannot be changed, so one
 * serves every reader of the same text. Bounded: emptied when full.
 */
const keysRead = new Map<string, PublicKey | undefined>();
const KEYS_KEPT = 1024;

/** Read an Ed25519 public key (SubjectPublicKeyInfo PEM); undefined when it is not one. */
export function readPublicKey(pem: string): PublicKey | undefined {
  if (keysRead.has(pem)) return keysRead.get(pem);
  let key: PublicKey | undefined;
  try {
    const read = crypto.createPublicKey({ key: pem, format: 'pem' });
    key = read.asymmetricKeyType === 'ed25519' ? read : undefined;
  } catch {
    key = undefined;
  }
  if (keysRead.size >= KEYS_KEPT) keysRead.clear();
  keysRead.set(pem, key);
  return key;
}

export function publicKeyOf(key: PrivateKey): PublicKey {
  return crypto.createPublicKey(key);
}

export function publicKeyPem(key: PublicKey): string {
  return String(key.export({ type: 'spki', format: 'pem' }));
}

const fingerprints = new WeakMap<PublicKey, string>();
export function keyFingerprint(key: PublicKey): string {
  let fp = fingerprints.get(key);
  if (fp === undefined) fingerprints.set(key, (fp = sha256Hex(key.export({ type: 'spki', format: 'der' }))));
  return fp;
}

/** Ed25519 signature of `data`, base64. */
export function signBytes(key: PrivateKey, data: Uint8Array | string): string {
  return crypto.sign(null, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, key).toString('base64');
}

/** Whether `signature` (base64) is `key`'s Ed25519 signature of `data`. Never throws. */
export function verifyBytes(key: PublicKey, data: Uint8Array | string, signature: string): boolean {
  if (!/^[A-Za-z0-9+/]{86}==$/.test(signature)) return false; // 64 bytes, base64
  try {
    return crypto.verify(null, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
