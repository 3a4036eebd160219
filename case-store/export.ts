/**
 * Copying a case's custody log next to an image, so that the evidence folder
 * checks itself on any machine: <evidence>.custody.jsonl (the log),
 * <evidence>.checkpoint (the latest signed checkpoint) and
 * <evidence>.keys/<fingerprint>.pem (the public key of everyone who signed).
 *
 * An existing copy is replaced only by a longer log that begins with it
 * byte for byte, so nothing it held can be lost; anything else is refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { custodyFileNames, parseCheckpoint } from '../core/custody.js';
import { describeSystemError, ExhibitError } from '../core/errors.js';
import { EVIDENCE_DIR_MODE } from '../core/modes.js';
import { recordFileName, removeAtomicLeftovers, writeFileAtomic } from '../core/record.js';
import { readRecordClaims } from '../core/record/read.js';
import { readTextIfExists } from '../core/text.js';
import { requireIntactLog, type CheckMode } from './custody-log.js';
import { isStoredToken, tokenFor } from './timestamps.js';
import { hasEvidence } from './cases.js';
import type { CaseRow, CaseStore } from './store.js';

export { custodyFileNames };

export interface ExportedCustody {
  log: string;
  checkpoint: string;
  /** The RFC 3161 token of that checkpoint, when the store has one. */
  token?: string;
  keys: string[];
  entries: number;
}

/**
 * `mode.appending`: the fingerprints of who just appended to the log in this run (their private key in
 * hand), whose checkpoint then vouches for the signatures it covers, as for an append (see
 * custody-log.ts). Without it, as for `custody export`, the log is checked in full.
 */
export async function exportCustody(store: CaseStore, c: CaseRow, folder: string, evidence: string, mode: CheckMode = {}): Promise<ExportedCustody> {
  // The store's write lock is held while the files are written, so two exhibits exporting the same
  // case never interleave (the prefix test and the write would race), nor sweep each other's temporaries.
  store.lock();
  try {
    const out = await writeCopy(store, c, folder, evidence, mode);
    store.unlock(true);
    return out;
  } catch (err) {
    store.unlock(false);
    if (err instanceof ExhibitError) throw err;
    throw new ExhibitError('OUTPUT_WRITE', `cannot write the custody log beside the image in ${folder}: ${describeSystemError(err)}`, { cause: err });
  }
}

async function writeCopy(store: CaseStore, c: CaseRow, folder: string, evidence: string, mode: CheckMode): Promise<ExportedCustody> {
  // The files are named for the item: a case's log beside another case's item would take its names.
  if (!hasEvidence(store, c, evidence)) {
    throw new ExhibitError('NOT_FOUND', `case ${c.number} holds no evidence item ${evidence}; exhibit writes a case's custody log only beside the images of its own items`, { hints: [`list its items with: exhibit case show ${c.number}`] });
  }
  const { check, lines, checkpoint } = requireIntactLog(store, c, mode); // the lines and checkpoint it checked, under the write lock
  if (checkpoint === undefined) throw new ExhibitError('INTERNAL', `case ${c.number} has no checkpoint`);
  const names = custodyFileNames(evidence);
  const logFile = path.join(folder, names.log);
  const cpFile = path.join(folder, names.checkpoint);
  const keysDir = path.join(folder, names.keys);
  if (fs.lstatSync(keysDir, { throwIfNoEntry: false })?.isSymbolicLink()) {
    throw new ExhibitError('OUTPUT_EXISTS', `${keysDir} is a symbolic link; exhibit writes the public keys into a folder of its own there, never through a link`);
  }
  const text = lines.map((l) => `${l}\n`).join('');

  // What a run killed while writing these left behind (the names are ours).
  await removeAtomicLeftovers(folder, [names.log, names.checkpoint, names.token]);
  await removeAtomicLeftovers(keysDir, [...check.keys.keys()].map((fp) => `${fp}.pem`));
  const existing = readTextIfExists(logFile);
  if (existing !== undefined && !text.startsWith(existing)) {
    throw new ExhibitError('OUTPUT_EXISTS', `${logFile} exists and is not an earlier copy of case ${c.number}'s custody log; exhibit leaves it as it is`, {
      hints: ['move it aside, or check it with: exhibit custody verify ' + logFile],
    });
  }
  // The item's record beside it names its case: another case's log is not written beside its image.
  const claims = readRecordClaims(path.join(folder, recordFileName(evidence)));
  if (claims && claims.case !== c.number) {
    throw new ExhibitError('OUTPUT_EXISTS', `the record beside ${evidence} in ${folder} is of case ${claims.case}, not ${c.number}: exhibit writes a case's custody log only beside its own items' images`);
  }
  // Every refusal before anything is written.
  const keyFiles: string[] = [];
  const toWrite: [string, string][] = [];
  for (const [fp, k] of check.keys) {
    const file = path.join(keysDir, `${fp}.pem`);
    const have = readTextIfExists(file);
    if (have === undefined) toWrite.push([file, k.publicPem]);
    else if (have !== k.publicPem) throw new ExhibitError('OUTPUT_EXISTS', `${file} exists and holds another key; exhibit leaves it as it is`);
    keyFiles.push(file);
  }
  const oldCp = readTextIfExists(cpFile);
  if (oldCp !== undefined && oldCp !== checkpoint) {
    // Only an earlier checkpoint of this very log is replaced: its case, and no more entries than the log has.
    const was = parseCheckpoint(oldCp);
    if (!was || was.caseNumber !== c.number || was.size > lines.length) {
      throw new ExhibitError('OUTPUT_EXISTS', `${cpFile} exists and is not an earlier checkpoint of case ${c.number}'s custody log; exhibit leaves it as it is`, { hints: ['move it aside, or check the folder with: exhibit custody verify ' + folder] });
    }
  }
  // The token beside a checkpoint is that checkpoint's (the store keeps every token); one the store
  // kept for an older checkpoint no longer fits and is replaced or removed. Any other file under that
  // name is not the store's to remove: it is left, and the export refused.
  const tokenFile = path.join(folder, names.token);
  const token = tokenFor(store, c, checkpoint);
  const oldToken = fs.existsSync(tokenFile) ? fs.readFileSync(tokenFile) : undefined;
  if (oldToken && !(token && token.token.equals(oldToken)) && !isStoredToken(store, c, oldToken)) {
    throw new ExhibitError('OUTPUT_EXISTS', `${tokenFile} exists and is not a time-stamp token this case store holds for case ${c.number}; exhibit leaves it as it is`, { hints: ['move it aside if it is not needed there'] });
  }
  fs.mkdirSync(keysDir, { recursive: true, mode: EVIDENCE_DIR_MODE });
  for (const [file, pem] of toWrite) await writeFileAtomic(file, pem);
  // The log, then at once its checkpoint: a copy killed between the two has more entries than its
  // checkpoint covers, which the check reports, and the next export repairs.
  if (existing !== text) await writeFileAtomic(logFile, text, existing !== undefined);
  if (oldCp !== checkpoint) await writeFileAtomic(cpFile, checkpoint, oldCp !== undefined);
  if (token && !(oldToken && token.token.equals(oldToken))) await writeFileAtomic(tokenFile, token.token, oldToken !== undefined);
  else if (!token && oldToken) fs.rmSync(tokenFile);
  return { log: logFile, checkpoint: cpFile, ...(token ? { token: tokenFile } : {}), keys: keyFiles, entries: lines.length };
}
