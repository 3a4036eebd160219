/**
 * Appending to and checking a case's custody log in the store. Every append
 * runs inside one write transaction (see CaseStore.immediate), checks the log
 * first (exhibit never extends a chain it cannot vouch for: in full, or from a
 * checkpoint its signer checked in full, see custody-log-quick.ts),
 * registers each signer's key in the log before its first entry, and signs a
 * new checkpoint.
 */
import { checkCustodyLog, type CheckedEntry, type CustodyCheck, type CustodyProblem } from '../core/custody-check.js';
import { parseCheckpoint, type CustodyKind, type Payload } from '../core/custody.js';
import { ExhibitError } from '../core/errors.js';
import { quickCheck, rememberKeys, type RollbackSeen } from './custody-log-quick.js';
import { writeCheckpoint, writeEntry } from './custody-write.js';
import { administratorKeys, listKeys, storeKeys, type Signer } from './keys.js';
import { ENTRY_TABLES, projectEntry, type Cell } from './projections.js';
import type { CaseRow, CaseStore } from './store.js';

export interface Append {
  kind: CustodyKind;
  payload: Payload;
  signers: Signer[]; // the actor first, then who countersigns
  /** A key the entry itself registers (key.rotated): not registered again before it. */
  registers?: string;
  /** Who signs the checkpoint after this entry, when not its actor (the new key of a rotation). */
  checkpointBy?: Signer;
}

export function logLines(store: CaseStore, c: CaseRow): string[] {
  return (store.db.all('SELECT line FROM custody_entries WHERE case_id = ? ORDER BY seq', [c.id]) as { line: string }[]).map((r) => r.line);
}

export function checkpointOf(store: CaseStore, c: CaseRow): string | undefined {
  return (store.db.get('SELECT text FROM checkpoints WHERE case_id = ?', [c.id]) as { text: string } | undefined)?.text;
}

/** Check a case's log against its checkpoint and the store's keys, and every projected row against the log. */
/**
 * `appending` (the fingerprints of who signs the entries about to be appended) lets the check trust
 * a checkpoint they signed for the signatures before it; `newCase` allows the empty log of a case
 * being opened in this same transaction.
 */
export interface CheckMode {
  appending?: ReadonlySet<string>;
  newCase?: boolean;
}

export function checkCase(store: CaseStore, c: CaseRow, mode: CheckMode = {}): CustodyCheck {
  return store.db.snapshot(() => checkCaseNow(store, c, mode, storedState(store, c)).result);
}

/** What the store keeps beside a case's log: its checkpoint, and the rollback of it the store has seen. */
interface Stored {
  checkpoint?: string;
  seen?: RollbackSeen;
}

/** The case's checkpoint and rollbacks_seen row, in one query. */
function storedState(store: CaseStore, c: CaseRow): Stored {
  const row = store.db.get<{ text: string | null; size: number | null; head: string; place: string; seen_utc: string }>(
    `SELECT (SELECT text FROM checkpoints WHERE case_id = ?) AS text, ${['size', 'head', 'place', 'seen_utc'].map((k) => `(SELECT ${k} FROM rollbacks_seen WHERE case_id = ?) AS ${k}`).join(', ')}`,
    [c.id, c.id, c.id, c.id, c.id],
  );
  return {
    ...(row && row.text !== null ? { checkpoint: row.text } : {}),
    ...(row && row.size !== null ? { seen: { size: Number(row.size), head: row.head, place: row.place, seen_utc: row.seen_utc } } : {}),
  };
}

function checkCaseNow(store: CaseStore, c: CaseRow, mode: CheckMode, stored: Stored): { result: CustodyCheck; lines: string[] } {
  const checkpoint = stored.checkpoint;
  const lines = logLines(store, c);
  const keys = listKeys(store); // read once for both roles
  const result = checkCustodyLog(lines, {
    caseNumber: c.number,
    ...(mode.appending ? { trustCheckpointSignedBy: mode.appending } : {}),
    trustedKeys: storeKeys(store, keys),
    trustedKeysSource: "this case store's examiner keys",
    administrators: administratorKeys(store, keys),
    administratorsSource: 'in this case store',
    ...(checkpoint !== undefined ? { checkpoint } : {}),
  });
  if (checkpoint === undefined && lines.length > 0) result.problems.push({ message: `the store holds no signed checkpoint for the ${lines.length} entries of this log: it was deleted` });
  // exhibit opens a case and writes its first entry in one transaction: a case without entries lost them.
  if (lines.length === 0 && !mode.newCase) result.problems.push({ message: `case ${c.number} has no custody log entries at all: they were deleted` });
  for (const p of checkProjections(store, c, result.entries)) result.problems.push(p);
  result.problems.sort((a, b) => (a.entry ?? Infinity) - (b.entry ?? Infinity));
  return { result, lines };
}

