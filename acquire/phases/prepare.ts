/**
 * Phase 1: check the options, open the source, find what there is to resume
 * (with the output locked), settle the settings in one journal, refuse what
 * must be refused before a byte is read, and make and lock the output folder.
 */
import { hiddenAreas } from '../../source/hidden-areas.js';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { HASH_ALGORITHMS } from '../../core/crypto.js';
import { ExhibitError } from '../../core/errors.js';
import { DEFAULT_PIECE_SIZE, piecesFileName } from '../../core/pieces.js';
import { recordFileName, recordPathFor } from '../../core/record.js';
import { custodyFileNames } from '../../core/custody.js';
import { readRecord } from '../../core/record/read.js';
import { timestamp } from '../../core/time.js';
import type { FormatDescriptor } from '../../image/descriptor.js';
import { formatOf } from '../../image/registry.js';
import type { FormatName, WriterFacts } from '../../image/types.js';
import { parseFill } from '../../source/bad-sectors.js';
import { checkEvidenceId, checkText, existingAncestor, prepareOutputDir, refuseExisting, refuseNoRoom } from '../checks.js';
import { journalFileName, journalSigned, readJournal, removeStaleTemporaries, type Journal } from '../journal.js';
import { lockIfFolderExists, lockOutput, type OutputLock } from '../output-lock.js';
import { asOwner, describeOwner, ownerState } from '../../core/process-owner.js';
import { checkMounts, checkOutputNotOnSource } from '../../source/read-only.js';
import { checkSameIdentity, identityOf } from '../resume-check.js';
import { openSource, type SourceFacts } from '../../source/source.js';
import { makeWriter } from '../writers.js';
import type { AcquireOptions, Session } from './session.js';

/** The checks that need nothing but the options; returns the output folder, resolved. */
export function checkOptions(o: AcquireOptions): string {
  checkEvidenceId(o.evidence);
  checkText('examiner', o.examiner, 200);
  checkText('description', o.description);
  checkText('notes', o.notes);
  if (o.examiner.trim() === '') throw new ExhibitError('USAGE', 'the examiner must not be empty');
  return path.resolve(o.outDir);
}

export function requireCase(o: AcquireOptions): void {
  if (!o.caseId?.trim()) throw new ExhibitError('USAGE', 'a case id is needed (--case)');
  checkText('case id', o.caseId, 100);
}

function nothingToResume(o: AcquireOptions, outDir: string): ExhibitError {
  return new ExhibitError('USAGE', `there is nothing to resume: no journal ${journalFileName(o.evidence)} in ${outDir}`, {
    hints: ['an acquisition that completed, or never started, has no journal'],
  });
}

/** Nothing of an edited journal is acted on, not even its source path: it must be signed by a key of this case store. */
function requireSignedJournal(o: AcquireOptions, journal: Journal, outDir: string): void {
  if (!o.checkJournal) return;
  const sig = journal.signature;
  const wrong = !sig || typeof sig.key !== 'string' || typeof sig.sig !== 'string' ? 'not signed (an earlier version of exhibit wrote it, or its signature was removed)' : o.checkJournal(journalSigned(journal), sig);
  if (wrong !== undefined) {
    throw new ExhibitError('RESUME_MISMATCH', `the resume journal in ${outDir} is ${wrong}; the acquisition cannot be resumed from it`, {
      hints: ['start the acquisition again into a new folder; exhibit changes nothing in this one'],
    });
  }
}

/**
 * Load the journal of a resumable acquisition, and refuse what cannot be resumed. Called with the
 * output locked: what it finds is not being changed by another run.
 */
async function findResumable(o: AcquireOptions, outDir: string): Promise<Journal | undefined> {
  const journal = await readJournal(path.join(outDir, journalFileName(o.evidence)));
  const recordPath = recordPathFor(outDir, o.evidence);
  if (!journal) {
    if (o.resumeOnly) throw nothingToResume(o, outDir);
    return undefined;
  }
  requireSignedJournal(o, journal, outDir);
  // A journal is resumable only once the run that wrote it is gone (the lock says so too; this also
  // holds when a lock file was removed by hand while its run was alive). One on another host cannot
  // be asked: the lock, which that run would hold, is the judge there.
  const owner = asOwner(journal.owner);
  if (owner && owner.pid !== process.pid && ownerState(owner) === 'alive') {
    throw new ExhibitError('OUTPUT_LOCKED', `an acquisition of ${o.evidence} is already under way in ${outDir}: ${describeOwner(owner)}, named by its journal; exhibit changes nothing while it runs`, {
      hints: ['wait for it to end; an acquisition that was stopped resumes with the same command'],
    });
  }
  const read = fs.existsSync(recordPath) ? readRecord(recordPath) : undefined;
  const found = read?.record;
  if (found?.result === 'complete') {
    // A run killed after its final record but before removing its journal: what follows the record
    // (onRecorded: the custody log) may not have happened; do it now, then the journal is stale. Only
    // for the record that run noted in the journal, signed, before writing it: a record put in the
    // folder by anyone else is never logged under the examiner's key.
    const noted = journal.final_record;
    const vouched = noted !== undefined && noted.sha256 === read!.sha256 && (o.checkRecordVouch === undefined || (noted.key !== undefined && noted.sig !== undefined && o.checkRecordVouch(noted.sha256, { key: noted.key, sig: noted.sig })));
    if (!vouched) {
      throw new ExhibitError('VERIFY_FAILED', `${recordPath} says the acquisition is complete, but it is not the record this acquisition wrote: its SHA-256 ${read!.sha256} is not the one the run ${noted ? 'signed into' : 'noted in'} its journal before writing its record; nothing was logged and nothing changed`, {
        hints: [`check the folder with: exhibit verify ${outDir} --source <the drive>`],
      });
    }
    await o.onRecorded?.(found, recordPath);
    await fsp.rm(path.join(outDir, journalFileName(o.evidence)), { force: true });
    await removeStaleTemporaries(outDir, o.evidence);
    throw new ExhibitError('OUTPUT_EXISTS', `${recordPath} says the acquisition is complete; there is nothing to resume and exhibit never overwrites it`);
  }
  return journal;
}

