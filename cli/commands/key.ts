import { writeNewOutputSync } from '../../core/record/atomic.js';
import { Command } from 'commander';
import fs from 'node:fs';
import { checkExaminerName, createKey, findKey, keyFileOpenMode, listKeys, type KeyRow } from '../../case-store/index.js';
import { ExhibitError } from '../../core/errors.js';
import { action, printJson } from '../action.js';
import { readPassphrase } from '../passphrase.js';
import { examinerName, openStore, openStoreForReading } from '../store.js';
import { io } from '../io.js';
import { requiredOption } from '../required.js';
import { keyLifeCommands } from './key-life.js';

export function keyCommand(): Command {
  const cmd = new Command('key').summary("examiners' signing keys").description(
    'Each examiner signs what they add to a custody log with their own Ed25519 key. The private key stays in a ' +
      'file only its owner can read (under the exhibit settings folder); the public key and its fingerprint are in the case store ' +
      'and travel with every image, so anyone can check the signatures.',
  );
  cmd.addCommand(
    action<{ examiner?: string; passphraseFile?: string; administrator?: boolean; json?: boolean }>(
      new Command('create')
        .summary('make a signing key for an examiner')
        .addOption(requiredOption('-x, --examiner <name>', 'whose key it is', { env: 'EXHIBIT_EXAMINER' }))
        .option('--passphrase-file <file>', 'protect the private key with the passphrase on the first line of <file> (or set EXHIBIT_PASSPHRASE)')
        .option('--administrator', "a lab administrator's key: it may sign the revocation of another examiner's key (exhibit key revoke --by)")
        .option('--json', 'print the key as JSON')
        .addHelpText(
          'after',
          '\nWithout a passphrase the private key is protected by its file permissions only (mode 0600).\n' +
            'With one, it is encrypted (PKCS#8, AES-256), and every command that signs asks for it the same way.\n\n' +
            'Example:\n  exhibit key create -x "J. Doe" --passphrase-file ~/.exhibit-pass',
        ),
      (_args, f) => {
        const examiner = examinerName(f.examiner, 'whose key it is');
        const passphrase = readPassphrase(f.passphraseFile);
        const store = openStore();
        try {
          const row = createKey(store, examiner, passphrase, f.administrator === true);
          if (f.json) printJson(keyJson(row));
          else {
            io().stdout.write(
              `created a signing key for ${row.examiner}\n  fingerprint ${row.fingerprint}\n  private key ${row.private_file}` +
                `${passphrase ? ' (encrypted with the passphrase)' : ' (not encrypted: protected by its file permissions only)'}\n` +
                (row.administrator === 1 ? "  a lab administrator's key: it may revoke other examiners' keys (the trust register says so)\n" : '') +
                `  publish the fingerprint; anyone checking a custody log compares it with the key that signed\n`,
            );
          }
        } finally {
          store.close();
        }
      },
    ),
  );
  cmd.addCommand(
    action<{ json?: boolean }>(new Command('list').summary('list the examiners and their key fingerprints').option('--json', 'print as JSON').addHelpText('after', '\nEach key with its fingerprint (publish it), when it was made and, where it applies, replaced or revoked.\nExample:\n  exhibit key list'), (_a, f) => {
      const store = openStoreForReading();
      try {
        const rows = listKeys(store);
        if (f.json) return printJson(rows.map(keyJson));
        if (rows.length === 0) return void io().stdout.write('no keys yet; make one with: exhibit key create --examiner <name>\n');
        for (const r of rows) {
          io().stdout.write(
            `${r.examiner}\n  fingerprint ${r.fingerprint}\n  created ${r.created_utc}, private key ${r.private_file && fs.existsSync(r.private_file) ? `${r.private_file}${r.encrypted ? ' (encrypted)' : ''}` : 'not on this machine'}\n` +
              (openMode(r) !== undefined ? `  its file is open to other users (mode ${openMode(r)!.toString(8).padStart(4, '0')}): exhibit does not sign with it\n` : '') +
              (r.retired_utc ? `  replaced ${r.retired_utc}${r.replaced_by ? ` by ${r.replaced_by}` : ''}\n` : '') +
              (r.administrator === 1 ? "  lab administrator: may revoke other examiners' keys\n" : '') +
              (r.revoked_utc ? `  REVOKED from ${r.revoked_effective_utc ?? r.revoked_utc}${r.revoked_reason ? `: ${r.revoked_reason}` : ''}\n` : ''),
          );
        }
      } finally {
        store.close();
      }
    }),
  );
  cmd.addCommand(
    action<{ out?: string; json?: boolean }>(
      new Command('export')
        .summary("print an examiner's public key (PEM)")
        .argument('<examiner>', 'whose key')
        .option('-o, --out <file>', 'write it to <file> instead (never overwrites)')
        .addHelpText('after', '\nCheck a signature with it, for example:\n  openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in message -sigfile signature'),
      async ([examiner], f) => {
        const store = openStoreForReading();
        try {
          const row = findKey(store, checkExaminerName(examiner!));
          if (!row) throw new ExhibitError('NOT_FOUND', `${examiner} has no key in this case store`, { hints: ['list them with: exhibit key list'] });
          if (!f.out) return void io().stdout.write(row.public_pem);
          writeNewOutputSync(f.out, row.public_pem, 0o644); // a public key: readable by all
        } finally {
          store.close();
        }
      },
    ),
  );
  for (const c of keyLifeCommands()) cmd.addCommand(c);
  return cmd;
}

function keyJson(r: KeyRow) {
  return {
    examiner: r.examiner,
    fingerprint: r.fingerprint,
    public_key: r.public_pem,
    private_key_file: r.private_file,
    encrypted: r.encrypted === 1,
    created_utc: r.created_utc,
    ...(r.retired_utc ? { replaced_utc: r.retired_utc, replaced_by: r.replaced_by } : {}),
    ...(r.revoked_utc ? { revoked_utc: r.revoked_utc, revoked_effective_utc: r.revoked_effective_utc, revoked_reason: r.revoked_reason } : {}),
    ...(r.administrator === 1 ? { administrator: true } : {}),
    ...(openMode(r) !== undefined ? { private_key_file_open_to_others: true } : {}),
  };
}

/** The mode of a key's private file on this machine when other users may read or write it. */
function openMode(r: KeyRow): number | undefined {
  if (!r.private_file) return undefined;
  try {
    return keyFileOpenMode(r.private_file);
  } catch {
    return undefined; // not on this machine
  }
}
