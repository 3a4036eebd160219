/** Opening the case store and finding who signs, for the commands that write to a custody log. */
import { CaseStore, createKey, exhibitPaths, findKey, loadConfig, loadSigner, checkExaminerName, type Signer } from '../case-store/index.js';
import { ExhibitError } from '../core/errors.js';
import { info } from './messages.js';

export function openStore(): CaseStore {
  return CaseStore.open(exhibitPaths());
}

/** --examiner, or EXHIBIT_EXAMINER. */
export function examinerName(flag: string | undefined, what = 'who does this'): string {
  const name = flag ?? process.env.EXHIBIT_EXAMINER;
  if (name === undefined || name.trim() === '') throw new ExhibitError('USAGE', `required option --examiner not given: say ${what}`, { hints: ['or set EXHIBIT_EXAMINER'] });
  return checkExaminerName(name);
}

/**
 * The examiner's signer. An examiner without a key gets one, unless the
 * settings say keys are provisioned by the lab (keys: create_when_missing: false).
 */
export function examinerSigner(store: CaseStore, examiner: string, passphrase: string | undefined): Signer {
  if (!findKey(store, examiner)) {
    const config = loadConfig(store.paths.configFile);
    if (!config.createMissingKeys) {
      throw new ExhibitError('KEY', `${examiner} has no signing key, and this installation's settings say keys are provisioned, not made on the spot`, {
        hints: [`settings: ${store.paths.configFile}`, `ask whoever provisions keys, or: exhibit key create --examiner "${examiner}"`],
      });
    }
    const row = createKey(store, examiner, passphrase);
    info(`created a signing key for ${examiner}: fingerprint ${row.fingerprint}`);
    info(`  private key ${row.private_file}${passphrase === undefined ? ' (not protected by a passphrase; see exhibit key create --help)' : ''}`);
  }
  return loadSigner(store, examiner, passphrase);
}
