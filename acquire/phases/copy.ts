/**
 * Phase 3: begin the read-only proof, claim the evidence id with the journal
 * and a provisional record, and copy: the pipeline reads the source (after
 * replaying the partial image when resuming), hashes and writes, with safe
 * points noted in the journal.
 */
import { describeSystemError, ExhibitError } from '../../core/errors.js';
import type { HashJob } from '../../core/hash-plan.js';
import { renderRecord, writeFileAtomic } from '../../core/record.js';
import { timestamp } from '../../core/time.js';
import { acquisitionJobs, PieceDigests } from '../digests.js';
import { checkNotedPieces } from '../resume-check.js';
import { rangesBefore, removeStaleTemporaries, writeJournal, type SessionEntry } from '../journal.js';
import { DEFAULT_SLOT_SIZE, runPipeline, type BlockSource, type PipelineResult } from '../pipeline.js';
import { beginReadOnlyProof, writtenBetween, type ProofSession } from '../../source/read-only.js';
import { buildRecord } from '../record-builder.js';
import { SkippingSource } from '../skip-bad.js';
import { SourceReader } from '../../source/source-reader.js';
import type { ResumePoint } from './check-resume.js';
import type { Session } from './session.js';

export interface Copied {
  run: PipelineResult;
  /** This run's entry in the journal's sessions. */
  session: SessionEntry;
  proof: ProofSession;
  jobs: HashJob[];
  /** With --skip-bad: the first pass's source, which knows the regions it deferred. */
  skipping?: SkippingSource;
  /** Why nothing can be told of writes to the source since an earlier session (a drive under another name), for the record. */
  betweenNote?: string;
  /** The pieces' SHA-256 as this session's hash workers handed them over, and what the journal notes of them. */
  pieces: NotedPieces;
}

/**
 * The pieces the journal notes (Journal.pieces_sha256): those earlier sessions noted, until this
 * session has found the partial image's pieces equal to them (or had none to replay); from then on,
 * every whole piece the image holds durably up to the safe point, as hashed here.
 */
export interface NotedPieces {
  digests: PieceDigests;
  size: number | undefined; // bytes per piece; undefined when none are noted (--skip-bad, no pieces)
  earlier: readonly string[];
  replayChecked: boolean;
}

export function notePieces(j: Session['j'], p: NotedPieces): void {
  if (p.size === undefined) return;
  j.pieces_sha256 = p.replayChecked ? p.digests.before(j.safe_bytes, p.size) : [...p.earlier];
}

/** The journal first, created exclusively: it claims the evidence id (of two runs racing, one stops here), and from this moment a crash leaves something to resume. Then the provisional record. */
async function claim(s: Session): Promise<void> {
  const { o, j, outDir, recordPath } = s;
  const provisional = buildRecord(o, j, s.facts, s.writer.format, [], undefined, undefined, 'the acquisition is in progress, or stopped without finishing', j.safe_bytes);
  try {
    await writeJournal(outDir, j, !s.resuming, o.signJournal);
    await writeFileAtomic(recordPath, renderRecord(provisional), s.resuming);
  } catch (err) {
    if ((err as { code?: string }).code === 'EEXIST') throw new ExhibitError('OUTPUT_EXISTS', `an acquisition of ${j.evidence} is already under way in ${outDir}; exhibit never overwrites an image or its record`, { cause: err });
    throw new ExhibitError('OUTPUT_WRITE', `cannot write the acquisition record ${recordPath}: ${describeSystemError(err)}`, { cause: err });
  }
}

