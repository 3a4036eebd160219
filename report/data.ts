/**
 * What a report says, gathered from the case store (read only) and the
 * acquisition records the store points at. A case whose custody log fails
 * its check gets no report: the error names the entry instead.
 */
import path from 'node:path';
import { caseSummary, requireIntactLog, tamperError, tokenFor, type CaseStore, type CaseSummary } from '../case-store/index.js';
import { entryTimeNotes, revocationNotes } from '../core/custody-key-life.js';
import { checkAgainstRegister, registerNotes, type TrustRegister } from '../core/trust-register.js';
import type { CheckedEntry } from '../core/custody-check.js';
import { parseCheckpoint } from '../core/custody.js';
import { errnoOf } from '../core/errors.js';
import type { AcquisitionRecord } from '../core/record.js';
import { readRecord } from '../core/record/read.js';
import { readPiecesFile } from '../core/pieces.js';

export interface AcquisitionDetail {
  row: Record<string, unknown>;
  recordPath: string;
  recordText?: string; // the record file, when it is on this machine
  record?: AcquisitionRecord;
  missing?: string; // why the record could not be read
  piecesText?: string; // the pieces file the record names, when it is here and is the one the record names
  piecesMissing?: string; // why it is not attached
}

export interface ReportData {
  summary: CaseSummary;
  entries: CheckedEntry[];
  logText: string;
  checkpointText: string;
  checkpoint: { size: number; head: string; signer: string };
  keys: { examiner: string; fingerprint: string; publicPem: string }[];
  acquisitions: AcquisitionDetail[];
  /** The trust register every signing key was checked against (report --trust). */
  register?: { file: string; sha256: string };
  /** The RFC 3161 time the checkpoint is proven to have existed at, when the store holds its token. */
  timestamp?: string;
  /** Keys revoked later, and entries signed after a revocation took effect: said in the report. */
  keyNotes: string[];
  /** Entries the log's check fails (signed after their key's revocation): the report says so in its summary, whatever the template. */
  failedEntries: number;
  /** Entries whose times do not run forward, or lie in the future: said in the summary. */
  timeNotes: string[];
}

/** The pieces file a record names, read whole and checked against the record's SHA-256 of it, for the report to attach. */
function piecesOf(record: AcquisitionRecord, folder: string): Pick<AcquisitionDetail, 'piecesText' | 'piecesMissing'> {
  const p = record.media.pieces;
  if (!p) return {};
  try {
    const { text, sha256 } = readPiecesFile(path.join(folder, p.file));
    return sha256 === p.sha256 ? { piecesText: text } : { piecesMissing: 'changed since it was recorded: its SHA-256 differs from the record\'s' };
  } catch (err) {
    return { piecesMissing: errnoOf(err instanceof Error && err.cause !== undefined ? err.cause : err) === 'ENOENT' ? 'not on this machine' : 'unreadable' };
  }
}

export function gatherReport(store: CaseStore, caseNumber: string, register?: TrustRegister): ReportData {
  const c = store.getCase(caseNumber);
  // The log, its checkpoint and their check from one read: an entry appended meanwhile is in none or in all.
  const { check, lines, checkpoint: checkpointAtStart } = requireIntactLog(store, c);
  if (register) {
    const problems = checkAgainstRegister(check.entries, checkpointAtStart, register);
    if (problems.length > 0) throw tamperError(c, problems);
  }
  const keyNotes = [
    ...check.problems.filter((p) => p.revoked).map((p) => p.message),
    ...revocationNotes(check.entries, check.revocations),
    ...(register ? registerNotes(check.entries, register) : []),
  ];
  const checkpointText = checkpointAtStart!;
  const cp = parseCheckpoint(checkpointText)!;
  // The summary's rows, as of the entries checked above (one appended since is in neither).
  const read = caseSummary(store, c.number);
  const upTo = (rows: Record<string, unknown>[]) => rows.filter((r) => Number(r.entry_seq) <= lines.length);
  const summary: CaseSummary = { ...read, entries: lines.length, head: check.head, evidence: upTo(read.evidence), acquisitions: upTo(read.acquisitions), transfers: upTo(read.transfers), verifications: upTo(read.verifications), reports: upTo(read.reports) };
  const acquisitions = summary.acquisitions.map((row): AcquisitionDetail => {
    const recordPath = path.join(String(row.folder), String(row.record_file));
    try {
      const { bytes, sha256, record } = readRecord(recordPath);
      // Only the record the custody log logged is shown and attached as such: a changed one is not.
      if (sha256 !== row.record_sha256) return { row, recordPath, missing: 'changed since it was logged: its SHA-256 differs from the custody log\'s' };
      return { row, recordPath, recordText: bytes.toString('utf8'), record, ...piecesOf(record, path.dirname(recordPath)) };
    } catch (err) {
      // The record reader's error keeps the system's as its cause: a record that is not there is not "unreadable".
      const missing = errnoOf(err instanceof Error && err.cause !== undefined ? err.cause : err) === 'ENOENT';
      return { row, recordPath, missing: missing ? 'not on this machine' : 'unreadable' };
    }
  });
  return {
    summary,
    entries: check.entries,
    logText: lines.map((l) => `${l}\n`).join(''),
    checkpointText,
    checkpoint: { size: cp.size, head: cp.head, signer: check.keys.get(cp.key)?.name ?? cp.key },
    keys: [...check.keys].map(([fingerprint, k]) => ({ examiner: k.name, fingerprint, publicPem: k.publicPem })),
    acquisitions,
    ...(register ? { register: { file: register.file, sha256: register.sha256 } } : {}),
    ...(tokenFor(store, c, checkpointText) ? { timestamp: tokenFor(store, c, checkpointText)!.gen_time_utc } : {}),
    keyNotes,
    failedEntries: check.problems.filter((p) => p.revoked).length,
    timeNotes: entryTimeNotes(check.entries),
  };
}
