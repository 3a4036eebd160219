import { shownLines } from '../../core/text.js';
import { Command } from 'commander';
import path from 'node:path';
import { checkCase, exportCustody, findKey, loadSigner, localKey, recordTransfer, refuseLookAlike } from '../../case-store/index.js';
import { checkEvidenceId, checkText } from '../../acquire/checks.js';
import type { CheckedEntry, CustodyCheck, CustodyProblem } from '../../core/custody-check.js';
import { ExhibitError } from '../../core/errors.js';
import { looksAlike } from '../../core/look-alike.js';
import { checkCustodyFiles, findCustodyLog, readCheckpointText, readKeyFiles } from '../../verify/custody-files.js';
import { compareWithStore, impostorProblems, logCase, signerViews, signerWords, type SignerView } from '../../verify/anchor.js';
import { openStoreView } from '../store-view.js';
import { readTrustRegister, storeKeyFindings, trustFindings } from '../../verify/trust.js';
import { lookAlikeCases } from '../../verify/target.js';
import { entryTimeNotes, revocationNotes } from '../../core/custody-key-life.js';
import { action, printJson } from '../action.js';
import { requiredOption } from '../required.js';
import { entryLine } from '../custody-text.js';
import { EXIT } from '../exit-codes.js';
import { errorLine, info } from '../messages.js';
import { readPassphrase } from '../passphrase.js';
import { examinerName, examinerSigner, openStore, openStoreForReading } from '../store.js';
import { io } from '../io.js';
import { stampCheckpoint, stampOrSay, tsaCertificates } from '../timestamp.js';
import { checkTokenBeside, type TokenFinding } from '../../verify/timestamp-check.js';
import { exhibitPaths } from '../../case-store/index.js';

interface TransferFlags {
  from?: string;
  to?: string;
  purpose?: string;
  location?: string;
  passphraseFile?: string;
  toPassphraseFile?: string;
  countersign: boolean;
  override?: string;
  json?: boolean;
}

