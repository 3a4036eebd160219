/**
 * RFC 3161 tokens over a case's checkpoints, kept as the TSA sent them. A token is stored only after
 * exhibit has checked it (the CLI fetches and checks; the store keeps): the imprint is the SHA-256
 * of the checkpoint's text, so each token fits exactly one checkpoint, and older ones stay, each
 * proving that the log as it then was existed at its time.
 */
import { sha256Hex } from '../core/crypto.js';
import { parseCheckpoint } from '../core/custody.js';
import { checkpointOf } from './custody-log.js';
import type { CaseRow, CaseStore } from './store.js';

export interface StoredToken {
  checkpoint_sha256: string;
  size: number;
  token: Buffer;
  gen_time_utc: string;
}

export function tokenFor(store: CaseStore, c: CaseRow, checkpointText: string): StoredToken | undefined {
  return store.db.get('SELECT checkpoint_sha256, size, token, gen_time_utc FROM timestamps WHERE case_id = ? AND checkpoint_sha256 = ?', [c.id, sha256Hex(checkpointText)]) as StoredToken | undefined;
}

/** Whether `token` is, byte for byte, one the store keeps for the case (of any of its checkpoints). */
export function isStoredToken(store: CaseStore, c: CaseRow, token: Uint8Array): boolean {
  return store.db.get('SELECT 1 FROM timestamps WHERE case_id = ? AND token = ?', [c.id, Buffer.from(token)]) !== undefined;
}

export function keepToken(store: CaseStore, c: CaseRow, checkpointText: string, token: Uint8Array, genTime: Date): void {
  const size = parseCheckpoint(checkpointText)?.size ?? 0;
  store.immediate(() => {
    store.db.run('INSERT INTO timestamps (case_id, checkpoint_sha256, size, token, gen_time_utc) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', [c.id, sha256Hex(checkpointText), size, Buffer.from(token), genTime.toISOString()]);
  });
}

/** The case's current checkpoint, and its token when it has one. */
export function currentCheckpoint(store: CaseStore, c: CaseRow): { text: string; token?: StoredToken } | undefined {
  const text = checkpointOf(store, c);
  if (text === undefined) return undefined;
  const token = tokenFor(store, c, text);
  return { text, ...(token ? { token } : {}) };
}