/**
 * checkCase, throwing VERIFY_FAILED with the first problem when there is any. An entry signed by a
 * key after its revocation took effect fails every check of the log, but does not stop it growing:
 * the log itself records the revocation, and a case must still be worked on.
 */
export function requireIntact(store: CaseStore, c: CaseRow, mode: CheckMode = {}): CustodyCheck {
  return requireIntactLog(store, c, mode).check;
}

/** requireIntact, with the lines and the checkpoint it checked (what `custody export` copies). */
export function requireIntactLog(store: CaseStore, c: CaseRow, mode: CheckMode = {}): { check: CustodyCheck; lines: string[]; checkpoint?: string } {
  const { result, lines, stored } = store.db.snapshot(() => {
    const stored = storedState(store, c);
    return { ...checkCaseNow(store, c, mode, stored), stored };
  });
  const blocking = result.problems.filter((p) => !p.revoked && !p.rolledBack);
  if (blocking.length > 0) throw tamperError(c, blocking);
  refuseRolledBack(c, result.count, stored);
  return { check: result, lines, ...(stored.checkpoint !== undefined ? { checkpoint: stored.checkpoint } : {}) };
}

/**
 * A store once seen to be older than a sound copy of its own log (verify found it rolled back)
 * adds nothing to that case again until its latest state is restored: an entry added now would fork the log.
 * What it saw is in its table and, signed, in its checkpoint (see recordRollbackSeen); either refuses.
 * Both are read with the check (the quick check refuses a checkpoint with a "seen" line itself).
 */
function refuseRolledBack(c: CaseRow, count: number, stored: Stored): void {
  const hints = ['exhibit adds nothing to this case until the store\'s latest state is restored (from a later backup, or by a person who knows what happened)'];
  const seen = stored.seen;
  if (seen && seen.size > count) {
    throw new ExhibitError('VERIFY_FAILED', `the case store's log of case ${c.number} was rolled back: a copy of it beside an image (${seen.place}, seen ${seen.seen_utc}) holds ${seen.size} entries (head ${seen.head}), the store ${count}`, { hints });
  }
  const signed = stored.checkpoint !== undefined ? parseCheckpoint(stored.checkpoint)?.seen : undefined;
  if (signed && signed.size > count) {
    throw new ExhibitError('VERIFY_FAILED', `the case store's log of case ${c.number} was rolled back: its own signed checkpoint says a copy of it with ${signed.size} entries (head ${signed.head}) was seen, the store holds ${count}`, { hints });
  }
}

/**
 * Remember that a sound copy of a case's log holds more than the store: appends are refused from then
 * on. With `signer` (a current key the case's log registers), the store also signs a new checkpoint over
 * its log that carries the copy's count and head, so that its own signed state says it was rolled back:
 * an edit of the table, or of that line, does not hide it. Returns why it was not signed, if it was not.
 */
export function recordRollbackSeen(store: CaseStore, c: CaseRow, size: number, head: string, place: string, signer?: Signer): string | undefined {
  return store.immediate(() => {
    store.db.run('INSERT INTO rollbacks_seen (case_id, size, head, place, seen_utc) VALUES (?, ?, ?, ?, ?) ON CONFLICT(case_id) DO UPDATE SET size = excluded.size, head = excluded.head, place = excluded.place, seen_utc = excluded.seen_utc WHERE excluded.size > rollbacks_seen.size', [c.id, size, head, place, new Date().toISOString()]);
    if (!signer) return 'no examiner key to sign it with (--examiner)';
    const check = checkCase(store, c);
    const blocking = check.problems.filter((p) => !p.revoked && !p.rolledBack);
    if (blocking.length > 0) return `the store's log of case ${c.number} fails its check (${blocking[0]!.message})`;
    const k = check.keys.get(signer.fingerprint);
    if (!k || k.retiredBy || k.revoked) return `${signer.name}'s key ${signer.fingerprint} is not a current key that case ${c.number}'s log registers`;
    const before = parseCheckpoint(checkpointOf(store, c) ?? '')?.seen;
    if (size <= check.count || (before && before.size >= size)) return undefined; // nothing new to sign
    writeCheckpoint(store, c, check.count, check.head, signer, { size, head });
    return undefined;
  });
}

