/** Passphrases for encrypted keys: from a file (first line) or the EXHIBIT_PASSPHRASE variable, never from the command line. */
import { describeSystemError, ExhibitError } from '../core/errors.js';
import { readInputTextSync } from '../core/input-file.js';
import { io } from './io.js';

export function readPassphrase(file: string | undefined, envName: string | undefined = 'EXHIBIT_PASSPHRASE'): string | undefined {
  if (file !== undefined) {
    let text: string;
    try {
      // A passphrase file that is missing or unreadable is an input that failed (exit 1), not a usage error.
      text = readInputTextSync(file, { code: 'KEY' });
    } catch (err) {
      if (err instanceof ExhibitError) throw err;
      throw new ExhibitError('KEY', `cannot read the passphrase file ${file}: ${describeSystemError(err)}`, { cause: err });
    }
    const first = text.split(/\r?\n/)[0] ?? '';
    if (first === '') throw new ExhibitError('USAGE', `the passphrase file ${file} is empty`);
    return first;
  }
  const env = envName ? io().env[envName] : undefined;
  return env === undefined || env === '' ? undefined : env;
}
