/**
 * Examiners' signing keys. The private key is a PKCS#8 PEM file (mode 0600)
 * under the config directory, named by the key's fingerprint; the public key,
 * fingerprint and examiner are in the store. One current key per examiner; keys
 * rotated away or revoked stay in the store, to check what they signed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { generateSigningKey, keyFingerprint, publicKeyOf, readPrivateKey, readPublicKey, type PrivateKey, type PublicKey } from '../core/crypto.js';
import { describeSystemError, ExhibitError } from '../core/errors.js';
import { looksAlike, mixedScriptWord } from '../core/look-alike.js';
import { checkName, normalName } from '../core/text.js';
import { timestamp } from '../core/time.js';
import type { CaseStore } from './store.js';
import type { RegisterKey } from '../core/trust-register.js';
import { readInputTextSync } from '../core/input-file.js';

export interface KeyRow {
  fingerprint: string;
  examiner: string;
  public_pem: string;
  private_file: string | null;
  encrypted: number;
  created_utc: string;
  retired_utc?: string | null;
  replaced_by?: string | null;
  revoked_utc?: string | null;
  revoked_effective_utc?: string | null;
  revoked_reason?: string | null;
  administrator?: number; // 1: a lab administrator's key, which may revoke other examiners' keys (schema 7)
}

const CURRENT = 'retired_utc IS NULL AND revoked_utc IS NULL';
const isCurrent = (r: KeyRow): boolean => !r.retired_utc && !r.revoked_utc;

/** A key ready to sign with: the examiner's name, fingerprint, and the unlocked private key. */
export interface Signer {
  name: string;
  fingerprint: string;
  publicPem: string;
  key: PrivateKey;
}

/**
 * The key of `examiner`. A key made before names were normalised, under a name typed with a no-break
 * space, double spaces or full-width letters, is found by that name's normal form; sign with the
 * name it was made under (Signer.name), which is the one the custody log registers.
 */
export function findKey(store: CaseStore, examiner: string): KeyRow | undefined {
  const exact = store.db.get(`SELECT * FROM examiner_keys WHERE examiner = ? AND ${CURRENT}`, [examiner]) as KeyRow | undefined;
  if (exact) return exact;
  const want = normalName(examiner);
  return listKeys(store).find((r) => isCurrent(r) && normalName(r.examiner) === want);
}

/** The latest key of an examiner that was revoked and not followed by a current one (see findKey for names). */
export function revokedKeyOf(store: CaseStore, examiner: string): KeyRow | undefined {
  if (findKey(store, examiner)) return undefined;
  const want = normalName(examiner);
  return listKeys(store).filter((r) => r.revoked_utc && normalName(r.examiner) === want).pop();
}

/** Every key in the store, current or not, by examiner and age. */
export function listKeys(store: CaseStore): KeyRow[] {
  return store.db.all('SELECT * FROM examiner_keys ORDER BY examiner, created_utc') as KeyRow[];
}

/** The store's keys as a trust register lists them: when each was issued, replaced or revoked, and whose. */
export function registerKeys(store: CaseStore): RegisterKey[] {
  return listKeys(store).map((k) => ({
    examiner: k.examiner,
    fingerprint: k.fingerprint,
    issued: k.created_utc,
    ...(k.retired_utc ? { replaced: k.retired_utc, ...(k.replaced_by ? { replaced_by: k.replaced_by } : {}) } : {}),
    ...(k.revoked_effective_utc ? { revoked: k.revoked_effective_utc, ...(k.revoked_reason ? { reason: k.revoked_reason } : {}) } : {}),
    ...(k.administrator === 1 ? { administrator: true } : {}),
    public_key: k.public_pem,
  }));
}

export function keyByFingerprint(store: CaseStore, fingerprint: string): KeyRow | undefined {
  return store.db.get('SELECT * FROM examiner_keys WHERE fingerprint = ?', [fingerprint]) as KeyRow | undefined;
}

/** Every key in the store, by fingerprint: the keys a custody log may register. */
export function storeKeys(store: CaseStore, rows: readonly KeyRow[] = listKeys(store)): Map<string, PublicKey> {
  const out = new Map<string, PublicKey>();
  for (const row of rows) {
    const key = readPublicKey(row.public_pem);
    if (key) out.set(row.fingerprint, key);
  }
  return out;
}

