/**
 * Phase 2: when resuming, check the partial image against the source and the
 * journal before changing anything, then let the writer continue from the
 * safe point. A refused resume leaves the partial image as it was.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describeSystemError, ExhibitError } from '../../core/errors.js';
import type { ImageReader } from '../../image/types.js';
import { BadSectorMap } from '../../source/bad-sectors.js';
import { checkSamples, checkTail, ContentSamples, type SampleReader } from '../resume-check.js';
import type { Session } from './session.js';

export interface ResumePoint {
  /** Where the copy resumes (0 for a fresh acquisition). */
  resumedAt: number;
  /** Unreadable sectors already known (none with --skip-bad: they come only from the rescue pass, always run in full). */
  bad: BadSectorMap;
  /** The partial image, open, to replay through the hash workers up to the safe point. */
  replay?: ImageReader;
  /** Checked when the replay is done, before the first new byte is read (see ContentSamples). */
  beforeFresh?: { samples: ContentSamples; check: () => Promise<number> };
}

export async function checkResume(s: Session): Promise<ResumePoint> {
  const { j, writer, sectorSize: ss } = s;
  const bad = new BadSectorMap(j.skip_bad ? [] : j.bad_ranges);
  if (!s.resuming) return { resumedAt: 0, bad };
  if (j.safe_bytes === 0) {
    await writer.resume(0);
    return { resumedAt: 0, bad };
  }
  const deferred = new BadSectorMap((j.deferred ?? []).map((r) => ({ first_sector: Math.floor(r.pos / ss), sectors: Math.ceil(r.len / ss), error: 'deferred' })));
  const files = writer.plannedFiles(j.safe_bytes).map((n) => path.join(s.outDir, n));
  await refuseForeignFiles(files, s);
  const partial = await s.format.openPartial(files, j.writer_state, j).catch((err: unknown) => {
    throw new ExhibitError('RESUME_MISMATCH', `the partial image cannot be read back: ${describeSystemError(err)}`, { cause: err });
  });
  try {
    if (partial.size < j.safe_bytes) {
      throw new ExhibitError('RESUME_MISMATCH', `the partial image holds ${partial.size} bytes but the journal says ${j.safe_bytes} were written safely; it was changed or lost`);
    }
    const source: SampleReader = { readRaw: async (into, pos) => s.handle.read(into, 0, into.length, pos).then((r) => r.bytesRead === into.length, () => false) };
    const avoid = { overlaps: (first: number, count: number) => bad.overlaps(first, count) || deferred.overlaps(first, count) };
    await checkSamples({ source, image: partial, safeBytes: j.safe_bytes, sectorSize: ss, avoid });
    await writer.resume(j.safe_bytes, j.writer_state);
    const samples = new ContentSamples(j.safe_bytes);
    const check = async (): Promise<number> => {
      const compared = await samples.check({ source, image: partial, sectorSize: ss, avoid }); // a drive with data elsewhere is named first
      // After the last piece the journal noted (replayed and compared with its digest), up to the safe point. With
      // --skip-bad the journal notes no piece (its rescue pass patches pieces already written): all that was copied
      // is compared, but for the areas still deferred and the sectors found unreadable.
      if (j.skip_bad || j.piece_size) {
        const noted = j.skip_bad ? 0 : (j.pieces_sha256?.length ?? Math.floor(j.safe_bytes / j.piece_size!));
        await checkTail({ source, image: partial, from: noted * (j.piece_size ?? 0), safeBytes: j.safe_bytes, sectorSize: ss, avoid });
      }
      return compared;
    };
    return { resumedAt: j.safe_bytes, bad, replay: partial, beforeFresh: { samples, check } };
  } catch (err) {
    // A refused resume closes the partial image it opened (left to the garbage collector, Node warns on stderr).
    await partial.close().catch(() => undefined);
    throw err;
  }
}

/**
 * Each file of the partial image must be the file exhibit wrote: a regular file of one name, not a
 * symbolic link, not a second name of another file, and not the source itself. Resuming opens these
 * files for writing and cuts them back to the safe point; a name swapped for a link to the source (or
 * to any other file) would make that cut land on it. A file that is not there is left to the read back.
 */
async function refuseForeignFiles(files: readonly string[], s: Session): Promise<void> {
  const source = await s.handle.stat();
  for (const file of files) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(file);
    } catch {
      continue;
    }
    const refuse = (why: string) =>
      new ExhibitError('RESUME_MISMATCH', `${file} ${why}; exhibit resumes only the image files it wrote, and changes nothing else`, {
        hints: ['put back the partial image as the interrupted run left it, or start a new acquisition into a new folder'],
      });
    if (st.isSymbolicLink()) throw refuse('is a symbolic link');
    if (!st.isFile()) throw refuse('is not a regular file');
    if (st.dev === source.dev && st.ino === source.ino) throw refuse('is the source itself');
    if (st.nlink !== 1) throw refuse(`has ${st.nlink} names (hard links), so it may be another file than the one exhibit wrote`);
  }
}