export function custodyCommand(): Command {
  const cmd = new Command('custody').summary('record custody transfers; print and check custody logs').description(
    "Each case has one custody log: entries chained by SHA-256, each signed with the Ed25519 key of whoever made it, and a signed " +
      'checkpoint over the whole log, so no entry can be changed, removed, reordered or added unseen. A copy of the log travels with every image.',
  );

  cmd.addCommand(
    action<TransferFlags>(
      new Command('transfer')
        .summary('record that an evidence item changed hands')
        .argument('<case>', 'the case number')
        .argument('<evidence>', 'the evidence number')
        .addOption(requiredOption('--from <name>', 'who releases it (signs the entry)'))
        .addOption(requiredOption('--to <name>', 'who receives it (countersigns when their key is on this machine)'))
        .addOption(requiredOption('--purpose <text>', 'why, e.g. "analysis", "storage", "court"'))
        .addOption(requiredOption('--location <text>', 'where the handover took place'))
        .option('--passphrase-file <file>', "the releasing party's key passphrase, on the first line of <file> (or EXHIBIT_PASSPHRASE)")
        .option('--to-passphrase-file <file>', "the receiving party's key passphrase (or EXHIBIT_TO_PASSPHRASE)")
        .option('--override <reason>', 'record a transfer from someone the log does not show holding the item, with the reason (logged, and shown in the report)')
        .option('--no-countersign', 'record the transfer with the releasing signature only, even if the receiving key is here')
        .option('--json', 'print the new entries as JSON')
        .addHelpText('after', '\nExample:\n  exhibit custody transfer 2026-0117 EV-001 --from "J. Doe" --to "K. Smith" \\\n      --purpose "analysis" --location "Evidence room 2, Leeds"\n\n' +
            'Only the holder (by the log: who registered the item, or the last to receive it) can pass it on. A transfer\n' +
            'from anyone else is refused (exit 2) unless --override gives the reason, which is logged and shown in the report.\n' +
            'With tsa: {url, ca} in config.yaml the new checkpoint is time-stamped (RFC 3161), as after an acquisition; a TSA\n' +
            'out of reach is said, and the token is fetched later with exhibit custody timestamp <case>.'),
      async ([caseNumber, evidence], f) => {
        checkEvidenceId(evidence!);
        checkText('--purpose', f.purpose, 1000);
        checkText('--location', f.location, 1000);
        if (f.override !== undefined) {
          if (!f.override.trim()) throw new ExhibitError('USAGE', '--override needs the reason: why the item was with someone the custody log does not show holding it');
          checkText('--override', f.override, 1000);
        }
        const fromName = examinerName(f.from);
        const toName = examinerName(f.to);
        if (fromName === toName) throw new ExhibitError('USAGE', '--from and --to name the same person');
        if (looksAlike(fromName, toName, true)) throw new ExhibitError('USAGE', `--from and --to name people a reader could not tell apart ("${fromName}", "${toName}")`);
        const store = openStore();
        try {
          refuseLookAlike(store, toName); // a receiver without a key is named only: not as someone who has one
          const from = examinerSigner(store, fromName, readPassphrase(f.passphraseFile));
          const toKey = f.countersign ? localKey(store, toName) : undefined;
          const to = toKey ? loadSigner(store, toName, readPassphrase(f.toPassphraseFile, 'EXHIBIT_TO_PASSPHRASE')) : undefined;
          const w = recordTransfer(store, caseNumber!.trim(), evidence!, from, { name: to?.name ?? findKey(store, toName)?.examiner ?? toName, ...(to ? { signer: to } : {}) }, f.purpose!.trim(), f.location!.trim(), f.override?.trim());
          const last = w.entries[w.entries.length - 1]!;
          if (f.json) printJson({ case: w.case.number, entries: w.entries.map((e) => e.entry) });
          else {
            io().stdout.write(
              `recorded: ${evidence} passed from ${fromName} to ${toName}; custody log entry ${last.seq} of case ${w.case.number}, ` +
                `signed by ${fromName}${to ? ` and countersigned by ${toName}` : ''}\n`,
            );
            if (f.override !== undefined) info(`recorded by override: ${f.override.trim()}`);
            if (!to) info(`${toName} did not countersign${f.countersign ? ' (their key is not on this machine)' : ''}`);
          }
          await stampOrSay(store, w.case); // with tsa: in config.yaml, as after an acquisition; a TSA out of reach never undoes the transfer
        } finally {
          store.close();
        }
      },
    ),
  );

  cmd.addCommand(
    action<{ json?: boolean }>(
      new Command('log')
        .summary("print a case's custody log, checked")
        .argument('<case>', 'the case number')
        .option('--json', 'print the entries, exactly as signed, and the check as JSON')
        .addHelpText('after', '\nEntries that fail the check are marked with "!" and the problems listed; the exit code is then 4.\nExamples:\n  exhibit custody log 2026-0117\n  exhibit custody log 2026-0117 --json'),
      ([caseNumber], f) => {
        const store = openStoreForReading();
        try {
          const c = store.getCase(caseNumber!.trim());
          const check = checkCase(store, c);
          return printCheck(`custody log of case ${c.number}`, check, f.json === true);
        } finally {
          store.close();
        }
      },
    ),
  );

  cmd.addCommand(
    action<{ json?: boolean; key: string[]; trust?: string }>(
      new Command('verify')
        .summary('check the custody log that travels with an image')
        .argument('<log>', 'the <evidence>.custody.jsonl file, or the folder that holds it')
        .option('--key <pem>', 'check the signatures with this public key instead of the key files beside the log (repeat for several)', (v: string, all: string[]) => [...all, v], [])
        .option('--trust <register>', "the lab's trust register (exhibit key register export): every signing key must be in it, valid when it signed")
        .option('--json', 'print the entries and the check as JSON')
        .addHelpText(
          'after',
          '\nChecks the chain, every signature, the checkpoint beside the log (<evidence>.checkpoint) and that every key\n' +
            'the log registers is one of the public keys beside it (<evidence>.keys/), or one given with --key. Needs no case store.\n' +
            'When this machine\'s case store holds the case, the log must also be a copy of the store\'s own log, and each\n' +
            'signer is shown with whether its key is the store\'s key for that name (a log signed with a look-alike key fails).\n' +
            'With --trust, every key that signed must be listed in the lab\'s trust register as that examiner\'s, issued before\n' +
            'and not revoked or replaced by the time it signed; without it, the output says the keys are not anchored.\n' +
            'Exit code 4: the log does not check (the problems name the entries).\n\n' +
            'Examples:\n  exhibit custody verify /cases/2026-0117/EV-001.custody.jsonl\n  exhibit custody verify /cases/2026-0117 --trust lab-keys.yaml',
        ),
      ([target], f) => {
        const trustedKeys = f.key.length > 0 ? readKeyFiles(f.key) : undefined;
        const register = f.trust !== undefined ? readTrustRegister(f.trust) : undefined;
        const check = checkCustodyFiles(findCustodyLog(target!), trustedKeys ? { trustedKeys } : {});
        const store = openStoreView();
        try {
          const signers = signerViews(check.keys, store?.view);
          const caseNumber = logCase(check);
          const held = store ? store.view.caseLog(caseNumber ?? '') : undefined;
          const extra = held
            ? compareWithStore(held, { lines: check.lines, check, signers }, [], undefined).problems
            : [
                ...(trustedKeys ? [] : impostorProblems(signers)),
                ...(store ? lookAlikeCases(store.view, [caseNumber], 'this custody log') : []),
                // A key this machine's store revoked or replaced signs nothing after that, whatever the case.
                ...storeKeyFindings(check, store?.view.keyRegister?.()).problems, // also with --trust: a register may predate a revocation this store knows
              ];
          const trust = trustFindings(check, readCheckpointText(check.checkpoint), register);
          const token = checkTokenBeside(check.checkpoint, tsaCertificates(exhibitPaths(io().env).configFile));
          const problems = [...check.problems, ...extra.map((message) => ({ message })), ...trust.problems.map((message) => ({ message })), ...(token.problem ? [{ message: token.problem }] : [])];
          const notes = [...trust.notes, ...(token.note ? [token.note] : [])];
          if (token.proven) notes.push(`the time-stamp token proves the log's first ${token.proven.entries} entries existed at ${token.proven.time} (${token.proven.tsa}, serial ${token.proven.serial})`);
          return printCheck(`custody log ${check.log}${caseNumber ? ` (case ${caseNumber})` : ''}`, { ...check, problems }, f.json === true, signers, { notes, ...(trust.anchored ? { trust: trust.anchored } : {}), ...(token.proven ? { timestamp: token.proven } : {}) });
        } finally {
          store?.close();
        }
      },
    ),
  );

  cmd.addCommand(
    action<{ evidence?: string; json?: boolean }>(
      new Command('export')
        .summary("copy a case's custody log, checkpoint and public keys into an evidence folder")
        .argument('<case>', 'the case number')
        .argument('<folder>', 'the evidence folder')
        .addOption(requiredOption('-e, --evidence <id>', 'names the files: <id>.custody.jsonl, <id>.checkpoint, <id>.keys/'))
        .option('--json', 'print what was written as JSON')
        .addHelpText('after', '\nexhibit acquire does this itself. Use it to bring the copy beside an image up to date after transfers;\nan existing copy is only ever extended, never replaced by a different log.\nExample:\n  exhibit custody export 2026-0117 /cases/2026-0117 -e EV-001'),
      async ([caseNumber, folder], f) => {
        checkEvidenceId(f.evidence!);
        const store = openStore();
        try {
          const c = store.getCase(caseNumber!.trim());
          await stampOrSay(store, c);
          const out = await exportCustody(store, c, path.resolve(folder!), f.evidence!);
          if (f.json) printJson(out);
          else io().stdout.write(shownLines([`wrote the ${out.entries} entries of case ${c.number}'s custody log: ${out.log}, ${out.checkpoint}${out.token ? `, ${out.token}` : ''}, ${out.keys.length} public key(s)`]));
        } finally {
          store.close();
        }
      },
    ),
  );
  cmd.addCommand(
    action<{ json?: boolean }>(
      new Command('timestamp')
        .summary("have a case's current checkpoint time-stamped (RFC 3161) by the lab's time-stamping authority")
        .argument('<case>', 'the case number')
        .option('--json', 'print the time and the token as JSON')
        .addHelpText(
          'after',
          '\nNeeds tsa: {url: <address>, ca: <PEM file>} in config.yaml. exhibit asks for a token with every acquisition and\n' +
            'custody export; when the authority could not be reached then, this fetches it. The token proves that the log, as\n' +
            'its checkpoint covers it, existed at the stated time. Copy it beside the image with exhibit custody export.\n' +
            'Check a token without exhibit:  openssl ts -verify -data EV-001.checkpoint -in EV-001.checkpoint.tsr -CAfile tsa-ca.pem\nExample:\n  exhibit custody timestamp 2026-0117',
        ),
      async ([caseNumber], f) => {
        const store = openStore();
        try {
          const c = store.getCase(caseNumber!.trim());
          const s = await stampCheckpoint(store, c);
          if (!s) throw new ExhibitError('USAGE', `no time-stamping authority is configured: set tsa: {url: ..., ca: ...} in ${store.paths.configFile}`);
          if (f.json) return printJson({ case: c.number, entries: s.entries, already: !s.facts, ...(s.facts ? { time: s.facts.time.toISOString(), tsa: s.facts.tsa, serial: s.facts.serial } : {}) });
          io().stdout.write(
            s.facts
              ? `time-stamped case ${c.number}'s checkpoint (${s.entries} entries): ${s.facts.tsa} says it existed at ${s.facts.time.toISOString()} (token serial ${s.facts.serial})\n  copy it beside an image with: exhibit custody export ${c.number} <folder> -e <evidence>\n`
              : `case ${c.number}'s checkpoint (${s.entries} entries) is already time-stamped\n`,
          );
        } finally {
          store.close();
        }
      },
    ),
  );
  return cmd;
}

