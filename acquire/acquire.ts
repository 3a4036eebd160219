/**
 * One acquisition session, start to finish: open the source read-only, refuse
 * what must be refused before a byte is read (or, when resuming, check that
 * source and partial image are the ones the journal describes), lock and
 * measure the source, copy and hash, seal the image, take the after-readings,
 * and write the map and the record.
 *
 * The record exists from the first moment, saying `incomplete`; it is
 * replaced by the final one only after every image file is fsynced, so a crash
 * at any point leaves an incomplete record and a journal to resume from.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { HASH_ALGORITHMS, type HashAlgorithm } from '../core/crypto.js';
import { describeSystemError, ExhibitError } from '../core/errors.js';
import type { HashJob } from '../core/hash-plan.js';
import { recordFileName, recordPathFor, renderRecord, writeFileAtomic, type AcquisitionRecord, type RecordImageFile } from '../core/record.js';
import { readRecord } from '../core/record/read.js';
import { timestamp } from '../core/time.js';
import { formatBytes } from '../core/units.js';
import { formatOf } from '../image/registry.js';
import type { FormatName, FormatSettings, ImageFile, ImageReader, ImageWriter } from '../image/types.js';
import { BadSectorMap, parseFill } from '../source/bad-sectors.js';
import { checkEvidenceId, checkText, existingAncestor, prepareOutputDir, refuseExisting, refuseNoRoom } from './checks.js';
import { journalFileName, rangesBefore, readJournal, removeStaleTemporaries, writeJournal, type Journal, type SessionEntry } from './journal.js';
import { renderMapfile } from '../source/mapfile.js';
import { buildRecord } from './record-builder.js';
import { DEFAULT_SLOT_SIZE, runPipeline, type BlockSource } from './pipeline.js';
import { makeWriter } from './writers.js';
import { rescueDeferred, SkippingSource } from './skip-bad.js';
import { beginReadOnlyProof, checkMounts, checkOutputNotOnSource } from '../source/read-only.js';
import { checkSameIdentity, checkSamples, identityOf } from './resume-check.js';
import { SourceReader } from '../source/source-reader.js';
import { openSource, type SourceFacts } from '../source/source.js';
import { lockIfFolderExists, lockOutput, type OutputLock } from './output-lock.js';
import { asOwner, describeOwner, ownerState } from './process-owner.js';

export { checkEvidenceId, checkText } from './checks.js';

type EwfSettings = NonNullable<FormatSettings['ewf']>;

export interface AcquireOptions {
  source?: string; // optional when resuming: the journal names it
  outDir: string;
  evidence: string;
  caseId?: string; // required for a new acquisition
  examiner: string;
  description?: string;
  notes?: string;
  format: FormatName;
  segmentSize: number;
  hashes: HashAlgorithm[];
  fill: string;
  retries: number;
  maxBadRun: number;
  allowMounted: boolean;
  skipBad?: boolean;
  ewf?: { compression: EwfSettings['compression']; chunkSectors: number; mediaType?: NonNullable<EwfSettings['media_type']> };
  zstd?: { level: number; frameSize: number };
  resumeOnly?: boolean; // --resume: there must be something to resume
  commandLine: string[];
  version: string;
  signal?: AbortSignal;
  threads?: number;
  slotSize?: number;
  safePointBytes?: number;
  safePointMs?: number;
  onStart?: (facts: SourceFacts, info: { resumingAt: number }) => void;
  /**
   * Called once the run's final record (complete or incomplete) is durable and before the journal
   * is removed, and again by a later run that finds a complete record beside a stale journal (the
   * first was killed in between). It must be idempotent. The CLI logs the result in the custody log.
   */
  onRecorded?: (record: AcquisitionRecord, recordPath: string) => Promise<void>;
  onProgress?: (bytesDone: number, total: number) => void;
  /** A later pass begins: rescue (re-reading what --skip-bad deferred) or rehash (reading the image back). */
  onPass?: (pass: 'rescue' | 'rehash', total: number) => void;
}

