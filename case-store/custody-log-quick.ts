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
  /** The store's rollbacks_seen row for the case, read in the same query (see refuseRolledBack). */
  seen?: RollbackSeen;
}

export interface RollbackSeen {
  size: number;
  head: string;
  place: string;
  seen_utc: string;
}

interface Top {
  text: string;
  seq: number | null;
  line: string | null;
  beyond: number;
  seen_size: number | null;
  seen_head: string;
  seen_place: string;
  seen_utc: string;
}

interface KeyRow {
  fingerprint: string;
  public_pem: string | null;
  retired_utc: string | null;
  revoked_utc: string | null;
  entry_seq: number;
  line: string | null;
}

/**
 * The log's size, head and the signers it registers, when the quick check vouches for them; undefined: check in full.
 * Two queries, each answered from indexes: the checkpoint with the last line, whether any projected row
 * lies beyond that line, and the rollback the store has seen; then every key it relies on (the
 * checkpoint's and each signer's) with the entry log_keys names for it.
 */
export function quickCheck(store: CaseStore, c: CaseRow, signers: readonly Signer[]): QuickState | undefined {
  const beyond = ENTRY_TABLES.map((t) => `EXISTS (SELECT 1 FROM ${t} WHERE case_id = cp.case_id AND entry_seq > e.seq)`).join(' OR ');
  const top = store.db.get<Top>(
    `SELECT cp.text, e.seq, e.line, CASE WHEN ${beyond} THEN 1 ELSE 0 END AS beyond, r.size AS seen_size, r.head AS seen_head, r.place AS seen_place, r.seen_utc
     FROM checkpoints cp
     LEFT JOIN custody_entries e ON e.case_id = cp.case_id AND e.seq = (SELECT seq FROM custody_entries WHERE case_id = cp.case_id ORDER BY seq DESC LIMIT 1)
     LEFT JOIN rollbacks_seen r ON r.case_id = cp.case_id
     WHERE cp.case_id = ?`,
    [c.id],
  );
  const cp = top === undefined ? undefined : parseCheckpoint(top.text);
  if (!top || !cp || cp.seen || cp.caseNumber !== c.number || cp.size === 0) return undefined; // a rollback seen: the full check names it
  // The last line is the one the checkpoint names, and no row lies beyond it (nor, then, beyond the checkpoint).
  if (top.seq === null || top.line === null || Number(top.seq) !== cp.size || sha256Hex(lineHashInput(top.line)) !== cp.head || Number(top.beyond) !== 0) return undefined;
  const fingerprints = [...new Set([cp.key, ...signers.map((s) => s.fingerprint)])];
  const rows = store.db.all<KeyRow>(
    `SELECT lk.fingerprint, k.public_pem, k.retired_utc, k.revoked_utc, lk.entry_seq, e.line
     FROM log_keys lk
     LEFT JOIN examiner_keys k ON k.fingerprint = lk.fingerprint
     LEFT JOIN custody_entries e ON e.case_id = lk.case_id AND e.seq = lk.entry_seq
     WHERE lk.case_id = ? AND lk.fingerprint IN (${fingerprints.map(() => '?').join(', ')})`,
    [c.id, ...fingerprints],
  );
  const keyRows = new Map(rows.map((r) => [r.fingerprint, r]));
  const cpKey = registeredKey(c, cp.key, keyRows.get(cp.key));
  if (!cpKey || !verifyBytes(cpKey, cp.body, cp.sig)) return undefined;
  const registered = new Set<string>();
  for (const s of signers) {
    if (registered.has(s.fingerprint)) continue;
    if (signerFingerprint(s) !== s.fingerprint || !registeredKey(c, s.fingerprint, keyRows.get(s.fingerprint), s.publicPem)) return undefined;
    registered.add(s.fingerprint);
  }
  const seen = top.seen_size === null ? undefined : { size: Number(top.seen_size), head: top.seen_head, place: top.seen_place, seen_utc: top.seen_utc };
  return { count: cp.size, head: cp.head, registered, ...(seen ? { seen } : {}) };
}

/**
 * The public key `fingerprint` names, when it is a current, unrevoked key of this store (with
 * `publicPem`, when given) and the entry log_keys names registers it in this case's log.
 */
