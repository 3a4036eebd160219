import { shownLines } from '../../core/text.js';
import { Command } from 'commander';
import path from 'node:path';
import { fillSpec } from '../../source/bad-sectors.js';
import { cloneDrive } from '../../acquire/clone.js';
import { DEFAULT_HASHES, parseHashList } from '../../core/crypto.js';
import { ExhibitError } from '../../core/errors.js';
import { formatBytes } from '../../core/units.js';
import { action, printJson } from '../action.js';
import { requiredOption } from '../required.js';
import { knownEvidenceHere } from '../evidence-sources.js';
import { EXIT } from '../exit-codes.js';
import { wholeNumber } from '../numbers.js';
import { phasedProgress } from '../progress.js';
import { asJob, startJob } from '../job.js';
import { interruptSignal } from '../signals.js';
import { examinerName } from '../store.js';
import { commandLine, io } from '../io.js';
import { errorLine, info } from '../messages.js';
import { recordEvidenceEvent } from '../../case-store/index.js';
import { requireEvidenceItem, withCaseSigner } from '../store.js';

interface CloneFlags {
  record?: string;
  examiner?: string;
  yes?: boolean;
  hash: string;
  retries: string;
  fill: string;
  allowMounted?: boolean;
  case?: string;
  evidence?: string;
  passphraseFile?: string;
  json?: boolean;
}

export function cloneCommand(version: string): Command {
  return action<CloneFlags>(
    new Command('clone')
      .summary('copy a drive onto another drive (or a new file) in one pass, both ends hashed and compared')
      .description(
        'Reads the source read-only with the same proof as acquire (kernel read-only flag, write counters before and after), ' +
          'with the same retries and fill for unreadable sectors, writes every byte to the target while hashing it, makes the target ' +
          'durable, reads it back and hashes it again: both hash sets must match. The clone record lists the source, the proof, ' +
          'the unreadable ranges and both hash sets.',
      )
      .argument('<source>', 'the drive (or file) to copy')
      .argument('<target>', 'the drive to overwrite, or a new file')
      .addOption(requiredOption('--record <file>', 'where to write the clone record (YAML; never overwritten)'))
      .addOption(requiredOption('-x, --examiner <name>', 'who clones', { env: 'EXHIBIT_EXAMINER' }))
      .option('--yes', 'overwrite the target drive: everything on it is lost (exhibit says what is on it first)')
      .option('--hash <list>', 'hashes to compute on both ends', DEFAULT_HASHES.join(','))
      .option('--retries <n>', 'extra attempts for each unreadable sector, 0 to 100', '2')
      .option('--fill <fill>', 'what an unreadable sector holds on the target: zero, or pattern:<hex>', 'zero')
      .option('-c, --case <number>', "the case the source belongs to: the clone is logged in its custody log (with --evidence)")
      .option('-e, --evidence <id>', 'the evidence item the source is (with --case)')
      .option('--passphrase-file <file>', "the passphrase of the examiner's signing key (or EXHIBIT_PASSPHRASE)")
      .option('--allow-mounted', 'clone although a file system of the source is mounted read-write (recorded)')
      .option('--json', 'print the outcome as JSON')
      .addHelpText('after', '\nExample:\n  exhibit clone /dev/sdb /dev/sdc --yes --record /cases/2026-0117/sdb-to-sdc.clone.yaml -x "J. Doe"\n\nA source that is an evidence item (--case and --evidence) has its clone logged in the case\'s custody log.\nA new target file is written as <file>.partial and takes its name once read back and checked; a clone that\nstops, however it stops (an error, Ctrl-C, killed outright), leaves the .partial file and a record that says\nincomplete.\n\nExit code 4: the two ends differ.'),
    async ([source, target], f) => {
      const examiner = examinerName(f.examiner, 'who clones');
      const fill = fillSpec(f.fill);
      if ((f.case === undefined) !== (f.evidence === undefined)) throw new ExhibitError('USAGE', `--${f.case === undefined ? 'case' : 'evidence'} not given: a clone is logged against an evidence item of a case, named by both`);
      if (f.case !== undefined) requireEvidenceItem(f.case, f.evidence!); // found now, not after hours of copying
      const job = startJob({ kind: 'clone', subject: source!, drive: target!, examiner, ...(f.case !== undefined ? { case: f.case, evidence: f.evidence! } : {}) });
      const progress = phasedProgress(job);
      return asJob(job, async () => {
        const stop = interruptSignal(() => progress.done());
        try {
          const out = await cloneDrive({
            source: source!,
            target: target!,
            recordFile: path.resolve(f.record!),
            examiner,
            yes: f.yes === true,
            hashes: parseHashList(f.hash),
            retries: wholeNumber(f.retries, '--retries', 0, 100),
            fill,
            allowMounted: f.allowMounted === true,
            known: knownEvidenceHere(),
            commandLine: commandLine(),
            version,
            signal: stop.signal,
            onPhase: progress.onPhase,
            onProgress: progress.onProgress,
          });
          progress.done();
          let logged: { case: string; entry: number } | undefined;
          if (f.case !== undefined) {
            try {
              logged = withCaseSigner(f.case, examiner, f.passphraseFile, 'clones', (store, c, signer) => ({
                case: c.number,
                entry: recordEvidenceEvent(store, c.number, 'drive.cloned', f.evidence!, signer, {
                  source: source!,
                  target: out.target,
                  result: out.problems.length === 0 ? 'cloned and checked' : 'failed',
                  bytes: out.bytes,
                  hashes: { ...out.targetHashes },
                  unreadable_sectors: out.unreadable.reduce((n, r) => n + r.sectors, 0),
                  record: out.recordFile,
                }),
              }));
            } catch (err) {
              info(`the clone was not logged in the case store: ${err instanceof Error ? err.message : String(err)}`);
            }
          }
          if (logged) info(`logged in case ${logged.case}'s custody log as entry ${logged.entry}`);
          if (f.json) printJson({ ...out, ...(logged ? { logged } : {}) });
          else {
            const lines = [`cloned ${source} onto ${target}: ${formatBytes(out.bytes)} (${out.bytes} bytes)`];
            for (const [a, h] of Object.entries(out.sourceHashes)) lines.push(`  ${a.padEnd(7)} ${h}  ${h === out.targetHashes[a as keyof typeof out.targetHashes] ? 'the target reads back the same' : 'THE TARGET DIFFERS'}`);
            lines.push(`  read-only: ${out.readOnly.unchanged ? 'source unchanged' : 'SOURCE CHANGED'}`);
            if (out.excessBytes > 0) lines.push(`  ${formatBytes(out.excessBytes)} of the target beyond the clone left as they were (its old data)`);
            const bad = out.unreadable.reduce((n, r) => n + r.sectors, 0);
            if (bad > 0) lines.push(`  WARNING: ${bad} source sectors unreadable in ${out.unreadable.length} ranges, filled on the target; see the record`);
            lines.push(`  record  ${out.recordFile}`);
            lines.push(out.problems.length === 0 ? 'CLONED and checked' : `FAILED: ${out.problems.join('; ')}`);
            io().stdout.write(shownLines(lines));
          }
          if (out.problems.length > 0) {
            errorLine(out.problems[0]!);
            return EXIT.VERIFY_FAILED;
          }
          return out.unreadable.length > 0 ? EXIT.UNREADABLE : EXIT.OK;
        } finally {
          progress.done();
          stop.dispose();
        }
      });
    },
  );
}
