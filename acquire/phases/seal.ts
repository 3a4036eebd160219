/**
 * Phase 5: finish (or, when the copy stopped, sync and close) the image, take
 * the read-only proof's after-readings, and write the map and the final
 * record; the journal goes last, once complete. `release` closes the source
 * and gives up the lock, whatever happened.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { describeSystemError, ExhibitError } from '../../core/errors.js';
import { pieceCount, renderPieces, summarise, type PiecesSummary } from '../../core/pieces.js';
import { renderRecord, writeFileAtomic, type RecordImageFile } from '../../core/record.js';
import { timestamp } from '../../core/time.js';
import { formatBytes } from '../../core/units.js';
import type { ImageFile } from '../../image/types.js';
import type { BadSectorMap } from '../../source/bad-sectors.js';
import { digestsOf, fileSha256s } from '../digests.js';
import { journalFileName, rangesBefore, readJournal, removeStaleTemporaries, writeJournal, type Journal } from '../journal.js';
import { renderMapfile } from '../../source/mapfile.js';
import type { PipelineResult } from '../pipeline.js';
import { buildRecord } from '../record-builder.js';
import { sha256Hex } from '../../core/crypto.js';
import { notePieces, type Copied } from './copy.js';
import type { AcquireOutcome, Session } from './session.js';

export function asExhibitError(err: unknown): ExhibitError {
  return err instanceof ExhibitError ? err : new ExhibitError('INTERNAL', describeSystemError(err), { cause: err });
}

/**
 * After the copy: a finished copy seals the image with its hashes; a stopped one makes what was
 * written durable (a safe point too: the writer says how far; E01 keeps whole chunks) and closes it.
 */
export async function finishImage(s: Session, c: Copied, bad: BadSectorMap): Promise<{ files: ImageFile[]; error?: ExhibitError }> {
  const { j, writer, sectorSize: ss } = s;
  try {
    if (!c.run.interrupted && c.run.failure === undefined) {
      const media = digestsOf(c.run.digests)?.media;
      const files = await writer.finish({ ...(media?.md5 ? { md5: media.md5 } : {}), ...(media?.sha1 ? { sha1: media.sha1 } : {}), unreadable: bad.ranges });
      j.safe_bytes = s.mediaBytes;
      notePieces(j, c.pieces); // kept in the journal should sealing the record fail
      return { files };
    }
    const durable = await writer.sync().catch(() => j.safe_bytes);
    const state = writer.resumeState();
    const files = await writer.close();
    if (durable > j.safe_bytes) {
      j.safe_bytes = durable;
      j.writer_state = state;
      j.bad_ranges = rangesBefore(bad.ranges, Math.ceil(durable / ss));
      if (c.skipping) j.deferred = c.skipping.before(durable);
    }
    notePieces(j, c.pieces); // every slot is hashed by now: those the last safe point did not have yet are noted too
    return { files };
  } catch (err) {
    return { files: [], error: asExhibitError(err) };
  }
}

export interface SealInput {
  copied: Copied;
  /** The last pass's result: the copy's, or the rescue's. */
  run: PipelineResult;
  files: ImageFile[];
  bad: BadSectorMap;
  /** What went wrong sealing the image, if anything. */
  error?: ExhibitError;
  resumedAt: number;
}

