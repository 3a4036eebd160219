/**
 * The check before an append, done without reading the whole log. The case's checkpoint is trusted
 * when it verifies under a current, unrevoked key of this store that the case's log registers: a
 * checkpoint is signed only after the log it covers was checked, in full or this way, and only the
 * holder of that key's private key can sign one. (The full check's trust root is the same: the
 * store's examiner keys.) What the append then relies on is checked against it: the last line it
 * covers is the one it names, no line or row lies beyond it, and each signer's key is registered
 * by the entry the log_keys index names, with the same public key. Anything unexpected sends the
 * caller to the full check, which names the problem; so does an append to a new case, a key
 * rotation or revocation, or a signer new to the case. Edits to lines before the checkpoint are
 * found by the full check: `exhibit custody verify`, `custody log` and `case show` always check in full.
 */
import type { CustodyEntry } from '../core/custody.js';
import { lineHashInput, parseCheckpoint, splitLogLine } from '../core/custody.js';
import { keyFingerprint, publicKeyOf, readPublicKey, sha256Hex, verifyBytes, type PublicKey } from '../core/crypto.js';
import type { Signer } from './keys.js';
import { ENTRY_TABLES, projectEntry, type Cell } from './projections.js';
import type { CaseRow, CaseStore } from './store.js';

export interface QuickState {
  count: number;
  head: string;
  registered: Set<string>;
}

/** The log's size, head and the signers it registers, when the quick check vouches for them; undefined: check in full. */
export function quickCheck(store: CaseStore, c: CaseRow, signers: readonly Signer[]): QuickState | undefined {
  const text = store.db.get<{ text: string }>('SELECT text FROM checkpoints WHERE case_id = ?', [c.id])?.text;
  const cp = text === undefined ? undefined : parseCheckpoint(text);
  if (!cp || cp.seen || cp.caseNumber !== c.number || cp.size === 0) return undefined; // a rollback seen: the full check names it
  const cpKey = registeredKey(store, c, cp.key);
  if (!cpKey || !verifyBytes(cpKey, cp.body, cp.sig)) return undefined;
  const last = store.db.get<{ seq: number; line: string }>('SELECT seq, line FROM custody_entries WHERE case_id = ? ORDER BY seq DESC LIMIT 1', [c.id]);
  if (!last || Number(last.seq) !== cp.size || sha256Hex(lineHashInput(last.line)) !== cp.head) return undefined;
  for (const table of ENTRY_TABLES) {
    if (store.db.get(`SELECT 1 FROM ${table} WHERE case_id = ? AND entry_seq > ? LIMIT 1`, [c.id, cp.size])) return undefined;
  }
  const registered = new Set<string>();
  for (const s of signers) {
    if (registered.has(s.fingerprint)) continue;
    if (keyFingerprint(publicKeyOf(s.key)) !== s.fingerprint || !registeredKey(store, c, s.fingerprint, s.publicPem)) return undefined;
    registered.add(s.fingerprint);
  }
  return { count: cp.size, head: cp.head, registered };
}

/**
 * The public key `fingerprint` names, when it is a current, unrevoked key of this store (with
 * `publicPem`, when given) and the entry log_keys names registers it in this case's log.
 */
function registeredKey(store: CaseStore, c: CaseRow, fingerprint: string, publicPem?: string): PublicKey | undefined {
  const row = store.db.get<{ entry_seq: number }>('SELECT entry_seq FROM log_keys WHERE case_id = ? AND fingerprint = ?', [c.id, fingerprint]);
  if (!row) return undefined;
  const key = store.db.get<{ public_pem: string; retired_utc: string | null; revoked_utc: string | null }>('SELECT public_pem, retired_utc, revoked_utc FROM examiner_keys WHERE fingerprint = ?', [fingerprint]);
  if (!key || key.retired_utc || key.revoked_utc || (publicPem !== undefined && key.public_pem !== publicPem)) return undefined;
  const stored = readPublicKey(key.public_pem);
  if (!stored || keyFingerprint(stored) !== fingerprint) return undefined;
  const entry = entryAt(store, c, Number(row.entry_seq));
  if (!entry) return undefined;
  const p = entry.payload as Record<string, unknown>;
  const kindOk = entry.kind === 'key.registered' || (entry.kind === 'key.rotated' && entry.cosigners?.[0]?.key === fingerprint);
  return kindOk && p.key === fingerprint && p.public_key === key.public_pem && entry.case === c.number ? stored : undefined;
}

/** The entry at `seq`, parsed (not checked); undefined when there is none or it does not parse. */
export function entryAt(store: CaseStore, c: CaseRow, seq: number): CustodyEntry | undefined {
  const line = store.db.get<{ line: string }>('SELECT line FROM custody_entries WHERE case_id = ? AND seq = ?', [c.id, seq])?.line;
  const split = line === undefined ? undefined : splitLogLine(line);
  if (!split) return undefined;
  try {
    const entry = JSON.parse(split.entryBytes) as CustodyEntry;
    return entry.seq === seq ? entry : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a projected row is exactly what its entry says (the row's entry_seq names the entry). */
export function rowMatchesEntry(store: CaseStore, c: CaseRow, table: string, row: Record<string, unknown>): { ok: boolean; entry?: CustodyEntry } {
  const entry = entryAt(store, c, Number(row.entry_seq));
  const p = entry ? projectEntry(entry) : undefined;
  if (!entry || !p || p.table !== table) return { ok: false };
  const ok = Object.entries(p.values).every(([k, v]: [string, Cell]) => row[k] === v);
  return ok ? { ok, entry } : { ok: false };
}

/** Remember where the log registers each key the full check found, for the quick check's next use. */
export function rememberKeys(store: CaseStore, c: CaseRow, keys: Iterable<[string, { entry: number }]>): void {
  for (const [fingerprint, k] of keys) {
    store.db.run('INSERT INTO log_keys (case_id, fingerprint, entry_seq) VALUES (?, ?, ?) ON CONFLICT (case_id, fingerprint) DO UPDATE SET entry_seq = excluded.entry_seq', [c.id, fingerprint, k.entry]);
  }
}