export function tamperError(c: CaseRow, problems: CustodyProblem[]): ExhibitError {
  const more = problems.length - 1;
  return new ExhibitError('VERIFY_FAILED', `the custody log of case ${c.number} fails its check: ${problems[0]!.message}`, {
    hints: [
      ...(more > 0 ? [`${more} more problem${more === 1 ? '' : 's'}: see exhibit custody log ${c.number} --json`] : []),
      'exhibit adds nothing to a log that fails its check; keep the store as it is for examination',
    ],
  });
}

/**
 * Append entries to a case's log. Call inside store.immediate(). The log is checked first: by the
 * quick check (custody-log-quick.ts) when it vouches for the log, else in full.
 */
export function appendToCase(store: CaseStore, c: CaseRow, items: Append[], newCase = false): CheckedEntry[] {
  if (items.length === 0) return [];
  const signers = items.flatMap((i) => i.signers);
  const plain = !newCase && items.every((i) => !i.registers && !i.checkpointBy && !i.kind.startsWith('key.'));
  const quick = plain ? quickCheck(store, c, signers) : undefined;
  let count: number;
  let head: string;
  let registered: Set<string>;
  if (quick) {
    refuseRolledBack(c, quick.count, quick.seen ? { seen: quick.seen } : {});
    ({ count, head, registered } = quick);
  } else {
    // A checkpoint signed by one of today's signers vouches for the signatures it covers (see trustCheckpointSignedBy).
    const check = requireIntact(store, c, { appending: new Set(signers.map((s) => s.fingerprint)), newCase });
    rememberKeys(store, c, check.keys);
    count = check.count;
    head = check.head;
    registered = new Set(check.keys.keys());
  }
  const written: CheckedEntry[] = [];

  const put = (kind: CustodyKind, payload: Payload, signers: Signer[]): void => {
    const e = writeEntry(store, c, count + 1, head, kind, payload, signers);
    count = e.seq;
    head = e.hash;
    written.push({ seq: e.seq, line: e.line, entryBytes: e.entryBytes, entry: e.entry, signatures: e.signatures });
  };

  for (const item of items) {
    for (const s of item.signers) {
      if (registered.has(s.fingerprint) || s.fingerprint === item.registers) continue;
      put('key.registered', { examiner: s.name, key: s.fingerprint, public_key: s.publicPem }, [s]);
      registered.add(s.fingerprint);
    }
    put(item.kind, item.payload, item.signers);
    if (item.registers) registered.add(item.registers);
  }
  const last = items[items.length - 1]!;
  const actor = last.checkpointBy ?? last.signers[0]!;
  writeCheckpoint(store, c, count, head, actor);
  return written;
}

/** Compare each projected table's rows with what the log's entries say they hold. */
function checkProjections(store: CaseStore, c: CaseRow, entries: CheckedEntry[]): CustodyProblem[] {
  const problems: CustodyProblem[] = [];
  const expected = new Map<string, Map<number, Record<string, Cell>>>(ENTRY_TABLES.map((t) => [t, new Map()]));
  for (const e of entries) {
    const p = projectEntry(e.entry);
    if (!p) continue;
    if (p.table === 'cases') {
      if (p.values.number !== c.number || p.values.title !== c.title) {
        problems.push({ entry: e.seq, message: `entry ${e.seq}: the case's row in the store differs from the signed entry (number or title)` });
      }
    } else expected.get(p.table)!.set(e.seq, p.values);
  }
  for (const table of ENTRY_TABLES) {
    const want = expected.get(table)!;
    const rows = store.db.all(`SELECT * FROM ${table} WHERE case_id = ?`, [c.id]) as Record<string, Cell>[];
    const seen = new Set<number>();
    for (const row of rows) {
      const seq = Number(row.entry_seq);
      seen.add(seq);
      const values = want.get(seq);
      if (!values) {
        problems.push({ entry: seq, message: `the ${table} table holds a row (for entry ${seq}) that no signed entry accounts for: it was added behind exhibit's back` });
        continue;
      }
      const changed = Object.keys(values).filter((k) => row[k] !== values[k]);
      if (changed.length > 0) {
        problems.push({ entry: seq, message: `entry ${seq}: its row in the ${table} table differs from the signed entry (${changed.join(', ')}): the store was edited behind exhibit's back` });
      }
    }
    for (const seq of want.keys()) {
      if (!seen.has(seq)) problems.push({ entry: seq, message: `entry ${seq}: its row in the ${table} table is missing: the store was edited behind exhibit's back` });
    }
  }
  return problems;
}