export interface AcquireOutcome {
  record: AcquisitionRecord;
  recordPath: string;
  resumedAt: number; // 0 for a fresh acquisition
  /** Set when the result is incomplete: why (interrupted, read error, full disk, moved counter...). */
  error?: ExhibitError;
}

function hashJobs(hashes: HashAlgorithm[], writer: ImageWriter, sectorSize: number): HashJob[] {
  const jobs: HashJob[] = hashes.map((a) => ({ id: `media:${a}`, algorithm: a }));
  if (writer.layout.kind === 'slices') {
    const seg = writer.layout.segmentSize;
    // One file holding the media verbatim has the media's SHA-256: no second pass.
    if (seg !== null || !hashes.includes('sha256')) {
      jobs.push(seg === null ? { id: 'file:sha256', algorithm: 'sha256' } : { id: 'file:sha256', algorithm: 'sha256', segmentSize: seg });
    }
  }
  jobs.push({ id: 'zero-sectors', algorithm: 'zero-sectors', sectorSize });
  return jobs;
}

function asExhibitError(err: unknown): ExhibitError {
  return err instanceof ExhibitError ? err : new ExhibitError('INTERNAL', describeSystemError(err), { cause: err });
}

function requireCase(o: AcquireOptions): void {
  if (!o.caseId?.trim()) throw new ExhibitError('USAGE', 'a case id is needed (--case)');
  checkText('case id', o.caseId, 100);
}

function nothingToResume(o: AcquireOptions, outDir: string): ExhibitError {
  return new ExhibitError('USAGE', `there is nothing to resume: no journal ${journalFileName(o.evidence)} in ${outDir}`, {
    hints: ['an acquisition that completed, or never started, has no journal'],
  });
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
  // A journal is resumable only once the run that wrote it is gone (the lock says so too; this also
  // holds when a lock file was removed by hand while its run was alive). One on another host cannot
  // be asked: the lock, which that run would hold, is the judge there.
  const owner = asOwner(journal.owner);
  if (owner && owner.pid !== process.pid && ownerState(owner) === 'alive') {
    throw new ExhibitError('OUTPUT_LOCKED', `an acquisition of ${o.evidence} is already under way in ${outDir}: ${describeOwner(owner)}, named by its journal; exhibit changes nothing while it runs`, {
      hints: ['wait for it to end; an acquisition that was stopped resumes with the same command'],
    });
  }
  const found = fs.existsSync(recordPath) ? readRecord(recordPath).record : undefined;
  if (found?.result === 'complete') {
    // A run killed after its final record but before removing its journal: what follows the record
    // (onRecorded: the custody log) may not have happened; do it now, then the journal is stale.
    await o.onRecorded?.(found, recordPath);
    await fsp.rm(path.join(outDir, journalFileName(o.evidence)), { force: true });
    await removeStaleTemporaries(outDir, o.evidence);
    throw new ExhibitError('OUTPUT_EXISTS', `${recordPath} says the acquisition is complete; there is nothing to resume and exhibit never overwrites it`);
  }
  return journal;
}

