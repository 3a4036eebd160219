import { Command } from 'commander';
import { CaseStore, copyStore, exhibitPaths, loadConfig, storeExists, storeLocation } from '../../case-store/index.js';
import { ExhibitError } from '../../core/errors.js';
import { action, printJson } from '../action.js';
import { info } from '../messages.js';
import { io } from '../io.js';
import { requiredOption } from '../required.js';

const WHERE =
  'Which case store exhibit uses, first match wins:\n' +
  '  1. EXHIBIT_STORE=postgresql://...      the variable, for this command\n' +
  '  2. store: postgresql://... in config.yaml ($EXHIBIT_HOME/config.yaml, by default ~/.config/exhibit/config.yaml)\n' +
  '  3. cases.db on this machine ($EXHIBIT_HOME/cases.db, by default ~/.local/share/exhibit/cases.db)\n' +
  'Examiners\' private keys and the settings stay on each workstation whichever store is used.';

export function storeCommand(): Command {
  const cmd = new Command('store')
    .summary('where the case store is; copy it to another')
    .description(
      'The case store holds the cases, evidence items, examiner public keys and every case\'s signed custody log. ' +
        'It is an SQLite file on this machine, or one PostgreSQL database a lab\'s workstations share.',
    )
    .addHelpText('after', `\n${WHERE}\n\nExample:\n  exhibit store where`);
  cmd.addCommand(
    action<{ json?: boolean }>(new Command('where').summary('say which case store exhibit uses here, and why').option('--json', 'print as JSON').addHelpText('after', `\n${WHERE}`), (_a, f) => {
      const paths = exhibitPaths(io().env);
      const why = paths.storeUrl !== undefined ? 'EXHIBIT_STORE' : loadConfig(paths.configFile).store !== undefined ? `store: in ${paths.configFile}` : 'the default: no EXHIBIT_STORE, no store: in config.yaml';
      const kind = paths.storeUrl !== undefined || why.startsWith('store:') ? 'PostgreSQL' : 'SQLite';
      if (f.json) return printJson({ kind, location: storeLocation(paths), from: why });
      io().stdout.write(`${kind} case store ${storeLocation(paths)}\n  chosen by ${why}\n`);
    }),
  );
  cmd.addCommand(
    action<{ to?: string; from?: string; json?: boolean }>(
      new Command('copy')
        .summary("copy every case into another store (this workstation's into the lab's, or back)")
        .description(
          'Copies every case of one case store into another: the cases, evidence items, acquisitions, transfers, verifications, ' +
            'reports, each custody log line byte for byte, its signed checkpoint and time-stamp tokens, and the examiners\' public keys. ' +
            'Every case of the source is checked in full first (the chain, every signature, the checkpoint, every row against its entry); ' +
            'the copy is written in one transaction, and each copied case is checked in full in the destination and compared with the ' +
            'source line for line before that transaction commits, so a failure leaves the destination as it was. The source is only read.\n\n' +
            'Stores that disagree are not merged: a case number both stores hold stops the copy unless its log and checkpoint are the same ' +
            'in both (it was copied before; it is left as it is), and so does an examiner with a different current key in each. ' +
            'Live job status is not copied.',
        )
        .addOption(requiredOption('--to <store>', 'where to copy to: a postgresql:// URL, or a cases.db file or its folder (made if missing)'))
        .option('--from <store>', 'where to copy from (default: the store exhibit uses here, see below); a cases.db file, its folder, or a postgresql:// URL')
        .option('--json', 'print what was copied as JSON')
        .addHelpText(
          'after',
          `\n${WHERE}\n\nExamples:\n  exhibit store copy --to postgresql://exhibit@lab-db/exhibit\n  exhibit store copy --from postgresql://exhibit@lab-db/exhibit --to ~/case-backup/cases.db`,
        ),
      (_a, f) => {
        const paths = exhibitPaths(io().env);
        if (f.from === undefined && !storeExists(paths)) throw new ExhibitError('USAGE', `there is no case store at ${storeLocation(paths)} to copy from`, { hints: ['name one with --from'] });
        const from = f.from !== undefined ? CaseStore.at(f.from, paths, true) : CaseStore.openReadOnly(paths);
        try {
          const to = CaseStore.at(f.to!, paths);
          try {
            const r = copyStore(from, to, (n, entries) => info(`copying case ${n} (${entries} entries)`));
            if (f.json) return printJson(r);
            const entries = r.copied.reduce((s, c) => s + c.entries, 0);
            io().stdout.write(
              `copied ${r.copied.length} case${r.copied.length === 1 ? '' : 's'} (${entries} custody entries) and ${r.keysCopied} examiner key${r.keysCopied === 1 ? '' : 's'} from ${r.from} to ${r.to}; every copied case checked in full there\n` +
                (r.alreadyThere.length > 0 ? `  already there with the same log, left as they were: ${r.alreadyThere.join(', ')}\n` : ''),
            );
          } finally {
            to.close();
          }
        } finally {
          from.close();
        }
      },
    ),
  );
  return cmd;
}
