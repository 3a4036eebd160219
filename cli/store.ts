/** Opening the case store and finding who signs, for the commands that write to a custody log. */
import { CaseStore, storeExists, storeLocation, createKey, hasEvidence, exhibitPaths, findKey, revokedKeyOf, loadConfig, loadSigner, checkExaminerName, type CaseRow, type Signer } from '../case-store/index.js';
import { ExhibitError } from '../core/errors.js';
import { info } from './messages.js';
import { readPassphrase } from './passphrase.js';
import { io } from './io.js';

export function openStore(): CaseStore {
  return CaseStore.open(exhibitPaths(io().env));
}

/** The store for commands that only read it (and so work on a read-only store). */
export function openStoreForReading(): CaseStore {
  return CaseStore.openReadOnly(exhibitPaths(io().env));
}

/** --examiner, or EXHIBIT_EXAMINER. */
export function examinerName(flag: string | undefined, what = 'who does this'): string {
  const name = flag ?? io().env.EXHIBIT_EXAMINER;
  if (name === undefined || name.trim() === '') throw new ExhibitError('USAGE', `required option --examiner not given: say ${what}`, { hints: ['or set EXHIBIT_EXAMINER'] });
  return checkExaminerName(name);
}

/**
 * The examiner's signer. An examiner without a key gets one, unless the
 * settings say keys are provisioned by the lab (keys: create_when_missing: false).
 */
export function examinerSigner(store: CaseStore, examiner: string, passphrase: string | undefined): Signer {
  if (!findKey(store, examiner)) {
    // A revoked key is not replaced on the spot: whoever holds the old key and passphrase could otherwise
    // go on signing as the examiner under a new key that no one made on purpose.
    const revoked = revokedKeyOf(store, examiner);
    if (revoked) {
      throw new ExhibitError('KEY', `${examiner}'s key ${revoked.fingerprint} was revoked on ${revoked.revoked_utc}${revoked.revoked_reason ? ` (${revoked.revoked_reason})` : ''}, and a revoked key is not replaced on the spot`, {
        hints: [`the examiner makes a new key on purpose, and publishes its fingerprint: exhibit key create --examiner "${examiner}"`],
      });
    }
    const config = loadConfig(store.paths.configFile);
    if (!config.createMissingKeys) {
      throw new ExhibitError('KEY', `${examiner} has no signing key, and this installation's settings say keys are provisioned, not made on the spot`, {
        hints: [`settings: ${store.paths.configFile}`, `ask whoever provisions keys, or: exhibit key create --examiner "${examiner}"`],
      });
    }
    let row: ReturnType<typeof createKey> | undefined;
    try {
      row = createKey(store, examiner, passphrase);
    } catch (err) {
      // Another exhibit made this examiner's key at the same moment: use theirs.
      if (!findKey(store, examiner)) throw err;
    }
    if (row) {
      info(`created a signing key for ${examiner}: fingerprint ${row.fingerprint}`);
      info(`  private key ${row.private_file}${passphrase === undefined ? ' (not protected by a passphrase; see exhibit key create --help)' : ''}`);
    }
  }
  return loadSigner(store, examiner, passphrase);
}

/**
 * For commands that log what they did when they can (verify, restore): the store, the case and the
 * signer, when this machine's store holds the case and the examiner (--examiner or EXHIBIT_EXAMINER)
 * has a key here; otherwise undefined, after saying why it is not logged. `use` runs with the store open.
 */
export function withCaseSigner<T>(caseNumber: string, examinerFlag: string | undefined, passphraseFile: string | undefined, verb: string, use: (store: CaseStore, c: CaseRow, signer: Signer) => T): T | undefined {
  const paths = exhibitPaths(io().env);
  if (!storeExists(paths)) return undefined; // no store here: the work is done elsewhere
  const store = CaseStore.open(paths);
  try {
    const c = store.findCase(caseNumber.trim());
    if (!c) return undefined;
    const examiner = examinerFlag ?? io().env.EXHIBIT_EXAMINER;
    if (!examiner || !findKey(store, checkExaminerName(examiner))) {
      info(`not logged in case ${c.number}'s custody log: ${examiner ? `${examiner} has no key here` : `say who ${verb} with --examiner`} (or use --no-record)`);
      return undefined;
    }
    return use(store, c, loadSigner(store, examiner, readPassphrase(passphraseFile)));
  } finally {
    store.close();
  }
}

/** Refuse (exit 2) a case or evidence item this machine's store does not hold: said before any work starts. */
export function requireEvidenceItem(caseNumber: string, evidence: string): void {
  const paths = exhibitPaths(io().env);
  if (!storeExists(paths)) throw new ExhibitError('USAGE', `there is no case store at ${storeLocation(paths)}, so no case ${caseNumber} to log against`);
  const store = CaseStore.openReadOnly(paths);
  try {
    const c = store.findCase(caseNumber.trim());
    if (!c) throw new ExhibitError('USAGE', `there is no case "${caseNumber}" in the case store ${storeLocation(paths)}`, { hints: ['list the cases with: exhibit case list'] });
    if (!hasEvidence(store, c, evidence)) throw new ExhibitError('USAGE', `there is no evidence ${evidence} in case ${c.number}`, { hints: [`register it with: exhibit evidence add ${c.number} ${evidence} ...`] });
  } finally {
    store.close();
  }
}
