import { Command } from 'commander';
import { caseSummary, openCase, type CaseSummary } from '../../case-store/index.js';
import { checkText, shownLines } from '../../core/text.js';
import { formatBytes } from '../../core/units.js';
import { action, printJson } from '../action.js';
import { EXIT } from '../exit-codes.js';
import { readPassphrase } from '../passphrase.js';
import { examinerName, examinerSigner, openStore, openStoreForReading } from '../store.js';
import { io } from '../io.js';
import { requiredOption } from '../required.js';

export function caseCommand(): Command {
  const cmd = new Command('case').summary('open, list and show cases').description(
    'Cases live in the case store ($EXHIBIT_HOME/cases.db, by default ~/.local/share/exhibit/cases.db). ' +
      'Everything done to a case is an entry in its custody log, signed by whoever did it.',
  );
  cmd.addCommand(
    action<{ title?: string; examiner?: string; passphraseFile?: string; json?: boolean }>(
      new Command('open')
        .summary('open a new case')
        .argument('<number>', 'the case number, e.g. 2026-0117')
        .addOption(requiredOption('-x, --examiner <name>', 'who opens it (signs the first entry of its custody log)', { env: 'EXHIBIT_EXAMINER' }))
        .option('-t, --title <text>', 'what the case is about')
        .option('--passphrase-file <file>', "the passphrase of the examiner's key, on the first line of <file> (or set EXHIBIT_PASSPHRASE)")
        .option('--json', 'print the new entries as JSON')
        .addHelpText('after', '\nExample:\n  exhibit case open 2026-0117 --title "Fraud at Example Ltd" -x "J. Doe"\n\nexhibit acquire opens the case itself when its --case is new.'),
      ([number], f) => {
        const examiner = examinerName(f.examiner, 'who opens the case');
        checkText('--title', f.title, 1000);
        const store = openStore();
        try {
          const signer = examinerSigner(store, examiner, readPassphrase(f.passphraseFile));
          const w = openCase(store, number!, f.title, signer);
          if (f.json) printJson({ case: w.case.number, title: w.case.title, entries: w.entries.map((e) => e.entry) });
          else io().stdout.write(`opened case ${w.case.number}${w.case.title ? ` "${w.case.title}"` : ''}; custody log entry ${w.entries[w.entries.length - 1]!.seq}, signed by ${signer.name}\n`);
        } finally {
          store.close();
        }
      },
    ),
  );
  cmd.addCommand(
    action<{ json?: boolean }>(new Command('list').summary('list the cases in the store').option('--json', 'print as JSON').addHelpText('after', '\nExamples:\n  exhibit case list\n  exhibit case list --json'), (_a, f) => {
      const store = openStoreForReading();
      try {
        const cases = store.listCases().map((c) => caseSummary(store, c.number));
        if (f.json) return printJson(cases.map(summaryJson));
        if (cases.length === 0) return void io().stdout.write(`no cases yet in ${store.location}\n`);
        for (const s of cases) {
          io().stdout.write(
            `${s.case.number}${s.case.title ? `  "${s.case.title}"` : ''}\n  ${s.evidence.length} evidence item(s), ${s.acquisitions.length} acquisition(s), ` +
              `${s.transfers.length} transfer(s); custody log ${s.entries} entries, ${s.problems.length === 0 ? 'checked' : 'FAILS ITS CHECK'}\n`,
          );
        }
        return cases.some((s) => s.problems.length > 0) ? EXIT.VERIFY_FAILED : EXIT.OK;
      } finally {
        store.close();
      }
    }),
  );
  cmd.addCommand(
    action<{ json?: boolean }>(
      new Command('show').summary('show a case: evidence, acquisitions, transfers and the state of its custody log').argument('<number>', 'the case number').option('--json', 'print as JSON').addHelpText('after', '\nExample:\n  exhibit case show 2026-0117'),
      ([number], f) => {
        const store = openStoreForReading();
        try {
          const s = caseSummary(store, number!.trim());
          if (f.json) printJson(summaryJson(s));
          else io().stdout.write(showText(s));
          return s.problems.length === 0 ? EXIT.OK : EXIT.VERIFY_FAILED;
        } finally {
          store.close();
        }
      },
    ),
  );
  return cmd;
}

function summaryJson(s: CaseSummary) {
  return {
    case: s.case.number,
    title: s.case.title,
    custody_log: { entries: s.entries, head: s.head, verified: s.problems.length === 0, problems: s.problems },
    evidence: s.evidence,
    acquisitions: s.acquisitions,
    transfers: s.transfers,
    verifications: s.verifications,
    reports: s.reports,
  };
}

function showText(s: CaseSummary): string {
  const out: string[] = [`case ${s.case.number}${s.case.title ? `  "${s.case.title}"` : ''}`];
  out.push('evidence:');
  if (s.evidence.length === 0) out.push('  none registered');
  for (const e of s.evidence) {
    const seals = Array.isArray(e.seals) && e.seals.length > 0 ? `, seals ${e.seals.join(', ')}` : '';
    const size = typeof e.capacity_bytes === 'number' ? `, ${formatBytes(e.capacity_bytes)}` : '';
    out.push(`  ${String(e.number)}  ${[e.description, [e.make, e.model].filter(Boolean).join(' '), e.serial ? `serial ${String(e.serial)}` : ''].filter(Boolean).join(', ')}${size}${seals}`);
  }
  out.push('acquisitions:');
  if (s.acquisitions.length === 0) out.push('  none');
  for (const a of s.acquisitions) {
    out.push(`  ${String(a.evidence)}  ${String(a.finished_utc)}  ${String(a.result)}, ${String(a.format)}, ${formatBytes(Number(a.size_bytes))}, by ${String(a.examiner)}`);
    out.push(`    ${String(a.folder)}/${String(a.record_file)}`);
    for (const h of ['md5', 'sha1', 'sha256', 'sha512'] as const) if (a[h]) out.push(`    ${h.padEnd(7)}${String(a[h])}`);
    if (Number(a.unreadable_sectors) > 0) out.push(`    ${String(a.unreadable_sectors)} sectors unreadable`);
  }
  out.push('custody transfers:');
  if (s.transfers.length === 0) out.push('  none');
  for (const t of s.transfers) {
    out.push(`  ${String(t.evidence)}  ${String(t.time_utc)}  ${String(t.from_name)} -> ${String(t.to_name)}${t.to_key ? ' (countersigned)' : ''}; ${String(t.purpose)}; at ${String(t.location)}`);
  }
  if (s.problems.length === 0) out.push(`custody log: ${s.entries} entries, chain and signatures checked, checkpoint covers all`);
  else out.push(`custody log: ${s.entries} entries, FAILS ITS CHECK:`, ...s.problems.map((p) => `  ${p.message}`));
  return shownLines(out);
}
