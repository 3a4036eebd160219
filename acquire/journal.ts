/**
 * The resume journal, `<evidence>.journal.json`, rewritten atomically at each
 * safe point. It says how much of the image is durable (`safe_bytes`: the
 * image holds source bytes [0, safe_bytes) on stable storage), which of those
 * sectors were unreadable, and everything needed to continue and to write the
 * final record. It is removed once the acquisition is complete.
 */
import path from 'node:path';
import { HASH_ALGORITHMS, type HashAlgorithm } from '../core/crypto.js';
import { describeSystemError, ExhibitError } from '../core/errors.js';
import { journalFileName, recordFileName, removeAtomicLeftovers, writeFileAtomic, type RecordReadOnly } from '../core/record.js';
import type { Timestamp } from '../core/time.js';
import type { FormatName, FormatSettings } from '../image/types.js';
import { FORMAT_NAMES } from '../image/registry.js';
import { isSafeEvidenceId } from './checks.js';
import type { BadRange } from '../source/bad-sectors.js';
import type { SourceState } from '../source/read-only.js';
import { lockFileName } from './output-lock.js';
import { piecesFileName } from '../core/pieces.js';
import type { ProcessOwner } from '../core/process-owner.js';
import { readInput } from '../core/input-file.js';

export interface SessionEntry {
  examiner: string;
  command_line: string[];
  started: Timestamp;
  ended?: Timestamp;
  from_byte: number; // where this session began reading the source
  to_byte?: number; // how far the image was durable when it ended
  outcome?: string; // complete, or why it stopped
  read_only?: RecordReadOnly;
  /** The source as this session began (its write counters, or a file's size and time): compared by the next session, even when this one was killed. */
  source_at_start?: SourceState;
}

export interface SourceIdentity {
  path: string;
  kind: 'block-device' | 'file';
  size_bytes: number;
  logical_sector_size: number;
  vendor?: string;
  model?: string;
  serial?: string;
  wwid?: string;
}

export interface Journal {
  journal: 'exhibit acquisition journal';
  version: 1;
  case: string;
  evidence: string;
  examiner: string;
  description?: string;
  notes?: string;
  format: FormatName;
  segment_size?: FormatSettings['segment_size'];
  zstd?: FormatSettings['zstd'];
  ewf?: FormatSettings['ewf'];
  hashes: HashAlgorithm[];
  /** Bytes per piece of the media whose SHA-256 goes into `<evidence>.pieces` (absent in journals of earlier versions: no pieces). */
  piece_size?: number;
  /**
   * The SHA-256 of each whole piece the image held durably at the last safe point, as it was read from
   * the source. A resume hashes the partial image again and refuses to go on when one differs: the
   * partial image was changed between sessions. Absent with --skip-bad (the rescue pass patches pieces
   * already written) and in journals of earlier versions.
   */
  pieces_sha256?: string[];
  /**
   * The final record's SHA-256, noted (and signed by the examiner, when the run can sign) just before
   * the record is written: a run killed before it logged that record leaves this, and only a record
   * with this SHA-256 is logged late (prepare.ts). Someone who can write the folder cannot make the
   * examiner's key sign a record of theirs.
   */
  final_record?: { sha256: string; key?: string; sig?: string };
  /**
   * The examiner's signature over the rest of the journal, renewed at each write: a resume goes on only
   * from a journal a key of the case store signed (anyone with the folder can edit the file; no one
   * without the key can sign it). Last, so the file reads as it always did.
   */
  signature?: JournalSignature;
  fill: string;
  retries: number;
  max_bad_run: number;
  source: SourceIdentity;
  started: Timestamp;
  owner?: ProcessOwner; // the run that last wrote it; resumable only once that run is gone
  sessions: SessionEntry[];
  safe_bytes: number;
  writer_state?: unknown; // what the image writer needs to continue (E01: segments, the open table)
  bad_ranges: BadRange[];
  skip_bad?: boolean; // --skip-bad: failing areas are deferred to a rescue pass
  deferred?: { pos: number; len: number }[]; // byte regions pass 1 skipped (placeholders in the image)
}

export { journalFileName };

export async function readJournal(file: string): Promise<Journal | undefined> {
  let text: string;
  try {
    text = (await readInput(file, { code: 'RESUME_MISMATCH' })).toString('utf8');
  } catch (err) {
    if (err instanceof ExhibitError) throw err;
    if (['ENOENT', 'ENOTDIR'].includes((err as { code?: string }).code ?? '')) return undefined;
    throw new ExhibitError('OUTPUT_WRITE', `cannot read the resume journal ${file}: ${describeSystemError(err)}`, { cause: err });
  }
  let j: Journal;
  try {
    j = JSON.parse(text) as Journal;
  } catch {
    throw new ExhibitError('RESUME_MISMATCH', `the resume journal ${file} is damaged (not valid JSON); the acquisition cannot be resumed from it`);
  }
  if (j === null || typeof j !== 'object' || j.journal !== 'exhibit acquisition journal' || j.version !== 1 || typeof j.safe_bytes !== 'number' || !Array.isArray(j.sessions)) {
    throw new ExhibitError('RESUME_MISMATCH', `${file} is not an exhibit resume journal this version can read`);
  }
  const wrong = journalFault(j, path.basename(file));
  if (wrong) throw new ExhibitError('RESUME_MISMATCH', `the resume journal ${file} is damaged or was edited (${wrong}); the acquisition cannot be resumed from it`, { hints: ['start the acquisition again into a new folder; exhibit changes nothing in this one'] });
  return j;
}

