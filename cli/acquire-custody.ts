/**
 * The custody side of an acquisition: before reading, the store is opened and
 * the examiner's key unlocked (so a wrong passphrase or a broken log stops the
 * run before it starts); after, the result is logged in the case's custody
 * log (opening the case and registering the item when they are new) and the
 * log is copied beside the image.
 */
import path from 'node:path';
import {
  acquisitionEntryFor,
  acquisitionPayload,
  CaseStore,
  checkCaseNumber,
  evidenceFromRecord,
  exportCustody,
  keyByFingerprint,
  logForEvidence,
  refuseLookAlikeCase,
  requireIntact,
  type ExportedCustody,
  type Signer,
} from '../case-store/index.js';
import { describeSystemError, ExhibitError } from '../core/errors.js';
import { readPublicKey, sha256Hex, signBytes, verifyBytes } from '../core/crypto.js';
import type { RecordVouch } from '../acquire/phases/session.js';
import type { Payload } from '../core/custody.js';
import { creditedExaminers, recordCredits, type AcquisitionRecord } from '../core/record.js';
import { readRecord } from '../core/record/read.js';
import { shellWord } from '../core/shell-word.js';
import { info } from './messages.js';
import { examinerSigner, openStore } from './store.js';
import { stampOrSay } from './timestamp.js';

export interface CustodyContext {
  store: CaseStore;
  signer: Signer;
}

export function prepareCustody(examiner: string, caseNumber: string | undefined, passphrase: string | undefined): CustodyContext {
  const store = openStore();
  try {
    const signer = examinerSigner(store, examiner, passphrase);
    const c = caseNumber !== undefined ? store.findCase(caseNumber.trim()) : undefined;
    if (caseNumber !== undefined && !c) refuseLookAlikeCase(store, checkCaseNumber(caseNumber)); // before hours of copying, not when logging
    // Checked now, not after hours of copying; a checkpoint this examiner signed vouches for the signatures
    // it covers, as it does when the result is appended (case-store/custody-log.ts): the chain, the
    // checkpoint's own signature and every projected row are still checked.
    if (c) requireIntact(store, c, { appending: new Set([signer.fingerprint]) });
    return { store, signer };
  } catch (err) {
    store.close();
    throw err;
  }
}

/** What the examiner's key signs of a final record before it is written (acquire/journal.ts final_record). */
const vouchText = (sha256: string): string => `exhibit acquisition record ${sha256}`;

/**
 * The acquisition's vouch for its final record, and the check a later run makes of one: signed by a
 * key this store holds and has not revoked.
 */
export function recordVouching(ctx: CustodyContext): {
  vouchRecord: (sha256: string) => RecordVouch;
  checkRecordVouch: (sha256: string, v: RecordVouch) => boolean;
  signJournal: (text: string) => RecordVouch;
  checkJournal: (text: string, v: RecordVouch) => string | undefined;
} {
  const sign = (message: string): RecordVouch => ({ key: ctx.signer.fingerprint, sig: signBytes(ctx.signer.key, message) });
  /** Undefined when a key of this store, not revoked, signed `message`; else why not, in words. */
  const check = (message: string, v: RecordVouch): string | undefined => {
    const row = keyByFingerprint(ctx.store, v.key);
    if (!row) return `signed with key ${v.key.slice(0, 16)}..., which this case store does not hold (a journal of another workstation's store, or a key of someone else's)`;
    if (row.revoked_utc) return `signed with key ${v.key.slice(0, 16)}... of ${row.examiner}, which this case store revoked on ${row.revoked_utc}${row.revoked_reason ? ` (${row.revoked_reason})` : ''}`;
    const pub = readPublicKey(row.public_pem);
    return pub !== undefined && verifyBytes(pub, message, v.sig) ? undefined : `not what ${row.examiner}'s key signed: it was changed after it was written`;
  };
  const journalText = (text: string) => `exhibit acquisition journal ${sha256Hex(text)}`;
  return {
    vouchRecord: (sha256) => sign(vouchText(sha256)),
    checkRecordVouch: (sha256, v) => check(vouchText(sha256), v) === undefined,
    signJournal: (text) => sign(journalText(text)),
    checkJournal: (text, v) => check(journalText(text), v),
  };
}

