import { printJson } from '../action.js';
import { Command, Option } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { acquire } from '../../acquire/acquire.js';
import { FORMAT_NAMES } from '../../image/registry.js';
import type { FormatName } from '../../image/types.js';
import { fillSpec } from '../../source/bad-sectors.js';
import { addFormatOptions, formatSettings, type FormatFlags } from '../format-options.js';
import { MiB, PiB, sizeOption, TiB, wholeNumber } from '../numbers.js';
import { MAX_PIECE_SIZE, MIN_PIECE_SIZE, piecesShape } from '../../core/pieces.js';
import { DEFAULT_HASHES, parseHashList } from '../../core/crypto.js';
import { ExhibitError, type ErrorCode } from '../../core/errors.js';
import { shellWord } from '../../core/shell-word.js';
import { evidenceOfRecordName, type AcquisitionRecord } from '../../core/record.js';
import { formatBytes, formatDuration } from '../../core/units.js';
import { EXIT } from '../exit-codes.js';
import { info, reportError } from '../messages.js';
import { Progress } from '../progress.js';
import { interruptSignal } from '../signals.js';
import { logAcquisition, prepareCustody, recordVouching, type CustodyContext, type LoggedAcquisition } from '../acquire-custody.js';
import { readPassphrase } from '../passphrase.js';
import { oneLine } from '../../core/text.js';
import { examinerName } from '../store.js';
import { checkCaseNumber, loggedSourceChange } from '../../case-store/index.js';
import { commandLine, io } from '../io.js';
import { argumentNeededUnless, requiredOption } from '../required.js';
import { failureWords, finishJob, startJob } from '../job.js';
import type { JobPublisher } from '../job.js';

interface AcquireFlags extends FormatFlags {
  out?: string;
  case?: string;
  evidence?: string;
  examiner?: string;
  format: FormatName;
  hash: string;
  description?: string;
  notes?: string;
  retries: string;
  fill: string;
  maxBadRun: string;
  resume?: string;
  skipBad?: boolean;
  syncEvery: string;
  pieceSize: string;
  allowMounted?: boolean;
  passphraseFile?: string;
  json?: boolean;
}

/** Why an acquisition stopped that a resume cannot mend: the partial image or the source changed, or what was written is damaged. */
const NOT_RESUMABLE: ReadonlySet<ErrorCode> = new Set(['PARTIAL_CHANGED', 'SOURCE_CHANGED', 'SOURCE_WRITTEN', 'IMAGE_INVALID']);