const count = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * What is wrong with a journal read from `name`, or undefined. The journal is a file beside the image
 * that anyone with the folder can edit: every field a resume acts on is checked before anything is
 * written, so an edited one can neither aim the writes elsewhere (an evidence id that is a path) nor
 * end in a record that says "complete" of what was not copied.
 */
export function journalFault(j: Journal, name: string): string | undefined {
  if (typeof j.evidence !== 'string' || !isSafeEvidenceId(j.evidence) || journalFileName(j.evidence) !== name) return `its evidence id ${JSON.stringify(j.evidence)} is not the one its name ${name} gives`;
  for (const k of ['case', 'examiner', 'fill'] as const) if (typeof j[k] !== 'string' || j[k] === '') return `${k} is not text`;
  if (!(FORMAT_NAMES as readonly string[]).includes(j.format)) return `format ${JSON.stringify(j.format)} is not one exhibit writes`;
  if (!Array.isArray(j.hashes) || j.hashes.length === 0 || new Set(j.hashes).size !== j.hashes.length || !j.hashes.every((a) => (HASH_ALGORITHMS as readonly string[]).includes(a))) return 'its list of hashes is empty or holds an unknown one';
  const s = j.source as Partial<SourceIdentity> | undefined;
  if (!s || typeof s.path !== 'string' || !count(s.size_bytes) || !count(s.logical_sector_size) || s.logical_sector_size === 0) return 'its source identity is incomplete';
  if (!count(j.safe_bytes) || j.safe_bytes > s.size_bytes + s.logical_sector_size) return `safe_bytes ${JSON.stringify(j.safe_bytes)} is not a byte count within the source`;
  if (j.piece_size !== undefined && (!count(j.piece_size) || j.piece_size === 0 || j.piece_size % s.logical_sector_size !== 0)) return `piece_size ${JSON.stringify(j.piece_size)} is not a whole number of sectors`;
  if (j.pieces_sha256 !== undefined) {
    if (j.piece_size === undefined || !Array.isArray(j.pieces_sha256) || !j.pieces_sha256.every((d) => typeof d === 'string' && /^[0-9a-f]{64}$/.test(d))) return 'pieces_sha256 is not a list of SHA-256 values of its pieces';
    if (j.pieces_sha256.length * j.piece_size > j.safe_bytes) return `pieces_sha256 lists ${j.pieces_sha256.length} pieces, more than the ${j.safe_bytes} safe bytes hold`;
  }
  if (!count(j.retries) || !count(j.max_bad_run)) return 'retries or max_bad_run is not a count';
  if (!Array.isArray(j.bad_ranges)) return 'bad_ranges is not a list';
  let after = 0;
  for (const r of j.bad_ranges) {
    if (!r || !count(r.first_sector) || !count(r.sectors) || r.sectors === 0 || r.first_sector < after || typeof r.error !== 'string') return 'bad_ranges holds a range that is not whole, in order and apart';
    after = r.first_sector + r.sectors;
  }
  if (after * s.logical_sector_size > Math.max(j.safe_bytes, s.size_bytes)) return 'bad_ranges lists sectors past the source';
  if (j.deferred !== undefined && (!Array.isArray(j.deferred) || !j.deferred.every((d) => d && count(d.pos) && count(d.len) && d.pos + d.len <= s.size_bytes!))) return 'deferred holds a region that is not within the source';
  return undefined;
}

/** A signature over a journal's text (`journalSigned`), by a key of the case store. */
export interface JournalSignature {
  key: string;
  sig: string;
}

/** What the signature covers: the journal without its signature, as compact JSON, keys in the order they stand. */
export function journalSigned(j: Journal): string {
  const { signature: _s, ...rest } = j;
  return JSON.stringify(rest);
}

/**
 * Write the journal; `create` makes it exclusively (the first one, which also claims the evidence id).
 * `sign`: the examiner's key signs it (Journal.signature), so a resume can tell an edited journal.
 */
export async function writeJournal(dir: string, j: Journal, create = false, sign?: (text: string) => JournalSignature): Promise<void> {
  if (sign) j.signature = sign(journalSigned(j));
  else delete j.signature;
  await writeFileAtomic(path.join(dir, journalFileName(j.evidence)), `${JSON.stringify(j, null, 1)}\n`, !create);
}

/** Temporary files of atomic writes that a killed run left behind (ours by their names). */
export async function removeStaleTemporaries(dir: string, evidence: string): Promise<void> {
  await removeAtomicLeftovers(dir, [recordFileName(evidence), `${evidence}.map`, piecesFileName(evidence), journalFileName(evidence), lockFileName(evidence)]);
}

/** The bad ranges that lie before `sector`, clipped. */
export function rangesBefore(ranges: readonly BadRange[], sector: number): BadRange[] {
  return ranges
    .filter((r) => r.first_sector < sector)
    .map((r) => ({ ...r, sectors: Math.min(r.sectors, sector - r.first_sector) }));
}
