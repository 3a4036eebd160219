/**
 * Copying one case store into another (exhibit store copy): a workstation's SQLite store into the
 * lab's PostgreSQL store, or back. Every case of the source is checked in full first (chain, every
 * signature, checkpoint, projected rows); the keys, cases, custody logs, checkpoints, time-stamp
 * tokens and the rows that go with them are then written to the destination in one write
 * transaction, and every copied case is checked in full there, and compared line for line with the
 * source, before that transaction commits. A failure anywhere leaves the destination as it was.
 *
 * Two stores that disagree are never merged: a case number both hold is left alone when the
 * destination's log and checkpoint are the source's byte for byte (copied before), and refuses the
 * whole copy otherwise; so does an examiner whose current key differs between the two.
 * Live job status (the jobs table) is not copied: it belongs to the store it was published to.
 */
import { ExhibitError } from '../core/errors.js';
import { refuseLookAlikeCase } from './cases.js';
import { caseNumbersLookAlike } from '../core/look-alike.js';
import type { SqlValue } from './backend.js';
import { checkCase, checkpointOf, logLines } from './custody-log.js';
import { listKeys, type KeyRow } from './keys.js';
import type { CaseRow, CaseStore } from './store.js';

/** The tables that hold a case's rows (case_id), in an order their foreign keys allow. */
const CASE_TABLES = ['custody_entries', 'checkpoints', 'evidence', 'acquisitions', 'transfers', 'verifications', 'reports', 'timestamps', 'rollbacks_seen', 'log_keys'] as const;
const BATCH_ROWS = 400;

export interface CopyReport {
  from: string;
  to: string;
  copied: { number: string; entries: number }[];
  /** Cases the destination already held with the very same log and checkpoint. */
  alreadyThere: string[];
  keysCopied: number;
}

export function copyStore(from: CaseStore, to: CaseStore, onCase?: (number: string, entries: number) => void): CopyReport {
  if (from.location === to.location && from.db.kind === to.db.kind) throw new ExhibitError('USAGE', `the source and the destination are the same case store (${to.location})`);
  const cases = from.listCases();
  // Every case of the source is checked in full before anything is written.
  const logs = new Map<string, { c: CaseRow; lines: string[]; checkpoint: string | undefined }>();
  for (const c of cases) {
    const check = checkCase(from, c);
    if (check.problems.length > 0) {
      throw new ExhibitError('VERIFY_FAILED', `case ${c.number} in ${from.location} fails its check, so it is not copied: ${check.problems[0]!.message}`, {
        hints: [`see: exhibit custody verify ${c.number}`, 'nothing was written to the destination'],
      });
    }
    logs.set(c.number, { c, lines: logLines(from, c), checkpoint: checkpointOf(from, c) });
  }
  const report: CopyReport = { from: from.location, to: to.location, copied: [], alreadyThere: [], keysCopied: 0 };
  to.immediate(() => {
    const fresh: CaseRow[] = [];
    for (const [number, src] of logs) {
      const there = to.findCase(number);
      if (!there) continue;
      const same = checkpointOf(to, there) === src.checkpoint && sameLines(logLines(to, there), src.lines);
      if (!same) {
        throw new ExhibitError('STORE', `both stores hold a case ${number}, with different custody logs: exhibit does not merge them`, {
          hints: [
            `${from.location}: ${src.lines.length} entries; ${to.location}: ${to.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM custody_entries WHERE case_id = ?', [there.id])?.n ?? 0} entries`,
            'nothing was written; copy into another store, or settle which log is the case\'s with whoever keeps the other',
          ],
        });
      }
      report.alreadyThere.push(number);
    }
    // A case number a reader could take for one the destination holds is refused before anything is written, as case open refuses it.
    const incoming = [...logs.keys()].filter((n) => !report.alreadyThere.includes(n));
    for (const number of incoming) refuseLookAlikeCase(to, number);
    // ... and two incoming ones that look alike (a store written by hand, or by an earlier exhibit) would arrive as one on paper.
    for (const [i, a] of incoming.entries()) {
      const b = incoming.slice(i + 1).find((n) => caseNumbersLookAlike(a, n));
      if (b !== undefined) {
        throw new ExhibitError('USAGE', `${from.location} holds case ${a} and case ${b}, which a reader could take for one: exhibit keeps apart case numbers a reader could confuse, and copies neither`, {
          hints: ['nothing was written; settle with whoever keeps that store which case is which'],
        });
      }
    }
    report.keysCopied = copyKeys(from, to);
    for (const [number, src] of logs) {
      if (report.alreadyThere.includes(number)) continue;
      to.db.run('INSERT INTO cases (number, title) VALUES (?, ?)', [src.c.number, src.c.title]);
      const made = to.getCase(number);
      for (const table of CASE_TABLES) copyRows(from, to, table, src.c.id, made.id);
      fresh.push(made);
      report.copied.push({ number, entries: src.lines.length });
      onCase?.(number, src.lines.length);
    }
    // Checked in full where it now is, and compared with the source, before the copy commits.
    for (const c of fresh) {
      const src = logs.get(c.number)!;
      const check = checkCase(to, c);
      if (check.problems.length > 0) throw new ExhibitError('VERIFY_FAILED', `case ${c.number} does not check in ${to.location} after the copy: ${check.problems[0]!.message}; nothing was written`);
      if (check.count !== src.lines.length || !sameLines(logLines(to, c), src.lines) || checkpointOf(to, c) !== src.checkpoint) {
        throw new ExhibitError('VERIFY_FAILED', `case ${c.number}'s log in ${to.location} differs from the source's after the copy; nothing was written`);
      }
    }
  });
  return report;
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((l, i) => l === b[i]);
}