export function acquireCommand(version: string): Command {
  const cmd = new Command('acquire')
    .summary('image a drive or file, read-only, with in-stream hashes')
    .description(
      'Image a drive (or a partition, or a file) bit for bit, unused space included. ' +
        'The source is opened read-only, locked with the kernel read-only flag, and its write counters are compared before and after. ' +
        'MD5, SHA-1 and SHA-256 of the media are computed while copying, on separate cores. ' +
        'Unreadable sectors are retried one by one, filled, and listed in the record and in a ddrescue mapfile. ' +
        'An interrupted acquisition resumes where it stopped: run the same command again, or use --resume.',
    )
    .argument('[source]', 'the drive, partition or file to image, e.g. /dev/sdb');
  argumentNeededUnless(cmd, 'source', '--resume');
  cmd
    .addOption(requiredOption('-o, --out <dir>', 'folder for the image and its record (created if missing; must not be on the source)', { unless: '--resume' }))
    .addOption(requiredOption('-c, --case <id>', 'case number, e.g. 2026-0117', { unless: '--resume' }))
    .addOption(requiredOption('-e, --evidence <id>', 'evidence number; names the files, e.g. EV-001 gives EV-001.raw', { unless: '--resume' }))
    .addOption(requiredOption('-x, --examiner <name>', 'who performs the acquisition', { env: 'EXHIBIT_EXAMINER' }))
    .addOption(new Option('-f, --format <format>', 'image format: raw, split raw (.001, .002, ...), E01 (EnCase 6) or zst (seekable zstd)').choices([...FORMAT_NAMES]).default('raw'))
    .option('--hash <list>', 'hashes of the media: md5, sha1, sha256, sha512, comma-separated', DEFAULT_HASHES.join(','))
    .option('--description <text>', 'what the evidence is, e.g. "Seagate 2 TB from desk drawer"')
    .option('--notes <text>', 'anything else worth recording')
    .option('--retries <n>', 'extra attempts for each unreadable sector, 0 to 100', '2')
    .option('--fill <fill>', 'what an unreadable sector holds in the image: zero, or pattern:<hex> (e.g. pattern:deadbeef)', 'zero')
    .option('--max-bad-run <size>', 'stop (resumably) after this much unreadable in a row, up to 1 PiB; 0 for no limit', '16MiB')
    .option('--skip-bad', 'for a dying drive: skip past failing areas first, save the healthy data, then come back to them')
    .option('--piece-size <size>', 'also keep the SHA-256 of every piece of this size in <evidence>.pieces, so verify can say where any change is; a whole number of sectors, 1 MiB to 1 TiB', '64MiB')
    .option('--sync-every <size>', 'make the image durable and note the resume point this often, 1 MiB to 1 TiB', '128MiB')
    .option('--resume <dir>', 'continue the interrupted acquisition in <dir> (source and settings come from its journal)')
    .option('--allow-mounted', 'acquire even though a file system of the source is mounted read-write (recorded)')
    .option('--passphrase-file <file>', "the passphrase of the examiner's signing key, on the first line of <file> (or set EXHIBIT_PASSPHRASE)")
    .option('--json', 'print the acquisition record as JSON on stdout instead of the summary')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  exhibit acquire /dev/sdb -o /cases/2026-0117 -c 2026-0117 -e EV-001 -x "J. Doe"\n' +
        '  exhibit acquire /dev/sdb -o /mnt/evidence -c 17 -e HDD1 -x "J. Doe" -f split-raw --segment-size 4GiB\n' +
        '  exhibit acquire /dev/sdb -o /mnt/evidence -c 17 -e HDD1 -x "J. Doe" -f e01 --compression best\n' +
        '  exhibit acquire /dev/sdb -o /mnt/evidence -c 17 -e HDD1 -x "J. Doe" -f zst\n' +
        '  exhibit acquire --resume /cases/2026-0117 -x "J. Doe"          (after Ctrl-C, a crash or a full disk)\n' +
        '  exhibit acquire /dev/sdc --resume /cases/2026-0117 -x "J. Doe" (the drive came back under a new name)\n\n' +
        'Files: <evidence>.raw, .001, .002, ..., .E01, .E02, ... or .zst; <evidence>.acquisition.yaml (the record);\n' +
        '<evidence>.map (GNU ddrescue mapfile); <evidence>.journal.json while the acquisition is unfinished;\n' +
        '<evidence>.lock while a run works on it (a second run meanwhile is refused, naming the first);\n' +
        '<evidence>.pieces (the SHA-256 of each --piece-size piece of the media, so a change is located to its piece);\n' +
        "<evidence>.custody.jsonl, <evidence>.checkpoint and <evidence>.keys/: the case's signed custody log, its\n" +
        'checkpoint and the public keys, so the folder can be checked anywhere (exhibit custody verify <folder>).\n\n' +
        'Custody: the result is signed with the examiner\'s key and logged in the case store (opening the case and\n' +
        'registering the evidence item when they are new). An examiner without a key gets one, made on the spot.\n' +
        'An existing image or record is never overwritten.',
    );
  addFormatOptions(cmd);
  return cmd
    .action(async (source: string | undefined, flags: AcquireFlags, cmd: Command) => {
      cmd.setOptionValue('exitCode', await runAcquire(source, flags, version));
    });
}


/** With --resume and no --evidence: the one unfinished acquisition in that folder. */
function evidenceToResume(dir: string): string {
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.journal.json'));
  } catch {
    throw new ExhibitError('USAGE', `cannot resume: ${dir} is not a folder exhibit can read`);
  }
  if (names.length === 0) throw new ExhibitError('USAGE', `there is nothing to resume in ${dir}: no unfinished acquisition`);
  if (names.length > 1) {
    throw new ExhibitError('USAGE', `${dir} holds ${names.length} unfinished acquisitions`, { hints: [`say which with --evidence: ${names.map((n) => n.replace(/\.journal\.json$/, '')).join(', ')}`] });
  }
  return names[0]!.replace(/\.journal\.json$/, '');
}

