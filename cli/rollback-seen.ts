/**
 * What verify does when it finds the case store rolled back (a sound copy beside an image goes on
 * past the store's whole log): it logs nothing (an entry would fork the log), keeps what it saw in
 * the store, and has the examiner's key sign that high-water mark into the case's checkpoint, so the
 * store's own signed state says so from then on (case-store/custody-log.ts, recordRollbackSeen).
 */
import { checkExaminerName, findKey, loadSigner, recordRollbackSeen, type Signer } from '../case-store/index.js';
import { io } from './io.js';
import { info } from './messages.js';
import { readPassphrase } from './passphrase.js';
import { openStore } from './store.js';

export function keepRollbackSeen(caseNumber: string, seen: { copy: number; copy_head: string }, place: string, examinerFlag: string | undefined, passphraseFile: string | undefined): void {
  const store = openStore();
  try {
    const c = store.findCase(caseNumber);
    if (!c) return;
    const examiner = examinerFlag ?? io().env.EXHIBIT_EXAMINER;
    let signer: Signer | undefined;
    let why: string | undefined;
    try {
      if (examiner && findKey(store, checkExaminerName(examiner))) signer = loadSigner(store, examiner, readPassphrase(passphraseFile));
    } catch (err) {
      why = err instanceof Error ? err.message : String(err);
    }
    why = recordRollbackSeen(store, c, seen.copy, seen.copy_head, place, signer) ?? (signer ? undefined : why);
    if (!why) info(`signed into case ${c.number}'s checkpoint in the store by ${signer!.name}: a copy of its log with ${seen.copy} entries was seen, so the store's own signed state says it was rolled back`);
    else info(`the rollback is kept in the case store's table only, not in its signed checkpoint: ${why}`);
  } finally {
    store.close();
  }
}