/**
 * The journal of a new acquisition: the options' settings in the one shape the journal, the record
 * and the writer share. The source is set once probed.
 */
export function newJournal(o: AcquireOptions, format: FormatDescriptor<FormatName>, sourcePath: string): Journal {
  return {
    journal: 'exhibit acquisition journal',
    version: 1,
    case: o.caseId!,
    evidence: o.evidence,
    examiner: o.examiner,
    ...(o.description ? { description: o.description } : {}),
    ...(o.notes ? { notes: o.notes } : {}),
    ...o.settings,
    // A format that stores hashes itself (E01: MD5 in its hash section, and SHA-1 in its digest section) always gets those it requires.
    hashes: format.requiresHashes.length > 0 ? HASH_ALGORITHMS.filter((a) => o.hashes.includes(a) || format.requiresHashes.includes(a)) : o.hashes,
    ...(o.pieceSize === null ? {} : { piece_size: o.pieceSize ?? DEFAULT_PIECE_SIZE }),
    fill: o.fill,
    retries: o.retries,
    max_bad_run: o.maxBadRun,
    ...(o.skipBad ? { skip_bad: true, deferred: [] } : {}),
    source: { path: sourcePath, kind: 'file', size_bytes: 0, logical_sector_size: 512 }, // set once probed
    started: timestamp(),
    sessions: [],
    safe_bytes: 0,
    bad_ranges: [],
  };
}

/** The settings a resume keeps from its journal, by the words the command line gives them. */
const KEPT: [keyof Journal, string][] = [
  ['case', '--case'],
  ['format', '--format'],
  ['hashes', '--hash'],
  ['piece_size', '--piece-size'],
  ['segment_size', '--segment-size'],
  ['ewf', 'the E01 settings'],
  ['zstd', 'the zstd settings'],
  ['description', '--description'],
  ['notes', '--notes'],
  ['fill', '--fill'],
  ['retries', '--retries'],
  ['max_bad_run', '--max-bad-run'],
  ['skip_bad', '--skip-bad'],
];

function refuseOtherSettings(was: Journal, asked: Journal, outDir: string): void {
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const differ = KEPT.filter(([k]) => !same(was[k], asked[k])).map(([k, words]) => `${words} (${JSON.stringify(was[k] ?? null)} then, ${JSON.stringify(asked[k] ?? null)} now)`);
  if (differ.length > 0) {
    throw new ExhibitError('USAGE', `an unfinished acquisition of ${was.evidence} in ${outDir} was begun with other settings: ${differ.join('; ')}; exhibit finishes it only as it was begun`, {
      hints: [`finish it with: exhibit acquire --resume ${outDir} -x <examiner>; or acquire anew into another folder`],
    });
  }
}

/** The case facts a writer with its own metadata fields (E01) stores. */
export function writerFacts(j: Journal, facts: SourceFacts): WriterFacts {
  return {
    case: j.case,
    evidence: j.evidence,
    examiner: j.examiner,
    ...(j.description ? { description: j.description } : {}),
    ...(j.notes ? { notes: j.notes } : {}),
    ...(facts.device?.model ? { model: facts.device.model } : {}),
    ...(facts.device?.serial ? { serial: facts.device.serial } : {}),
    removable: facts.device?.removable === true,
    physical: facts.kind === 'block-device' && !facts.device?.is_partition,
    acquired: new Date(j.started.utc),
  };
}

