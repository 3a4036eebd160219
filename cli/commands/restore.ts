import { shownLines } from '../../core/text.js';
import { Command } from 'commander';
import path from 'node:path';
import { restoreImage } from '../../acquire/restore.js';
import { knownEvidenceHere } from '../evidence-sources.js';
import { recordEvidenceEvent } from '../../case-store/index.js';
import { withCaseSigner } from '../store.js';
import { formatBytes } from '../../core/units.js';
import { action, printJson } from '../action.js';
import { EXIT } from '../exit-codes.js';
import { errorLine, info } from '../messages.js';
import { phasedProgress } from '../progress.js';
import { asJob, startJob } from '../job.js';
import { interruptSignal } from '../signals.js';
import { io } from '../io.js';
import { RAW_OPTION_HELP } from '../format-options.js';

interface RestoreFlags {
  yes?: boolean;
  wipeExcess?: boolean;
  raw?: boolean;
  record: boolean;
  examiner?: string;
  passphraseFile?: string;
  json?: boolean;
}

export function restoreCommand(): Command {
  return action<RestoreFlags>(
    new Command('restore')
      .summary('write an image back onto a disk or into a new file, then read it back and check it')
      .description(
        'Writes the media of any image exhibit reads (raw, split raw, E01, Ex01, zst) onto a block device or into a new file, ' +
          'makes it durable, reads the target back and checks its hashes against what was written and against the image\'s record ' +
          '(or the hashes an E01 or Ex01 stores). A target smaller than the media, mounted, locked read-only, holding the image, or that is the ' +
          'source of any acquisition in the case store is refused; a device is only written with --yes.',
      )
      .argument('<image>', 'the image (.raw, .001, .E01, .Ex01, .aff4, .zst)')
      .argument('<target>', 'a block device (/dev/sdc) or a new file')
      .option('--yes', 'write the device: everything on it is lost (exhibit says what is on it first)')
      .option('--wipe-excess', 'fill the target beyond the media with zeros (without it those sectors are left as they are, and reported)')
      .option('--raw', RAW_OPTION_HELP)
      .option('--no-record', 'do not log the restore in the case store')
      .option('-x, --examiner <name>', 'who restores (signs the entry in the case store, when the case is there)')
      .option('--passphrase-file <file>', "the passphrase of the examiner's signing key (or EXHIBIT_PASSPHRASE)")
      .option('--json', 'print the outcome as JSON')
      .addHelpText('after', '\nExamples:\n  exhibit restore /cases/2026-0117/EV-001.E01 /dev/sdc            (says what /dev/sdc holds, and stops)\n  exhibit restore /cases/2026-0117/EV-001.E01 /dev/sdc --yes --wipe-excess -x "J. Doe"\n  exhibit restore EV-001.zst /scratch/EV-001.dd\n\nExit code 4: the target does not read back as the image.'),
    async ([image, target], f) => {
      const job = startJob({ kind: 'restore', subject: path.resolve(image!), drive: target!, ...(f.examiner ? { examiner: f.examiner } : {}) });
      const progress = phasedProgress(job);
      return asJob(job, async () => {
        const stop = interruptSignal(() => progress.done());
        try {
          const out = await restoreImage({
            image: image!,
            ...(f.raw ? { raw: true } : {}),
            target: target!,
            yes: f.yes === true,
            wipeExcess: f.wipeExcess === true,
            known: knownEvidenceHere(image!),
            signal: stop.signal,
            onPhase: progress.onPhase,
            onProgress: progress.onProgress,
          });
          progress.done();
          let logged: ReturnType<typeof logRestore>;
          try {
            logged = f.record && out.record ? logRestore(out, f) : undefined;
          } catch (err) {
            info(`the restore was not logged in the case store: ${err instanceof Error ? err.message : String(err)}`);
          }
          if (f.json) printJson({ ...out, ...(logged ? { logged } : {}) });
          else {
            const lines = [`restored ${image} onto ${target}: ${formatBytes(out.mediaBytes)} (${out.mediaBytes} bytes)`];
            const p = out.withPadding;
            for (const [a, h] of Object.entries(out.readBack)) {
              const ref = out.reference?.hashes[a as keyof typeof out.reference.hashes];
              const compared = p ? p.hashes[a as keyof typeof p.hashes]! : h;
              lines.push(`  ${a.padEnd(7)} ${h}  ${h === out.written[a as keyof typeof out.written] ? 'read back as written' : 'DIFFERS from what was written'}${ref && !p ? `, ${ref === compared ? 'matches' : 'DIFFERS FROM'} ${out.reference!.against}` : ''}`);
            }
            if (p) {
              // The image holds zeros after the source's last byte (its last sector filled); the record's hashes cover them.
              lines.push(`  with the ${p.bytes} zero bytes the image holds after the source's last byte (not written to the target):`);
              for (const [a, h] of Object.entries(p.hashes)) {
                const ref = out.reference?.hashes[a as keyof typeof out.reference.hashes];
                lines.push(`  ${a.padEnd(7)} ${h}${ref ? `  ${ref === h ? 'matches' : 'DIFFERS FROM'} ${out.reference!.against}` : ''}`);
              }
            }
            if (out.excessBytes > 0) lines.push(`  ${formatBytes(out.excessBytes)} of the target beyond the media ${out.wiped ? 'filled with zeros' : 'left as they were (--wipe-excess zeroes them)'}`);
            if (!out.reference) lines.push('  note: nothing records what the image should hold; the target matches the image, which proves nothing more');
            lines.push(out.problems.length === 0 ? 'RESTORED and checked' : `FAILED: ${out.problems.join('; ')}`);
            io().stdout.write(shownLines(lines));
            if (logged) info(`logged in case ${logged.case}'s custody log as entry ${logged.entry}`);
          }
          if (out.problems.length > 0) {
            errorLine(out.problems[0]!);
            return EXIT.VERIFY_FAILED;
          }
          return EXIT.OK;
        } finally {
          progress.done();
          stop.dispose();
        }
      });
    },
  );
}

function logRestore(out: Awaited<ReturnType<typeof restoreImage>>, f: RestoreFlags): { case: string; entry: number } | undefined {
  const rec = out.record;
  if (!rec) return undefined;
  return withCaseSigner(rec.case, f.examiner, f.passphraseFile, 'restored', (store, c, signer) => {
    const entry = recordEvidenceEvent(store, c.number, 'image.restored', rec.evidence, signer, {
      image: path.basename(out.image),
      target: out.target,
      target_kind: out.targetKind,
      result: out.problems.length === 0 ? 'restored and checked' : 'failed',
      media_bytes: out.mediaBytes,
      hashes: { ...out.readBack },
      ...(out.withPadding ? { padding_bytes: out.withPadding.bytes, hashes_with_padding: { ...out.withPadding.hashes } } : {}),
      excess_bytes: out.excessBytes,
      wiped: out.wiped,
    });
    return { case: c.number, entry };
  });
}