/** The fingerprints of the store's lab administrators' keys (key create --administrator). */
export function administratorKeys(store: CaseStore, rows: readonly KeyRow[] = listKeys(store)): Set<string> {
  return new Set(rows.filter((r) => r.administrator === 1).map((r) => r.fingerprint));
}

/** An examiner's name, normalised (see checkName); a word that mixes Latin, Cyrillic or Greek letters is refused. */
export function checkExaminerName(name: string): string {
  const v = checkName('examiner name', name, 200);
  const mixed = mixedScriptWord(v);
  if (mixed) {
    throw new ExhibitError('USAGE', `the examiner name "${v}" mixes ${mixed.scripts.join(' and ')} letters in "${mixed.word}", so it would look like a name it is not`, {
      hints: ['type the name again in one alphabet'],
    });
  }
  return v;
}

/**
 * Refuse a name new to the store that a reader could not tell from an examiner who has a key
 * ("J. Dое" in Cyrillic, "j. doe", "J. D0e" beside J. Doe): it would sign, or be named, as them.
 */
export function refuseLookAlike(store: CaseStore, name: string): void {
  const rows = listKeys(store);
  if (rows.some((r) => normalName(r.examiner) === normalName(name))) return; // the same name (see findKey)
  const other = rows.find((r) => looksAlike(r.examiner, name, true));
  if (other) {
    throw new ExhibitError('USAGE', `the examiner name "${name}" looks like ${other.examiner}, who has key ${other.fingerprint.slice(0, 16)}...: exhibit keeps apart names a reader could confuse`, {
      hints: [`if this is ${other.examiner}, type the name exactly so`, 'if it is someone else, make the names differ visibly (a middle initial, a staff number)'],
    });
  }
}

/** Make a new key for `examiner`; refuses when the examiner has one. */
export function createKey(store: CaseStore, examiner: string, passphrase?: string, administrator = false): KeyRow {
  const name = checkExaminerName(examiner);
  const existing = findKey(store, name);
  if (existing) {
    throw new ExhibitError('USAGE', `${name} already has a key (${existing.fingerprint.slice(0, 16)}...)`, { hints: ['see it with: exhibit key list'] });
  }
  refuseLookAlike(store, name);
  const row = { ...writeNewKey(store, name, passphrase), administrator: administrator ? 1 : 0 };
  try {
    store.immediate(() => insertKey(store, row));
  } catch (err) {
    fs.rmSync(row.private_file!, { force: true }); // a key the store does not know would only confuse
    if (findKey(store, name)) throw new ExhibitError('USAGE', `${name} already has a key`, { cause: err });
    throw err;
  }
  return row;
}

export function insertKey(store: CaseStore, row: KeyRow): void {
  store.db.run('INSERT INTO examiner_keys (fingerprint, examiner, public_pem, private_file, encrypted, created_utc, administrator) VALUES (?, ?, ?, ?, ?, ?, ?)', [row.fingerprint, row.examiner, row.public_pem, row.private_file, row.encrypted, row.created_utc, row.administrator ?? 0]);
}

/** Make a key pair and write its private key (0600, durable); the caller puts the row in the store. */
export function writeNewKey(store: CaseStore, name: string, passphrase: string | undefined): KeyRow {
  if (passphrase !== undefined && passphrase.length < 8) throw new ExhibitError('USAGE', 'the passphrase is shorter than 8 characters');
  const k = generateSigningKey(passphrase);
  const dir = store.paths.keysDir;
  const file = path.join(dir, `${k.fingerprint}.pem`);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const fd = fs.openSync(file, 'wx', 0o600);
    try {
      fs.writeSync(fd, k.privatePem);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.chmodSync(file, 0o600); // whatever the umask
    const open = keyFileOpenMode(file);
    if (open !== undefined) {
      fs.rmSync(file, { force: true });
      throw new ExhibitError('KEY', `the key folder ${dir} is on a file system that keeps no file permissions (the key file came out mode ${open.toString(8).padStart(4, '0')}, open to other users): exhibit keeps private keys only where they can be private`, {
        hints: ['set EXHIBIT_HOME to a folder on a Linux file system (ext4, XFS, btrfs)'],
      });
    }
    const d = fs.openSync(dir, 'r'); // the key file's name is durable before the store points at it
    try {
      fs.fsyncSync(d);
    } finally {
      fs.closeSync(d);
    }
  } catch (err) {
    if (err instanceof ExhibitError) throw err;
    throw new ExhibitError('KEY', `cannot write the private key ${file}: ${describeSystemError(err)}`, { cause: err });
  }
  return {
    fingerprint: k.fingerprint,
    examiner: name,
    public_pem: k.publicPem,
    private_file: file,
    encrypted: passphrase !== undefined ? 1 : 0,
    created_utc: timestamp().utc,
  };
}