export async function acquire(o: AcquireOptions): Promise<AcquireOutcome> {
  checkEvidenceId(o.evidence);
  checkText('examiner', o.examiner, 200);
  checkText('description', o.description);
  checkText('notes', o.notes);
  if (o.examiner.trim() === '') throw new ExhibitError('USAGE', 'the examiner must not be empty');
  const outDir = path.resolve(o.outDir);
  // A first look, changing nothing, to learn which source to open: the journal is read again, and
  // acted on, only once the output is locked (after the source is open and shown not to hold it).
  const peek = await readJournal(path.join(outDir, journalFileName(o.evidence)));
  if (!peek) {
    if (o.resumeOnly) throw nothingToResume(o, outDir);
    requireCase(o);
  }
  const sourcePath = o.source ?? peek?.source.path;
  if (!sourcePath) throw new ExhibitError('USAGE', 'no source given');

  const { handle, facts } = await openSource(sourcePath);
  let sourceReader: SourceReader | undefined;
  let lock: OutputLock | undefined;
  try {
    // Nothing is created on the source, not even a lock file. A folder yet to be made holds nothing
    // to resume; it is locked once made.
    await checkOutputNotOnSource(facts, outDir);
    lock = await lockIfFolderExists(outDir, o.evidence, 'acquisition');
    const resumeFrom = lock ? await findResumable(o, outDir) : undefined;
    if (!resumeFrom) requireCase(o);

    // A resumed acquisition keeps the settings it started with.
    const format = formatOf(resumeFrom?.format ?? o.format);
    const e01Defaults = formatOf('e01').options;
    const zstDefaults = formatOf('zst').options;
    const j: Journal = resumeFrom ?? {
      journal: 'exhibit acquisition journal',
      version: 1,
      case: o.caseId!,
      evidence: o.evidence,
      examiner: o.examiner,
      ...(o.description ? { description: o.description } : {}),
      ...(o.notes ? { notes: o.notes } : {}),
      format: o.format,
      ...(o.format === 'split-raw' || o.format === 'e01' ? { segment_size: o.segmentSize } : {}),
      ...(o.format === 'zst' ? { zstd: { level: o.zstd?.level ?? zstDefaults.level!, frame_size: o.zstd?.frameSize ?? zstDefaults.frameBytes! } } : {}),
      ...(o.format === 'e01' ? { ewf: { compression: o.ewf?.compression ?? e01Defaults.compression!, chunk_sectors: o.ewf?.chunkSectors ?? e01Defaults.chunkSectors!, ...(o.ewf?.mediaType ? { media_type: o.ewf.mediaType } : {}) } } : {}),
      // A format that stores hashes itself (E01: MD5 in its hash section, and SHA-1 in its digest section) always gets those it requires.
      hashes: format.requiresHashes.length > 0 ? HASH_ALGORITHMS.filter((a) => o.hashes.includes(a) || format.requiresHashes.includes(a)) : o.hashes,
      fill: parseFill(o.fill, 512).spec,
      retries: o.retries,
      max_bad_run: o.maxBadRun,
      ...(o.skipBad ? { skip_bad: true, deferred: [] } : {}),
      source: { path: sourcePath, kind: 'file', size_bytes: 0, logical_sector_size: 512 }, // set once probed
      started: timestamp(),
      sessions: [],
      safe_bytes: 0,
      bad_ranges: [],
    };

    const ss = facts.logical_sector_size;
    const fill = parseFill(j.fill, ss);
    if (resumeFrom) checkSameIdentity(resumeFrom.source, identityOf(facts));
    else {
      if (facts.size_bytes === 0) {
        throw new ExhibitError('SOURCE_EMPTY', `source ${sourcePath} is empty (0 bytes)`, { hints: ['check that the drive is connected and its medium inserted'] });
      }
      j.source = identityOf(facts);
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
      facts: {
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
      },
      version: o.version,
      ...(o.threads ? { threads: o.threads } : {}),
    });
    const recordPath = recordPathFor(outDir, j.evidence);
    const mapPath = path.join(outDir, `${j.evidence}.map`);
    if (!resumeFrom) {
      refuseExisting(outDir, j.evidence, [...writer.plannedFiles(facts.size_bytes), recordFileName(j.evidence), `${j.evidence}.map`, journalFileName(j.evidence)]);
    }
    // On resume, image bytes already on disk (even past the safe point) are rewritten in place, not added.
    const onDisk = resumeFrom ? writer.plannedFiles(facts.size_bytes).reduce((a, n) => a + (fs.statSync(path.join(outDir, n), { throwIfNoEntry: false })?.size ?? 0), 0) : 0;
    await refuseNoRoom(outDir, Math.max(facts.size_bytes - onDisk, 0) + 1024 * 1024);
    await prepareOutputDir(outDir);
    if (!lock) {
      lock = await lockOutput(outDir, j.evidence, 'acquisition');
      // The folder was made just now: another run may have made it too, and begun.
      refuseExisting(outDir, j.evidence, [...writer.plannedFiles(facts.size_bytes), recordFileName(j.evidence), `${j.evidence}.map`, journalFileName(j.evidence)]);
    }
    j.owner = lock.owner;

    const resumedAt = resumeFrom ? j.safe_bytes : 0;
    // With --skip-bad, unreadable sectors come only from the rescue pass, which is always run in full.
    const bad = new BadSectorMap(j.skip_bad ? [] : j.bad_ranges);
    const deferredMap = new BadSectorMap((j.deferred ?? []).map((r) => ({ first_sector: Math.floor(r.pos / ss), sectors: Math.ceil(r.len / ss), error: 'deferred' })));
    let replay: ImageReader | undefined;
    if (resumeFrom && j.safe_bytes > 0) {
      // Check before changing anything: a refused resume leaves the partial image as it was.
      const files = writer.plannedFiles(j.safe_bytes).map((n) => path.join(outDir, n));
      const opening = format.openPartial(files, j.writer_state, j);
      replay = await opening.catch((err: unknown) => {
        throw new ExhibitError('RESUME_MISMATCH', `the partial image cannot be read back: ${describeSystemError(err)}`, { cause: err });
      });
      const partial = replay;
      try {
        if (partial.size < j.safe_bytes) {
          throw new ExhibitError('RESUME_MISMATCH', `the partial image holds ${partial.size} bytes but the journal says ${j.safe_bytes} were written safely; it was changed or lost`);
        }
        await checkSamples({
          source: { readRaw: async (into, pos) => handle.read(into, 0, into.length, pos).then((r) => r.bytesRead === into.length, () => false) },
          image: partial,
          safeBytes: j.safe_bytes,
          sectorSize: ss,
          avoid: { overlaps: (first, count) => bad.overlaps(first, count) || deferredMap.overlaps(first, count) },
        });
        await writer.resume(j.safe_bytes, j.writer_state);
      } catch (err) {
        // A refused resume closes the partial image it opened (left to the garbage collector, Node warns on stderr).
        await partial.close().catch(() => undefined);
        throw err;
      }
    } else if (resumeFrom) {
      await writer.resume(0);
    }

    const proof = await beginReadOnlyProof(facts, handle, o.allowMounted, mounted);
    const session: SessionEntry = { examiner: o.examiner, command_line: o.commandLine, started: timestamp(), from_byte: j.safe_bytes };
    j.sessions.push(session);
    await removeStaleTemporaries(outDir, j.evidence);
    // The journal first, created exclusively: it claims the evidence id (of two runs racing, one stops
    // here), and from this moment a crash leaves something to resume. Then the provisional record.
    const provisional = buildRecord(o, j, facts, writer.format, [], undefined, undefined, 'the acquisition is in progress, or stopped without finishing', j.safe_bytes);
    try {
      await writeJournal(outDir, j, resumeFrom === undefined);
      await writeFileAtomic(recordPath, renderRecord(provisional), resumeFrom !== undefined);
    } catch (err) {
      if ((err as { code?: string }).code === 'EEXIST') throw new ExhibitError('OUTPUT_EXISTS', `an acquisition of ${j.evidence} is already under way in ${outDir}; exhibit never overwrites an image or its record`, { cause: err });
      throw new ExhibitError('OUTPUT_WRITE', `cannot write the acquisition record ${recordPath}: ${describeSystemError(err)}`, { cause: err });
    }

    o.onStart?.(facts, { resumingAt: j.safe_bytes });
    sourceReader = SourceReader.of(handle, facts, { retries: j.retries, fill, maxBadRun: j.max_bad_run }, bad);
    const reader = sourceReader;
    const blockSize = o.slotSize ?? DEFAULT_SLOT_SIZE;
    const skipping = j.skip_bad
      ? new SkippingSource((into, pos) => reader.readOnce(into, pos), fill, blockSize, Math.max(blockSize, Math.min(1 << 30, Math.floor(facts.size_bytes / 64))), j.deferred ?? [])
      : undefined;
    const jobs = hashJobs(j.hashes, writer, ss);
    const fromSource: BlockSource = skipping ?? sourceReader;
    let run = await runPipeline({
      source: mediaBytes > facts.size_bytes ? padded(fromSource, facts.size_bytes) : fromSource,
      size: mediaBytes,
      sectorSize: ss,
      writer,
      jobs,
      ...(replay ? { replay: { image: replay, upTo: j.safe_bytes } } : {}),
      safePoint: {
        everyBytes: o.safePointBytes ?? 128 * 1024 * 1024,
        everyMs: o.safePointMs ?? 5000,
        onSafePoint: async (bytes) => {
          j.safe_bytes = bytes;
          j.writer_state = writer.resumeState();
          j.bad_ranges = rangesBefore(bad.ranges, bytes / ss);
          if (skipping) j.deferred = skipping.before(bytes);
          await writeJournal(outDir, j);
        },
      },
      ...(o.slotSize ? { slotSize: o.slotSize } : {}),
      ...(o.threads ? { threads: o.threads } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      onProgress: (n) => o.onProgress?.(n, facts.size_bytes),
    });
    await replay?.close();

    let error: ExhibitError | undefined;
    let files: ImageFile[] = [];
    const copied = !run.interrupted && run.failure === undefined;
    try {
      const d = run.digests;
      if (copied) {
        files = await writer.finish({ ...(d?.get('media:md5') ? { md5: d.get('media:md5')![0]! } : {}), ...(d?.get('media:sha1') ? { sha1: d.get('media:sha1')![0]! } : {}), unreadable: bad.ranges });
        j.safe_bytes = mediaBytes;
      } else {
        // Make what was written durable: that is a safe point too (the writer says how far; E01 keeps whole chunks).
        const durable = await writer.sync().catch(() => j.safe_bytes);
        const state = writer.resumeState();
        files = await writer.close();
        if (durable > j.safe_bytes) {
          j.safe_bytes = durable;
          j.writer_state = state;
          j.bad_ranges = rangesBefore(bad.ranges, Math.ceil(durable / ss));
          if (skipping) j.deferred = skipping.before(durable);
        }
      }
    } catch (err) {
      error = asExhibitError(err);
    }
    if (copied && !error && skipping && skipping.deferred.length > 0) {
      // --skip-bad, passes 2 and 3: note the finished first pass, then rescue and rehash.
      j.deferred = skipping.deferred;
      await writeJournal(outDir, j);
      const regions = skipping.deferred;
      o.onPass?.('rescue', regions.reduce((a, r) => a + r.len, 0));
      const imageFiles = files.map((f) => path.join(outDir, f.name));
      run = await rescueDeferred({
        regions,
        read: (into, pos) => reader.read(into, pos),
        patch: (pos, data) => format.patch!(outDir, j.evidence, j, pos, data),
        rehash: async () => {
          o.onPass?.('rehash', facts.size_bytes);
          const image = await format.openPartial(imageFiles, undefined, j);
          try {
            return await runPipeline({
              source: { read: async () => Promise.reject(new ExhibitError('INTERNAL', 'the rehash pass reads only the image')) },
              size: facts.size_bytes,
              sectorSize: ss,
              writer,
              jobs,
              replay: { image, upTo: facts.size_bytes },
              ...(o.threads ? { threads: o.threads } : {}),
              ...(o.signal ? { signal: o.signal } : {}),
              onProgress: (n) => o.onProgress?.(n, facts.size_bytes),
            });
          } finally {
            await image.close();
          }
        },
        ...(o.signal ? { signal: o.signal } : {}),
        onProgress: (n, total) => o.onProgress?.(n, total),
      });
      if (run.failure === undefined && !run.interrupted) j.bad_ranges = bad.ranges;
    }
    const complete = !run.interrupted && run.failure === undefined;
    const readOnly = await proof.finish();
    session.read_only = readOnly;
    if (run.failure !== undefined) error = asExhibitError(run.failure);
    else if (run.interrupted) {
      error = new ExhibitError(
        'INTERRUPTED',
        copied && skipping ? 'interrupted during the rescue pass (the first pass had finished)' : `interrupted after ${formatBytes(run.bytesDone)} of ${formatBytes(facts.size_bytes)}`,
      );
    }
    if (!readOnly.unchanged) {
      error = new ExhibitError('SOURCE_WRITTEN', 'the source changed while it was read: its write counters or file attributes moved; the image cannot be called a faithful copy', {
        hints: [`see read_only in ${recordPath}`],
      });
    }
    session.ended = timestamp();
    session.to_byte = j.safe_bytes;
    session.outcome = error ? error.message : 'complete';
    if (complete && !error) j.bad_ranges = bad.ranges;
    else if (j.skip_bad) j.bad_ranges = []; // the rescue pass is redone in full on resume

    const d = run.digests;
    const fileSums = d?.get('file:sha256') ?? d?.get('media:sha256');
    const recordFiles: RecordImageFile[] = files.map((f, i) => {
      const sha256 = f.sha256 ?? fileSums?.[i];
      return { name: f.name, size: f.size, ...(sha256 && !error ? { sha256 } : {}) };
    });
    const zeros = d?.get('zero-sectors')?.[0];
    const record = buildRecord(o, j, facts, writer.format, recordFiles, error ? undefined : d, readOnly, error?.message, j.safe_bytes, zeros === undefined ? undefined : Number(zeros));
    // Each of these is tried on its own (a full disk may refuse one and not the next): the journal
    // first when unfinished, since resuming depends on it; the map before the record, so a complete
    // record always has its map; the journal removed last, when complete.
    const map = renderMapfile({ size: facts.size_bytes, sectorSize: ss, done: j.safe_bytes, bad: j.bad_ranges, commandLine: o.commandLine, started: new Date(j.started.utc), version: o.version });
    const steps: [string, () => Promise<void>][] = [
      ...(error ? [['resume journal', () => writeJournal(outDir, j)] as [string, () => Promise<void>]] : []),
      ['mapfile', () => writeFileAtomic(mapPath, map, true)],
      ['acquisition record', () => writeFileAtomic(recordPath, renderRecord(record), true)],
    ];
    const failed: string[] = [];
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (err) {
        failed.push(`the ${what} could not be written: ${describeSystemError(err)}`);
      }
    }
    await removeStaleTemporaries(outDir, j.evidence);
    if (failed.length > 0) {
      const why = failed.join('; ');
      throw new ExhibitError(error ? error.code : 'OUTPUT_WRITE', error ? `${error.message}; and ${why}` : why);
    }
    // After the record, before the journal goes: if this throws or the run is killed here, the
    // journal stays and the next run calls onRecorded again (see above).
    await o.onRecorded?.(record, recordPath);
    if (!error) await fsp.rm(path.join(outDir, journalFileName(j.evidence)), { force: true });
    return { record, recordPath, resumedAt, ...(error ? { error } : {}) };
  } finally {
    await sourceReader?.close();
    await handle.close();
    await lock?.release(); // after the journal is gone
  }
}

/** A source whose last partial sector is completed with zeros (formats that hold whole sectors only). */
function padded(source: BlockSource, realSize: number): BlockSource {
  return {
    async read(into, pos) {
      const real = Math.max(0, Math.min(into.length, realSize - pos));
      if (real > 0) await source.read(into.subarray(0, real), pos);
      into.fill(0, real);
    },
  };
}
