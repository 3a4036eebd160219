import { printJson } from '../action.js';
import { shownLines } from '../../core/text.js';
import { Command } from 'commander';
import path from 'node:path';
import { convert } from '../../acquire/convert.js';
import { FORMAT_NAMES } from '../../image/registry.js';
import type { FormatName } from '../../image/types.js';
import { parseHashList } from '../../core/crypto.js';
import { formatBytes } from '../../core/units.js';
import fs from 'node:fs';
import { sha256Hex } from '../../core/crypto.js';
import { logAcquisition, prepareCustody, type CustodyContext } from '../acquire-custody.js';
import { loggedMediaHashes } from '../../case-store/index.js';
import { ExhibitError } from '../../core/errors.js';
import type { AcquisitionRecord } from '../../core/record.js';
import { EXIT } from '../exit-codes.js';
import { readPassphrase } from '../passphrase.js';
import { examinerName } from '../store.js';
import { addFormatOptions, formatSettings, type FormatFlags, RAW_OPTION_HELP } from '../format-options.js';
import { info, reportError } from '../messages.js';
import { Progress } from '../progress.js';
import { asJob, startJob } from '../job.js';
import type { JobPublisher } from '../job.js';
import { interruptSignal } from '../signals.js';
import { commandLine, io } from '../io.js';
import { requiredOption } from '../required.js';

interface ConvertFlags extends FormatFlags {
  to: FormatName;
  out: string;
  evidence?: string;
  examiner?: string;
  passphraseFile?: string;
  hash?: string;
  raw?: boolean;
  json?: boolean;
}

export function convertCommand(version: string): Command {
  const cmd = new Command('convert')
    .summary('convert an image to another format, checking every byte against its recorded hashes')
    .description(
      'Read an image in any format exhibit reads (raw, split raw, E01 from exhibit or other tools, Ex01, seekable zstd) and write it ' +
        'in another. The media is hashed while it is converted and must equal the hashes recorded for the source: its exhibit ' +
        'record when it has one, else the hashes an E01 or Ex01 stores. Case facts, source facts and unreadable ranges carry over; ' +
        'the new record names the image it came from.',
    )
    .argument('<image>', "the source image's first file: .raw, .001, .E01, .Ex01, .aff4 or .zst")
    .addOption(requiredOption('-t, --to <format>', 'the format to write').choices([...FORMAT_NAMES]))
    .addOption(requiredOption('-o, --out <dir>', 'folder for the converted image and its record'))
    .option('-e, --evidence <id>', "name of the new files (default: the source's evidence id, made safe as a file name)")
    .option('-x, --examiner <name>', "who performs the conversion: signs its entry in the case's custody log (or EXHIBIT_EXAMINER)")
    .option('--passphrase-file <file>', "the passphrase of the examiner's signing key, on the first line of <file> (or EXHIBIT_PASSPHRASE)")
    .option('--hash <list>', "hashes to compute (default: the strongest the source records, enough to prove the media identical)")
    .option('--raw', RAW_OPTION_HELP)
    .option('--json', 'print the new record as JSON');
  addFormatOptions(cmd);
  return cmd
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  exhibit convert /cases/17/EV-001.E01 --to zst -o /cases/17/zst\n' +
        '  exhibit convert suspect.001 --to e01 -o /cases/17/e01 --compression best -x "J. Doe"\n\n' +
        'The conversion is logged in the case\'s custody log (signed by --examiner) and the log is copied beside the new\n' +
        'image, so it verifies on its own like an acquired one. Without an examiner it is not logged, and verify then calls\n' +
        'the new image unverifiable unless given its hash with --expect.\n\n' +
        'The new files are named by --evidence, else by the source\'s evidence number when it is a file name, else by that\n' +
        'number made safe (Item 3/B gives Item-3-B), else by the source file\'s name; the record keeps the original number.\n' +
        'Each file is written as <name>.partial and takes its name only once the media is checked; a conversion that\n' +
        'stops (an error, Ctrl-C) leaves the .partial files and a record that says incomplete; one killed outright\n' +
        'leaves the .partial files alone, which never pass for a finished image.\n\n' +
        'Exit code 4: the source image is damaged, or the converted media does not match the hashes recorded for the source.',
    )
    .action(async (image: string, flags: ConvertFlags, c: Command) => {
      // The command line is checked before anything is made, the job's status file included.
      formatSettings(flags.to, flags);
      if (flags.hash) parseHashList(flags.hash);
      const job = startJob({ kind: 'conversion', subject: path.resolve(image), format: flags.to, out: path.resolve(flags.out), ...(flags.evidence ? { evidence: flags.evidence } : {}) });
      c.setOptionValue('exitCode', await asJob(job, () => runConvert(image, flags, version, job)));
    });
}

