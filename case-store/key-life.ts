/**
 * Rotating and revoking examiners' keys. Each is one transaction: the key rows change, and every
 * case whose custody log holds the key gets the entry that says so (key.rotated, signed by the old
 * key and the new one; key.revoked, signed by the key's owner or by a lab administrator's key), so a
 * copy of any of those logs carries the key's history with it.
 */
import fs from 'node:fs';
import type { Payload } from '../core/custody.js';
import { ExhibitError } from '../core/errors.js';
import { timestamp } from '../core/time.js';
import { appendToCase, type Append } from './custody-log.js';
import { checkExaminerName, findKey, insertKey, keyByFingerprint, loadSigner, unlockKey, writeNewKey, type KeyRow, type Signer } from './keys.js';
import type { CaseStore } from './store.js';

export interface KeyChange {
  key: KeyRow; // the new key (rotation) or the revoked one
  cases: { case: string; entry: number }[]; // where the change was logged
  by?: string; // the lab administrator who signed a revocation
}

/** The cases whose custody log names this key (registers it or was signed with it). */
function casesWithKey(store: CaseStore, fingerprint: string): { id: number; number: string; title: string | null }[] {
  return store.db.all('SELECT DISTINCT c.id, c.number, c.title FROM cases c JOIN custody_entries e ON e.case_id = c.id WHERE instr(e.line, ?) > 0 ORDER BY c.number', [`"key":"${fingerprint}"`]) as { id: number; number: string; title: string | null }[];
}

function logEverywhere(store: CaseStore, fingerprint: string, item: Append): { case: string; entry: number }[] {
  return casesWithKey(store, fingerprint).map((c) => {
    const written = appendToCase(store, c, [item]);
    return { case: c.number, entry: written[written.length - 1]!.seq };
  });
}

/** Give `examiner` a new key; the old one signs the rotation with it, in every case it appears in, and signs nothing after. */
export function rotateKey(store: CaseStore, examiner: string, passphrase: string | undefined, newPassphrase: string | undefined): KeyChange & { old: KeyRow } {
  const old = loadSigner(store, examiner, passphrase);
  const oldRow = findKey(store, old.name)!;
  const row: KeyRow = { ...writeNewKey(store, old.name, newPassphrase), administrator: oldRow.administrator ?? 0 }; // an administrator stays one
  try {
    const next = unlockKey(row, newPassphrase);
    const cases = store.immediate(() => {
      store.db.run('UPDATE examiner_keys SET retired_utc = ?, replaced_by = ? WHERE fingerprint = ?', [timestamp().utc, row.fingerprint, old.fingerprint]);
      insertKey(store, row);
      const payload: Payload = { examiner: old.name, old_key: old.fingerprint, key: row.fingerprint, public_key: row.public_pem };
      return logEverywhere(store, old.fingerprint, { kind: 'key.rotated', payload, signers: [old, next], registers: row.fingerprint, checkpointBy: next });
    });
    return { key: row, old: oldRow, cases };
  } catch (err) {
    fs.rmSync(row.private_file!, { force: true }); // the store never knew it
    throw err;
  }
}

/**
 * Revoke a key from `effective` (default now; never later than now). Signed by the key itself while
 * it is its examiner's current key, else by the examiner's current key; or, with `by`, by that lab
 * administrator's current key (the entry then says so: authority "administrator").
 */
export function revokeKey(store: CaseStore, fingerprint: string, reason: string, effective: Date | undefined, passphrase: string | undefined, by?: string): KeyChange {
  const row = keyByFingerprint(store, fingerprint);
  if (!row) throw new ExhibitError('NOT_FOUND', `there is no key ${fingerprint} in this case store`, { hints: ['list them with: exhibit key list'] });
  if (row.revoked_utc) throw new ExhibitError('USAGE', `key ${fingerprint} of ${row.examiner} was already revoked on ${row.revoked_utc}`);
  const now = new Date();
  const from = effective ?? now;
  if (from.getTime() > now.getTime()) throw new ExhibitError('USAGE', '--effective is in the future: a revocation takes effect when it is logged, or earlier');
  if (from.getTime() < Date.parse(row.created_utc)) {
    throw new ExhibitError('USAGE', `--effective ${from.toISOString()} is before key ${fingerprint} was made (${row.created_utc}): it signed nothing then`, {
      hints: [`to revoke everything it ever signed, give the time it was made: --effective ${row.created_utc}`],
    });
  }
  let signer: Signer;
  const admin = by !== undefined ? administratorSigning(store, row, by) : undefined;
  if (admin) signer = unlockKey(admin, passphrase);
  else if (!row.retired_utc) signer = unlockKey(row, passphrase, true);
  else {
    if (!findKey(store, row.examiner)) throw new ExhibitError('KEY', `${row.examiner} has no current key to sign the revocation of their rotated key`);
    signer = loadSigner(store, row.examiner, passphrase);
  }
  const cases = store.immediate(() => {
    store.db.run('UPDATE examiner_keys SET revoked_utc = ?, revoked_effective_utc = ?, revoked_reason = ? WHERE fingerprint = ?', [now.toISOString(), from.toISOString(), reason, fingerprint]);
    const payload: Payload = { examiner: row.examiner, key: fingerprint, reason, effective: from.toISOString(), ...(admin ? { authority: 'administrator' } : {}) };
    return logEverywhere(store, fingerprint, { kind: 'key.revoked', payload, signers: [signer] });
  });
  return { key: keyByFingerprint(store, fingerprint)!, cases, ...(admin ? { by: admin.examiner } : {}) };
}

/** The administrator's key row that signs a revocation of `row` (`by`), or undefined when `by` is the key's own examiner. */
function administratorSigning(store: CaseStore, row: KeyRow, by: string): KeyRow | undefined {
  const adminRow = findKey(store, checkExaminerName(by));
  if (adminRow?.examiner === row.examiner) return undefined; // the owner signs as owner
  if (!adminRow) throw new ExhibitError('KEY', `${by} has no current signing key in this case store`, { hints: ['list them with: exhibit key list'] });
  if (adminRow.administrator !== 1) {
    throw new ExhibitError('USAGE', `${adminRow.examiner}'s key ${adminRow.fingerprint} is not a lab administrator's key: only ${row.examiner} or an administrator may revoke ${row.examiner}'s key`, {
      hints: ["an administrator's key is made with: exhibit key create -x <name> --administrator"],
    });
  }
  return adminRow;
}
