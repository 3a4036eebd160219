/** exhibit key rotate / revoke / register export: a key's life after it is made, and the lab's trust register. */
import { writeNewOutputSync } from '../../core/record/atomic.js';
import { Command } from 'commander';
import { registerKeys, revokeKey, rotateKey, type KeyChange } from '../../case-store/index.js';
import { checkText } from '../../core/text.js';
import { parseZonedTime } from '../../core/time.js';
import { ExhibitError } from '../../core/errors.js';
import { registerText } from '../../core/trust-register.js';
import { loadConfig } from '../../case-store/index.js';
import { action, printJson } from '../action.js';
import { readPassphrase } from '../passphrase.js';
import { examinerName, openStore, openStoreForReading } from '../store.js';
import { io } from '../io.js';
import { requiredOption } from '../required.js';

function logged(change: KeyChange): string {
  return change.cases.length === 0 ? 'no case log holds the key yet' : `logged in ${change.cases.map((c) => `case ${c.case} (entry ${c.entry})`).join(', ')}`;
}

export function keyLifeCommands(): Command[] {
  const rotate = action<{ examiner?: string; passphraseFile?: string; newPassphraseFile?: string; json?: boolean }>(
    new Command('rotate')
      .summary("replace an examiner's key with a new one, signed over by both")
      .addOption(requiredOption('-x, --examiner <name>', 'whose key', { env: 'EXHIBIT_EXAMINER' }))
      .option('--passphrase-file <file>', "the current key's passphrase, on the first line of <file> (or EXHIBIT_PASSPHRASE)")
      .option('--new-passphrase-file <file>', 'protect the new key with this passphrase (or EXHIBIT_NEW_PASSPHRASE)')
      .option('--json', 'print the new key and the entries as JSON')
      .addHelpText(
        'after',
        '\nMakes a new key and logs "key rotated" in every case the old key appears in, signed by the old key and the new,\n' +
          'so a log checks across the change. The old key signs nothing after it; what it signed before stays valid.\n' +
          'Publish the new fingerprint (exhibit key register export).\n\nExample:\n  exhibit key rotate -x "J. Doe"',
      ),
    (_a, f) => {
      const examiner = examinerName(f.examiner, 'whose key it is');
      const store = openStore();
      try {
        const r = rotateKey(store, examiner, readPassphrase(f.passphraseFile), readPassphrase(f.newPassphraseFile, 'EXHIBIT_NEW_PASSPHRASE'));
        if (f.json) return printJson({ examiner: r.key.examiner, old_fingerprint: r.old.fingerprint, fingerprint: r.key.fingerprint, private_key_file: r.key.private_file, logged: r.cases });
        io().stdout.write(`rotated the key of ${r.key.examiner}\n  old ${r.old.fingerprint} (signs nothing from now on)\n  new ${r.key.fingerprint}\n  private key ${r.key.private_file}\n  ${logged(r)}\n`);
      } finally {
        store.close();
      }
    },
  );
  const revoke = action<{ reason?: string; effective?: string; by?: string; passphraseFile?: string; json?: boolean }>(
    new Command('revoke')
      .summary('revoke a key: its signatures from a given time on no longer count')
      .argument('<fingerprint>', 'the key (64 hex digits; see exhibit key list)')
      .addOption(requiredOption('--reason <text>', 'why, e.g. "laptop stolen"'))
      .option('--effective <time>', 'from when its signatures no longer count, ISO 8601 with a zone (e.g. 2026-11-20T08:00:00Z); default now')
      .option('--by <administrator>', "sign the revocation as this lab administrator (a key made with exhibit key create --administrator)")
      .option('--passphrase-file <file>', "the passphrase of the key that signs the revocation (or EXHIBIT_PASSPHRASE)")
      .option('--json', 'print the key and the entries as JSON')
      .addHelpText(
        'after',
        '\nLogs "key revoked" in every case the key appears in, signed by the key itself (or, for a key rotated away, by its\n' +
          "examiner's current key). With --by, a lab administrator's key signs it instead: the trust register says who the\n" +
          'administrators are, and --trust refuses a revocation on that authority signed by anyone else. Entries the key\n' +
          'signed at or after the effective time then fail every check; earlier ones stay valid, and checks say the key\n' +
          'was revoked later. The examiner needs a new key (exhibit key create).\n\n' +
          'Examples:\n  exhibit key revoke 3f1c...e9 --reason "laptop stolen" --effective 2026-11-20T08:00:00Z\n' +
          '  exhibit key revoke 3f1c...e9 --reason "left the lab" --by "A. Admin"',
      ),
    ([fingerprint], f) => {
      const fp = fingerprint!.trim().toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(fp)) throw new ExhibitError('USAGE', `"${fingerprint}" is not a key fingerprint (64 hex digits)`, { hints: ['list them with: exhibit key list'] });
      if (!f.reason?.trim()) throw new ExhibitError('USAGE', 'required option --reason not given: say why the key is revoked');
      checkText('--reason', f.reason, 1000);
      let effective: Date | undefined;
      if (f.effective !== undefined) {
        effective = parseZonedTime(f.effective);
        if (!effective) {
          throw new ExhibitError('USAGE', `--effective "${f.effective}" is not a time in ISO 8601 with a zone, or names a day or hour that does not exist`, { hints: ['e.g. 2026-11-20T08:00:00Z or 2026-11-20T09:00:00+01:00'] });
        }
      }
      const store = openStore();
      try {
        const by = f.by !== undefined ? examinerName(f.by, 'the administrator who signs the revocation') : undefined;
        const r = revokeKey(store, fp, f.reason.trim(), effective, readPassphrase(f.passphraseFile), by);
        if (f.json) return printJson({ examiner: r.key.examiner, fingerprint: r.key.fingerprint, effective_utc: r.key.revoked_effective_utc, reason: r.key.revoked_reason, ...(r.by ? { revoked_by_administrator: r.by } : {}), logged: r.cases });
        const earlier = r.key.revoked_effective_utc !== r.key.revoked_utc && r.cases.length > 0
          ? `  entries it signed from ${r.key.revoked_effective_utc} on now fail every check of their case's log (exhibit custody log ${r.cases[0]!.case} names them)\n`
          : '';
        io().stdout.write(`revoked key ${r.key.fingerprint} of ${r.key.examiner} from ${r.key.revoked_effective_utc}${r.by ? `, signed by ${r.by} as a lab administrator` : ''}\n  ${logged(r)}\n${earlier}  ${r.key.examiner} needs a new key to sign again: exhibit key create -x "${r.key.examiner}"\n`);
      } finally {
        store.close();
      }
    },
  );
  const register = new Command('register').summary("the lab's trust register of examiners' keys").addHelpText('after', '\nExample:\n  exhibit key register export -o lab-keys.yaml');
  register.addCommand(
    action<{ out?: string; lab?: string; json?: boolean }>(
      new Command('export')
        .summary('write the trust register: every key of this store, with when it was issued, replaced or revoked')
        .option('-o, --out <file>', 'write it to <file> (never overwrites) instead of printing it')
        .option('--lab <name>', 'the lab named in its heading (default: report.organisation.name from config.yaml)')
        .addHelpText(
          'after',
          '\nPublish the register outside any one case (the lab\'s website, a signed letter); examiners and courts check\n' +
            'custody logs against it with exhibit verify --trust <file> and exhibit custody verify --trust <file>.\n\n' +
            'Example:\n  exhibit key register export -o lab-keys.yaml',
        ),
      (_a, f) => {
        const store = openStoreForReading();
        let text: string;
        try {
          const lab = f.lab?.trim() || loadConfig(store.paths.configFile).organisation?.name || 'this lab';
          checkText('--lab', lab, 300);
          text = registerText(registerKeys(store), lab);
        } finally {
          store.close();
        }
        if (!f.out) return void io().stdout.write(text);
        writeNewOutputSync(f.out, text, 0o644); // published: readable by all
      },
    ),
  );
  return [rotate, revoke, register];
}
