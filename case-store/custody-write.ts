/**
 * Laying down one signed entry (its line and its projected row) and a case's checkpoint. Only
 * appendToCase calls these after checking the log; the append bench calls them to build large
 * logs of validly signed entries quickly, in one transaction.
 */
import type { CheckedEntry } from '../core/custody-check.js';
import { checkpointBody, checkpointText, CUSTODY_ENTRY_VERSION, encodeEntry, lineHashInput, logLine, type CustodyEntry, type CustodyKind, type Payload } from '../core/custody.js';
import { sha256Hex, signBytes } from '../core/crypto.js';
import { ExhibitError } from '../core/errors.js';
import { timestamp, type Timestamp } from '../core/time.js';
import { rememberKeys } from './custody-log-quick.js';
import type { Signer } from './keys.js';
import { projectEntry } from './projections.js';
import type { CaseRow, CaseStore } from './store.js';

/** Entry `seq` after the line whose hash is `prev`, signed: its line, its line's hash and the row it projects. */
export function signEntry(c: CaseRow, seq: number, prev: string, kind: CustodyKind, payload: Payload, signers: readonly Signer[], time: Timestamp = timestamp()): CheckedEntry & { hash: string; row: ReturnType<typeof projectEntry> } {
  const [actor, ...cosigners] = signers;
  if (!actor) throw new ExhibitError('INTERNAL', 'a custody entry needs someone to sign it');
  const entry: CustodyEntry = {
    v: CUSTODY_ENTRY_VERSION,
    case: c.number,
    seq,
    prev,
    time,
    actor: { name: actor.name, key: actor.fingerprint },
    ...(cosigners.length > 0 ? { cosigners: cosigners.map((s) => ({ name: s.name, key: s.fingerprint })) } : {}),
    kind,
    payload,
  };
  const entryBytes = encodeEntry(entry);
  const signatures = signers.map((s) => ({ key: s.fingerprint, sig: signBytes(s.key, entryBytes) }));
  const line = logLine(entryBytes, signatures);
  return { seq, line, entryBytes, entry, signatures, hash: sha256Hex(lineHashInput(line)), row: projectEntry(entry) };
}

/** Sign and write entry `seq` after the line whose hash is `prev`; returns it with its line's hash. */
export function writeEntry(store: CaseStore, c: CaseRow, seq: number, prev: string, kind: CustodyKind, payload: Payload, signers: readonly Signer[], time: Timestamp = timestamp()): CheckedEntry & { hash: string } {
  const { row, ...e } = signEntry(c, seq, prev, kind, payload, signers, time);
  store.db.run('INSERT INTO custody_entries (case_id, seq, line) VALUES (?, ?, ?)', [c.id, seq, e.line]);
  if (row && row.table !== 'cases') {
    const cols = Object.keys(row.values);
    store.db.run(`INSERT INTO ${row.table} (case_id, entry_seq, ${cols.join(', ')}) VALUES (?, ?, ${cols.map(() => '?').join(', ')})`, [c.id, seq, ...cols.map((k) => row.values[k] ?? null)]);
  }
  if (kind === 'key.registered' || kind === 'key.rotated') rememberKeys(store, c, [[String(payload.key), { entry: seq }]]);
  return e;
}

/** Sign and store the case's checkpoint over its first `count` entries, the last hashing to `head` (and a longer copy `seen`: see core/custody.ts). */
export function writeCheckpoint(store: CaseStore, c: CaseRow, count: number, head: string, signer: Signer, seen?: { size: number; head: string }): void {
  const body = checkpointBody(c.number, count, head, seen);
  store.db.run('INSERT INTO checkpoints (case_id, text) VALUES (?, ?) ON CONFLICT(case_id) DO UPDATE SET text = excluded.text', [c.id, checkpointText(body, signer.fingerprint, signBytes(signer.key, body))]);
}
