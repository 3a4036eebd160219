/**
 * The resume journal, `<evidence>.journal.json`, rewritten atomically at each
 * safe point. It says how much of the image is durable (`safe_bytes`: the
 * image holds source bytes [0, safe_bytes) on stable storage), which of those
 * sectors were unreadable, and everything needed to continue and to write the
 * final record. It is removed once the acquisition is complete.
 */
import path from 'node:path';
import type { HashAlgorithm } from '../core/crypto.js';
import { describeSystemError, ExhibitError } from '../core/errors.js';
import { recordFileName, removeAtomicLeftovers, writeFileAtomic, type RecordReadOnly } from '../core/record.js';
import type { Timestamp } from '../core/time.js';
import type { FormatName, FormatSettings } from '../image/types.js';
import type { BadRange } from '../source/bad-sectors.js';
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

export function journalFileName(evidence: string): string {
  return `${evidence}.journal.json`;
}

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
  if (j.journal !== 'exhibit acquisition journal' || j.version !== 1 || typeof j.safe_bytes !== 'number' || !Array.isArray(j.sessions)) {
    throw new ExhibitError('RESUME_MISMATCH', `${file} is not an exhibit resume journal this version can read`);
  }
  return j;
}

/** Write the journal; `create` makes it exclusively (the first one, which also claims the evidence id). */
export async function writeJournal(dir: string, j: Journal, create = false): Promise<void> {
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