export async function seal(s: Session, x: SealInput): Promise<AcquireOutcome> {
  const { o, j, facts, outDir, recordPath, sectorSize: ss } = s;
  const { run, copied: c, bad } = x;
  let error = x.error;
  const firstPassDone = !c.run.interrupted && c.run.failure === undefined;
  const complete = !run.interrupted && run.failure === undefined;
  const readOnly = await c.proof.finish();
  // A write between sessions was refused before this one read (copy.ts); what could not be told is said.
  if (c.betweenNote) readOnly.note = c.betweenNote;
  c.session.read_only = readOnly;
  if (run.failure !== undefined) error = asExhibitError(run.failure);
  else if (run.interrupted) {
    error = new ExhibitError(
      'INTERRUPTED',
      firstPassDone && c.skipping ? 'interrupted during the rescue pass (the first pass had finished)' : `interrupted after ${formatBytes(run.bytesDone)} of ${formatBytes(facts.size_bytes)}`,
    );
  }
  if (!readOnly.unchanged) {
    error = new ExhibitError('SOURCE_WRITTEN', 'the source changed while it was read: its write counters or file attributes moved; the image cannot be called a faithful copy', {
      hints: [`see read_only in ${recordPath}`],
    });
  }
  c.session.ended = timestamp();
  c.session.to_byte = j.safe_bytes;
  c.session.outcome = error ? error.message : 'complete';
  if (complete && !error) j.bad_ranges = bad.ranges;
  else if (j.skip_bad) j.bad_ranges = []; // the rescue pass is redone in full on resume

  const d = digestsOf(run.digests);
  const fileSums = fileSha256s(d);
  const recordFiles: RecordImageFile[] = x.files.map((f, i) => {
    const sha256 = f.sha256 ?? fileSums?.[i];
    return { name: f.name, size: f.size, ...(sha256 && !error ? { sha256 } : {}) };
  });
  // The pieces file, when complete: its SHA-256 goes into the record, so it is written first.
  const pieces = !error && d?.pieces && j.piece_size !== undefined ? piecesText(j.evidence, s.mediaBytes, ss, j.piece_size, d.pieces) : undefined;
  const record = buildRecord(o, j, facts, s.writer.format, recordFiles, error ? undefined : d, readOnly, error?.message, j.safe_bytes, d?.zeroSectors, pieces?.summary);
  // Each of these is tried on its own (a full disk may refuse one and not the next): the journal
  // first when unfinished, since resuming depends on it; the map before the record, so a complete
  // record always has its map; the journal removed last, when complete.
  // The map is of the source: the zeros an E01 adds to fill its last sector (counted in safe_bytes) are not read from it.
  // --skip-bad's areas not read yet (deferred, or to be rescued again on resume) hold placeholders: '?' in the map, never '+'.
  const untried = complete && !error ? [] : (j.deferred ?? []);
  const map = renderMapfile({ size: facts.size_bytes, sectorSize: ss, done: Math.min(j.safe_bytes, facts.size_bytes), bad: j.bad_ranges, untried, commandLine: o.commandLine, started: new Date(j.started.utc), version: o.version });
  const recordText = renderRecord(record);
  // Unfinished: the journal first, since resuming depends on it. Complete: the journal as it stood at the last
  // safe point (what a resume starts from, should the run die before the record is written) notes the
  // record's signed SHA-256 before the record is written: a run killed before logging it is then finished
  // by the next one, for that record only.
  let journalNow: Journal = j;
  if (!error) {
    const sha256 = sha256Hex(recordText);
    const atSafePoint = await readJournal(path.join(outDir, journalFileName(j.evidence))).catch(() => undefined);
    journalNow = { ...(atSafePoint ?? j), final_record: { sha256, ...(o.vouchRecord?.(sha256) ?? {}) } };
  }
  const steps: [string, () => Promise<void>][] = [
    ['resume journal', () => writeJournal(outDir, journalNow, false, o.signJournal)],
    ['mapfile', () => writeFileAtomic(s.mapPath, map, true)],
    ...(pieces ? [['pieces file', () => writeFileAtomic(path.join(outDir, pieces.summary.file), pieces.text, true)] as [string, () => Promise<void>]] : []),
    ['acquisition record', () => writeFileAtomic(recordPath, recordText, true)],
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
  // journal stays and the next run calls onRecorded again (see prepare).
  await o.onRecorded?.(record, recordPath);
  if (!error) await fsp.rm(path.join(outDir, journalFileName(j.evidence)), { force: true });
  return { record, recordPath, resumedAt: x.resumedAt, ...(error ? { error } : {}) };
}

/** The pieces file's text and the summary the record keeps of it. */
function piecesText(evidence: string, mediaBytes: number, sectorSize: number, pieceSize: number, sha256: string[]): { text: string; summary: PiecesSummary } {
  const list = { evidence, mediaBytes, sectorSize, pieceSize, sha256 };
  if (sha256.length !== pieceCount(mediaBytes, pieceSize)) throw new ExhibitError('INTERNAL', `the copy gave ${sha256.length} piece hashes for ${pieceCount(mediaBytes, pieceSize)} pieces`);
  const text = renderPieces(list);
  return { text, summary: summarise(list, text) };
}

/** Close the source and give up the lock (after the journal is gone). */
export async function release(s: Session): Promise<void> {
  await s.sourceReader?.close();
  await s.handle.close();
  await s.lock.release();
}