/** Unlock `examiner`'s private key; the key must be in the store and its file on this machine. */
export function loadSigner(store: CaseStore, examiner: string, passphrase?: string): Signer {
  const name = checkExaminerName(examiner);
  const row = findKey(store, name);
  if (!row) {
    throw new ExhibitError('KEY', `${name} has no current signing key in this case store`, { hints: [`create one with: exhibit key create --examiner "${name}"`] });
  }
  return unlockKey(row, passphrase);
}

/**
 * Unlock the private key of a key row (any key of the store, current or not). `toRevokeItself`: the
 * key signs its own revocation, which it may do even from a file open to others (that is a reason to revoke it).
 */
export function unlockKey(row: KeyRow, passphrase?: string, toRevokeItself = false): Signer {
  const name = row.examiner;
  if (!row.private_file) throw new ExhibitError('KEY', `the private key of ${name} is not on this machine`);
  let pem: string;
  try {
    pem = readInputTextSync(row.private_file, { code: 'KEY' });
  } catch (err) {
    const hints = ['restore the key file from a backup; if there is none, revoke the key (exhibit key revoke --by <administrator>) and make a new one'];
    if ((err as { code?: string }).code === 'ENOENT') throw new ExhibitError('KEY', `the private key file of ${name} is missing: ${row.private_file}`, { cause: err, hints });
    throw new ExhibitError('KEY', `cannot read the private key of ${name} (${row.private_file}): ${describeSystemError(err)}`, { cause: err, hints });
  }
  if (!toRevokeItself) refuseOpenKeyFile(row.private_file, name);
  const key = readPrivateKey(pem, `the key of ${name}`, passphrase);
  if (keyFingerprint(publicKeyOf(key)) !== row.fingerprint) {
    throw new ExhibitError('KEY', `the private key file ${row.private_file} does not belong to ${name}'s registered key ${row.fingerprint.slice(0, 16)}...`);
  }
  return { name: row.examiner, fingerprint: row.fingerprint, publicPem: row.public_pem, key };
}

/**
 * A private key file other users may read or write signs nothing: whoever can read it can sign as its
 * examiner (a passphrase only slows a guess), and whoever can write it can swap it. exhibit makes its
 * key files 0600; a wider mode means someone changed it.
 */
function refuseOpenKeyFile(file: string, name: string): void {
  let mode: number | undefined;
  try {
    mode = keyFileOpenMode(file);
  } catch (err) {
    throw new ExhibitError('KEY', `cannot read the private key of ${name} (${file}): ${describeSystemError(err)}`, { cause: err });
  }
  if (mode !== undefined) {
    throw new ExhibitError('KEY', `the private key file ${file} of ${name} is open to other users (mode ${mode.toString(8).padStart(4, '0')}); anyone who can read it can sign as ${name}, so exhibit does not use it`, {
      hints: [`if no one else could have read it, make it private again with: chmod 600 '${file}'; otherwise revoke it (exhibit key revoke, which it may still sign) and create a new one`],
    });
  }
}

/** The permission bits of a private key file that other users may read or write, or undefined when it is private (throws when it cannot be looked at). */
export function keyFileOpenMode(file: string): number | undefined {
  const mode = fs.statSync(file).mode & 0o777;
  return (mode & 0o077) !== 0 ? mode : undefined;
}

/** The signer of an examiner whose key is on this machine, or undefined (for an optional countersignature). */
export function localKey(store: CaseStore, examiner: string): KeyRow | undefined {
  const row = findKey(store, examiner.trim());
  return row?.private_file && fs.existsSync(row.private_file) ? row : undefined;
}