interface CheckExtras {
  notes: string[];
  trust?: { register: string; sha256: string };
  timestamp?: TokenFinding['proven'];
}

function printCheck(title: string, check: CustodyCheck, json: boolean, signers?: SignerView[], extras: CheckExtras = { notes: [...revocationNotes(check.entries, check.revocations), ...entryTimeNotes(check.entries)] }): number {
  const ok = check.problems.length === 0;
  if (json) {
    printJson({
      verified: ok,
      ...(extras.trust ? { trust_register: extras.trust } : {}),
      ...(extras.timestamp ? { timestamp: extras.timestamp } : {}),
      notes: extras.notes,
      entries: check.count,
      head: check.head,
      problems: check.problems,
      keys: [...check.keys].map(([fp, k]) => ({ fingerprint: fp, examiner: k.name, registered_in_entry: k.entry, ...storeKeyOf(signers, fp) })),
      log: check.entries.map((e: CheckedEntry) => ({ ...e.entry, signatures: e.signatures })),
    });
    return ok ? EXIT.OK : EXIT.VERIFY_FAILED;
  }
  const flagged = new Set(check.problems.map((p: CustodyProblem) => p.entry).filter((n): n is number => n !== undefined));
  const lines = [`${title}: ${check.count} entries`];
  for (const e of check.entries) lines.push(entryLine(e, flagged.has(e.seq)));
  if (check.keys.size > 0) {
    lines.push('signed with:');
    for (const [fp, k] of check.keys) {
      const s = signers?.find((x) => x.fingerprint === fp);
      lines.push(`  ${k.name}  ${fp}${s ? `  (${signerWords(s)})` : ''}`);
    }
  }
  if (extras.trust) lines.push(`every signing key checked against the trust register ${extras.trust.register} (SHA-256 ${extras.trust.sha256})`);
  for (const n of extras.notes) lines.push(`note: ${n}`);
  if (ok) lines.push(`checked: the chain is whole, all ${check.entries.reduce((n, e) => n + e.signatures.length, 0)} signatures are good, and the signed checkpoint covers all ${check.count} entries`);
  else {
    lines.push(`FAILED: ${check.problems.length} problem${check.problems.length === 1 ? '' : 's'}:`);
    for (const p of check.problems) lines.push(`  ${p.message}`);
  }
  io().stdout.write(shownLines(lines));
  if (!ok) errorLine(`${title} fails its check: ${check.problems[0]!.message}`);
  return ok ? EXIT.OK : EXIT.VERIFY_FAILED;
}

function storeKeyOf(signers: SignerView[] | undefined, fp: string): { store_key?: SignerView['store_key']; store_fingerprints?: string[] } {
  const s = signers?.find((x) => x.fingerprint === fp);
  return s ? { store_key: s.store_key, ...(s.store_fingerprints ? { store_fingerprints: s.store_fingerprints } : {}) } : {};
}