async function runConvert(image: string, flags: ConvertFlags, version: string, job: JobPublisher): Promise<number> {
  let progress: Progress | undefined;
  const stop = interruptSignal(() => {
    progress?.done();
    info('stopping: the converted image will be incomplete (Ctrl-C again to quit at once)');
  });
  const examiner = flags.examiner ?? io().env.EXHIBIT_EXAMINER;
  let ctx: CustodyContext | undefined;
  try {
    // The command line is checked before anything is made (a key included).
    const settings = formatSettings(flags.to, flags);
    const hashes = flags.hash ? parseHashList(flags.hash) : undefined;
    // Then the signer: a wrong passphrase or a broken log stops the conversion before it starts.
    if (examiner !== undefined) ctx = prepareCustody(examinerName(examiner, 'who converts'), undefined, readPassphrase(flags.passphraseFile));
    const outcome = await convert({
      image,
      ...(flags.raw ? { raw: true } : {}),
      outDir: flags.out,
      settings,
      ...(flags.evidence ? { evidence: flags.evidence } : {}),
      ...(ctx ? { examiner: ctx.signer.name } : {}),
      ...(hashes ? { hashes } : {}),
      version,
      commandLine: commandLine(),
      signal: stop.signal,
      onStart: (size) => {
        progress = new Progress('converting', size, job);
      },
      onProgress: (n) => progress?.update(n),
    });
    progress?.done();
    for (const w of outcome.warnings) info(`warning: ${w}`);
    const r = outcome.record;
    if (flags.json) printJson(r);
    if (outcome.error) {
      const code = reportError(outcome.error);
      info(`the converted image is incomplete; its record says so: ${outcome.recordPath}`);
      if (outcome.partialFiles.length > 0) info(`what was written is left unfinished as ${outcome.partialFiles.join(', ')} (never under the image's own name)`);
      for (const n of outcome.notes) info(`note: ${n}`);
      return code;
    }
    if (!flags.json) {
      const lines = [
        `converted ${image} to ${r.image.format}: ${formatBytes(r.media.size_bytes)}`,
        ...r.image.files.map((f) => `  image   ${path.join(path.resolve(flags.out), f.name)}`),
        `  record  ${outcome.recordPath}`,
        ...outcome.compared.map((c) => `  ${c.algorithm.padEnd(7)} ${c.computed}  ${c.equal ? 'equals the source\'s recorded hash' : 'DIFFERS'}`),
        outcome.verified ? '  every recorded hash of the source matches' : '  NOT CHECKED against the source (see the warnings above)',
      ];
      io().stdout.write(shownLines(lines));
    }
    for (const n of outcome.notes) info(`note: ${n}`);
    if (!ctx) info('not logged in a custody log: say who converts with --examiner (until then, verify the new image with --expect)');
    else if (r.case.trim() === '') info('not logged in a custody log: the source image names no case');
    else if (refuseUnloggedMedia(ctx, r) === 'never logged') {
      // Nothing of the case vouches for the source: its record or header beside it is anyone's to write. Logging
      // the conversion under the examiner's key would take that word into the case as the evidence.
      info(`not logged in a custody log: case ${r.case} never logged an image of ${r.evidence}, so only the source's own record or header speaks for it; verify the new image with --expect and the hash the acquiring side reported`);
    } else {
      const from = r.converted_from as { format: string; files: string[]; record?: string };
      const logged = await logAcquisition(ctx, r, outcome.recordPath, {
        format: from.format,
        files: from.files.map((f) => path.basename(f)),
        ...(from.record ? { record_sha256: sha256Hex(fs.readFileSync(from.record)) } : {}),
      });
      info(`logged in case ${logged.caseNumber}'s custody log as entry ${logged.seq}; the log is copied beside the new image`);
    }
    return EXIT.OK;
  } catch (err) {
    progress?.done();
    return reportError(err, flags.json === true);
  } finally {
    ctx?.store.close();
    stop.dispose();
  }
}

/**
 * A conversion is logged into the case its source names only when its media is what that case
 * logged for the evidence (an acquisition or an earlier conversion): the record or header beside a
 * source image is the opponent's to write, so a substitute converted under the examiner's key would
 * otherwise enter the case as the evidence. Evidence the case never logged is not logged at all.
 */
function refuseUnloggedMedia(ctx: CustodyContext, r: AcquisitionRecord): 'logged' | 'never logged' {
  const logged = loggedMediaHashes(ctx.store, r.case, r.evidence);
  if (logged.length === 0) return 'never logged';
  const mine: Record<string, string> = { ...(r.media.hashes ?? {}) };
  const same = (h: Record<string, string>) => {
    const common = Object.keys(h).filter((a) => mine[a] !== undefined);
    return common.length > 0 && common.every((a) => h[a]!.toLowerCase() === mine[a]!.toLowerCase());
  };
  if (logged.some(same)) return 'logged';
  const a = ['sha256', 'sha1', 'md5'].find((x) => mine[x] !== undefined) ?? Object.keys(mine)[0];
  throw new ExhibitError('VERIFY_FAILED', `the converted media is not what case ${r.case} logged for ${r.evidence}: its ${a ? `${a.toUpperCase()} ${mine[a]}` : 'hash'} is in none of the case's ${logged.length} ${logged.length === 1 ? 'entry' : 'entries'} for it, so the conversion was not logged`, {
    hints: ['verify the source image (exhibit verify) to see how it differs; the converted files and their record stay where they are'],
  });
}