function summary(source: string, outDir: string, recordPath: string, r: AcquisitionRecord, resumedAt: number, logged: LoggedAcquisition): string {
  const secs = r.duration_seconds;
  const bad = r.read_errors;
  const lines = [
    `acquired ${source}: ${formatBytes(r.media.size_bytes)} (${r.media.size_bytes} bytes, ${r.media.sectors} sectors of ${r.media.sector_size}` +
      `${r.media.trailing_bytes ? ` + ${r.media.trailing_bytes} bytes` : ''}) in ${formatDuration(secs)}` +
      (resumedAt > 0 ? `, resumed at ${formatBytes(resumedAt)}` : `, ${formatBytes(r.media.size_bytes / Math.max(secs, 0.001))}/s`),
    ...r.image.files.map((f) => `  image   ${path.join(outDir, f.name)}`),
    `  record  ${recordPath}`,
    `  custody ${logged.exported.log} (entry ${logged.seq} of case ${logged.caseNumber}'s log, signed)`,
    ...Object.entries(r.media.hashes ?? {}).map(([a, h]) => `  ${a.padEnd(7)} ${h}`),
    ...(r.source.kind === 'block-device' && r.source.device?.hidden_areas ? [`  hidden areas (HPA/DCO): ${r.source.device.hidden_areas.state}: ${r.source.device.hidden_areas.detail}`] : []),
    `  read-only: ${
      r.source.kind === 'block-device'
        ? 'source unchanged: read-only flag set, write counters did not move'
        : 'source unchanged: opened read-only, size and modification time did not change'
    }`,
  ];
  if (r.media.pieces) {
    const p = r.media.pieces;
    const size = r.media.size_bytes + (r.media.padding_bytes ?? 0); // the pieces cover an E01's zeros after a source that is not whole sectors
    const shape = piecesShape(p.count, p.piece_size, size);
    lines.push(`  pieces  ${path.join(outDir, p.file)}: SHA-256 of ${shape} (file SHA-256 ${p.sha256})`);
  }
  if (r.media.zero_sectors) {
    const z = r.media.zero_sectors;
    lines.push(`  zero sectors: ${z.total} (${z.read_as_zero} read as zeros, ${z.filled} filled)`);
  }
  if (bad.unreadable_sectors > 0) {
    const fill = bad.fill === 'zero' ? 'zeros' : `the ${bad.fill.replace('pattern:', 'pattern ')}`;
    lines.push(`  WARNING: ${bad.unreadable_sectors} sectors unreadable in ${bad.ranges.length} ranges, filled with ${fill}; see the record and ${`${evidenceOfRecordName(recordPath)}.map`}`);
  }
  return `${lines.join('\n')}\n`;
}