export async function prepare(o: AcquireOptions): Promise<Session> {
  const outDir = checkOptions(o);
  // A first look, changing nothing, to learn which source to open: the journal is read again, and
  // acted on, only once the output is locked (after the source is open and shown not to hold it).
  const peek = await readJournal(path.join(outDir, journalFileName(o.evidence)));
  if (!peek) {
    if (o.resumeOnly) throw nothingToResume(o, outDir);
    requireCase(o);
  }
  // A source named only by the journal is opened only once the journal's signature holds (an edited
  // path could name a pipe, or a device the examiner never chose).
  if (peek && o.source === undefined) requireSignedJournal(o, peek, outDir);
  const sourcePath = o.source ?? peek?.source.path;
  if (!sourcePath) throw new ExhibitError('USAGE', 'no source given');

  const { handle, facts } = await openSource(sourcePath);
  // What the drive hides from the host (HPA/DCO) is recorded with it: exhibit images the visible sectors only.
  if (facts.device) facts.device.hidden_areas = hiddenAreas(facts.resolved_path, facts.device);
  let lock: OutputLock | undefined;
  try {
    // Nothing is created on the source, not even a lock file. A folder yet to be made holds nothing
    // to resume; it is locked once made.
    await checkOutputNotOnSource(facts, outDir);
    lock = await lockIfFolderExists(outDir, o.evidence, 'acquisition');
    const resumeFrom = lock ? await findResumable(o, outDir) : undefined;
    if (!resumeFrom) requireCase(o);

    // A resumed acquisition keeps the settings it started with. The same command again must ask for
    // the same acquisition: other settings are refused, not silently dropped (--resume takes the journal's).
    if (resumeFrom && !o.resumeOnly) refuseOtherSettings(resumeFrom, newJournal(o, formatOf(o.settings.format), sourcePath), outDir);
    const format = formatOf(resumeFrom?.format ?? o.settings.format);
    const j = resumeFrom ?? newJournal(o, format, sourcePath);
    const ss = facts.logical_sector_size;
    const fill = parseFill(j.fill, ss);
    if (resumeFrom) checkSameIdentity(resumeFrom.source, identityOf(facts));
    else {
      if (facts.size_bytes === 0) {
        throw new ExhibitError('SOURCE_EMPTY', `source ${sourcePath} is empty (0 bytes)`, { hints: ['check that the drive is connected and its medium inserted'] });
      }
      j.source = identityOf(facts);
      if (j.piece_size !== undefined && j.piece_size % ss !== 0) {
        throw new ExhibitError('USAGE', `--piece-size must be a whole number of the source's ${ss}-byte sectors, not ${j.piece_size} bytes`, { hints: [`use a multiple of ${ss}, such as the default 64MiB`] });
      }
    }
    const mounted = checkMounts(facts, o.allowMounted);
    await existingAncestor(outDir);
    if (!format.patch && j.skip_bad) throw new ExhibitError('USAGE', '--skip-bad works with the raw and split-raw formats only, for now');
    // E01 holds whole sectors: a last partial sector is completed with zeros (recorded), and hashed so.
    const mediaBytes = format.wholeSectors ? Math.ceil(facts.size_bytes / ss) * ss : facts.size_bytes;
    const writer = makeWriter({
      dir: outDir,
      base: j.evidence,
      settings: j,
      mediaBytes,
      sectorSize: ss,
      facts: writerFacts(j, facts),
      version: o.version,
      ...(o.threads ? { threads: o.threads } : {}),
    });
    // The custody files too: a checkpoint, token or keys folder already there belongs to something else,
    // and the log copied beside the image at the end would replace or write through them.
    const ours = () => [...writer.plannedFiles(facts.size_bytes), recordFileName(j.evidence), `${j.evidence}.map`, piecesFileName(j.evidence), journalFileName(j.evidence), ...Object.values(custodyFileNames(j.evidence))];
    if (!resumeFrom) refuseExisting(outDir, j.evidence, ours());
    // On resume, image bytes already on disk (even past the safe point) are rewritten in place, not added.
    const onDisk = resumeFrom ? writer.plannedFiles(facts.size_bytes).reduce((a, n) => a + (fs.statSync(path.join(outDir, n), { throwIfNoEntry: false })?.size ?? 0), 0) : 0;
    await refuseNoRoom(outDir, Math.max(facts.size_bytes - onDisk, 0) + 1024 * 1024);
    await prepareOutputDir(outDir);
    if (!lock) {
      lock = await lockOutput(outDir, j.evidence, 'acquisition');
      // The folder was made just now: another run may have made it too, and begun.
      refuseExisting(outDir, j.evidence, ours());
    }
    j.owner = lock.owner;
    return {
      o,
      outDir,
      handle,
      facts,
      lock,
      j,
      resuming: resumeFrom !== undefined,
      format,
      writer,
      sectorSize: ss,
      fill,
      mediaBytes,
      mounted,
      recordPath: recordPathFor(outDir, j.evidence),
      mapPath: path.join(outDir, `${j.evidence}.map`),
    };
  } catch (err) {
    await handle.close();
    await lock?.release();
    throw err;
  }
}