export interface LoggedAcquisition {
  seq: number;
  /** Whether this run added the entry (false: an earlier run had, and only the copy beside the image was made again). */
  appended: boolean;
  caseNumber: string;
  exported: ExportedCustody;
}

/**
 * Log an acquisition's record (once: a record already logged, found by its
 * SHA-256, is not logged again) and copy the case's log beside it. With
 * `convertedFrom`, the record is a conversion's, logged as image.converted.
 */
export async function logAcquisition(ctx: CustodyContext, written: AcquisitionRecord, recordPath: string, convertedFrom?: Payload): Promise<LoggedAcquisition> {
  const folder = path.dirname(path.resolve(recordPath));
  let inStore: { seq: number; caseNumber: string } | undefined; // logged in the store: only the copy beside the image is left
  try {
    // The entry is made from the record file as it is on disk, and binds that file's SHA-256.
    const { record, sha256: recordSha256 } = readRecord(recordPath);
    let seq = convertedFrom ? undefined : acquisitionEntryFor(ctx.store, checkCaseNumber(record.case), record.evidence, recordSha256);
    const appended = seq === undefined;
    // An acquisition's entry is signed by someone the record credits (its examiner, or a session's): a record
    // finished by A. One and logged late by B. Two would read as B. Two's work signed for A. One's (verify fails it).
    if (appended && !convertedFrom && !recordCredits(record, ctx.signer.name)) {
      throw new ExhibitError('USAGE', `the record credits ${creditedExaminers(record).join(', ')}, not ${ctx.signer.name}: only one of them logs it`, {
        hints: [`run the same command as ${record.examiner}: -x ${shellWord(record.examiner)}`],
      });
    }
    if (seq === undefined) {
      const payload = acquisitionPayload(record, folder, path.basename(recordPath), recordSha256);
      const w = logForEvidence(ctx.store, record.case, evidenceFromRecord(record), {
        kind: convertedFrom ? 'image.converted' : record.result === 'complete' ? 'acquisition.completed' : 'acquisition.incomplete',
        payload: convertedFrom ? { ...payload, converted_from: convertedFrom } : payload,
        signers: [ctx.signer],
      });
      if (w.opened) info(`case ${w.case.number} was new: opened it in the case store`);
      seq = w.entries[w.entries.length - 1]!.seq;
    }
    const caseNumber = checkCaseNumber(record.case);
    inStore = { seq, caseNumber };
    await stampOrSay(ctx.store, ctx.store.getCase(caseNumber)); // a TSA out of reach never stops an acquisition
    // The checkpoint the append just signed vouches for the log it copies (a verifier checks the copy in full).
    const exported = await exportCustody(ctx.store, ctx.store.getCase(caseNumber), folder, record.evidence, { appending: new Set([ctx.signer.fingerprint]) });
    return { seq, appended, caseNumber, exported };
  } catch (err) {
    const e = err instanceof ExhibitError ? err : new ExhibitError('STORE', describeSystemError(err), { cause: err });
    const state = written.result === 'complete' ? 'the image is complete' : 'the image is incomplete';
    if (inStore) {
      throw new ExhibitError(e.code, `${state} and logged as entry ${inStore.seq} of case ${inStore.caseNumber}'s custody log, but copying that log beside the image failed: ${e.message}`, {
        cause: err,
        hints: [`the image and its record are safe: ${recordPath}`, convertedFrom ? `copy the log beside it with: exhibit custody export ${inStore.caseNumber} ${folder} -e ${written.evidence}` : 'make room if need be, and run the same exhibit acquire command again to copy it', ...e.hints],
      });
    }
    throw new ExhibitError(e.code, `${state}, but logging it failed: ${e.message}`, {
      cause: err,
      hints: [`the image and its record are safe: ${recordPath}`, convertedFrom ? 'until it is logged, verify it with --expect' : 'run the same exhibit acquire command again to log it', ...e.hints],
    });
  }
}