async function runAcquire(source: string | undefined, flags: AcquireFlags, version: string): Promise<number> {
  let progress: Progress | undefined;
  let job: JobPublisher | undefined;
  let custody: CustodyContext | undefined;
  let loggedLate: LoggedAcquisition | undefined; // logged for a run that had been killed before it could
  let lateRecord: AcquisitionRecord | undefined;
  const stop = interruptSignal(() => {
    progress?.done();
    info('stopping after the writes in progress; an unfinished image is recorded as incomplete and can be resumed (Ctrl-C again to quit at once)');
  });
  try {
    const outDir = flags.resume ?? flags.out;
    if (flags.resume && flags.out && path.resolve(flags.out) !== path.resolve(flags.resume)) {
      throw new ExhibitError('USAGE', '--out and --resume name different folders');
    }
    // the source, --out, --case, --evidence and --examiner are checked before this runs (cli/required.ts)
    const examiner = examinerName(flags.examiner);
    if (flags.case !== undefined) flags.case = checkCaseNumber(flags.case); // one spelling in the record, the image and the store
    const evidence = flags.evidence ?? evidenceToResume(outDir!);
    const settings = formatSettings(flags.format, flags);
    const retries = wholeNumber(flags.retries, '--retries', 0, 100);
    const maxBadRun = sizeOption(flags.maxBadRun, '--max-bad-run', 0, PiB);
    const safePointBytes = sizeOption(flags.syncEvery, '--sync-every', MiB, TiB);
    const pieceSize = sizeOption(flags.pieceSize, '--piece-size', MIN_PIECE_SIZE, MAX_PIECE_SIZE, 512);
    const fill = fillSpec(flags.fill);
    const hashes = parseHashList(flags.hash); // every usage error before anything is made, a key included
    const ctx = prepareCustody(examiner, flags.case, readPassphrase(flags.passphraseFile));
    custody = ctx;
    let logged: LoggedAcquisition | undefined;
    const outcome = await acquire({
      ...(source !== undefined ? { source } : {}),
      outDir: outDir!,
      evidence,
      ...(flags.case !== undefined ? { caseId: flags.case } : {}),
      examiner,
      ...(flags.description !== undefined ? { description: flags.description } : {}),
      ...(flags.notes !== undefined ? { notes: flags.notes } : {}),
      settings,
      hashes,
      fill,
      retries,
      maxBadRun,
      allowMounted: flags.allowMounted === true,
      resumeOnly: flags.resume !== undefined,
      ...(flags.skipBad ? { skipBad: true } : {}),
      safePointBytes,
      pieceSize,
      commandLine: commandLine(),
      version,
      signal: stop.signal,
      ...recordVouching(ctx),
      loggedSourceChange: (caseNumber, ev, folder, started) => loggedSourceChange(ctx.store, caseNumber, ev, folder, started),
      onRecorded: async (record, recordPath) => {
        logged = await logAcquisition(ctx, record, recordPath);
        loggedLate = logged;
        lateRecord = record;
      },
      onStart: (facts, { resumingAt }) => {
        const hidden = facts.device?.hidden_areas;
        if (hidden?.state === 'present') info(`warning: ${hidden.detail}: the record says so`);
        if (resumingAt > 0) info(`resuming at ${formatBytes(resumingAt)} of ${formatBytes(facts.size_bytes)}: re-reading the partial image to rebuild the hashes`);
        const d = facts.device;
        job ??= startJob({
          kind: 'acquisition',
          subject: facts.path,
          drive: facts.resolved_path,
          ...(facts.device?.loop_backing_file ? { backing_file: facts.device.loop_backing_file.replace(/ \(deleted\)$/, '') } : {}),
          ...(d?.model ? { model: [d.vendor, d.model].filter(Boolean).join(' ') } : {}),
          ...(d?.serial ? { serial: d.serial } : {}),
          examiner,
          ...(flags.case !== undefined ? { case: flags.case } : {}),
          evidence,
          format: flags.format,
          out: path.resolve(outDir!),
          map: path.resolve(outDir!, `${evidence}.map`),
        });
        job.describe({ sector_size: facts.logical_sector_size });
        progress = new Progress(resumingAt > 0 ? 'resuming' : 'acquiring', facts.size_bytes, job);
      },
      onProgress: (done, _total, unreadable) => progress?.update(done, unreadable),
      onPass: (pass, total) => {
        progress?.done();
        info(
          pass === 'rescue'
            ? `first pass done; going back to the ${formatBytes(total)} that failed, sector by sector`
            : 'rescue pass done; reading the image back to compute its hashes',
        );
        progress = new Progress(pass === 'rescue' ? 'rescuing' : 'hashing', total, job);
      },
    });
    progress?.done();
    const r = outcome.record;
    if (!logged) throw new ExhibitError('INTERNAL', 'the acquisition ended without its record being logged');
    if (flags.json) {
      const c = { case: logged.caseNumber, entry: logged.seq, log: logged.exported.log, checkpoint: logged.exported.checkpoint, signed_by: { name: ctx.signer.name, key: ctx.signer.fingerprint } };
      printJson({ ...r, custody: c });
    }
    job?.unreadable({ sectorCount: r.read_errors.unreadable_sectors, ranges: r.read_errors.ranges });
    if (outcome.error) {
      const code = reportError(outcome.error);
      // A partial image or source that changed, or damage in what was written, is not mended by going on.
      const why = outcome.error instanceof ExhibitError ? outcome.error.code : undefined;
      const resumable = why === undefined || !NOT_RESUMABLE.has(why);
      info(
        resumable
          ? `the image is incomplete and can be resumed (exhibit acquire --resume ${shellWord(path.resolve(outDir!))}); the record and the custody log say so: ${outcome.recordPath}`
          : `the image is incomplete, and going on would not make it a faithful copy (see above); the record and the custody log say so: ${outcome.recordPath}`,
      );
      finishJob(job, code, `incomplete: ${failureWords(outcome.error)}`);
      return code;
    }
    if (!flags.json) io().stdout.write(summary(oneLine(source ?? String(r.source.path)), oneLine(path.resolve(outDir!)), oneLine(outcome.recordPath), r, outcome.resumedAt, logged));
    const unreadable = r.read_errors.unreadable_sectors;
    finishJob(job, unreadable > 0 ? EXIT.UNREADABLE : EXIT.OK, unreadable > 0 ? `complete; ${unreadable} sectors unreadable` : 'complete');
    return unreadable > 0 ? EXIT.UNREADABLE : EXIT.OK;
  } catch (err) {
    progress?.done();
    // A run that had finished its image and record but not its logging (killed, or the disk full): this one
    // did the logging, which is all that was left. Done, not an error.
    if (loggedLate && lateRecord && err instanceof ExhibitError && err.code === 'OUTPUT_EXISTS') {
      const unreadable = lateRecord.read_errors.unreadable_sectors;
      const code = unreadable > 0 ? EXIT.UNREADABLE : EXIT.OK;
      const how = loggedLate.appended ? `logged it now as entry ${loggedLate.seq}` : `it was logged already (entry ${loggedLate.seq})`;
      info(`the acquisition had already finished (its record says ${lateRecord.result}); ${how} of case ${loggedLate.caseNumber}'s custody log, copied beside it: ${loggedLate.exported.log}`);
      if (flags.json) printJson({ ...lateRecord, custody: { case: loggedLate.caseNumber, entry: loggedLate.seq, log: loggedLate.exported.log, checkpoint: loggedLate.exported.checkpoint } });
      finishJob(job, code, 'logged the finished acquisition');
      return code;
    }
    const code = reportError(err, flags.json === true);
    finishJob(job, code, failureWords(err));
    if (loggedLate) info(`hint: its result is in case ${loggedLate.caseNumber}'s custody log (entry ${loggedLate.seq}), copied beside it: ${loggedLate.exported.log}`);
    return code;
  } finally {
    stop.dispose();
    custody?.store.close();
  }
}
