/**
 * The acquisition record as exhibit writes it: from the journal (settings,
 * sessions, unreadable ranges), the probed source, and what the copy found.
 */
import type { PiecesSummary } from '../core/pieces.js';
import type { AcquisitionRecord, RecordImageFile, RecordReadOnly } from '../core/record.js';
import { assembleRecord } from '../core/record/build.js';
import { timestamp } from '../core/time.js';
import { formatOf } from '../image/registry.js';
import type { RunDigests } from './digests.js';
import type { AcquireOptions } from './phases/session.js';
import type { Journal } from './journal.js';
import type { SourceFacts } from '../source/source.js';

export function buildRecord(
  o: AcquireOptions,
  j: Journal,
  facts: SourceFacts,
  format: string,
  files: RecordImageFile[],
  digests: RunDigests | undefined,
  readOnly: RecordReadOnly | undefined,
  incompleteReason: string | undefined,
  bytesAcquired: number,
  zeroSectors?: number,
  pieces?: PiecesSummary,
): AcquisitionRecord {
  const ss = facts.logical_sector_size;
  const finished = timestamp();
  const badSectors = j.bad_ranges.reduce((a, r) => a + r.sectors, 0);
  const media: AcquisitionRecord['media'] = {
    size_bytes: facts.size_bytes,
    sector_size: ss,
    sectors: Math.floor(facts.size_bytes / ss),
    trailing_bytes: facts.size_bytes % ss,
    bytes_acquired: Math.min(bytesAcquired, facts.size_bytes),
  };
  if (formatOf(j.format).wholeSectors && facts.size_bytes % ss !== 0) {
    // E01 holds whole sectors: the image's media is the source plus zeros to the end of the last sector.
    media.padding_bytes = ss - (facts.size_bytes % ss);
  }
  if (digests) {
    media.hashes = Object.fromEntries(j.hashes.map((a) => [a, digests.media[a]!]));
    media.hashes_computed = j.deferred?.length
      ? 'from the finished image, read back after the rescue pass (the first pass had skipped failing areas)'
      : 'in-stream, from the bytes as they were written';
  }
  if (zeroSectors !== undefined && digests) {
    // Whole all-zero sectors only: a filled last sector that the source holds only part of is not one of them.
    const filledZero = j.fill === 'zero' ? Math.min(badSectors, zeroSectors) : 0;
    media.zero_sectors = { total: zeroSectors, filled: filledZero, read_as_zero: zeroSectors - filledZero };
  }
  if (pieces && digests) media.pieces = pieces;
  return assembleRecord({
    kind: 'exhibit acquisition',
    incompleteReason,
    version: o.version,
    commandLine: j.sessions[0]?.command_line ?? o.commandLine,
    case: j.case,
    evidence: j.evidence,
    examiner: j.examiner,
    description: j.description,
    notes: j.notes,
    started: j.started,
    finished,
    durationSeconds: Math.round(j.sessions.reduce((a, s) => a + (Date.parse((s.ended ?? finished).utc) - Date.parse(s.started.utc)), 0) / 10) / 100,
    source: facts,
    readOnly: readOnly ?? { opened_read_only: true, unchanged: false, limits: 'not yet measured: the acquisition has not finished' },
    format,
    settings: j,
    files,
    media,
    readErrors: {
      unreadable_sectors: badSectors,
      ranges: j.bad_ranges,
      fill: j.fill,
      retries: j.retries,
      strategy: j.skip_bad
        ? `skip-bad: failing areas skipped in the first pass (${(j.deferred ?? []).reduce((a, r) => a + r.len, 0)} bytes in ${(j.deferred ?? []).length} regions), then read sector by sector`
        : 'in order: failing blocks read again sector by sector at once',
      note:
        badSectors > 0
          ? 'unreadable sectors hold the fill in the image, and the hashes cover the image as written, fills included'
          : incompleteReason !== undefined
            ? 'every sector read so far was readable; the rest was not read'
            : 'every sector was read',
    },
    sessions: j.sessions,
  });
}
