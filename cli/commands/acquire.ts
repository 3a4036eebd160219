import { Command, Option } from 'commander';
import path from 'node:path';
import { acquire, type AcquireFormat } from '../../acquire/acquire.js';
import { DEFAULT_HASHES, parseHashList } from '../../core/crypto.js';
import { ExhibitError } from '../../core/errors.js';
import { formatBytes, formatDuration, parseSize } from '../../core/units.js';
import { EXIT } from '../exit-codes.js';
import { info, reportError } from '../messages.js';
import { Progress } from '../progress.js';
import { interruptSignal } from '../signals.js';

interface AcquireFlags {
  out: string;
  case: string;
  evidence: string;
  examiner: string;
  format: AcquireFormat;
  segmentSize: string;
  hash: string;
  description?: string;
  notes?: string;
  allowMounted?: boolean;
  json?: boolean;
}

export function acquireCommand(version: string): Command {
  return new Command('acquire')
    .summary('image a drive or file, read-only, with in-stream hashes')
    .description(
      'Image a drive (or a partition, or a file) bit for bit, unused space included.\n\n' +
        'The source is opened read-only, locked with the kernel read-only flag, and its\n' +
        'write counters are compared before and after: the record says whether they moved.\n' +
        'MD5, SHA-1 and SHA-256 of the media are computed while copying, on separate cores.\n' +
        'Written next to the image: <evidence>.acquisition.yaml, the acquisition record.',
    )
    .argument('<source>', 'the drive (/dev/sdb), partition (/dev/sdb1) or file to image')
    .requiredOption('-o, --out <dir>', 'folder for the image and its record (created if missing; must not be on the source)')
    .requiredOption('-c, --case <id>', 'case number, e.g. 2026-0117')
    .requiredOption('-e, --evidence <id>', 'evidence number; names the files, e.g. EV-001 gives EV-001.raw')
    .requiredOption('-x, --examiner <name>', 'who performs the acquisition')
    .addOption(new Option('-f, --format <format>', 'image format').choices(['raw', 'split-raw']).default('raw'))
    .option('--segment-size <size>', 'split-raw segment size (KiB, MiB, GiB, or KB, MB, GB)', '2GiB')
    .option('--hash <list>', 'hashes of the media: md5, sha1, sha256, sha512, comma-separated', DEFAULT_HASHES.join(','))
    .option('--description <text>', 'what the evidence is, e.g. "Seagate 2 TB from desk drawer"')
    .option('--notes <text>', 'anything else worth recording')
    .option('--allow-mounted', 'acquire even though a file system of the source is mounted read-write (recorded)')
    .option('--json', 'print the acquisition record as JSON on stdout instead of the summary')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  exhibit acquire /dev/sdb -o /cases/2026-0117 -c 2026-0117 -e EV-001 -x "J. Doe"\n' +
        '  exhibit acquire /dev/sdb -o /mnt/evidence -c 17 -e HDD1 -x "J. Doe" -f split-raw --segment-size 4GiB\n\n' +
        'Exit codes: 0 complete, 1 failed, 2 wrong usage, 130 interrupted (record says incomplete).\n' +
        'An existing image or record is never overwritten.',
    )
    .action(async (source: string, flags: AcquireFlags, cmd: Command) => {
      cmd.setOptionValue('exitCode', await runAcquire(source, flags, version));
    });
}

async function runAcquire(source: string, flags: AcquireFlags, version: string): Promise<number> {
  let progress: Progress | undefined;
  const stop = interruptSignal(() => {
    progress?.done();
    info('stopping: finishing the writes in progress and marking the record incomplete (Ctrl-C again to quit at once)');
  });
  try {
    const segmentSize = parseSize(flags.segmentSize, '--segment-size');
    if (flags.format === 'split-raw' && segmentSize < 1024 * 1024) {
      throw new ExhibitError('USAGE', '--segment-size must be at least 1 MiB');
    }
    if (segmentSize % 4096 !== 0 && flags.format === 'split-raw') {
      throw new ExhibitError('USAGE', '--segment-size must be a whole number of 4 KiB blocks', { hints: ['for example 650MiB, 2GiB or 4GiB'] });
    }
    const hashes = parseHashList(flags.hash);
    const outcome = await acquire({
      source,
      outDir: flags.out,
      caseId: flags.case,
      evidence: flags.evidence,
      examiner: flags.examiner,
      ...(flags.description !== undefined ? { description: flags.description } : {}),
      ...(flags.notes !== undefined ? { notes: flags.notes } : {}),
      format: flags.format,
      segmentSize,
      hashes,
      allowMounted: flags.allowMounted === true,
      commandLine: process.argv.slice(1).map((a, i) => (i === 0 ? 'exhibit' : a)),
      version,
      signal: stop.signal,
      onStart: (facts) => {
        progress = new Progress('acquiring', facts.size_bytes);
      },
      onProgress: (done) => progress?.update(done),
    });
    progress?.done();
    const r = outcome.record;
    if (flags.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    if (outcome.error) {
      const code = reportError(outcome.error);
      info(`the image is incomplete; the record says so: ${outcome.recordPath}`);
      return code;
    }
    if (!flags.json) {
      const secs = r.duration_seconds;
      const lines = [
        `acquired ${source}: ${formatBytes(r.media.size_bytes)} (${r.media.size_bytes} bytes, ${r.media.sectors} sectors of ${r.media.sector_size}` +
          `${r.media.trailing_bytes ? ` + ${r.media.trailing_bytes} bytes` : ''}) in ${formatDuration(secs)}, ${formatBytes(r.media.size_bytes / Math.max(secs, 0.001))}/s`,
        ...r.image.files.map((f) => `  image   ${path.join(path.resolve(flags.out), f.name)}`),
        `  record  ${outcome.recordPath}`,
        ...Object.entries(r.media.hashes ?? {}).map(([a, h]) => `  ${a.padEnd(7)} ${h}`),
        `  read-only: ${
          r.source.kind === 'block-device'
            ? 'source unchanged: read-only flag set, write counters did not move'
            : 'source unchanged: opened read-only, size and modification time did not change'
        }`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return EXIT.OK;
  } catch (err) {
    progress?.done();
    return reportError(err, flags.json === true);
  } finally {
    stop.dispose();
  }
}