function registeredKey(c: CaseRow, fingerprint: string, row: KeyRow | undefined, publicPem?: string): PublicKey | undefined {
  if (!row || row.public_pem === null || row.retired_utc || row.revoked_utc || (publicPem !== undefined && row.public_pem !== publicPem)) return undefined;
  const stored = storedKey(row.public_pem);
  if (!stored || stored.fingerprint !== fingerprint) return undefined;
  const entry = parseEntry(row.line, Number(row.entry_seq));
  if (!entry) return undefined;
  const p = entry.payload as Record<string, unknown>;
  const kindOk = entry.kind === 'key.registered' || (entry.kind === 'key.rotated' && entry.cosigners?.[0]?.key === fingerprint);
  return kindOk && p.key === fingerprint && p.public_key === row.public_pem && entry.case === c.number ? stored.key : undefined;
}

/*
 * Parsing a PEM key and exporting it to take its fingerprint cost more CPU than the rest of an
 * append's check; both are pure functions of their input, so each process does them once per key.
 */
const pemKeys = new Map<string, { key: PublicKey; fingerprint: string } | undefined>();
const signerPrints = new WeakMap<object, string>();

/** The public key a PEM holds, with its fingerprint (computed, never read); undefined when it is not an Ed25519 public key. */
function storedKey(pem: string): { key: PublicKey; fingerprint: string } | undefined {
  if (!pemKeys.has(pem)) {
    if (pemKeys.size >= 1000) pemKeys.clear();
    const key = readPublicKey(pem);
    pemKeys.set(pem, key ? { key, fingerprint: keyFingerprint(key) } : undefined);
  }
  return pemKeys.get(pem);
}

/** The fingerprint of the public half of a signer's private key. */
function signerFingerprint(s: Signer): string {
  let fp = signerPrints.get(s.key);
  if (fp === undefined) signerPrints.set(s.key, (fp = keyFingerprint(publicKeyOf(s.key))));
  return fp;
}

/** Entry `seq` parsed from its line (not checked); undefined when there is no line or it does not parse as that entry. */
function parseEntry(line: string | null | undefined, seq: number): CustodyEntry | undefined {
  const split = line === null || line === undefined ? undefined : splitLogLine(line);
  if (!split) return undefined;
  try {
    const entry = JSON.parse(split.entryBytes) as CustodyEntry;
    return entry.seq === seq ? entry : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The columns to select, beside a projected row's own (`r.*`), for rowMatchesEntry: its entry's line,
 * read in the same query. The row's table is to be named `r`.
 */
export const WITH_ENTRY_LINE = 'r.*, (SELECT line FROM custody_entries l WHERE l.case_id = r.case_id AND l.seq = r.entry_seq) AS entry_line';

/** Whether a projected row, selected with WITH_ENTRY_LINE, is exactly what its entry says (the row's entry_seq names the entry). */
export function rowMatchesEntry(table: string, row: Record<string, unknown>): { ok: boolean; entry?: CustodyEntry } {
  const line = row.entry_line;
  const entry = parseEntry(typeof line === 'string' ? line : undefined, Number(row.entry_seq));
  const p = entry ? projectEntry(entry) : undefined;
  if (!entry || !p || p.table !== table) return { ok: false };
  const ok = Object.entries(p.values).every(([k, v]: [string, Cell]) => row[k] === v);
  return ok ? { ok, entry } : { ok: false };
}

/** Remember where the log registers each key the full check found, for the quick check's next use. */
export function rememberKeys(store: CaseStore, c: CaseRow, keys: Iterable<[string, { entry: number }]>): void {
  const all = [...keys];
  for (let i = 0; i < all.length; i += 300) { // one statement for up to 300 keys (900 parameters: within SQLite's and PostgreSQL's limits)
    const batch = all.slice(i, i + 300);
    store.db.run(
      `INSERT INTO log_keys (case_id, fingerprint, entry_seq) VALUES ${batch.map(() => '(?, ?, ?)').join(', ')} ON CONFLICT (case_id, fingerprint) DO UPDATE SET entry_seq = excluded.entry_seq`,
      batch.flatMap(([fingerprint, k]) => [c.id, fingerprint, k.entry]),
    );
  }
}