export async function copy(s: Session, from: ResumePoint): Promise<Copied> {
  const { o, j, facts, writer, sectorSize: ss, fill, outDir } = s;
  const proof = await beginReadOnlyProof(facts, s.handle, o.allowMounted, s.mounted);
  // A source written since an earlier session read it can never make this image a faithful copy:
  // refused before anything is read or written (the record stays incomplete, as it is).
  // The journal's sessions are anyone's to edit: the case's signed entries of earlier sessions are asked too.
  const logged = s.resuming ? o.loggedSourceChange?.(j.case, j.evidence, outDir, j.started.utc) : undefined;
  if (logged) {
    throw new ExhibitError('SOURCE_WRITTEN', `the source changed while an earlier session read it (the case's custody log, ${logged}, says so); the partial image can never be called a faithful copy of it, and nothing was added to it`, {
      hints: ['acquire the drive again into a new folder; this one stays as it is (incomplete)'],
    });
  }
  const between = writtenBetween(j.sessions, proof.start);
  if (between.moved) {
    throw new ExhibitError('SOURCE_WRITTEN', `the source changed since an earlier session read it: ${between.moved}; the partial image can never be called a faithful copy of it, and nothing was added to it`, {
      hints: ['acquire the drive again into a new folder; this one stays as it is (incomplete)'],
    });
  }
  const session: SessionEntry = { examiner: o.examiner, command_line: o.commandLine, started: timestamp(), from_byte: j.safe_bytes, source_at_start: proof.start };
  j.sessions.push(session);
  await removeStaleTemporaries(outDir, j.evidence);
  await claim(s);

  o.onStart?.(facts, { resumingAt: j.safe_bytes });
  const reader = SourceReader.of(s.handle, facts, { retries: j.retries, fill, maxBadRun: j.max_bad_run }, from.bad);
  s.sourceReader = reader;
  const blockSize = o.slotSize ?? DEFAULT_SLOT_SIZE;
  const skipping = j.skip_bad
    ? new SkippingSource((into, pos) => reader.readOnce(into, pos), fill, blockSize, Math.max(blockSize, Math.min(1 << 30, Math.floor(facts.size_bytes / 64))), j.deferred ?? [])
    : undefined;
  const jobs = acquisitionJobs(j.hashes, writer, ss, j.piece_size);
  const fromSource: BlockSource = skipping ?? reader;
  // The pieces earlier sessions noted as read from the source: the replay must give them again.
  // --skip-bad patches pieces already written in its rescue pass: none are noted.
  const pieces: NotedPieces = { digests: new PieceDigests(), size: j.skip_bad ? undefined : j.piece_size, earlier: j.pieces_sha256 ?? [], replayChecked: !from.replay };
  const beforeFresh = from.beforeFresh;
  const run = await runPipeline({
    source: s.mediaBytes > facts.size_bytes ? padded(fromSource, facts.size_bytes) : fromSource,
    size: s.mediaBytes,
    sectorSize: ss,
    writer,
    jobs,
    ...(from.replay
      ? {
          replay: {
            image: from.replay,
            upTo: j.safe_bytes,
            ...(beforeFresh
              ? {
                  observe: (data: Uint8Array, at: number) => beforeFresh.samples.observe(data, at),
                  beforeFresh: async () => {
                    if (pieces.size !== undefined) checkNotedPieces(pieces.earlier, pieces.digests, pieces.size);
                    await beforeFresh.check();
                    pieces.replayChecked = true;
                  },
                }
              : {}),
          },
        }
      : {}),
    onSegments: pieces.digests.take,
    safePoint: {
      everyBytes: o.safePointBytes ?? 128 * 1024 * 1024,
      everyMs: o.safePointMs ?? 5000,
      onSafePoint: async (bytes) => {
        j.safe_bytes = bytes;
        j.writer_state = writer.resumeState();
        j.bad_ranges = rangesBefore(from.bad.ranges, bytes / ss);
        if (skipping) j.deferred = skipping.before(bytes);
        notePieces(j, pieces);
        await writeJournal(outDir, j, false, o.signJournal);
      },
    },
    ...(o.slotSize ? { slotSize: o.slotSize } : {}),
    ...(o.threads ? { threads: o.threads } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    onProgress: (n) => o.onProgress?.(n, facts.size_bytes, from.bad),
  });
  await from.replay?.close();
  pieces.digests.complete(run.digests);
  return { run, session, proof, jobs, pieces, ...(skipping ? { skipping } : {}), ...(between.unknown ? { betweenNote: between.unknown } : {}) };
}

/** A source whose last partial sector is completed with zeros (formats that hold whole sectors only). */
export function padded(source: BlockSource, realSize: number): BlockSource {
  return {
    async read(into, pos) {
      const real = Math.max(0, Math.min(into.length, realSize - pos));
      if (real > 0) await source.read(into.subarray(0, real), pos);
      into.fill(0, real);
    },
  };
}
