import { Command } from 'commander';
import { registerEvidence } from '../../case-store/index.js';
import { checkEvidenceId, checkText } from '../../acquire/checks.js';
import { PiB, sizeOption } from '../numbers.js';
import { action, printJson } from '../action.js';
import { readPassphrase } from '../passphrase.js';
import { examinerName, examinerSigner, openStore } from '../store.js';
import { io } from '../io.js';
import { requiredOption } from '../required.js';

interface EvidenceFlags {
  description?: string;
  make?: string;
  model?: string;
  serial?: string;
  capacity?: string;
  condition?: string;
  seal: string[];
  examiner?: string;
  passphraseFile?: string;
  json?: boolean;
}

export function evidenceCommand(): Command {
  const cmd = new Command('evidence').summary('register evidence items in a case').addHelpText('after', '\nExample:\n  exhibit evidence add 2026-0117 EV-001 -x "J. Doe" --description "Seagate 2 TB" --seal 44812');
  cmd.addCommand(
    action<EvidenceFlags>(
      new Command('add')
        .summary('register an evidence item, as seized: what it is, its condition and seals')
        .argument('<case>', 'the case number')
        .argument('<number>', 'the evidence number, e.g. EV-001 (also the name of its image files)')
        .addOption(requiredOption('-x, --examiner <name>', 'who registers it (signs the entry)', { env: 'EXHIBIT_EXAMINER' }))
        .option('--description <text>', 'what it is and where it was found')
        .option('--make <text>', 'manufacturer')
        .option('--model <text>', 'model')
        .option('--serial <text>', 'serial number')
        .option('--capacity <size>', 'capacity, e.g. 2TB or 500107862016 (up to 1 PiB)')
        .option('--condition <text>', 'its condition on receipt')
        .option('--seal <number>', 'a seal number (repeat for several)', (v: string, all: string[]) => [...all, v], [])
        .option('--passphrase-file <file>', "the passphrase of the examiner's key, on the first line of <file> (or set EXHIBIT_PASSPHRASE)")
        .option('--json', 'print the new entries as JSON')
        .addHelpText(
          'after',
          '\nExample:\n  exhibit evidence add 2026-0117 EV-001 --description "laptop drive, desk 3" --make Seagate \\\n' +
            '      --model ST2000DM008 --serial ZFL0ABCD --capacity 2TB --condition "intact" --seal A123456 -x "J. Doe"\n\n' +
            'exhibit acquire registers an evidence item it has not seen, with the make, model, serial and size it reads from the drive.',
        ),
      ([caseNumber, number], f) => {
        checkEvidenceId(number!);
        for (const [what, v] of [['description', f.description], ['make', f.make], ['model', f.model], ['serial', f.serial], ['condition', f.condition], ...f.seal.map((s) => ['seal', s])] as const) {
          checkText(what, v, 1000);
        }
        const examiner = examinerName(f.examiner, 'who registers the item');
        const capacity = f.capacity !== undefined ? sizeOption(f.capacity, '--capacity', 1, PiB) : undefined;
        const store = openStore();
        try {
          const signer = examinerSigner(store, examiner, readPassphrase(f.passphraseFile));
          const w = registerEvidence(
            store,
            caseNumber!.trim(),
            {
              number: number!,
              ...(f.description ? { description: f.description } : {}),
              ...(f.make ? { make: f.make } : {}),
              ...(f.model ? { model: f.model } : {}),
              ...(f.serial ? { serial: f.serial } : {}),
              ...(capacity !== undefined ? { capacity_bytes: capacity } : {}),
              ...(f.condition ? { condition: f.condition } : {}),
              seals: f.seal,
            },
            signer,
          );
          if (f.json) printJson({ case: w.case.number, entries: w.entries.map((e) => e.entry) });
          else io().stdout.write(`registered ${number} in case ${w.case.number}; custody log entry ${w.entries[w.entries.length - 1]!.seq}, signed by ${signer.name}\n`);
        } finally {
          store.close();
        }
      },
    ),
  );
  return cmd;
}
