import { Command } from 'commander';
import path from 'node:path';
import { parseFill } from '../../source/bad-sectors.js';
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
import { interruptSignal } from '../signals.js';
import { examinerName } from '../store.js';
import { commandLine, io } from '../io.js';

interface CloneFlags {
  record?: string;
  examiner?: string;
  yes?: boolean;
  hash: string;
  retries: string;
  fill: string;
  allowMounted?: boolean;
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
      .option('--allow-mounted', 'clone although a file system of the source is mounted read-write (recorded)')
      .option('--json', 'print the outcome as JSON')
      .addHelpText('after', '\nExample:\n  exhibit clone /dev/sdb /dev/sdc --yes --record /cases/2026-0117/sdb-to-sdc.clone.yaml -x "J. Doe"'),
    async ([source, target], f) => {
      const examiner = examinerName(f.examiner, 'who clones');
      try {
        parseFill(f.fill, 512);
      } catch (err) {
        throw new ExhibitError('USAGE', (err as Error).message, { hints: ['for example --fill zero or --fill pattern:deadbeef'] });
      }
      const progress = phasedProgress();
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
          fill: f.fill,
          allowMounted: f.allowMounted === true,
          known: knownEvidenceHere(),
          commandLine: commandLine(),
          version,
          signal: stop.signal,
          onPhase: progress.onPhase,
          onProgress: progress.onProgress,
        });
        progress.done();
        if (f.json) printJson(out);
        else {
          const lines = [`cloned ${source} onto ${target}: ${formatBytes(out.bytes)} (${out.bytes} bytes)`];
          for (const [a, h] of Object.entries(out.sourceHashes)) lines.push(`  ${a.padEnd(7)} ${h}  ${h === out.targetHashes[a as keyof typeof out.targetHashes] ? 'the target reads back the same' : 'THE TARGET DIFFERS'}`);
          lines.push(`  read-only: ${out.readOnly.unchanged ? 'source unchanged' : 'SOURCE CHANGED'}`);
          const bad = out.unreadable.reduce((n, r) => n + r.sectors, 0);
          if (bad > 0) lines.push(`  WARNING: ${bad} source sectors unreadable in ${out.unreadable.length} ranges, filled on the target; see the record`);
          lines.push(`  record  ${out.recordFile}`);
          lines.push(out.problems.length === 0 ? 'CLONED and checked' : `FAILED: ${out.problems.join('; ')}`);
          io().stdout.write(`${lines.join('\n')}\n`);
        }
        if (out.problems.length > 0) {
          io().stderr.write(`exhibit: error: ${out.problems[0]}\n`);
          return EXIT.VERIFY_FAILED;
        }
        return out.unreadable.length > 0 ? EXIT.UNREADABLE : EXIT.OK;
      } finally {
        progress.done();
        stop.dispose();
      }
    },
  );
}