/** The source's keys the destination lacks; an examiner with a different current key on each side stops the copy. */
function copyKeys(from: CaseStore, to: CaseStore): number {
  const theirs = new Map(listKeys(to).map((k) => [k.fingerprint, k]));
  const current = (k: KeyRow): boolean => !k.retired_utc && !k.revoked_utc;
  let n = 0;
  for (const k of listKeys(from)) {
    const there = theirs.get(k.fingerprint);
    if (there) {
      if (there.public_pem !== k.public_pem) throw new ExhibitError('STORE', `the two stores hold different public keys under the fingerprint ${k.fingerprint}; nothing was written`);
      continue;
    }
    const clash = current(k) && [...theirs.values()].find((t) => t.examiner === k.examiner && current(t));
    if (clash) {
      throw new ExhibitError('STORE', `the examiner ${k.examiner} has a different current key in each store (${k.fingerprint.slice(0, 16)}... here, ${clash.fingerprint.slice(0, 16)}... there): exhibit does not merge them`, {
        hints: ['nothing was written; rotate or revoke one of the keys so that one store names it as retired, then copy again'],
      });
    }
    insertRows(to, 'examiner_keys', [k as unknown as Record<string, unknown>]);
    n++;
  }
  return n;
}

/** One case's rows of `table`, read in pages and written in batches, under the destination's case id. */
function copyRows(from: CaseStore, to: CaseStore, table: string, fromId: number, toId: number): void {
  const order = table === 'custody_entries' ? 'seq' : table === 'checkpoints' || table === 'rollbacks_seen' ? 'case_id' : table === 'timestamps' ? 'checkpoint_sha256' : table === 'log_keys' ? 'fingerprint' : 'entry_seq';
  const rows = from.db.all<Record<string, unknown>>(`SELECT * FROM ${table} WHERE case_id = ? ORDER BY ${order}`, [fromId]);
  for (let i = 0; i < rows.length; i += BATCH_ROWS) insertRows(to, table, rows.slice(i, i + BATCH_ROWS).map((r) => ({ ...r, case_id: toId })));
}

function insertRows(to: CaseStore, table: string, rows: Record<string, unknown>[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const one = `(${cols.map(() => '?').join(', ')})`;
  const params = rows.flatMap((r) => cols.map((k) => cell(r[k])));
  to.db.run(`INSERT INTO ${table} (${cols.join(', ')}) VALUES ${rows.map(() => one).join(', ')}`, params);
}

function cell(v: unknown): SqlValue {
  if (v === undefined) return null;
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v);
  return v as SqlValue;
}
