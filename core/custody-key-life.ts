/**
 * A key's life in a custody log after it is registered: rotation (key.rotated, signed by the old
 * key and the new one, which it registers) and revocation (key.revoked, signed by the key's owner, or
 * by a lab administrator's key: the entry then says authority "administrator", and whether that key
 * is an administrator's is for the store (CustodyCheckOptions.administrators) or the lab's trust
 * register to say).
 * A rotated key signs nothing after its rotation; a revoked key signs nothing dated at or after the
 * revocation's effective time, and what it signed before stays valid.
 */
import { keyFingerprint, readPublicKey } from './crypto.js';
import type { CustodyEntry } from './custody.js';
import type { CheckedEntry, CustodyCheckOptions, CustodyProblem, RegisteredKey } from './custody-check.js';

export interface Revocation {
  key: string;
  name: string;
  entry: number; // the key.revoked entry
  effective: string; // UTC, ISO 8601
  reason: string;
  by?: { name: string; key: string }; // a lab administrator who signed it, when not the key's owner
}

const short = (fp: string): string => fp.slice(0, 16);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** key.rotated: checks its parties and registers the new key; the old one is retired from entry `n` on. */
export function rotateKey(entry: CustodyEntry, n: number, keys: Map<string, RegisteredKey>, o: CustodyCheckOptions, say: (m: string) => void): void {
  const p = entry.payload;
  const oldKey = str(p.old_key);
  const pem = str(p.public_key);
  const key = pem !== undefined ? readPublicKey(pem) : undefined;
  if (!oldKey || !key || pem === undefined) return void say('rotates a key but names no old key or holds no readable Ed25519 public key');
  const fp = keyFingerprint(key);
  const co = entry.cosigners?.[0];
  if (p.key !== fp || entry.actor.key !== oldKey || co?.key !== fp || (entry.cosigners?.length ?? 0) !== 1) {
    return void say(`rotates key ${short(oldKey)} to ${short(fp)} but is not signed by exactly those two keys, old first`);
  }
  const old = keys.get(oldKey);
  if (!old) return void say(`rotates key ${short(oldKey)}, which no earlier entry registers`);
  if (entry.actor.name !== old.name || co.name !== old.name || p.examiner !== old.name) return void say(`rotates the key of ${old.name} to a key named for someone else`);
  if (old.retiredBy) return void say(`rotates key ${short(oldKey)} of ${old.name} again: entry ${old.retiredBy.entry} already replaced it`);
  if (keys.has(fp)) return void say(`rotates to key ${short(fp)}, which entry ${keys.get(fp)!.entry} already registered`);
  if (o.trustedKeys) {
    const trusted = o.trustedKeys.get(fp);
    if (!trusted || keyFingerprint(trusted) !== fp) say(`registers key ${short(fp)} of ${old.name} (rotation), which is not among ${o.trustedKeysSource ?? 'the trusted keys'}`);
  }
  old.retiredBy = { entry: n, key: fp };
  keys.set(fp, { name: old.name, publicPem: pem, key, entry: n });
}

/**
 * key.revoked: the key must be registered and the entry signed by it or by another key of the same
 * examiner, or by a lab administrator on that authority (an administrator's key, when the checker knows them).
 */
export function revokeKey(entry: CustodyEntry, n: number, keys: Map<string, RegisteredKey>, revocations: Revocation[], o: CustodyCheckOptions, say: (m: string) => void): void {
  const p = entry.payload;
  const fp = str(p.key);
  const effective = str(p.effective);
  const k = fp !== undefined ? keys.get(fp) : undefined;
  if (!fp || !k) return void say(`revokes key ${short(fp ?? '?')}, which no earlier entry registers`);
  if (effective === undefined || !Number.isFinite(Date.parse(effective))) return void say('revokes a key but gives no effective time');
  if (Date.parse(effective) > Date.parse(entry.time.utc)) say(`revokes key ${short(fp)} from ${effective}, after the entry's own time`);
  const byAdmin = p.authority === 'administrator' && entry.actor.name !== k.name;
  if (entry.actor.name !== k.name && !byAdmin) say(`revokes key ${short(fp)} of ${k.name}, but is signed by ${entry.actor.name}`);
  if (byAdmin && o.administrators && !o.administrators.has(entry.actor.key)) {
    say(`revokes key ${short(fp)} of ${k.name} as a lab administrator, but key ${short(entry.actor.key)} of ${entry.actor.name} is not an administrator's key ${o.administratorsSource ?? 'here'}: the revocation is refused`);
  }
  if (revocations.some((r) => r.key === fp)) return void say(`revokes key ${short(fp)} again`);
  k.revoked = { entry: n, effective };
  revocations.push({ key: fp, name: k.name, entry: n, effective, reason: str(p.reason) ?? '', ...(byAdmin ? { by: { name: entry.actor.name, key: entry.actor.key } } : {}) });
}

/** Whether an entry is the one that retires or revokes this key (signed by it, and rightly). */
export function endsKey(e: CustodyEntry, key: string): boolean {
  return (e.kind === 'key.revoked' && e.payload.key === key) || (e.kind === 'key.rotated' && e.payload.old_key === key);
}

/** A signature by a key that an earlier entry rotated away. */
export function retiredUse(entry: CustodyEntry, n: number, signer: string, keys: Map<string, RegisteredKey>): string | undefined {
  const k = keys.get(signer);
  if (!k?.retiredBy || k.retiredBy.entry >= n || endsKey(entry, signer)) return undefined;
  return `is signed with key ${short(signer)} of ${k.name}, which entry ${k.retiredBy.entry} replaced with key ${short(k.retiredBy.key)}`;
}

/**
 * Entries signed by a revoked key at or after the revocation's effective time, and every entry it
 * signed after the revocation in the log whatever time it gives (the time is the signer's to write;
 * the order of the chain is not): each a problem marked `revoked`.
 */
export function revokedUses(entries: readonly CheckedEntry[], revocations: readonly Revocation[]): CustodyProblem[] {
  const out: CustodyProblem[] = [];
  for (const r of revocations) {
    const from = Date.parse(r.effective);
    for (const e of entries) {
      if (!e.signatures.some((s) => s.key === r.key) || endsKey(e.entry, r.key)) continue;
      const afterInLog = e.seq > r.entry;
      if (!afterInLog && Date.parse(e.entry.time.utc) < from) continue;
      out.push({
        entry: e.seq,
        revoked: true,
        message: afterInLog && Date.parse(e.entry.time.utc) < from
          ? `entry ${e.seq}: signed by ${r.name} with key ${short(r.key)}, after entry ${r.entry} revoked that key (${r.reason ? `${r.reason}; ` : ''}the entry gives the earlier time ${e.entry.time.utc}, but comes after the revocation in the log)`
          : `entry ${e.seq}: signed by ${r.name} with key ${short(r.key)} at ${e.entry.time.utc}, after that key was revoked (from ${r.effective}, entry ${r.entry}${r.reason ? `: ${r.reason}` : ''})`,
      });
    }
  }
  return out;
}

/** For people: each revoked key, with how many of its entries come before the revocation took effect (they stay valid). */
export function revocationNotes(entries: readonly CheckedEntry[], revocations: readonly Revocation[]): string[] {
  return revocations.map((r) => {
    const before = entries.filter((e) => e.signatures.some((s) => s.key === r.key) && !endsKey(e.entry, r.key) && e.seq < r.entry && Date.parse(e.entry.time.utc) < Date.parse(r.effective)).length;
    const by = r.by ? `, by ${r.by.name} as a lab administrator (key ${r.by.key})` : '';
    return `key ${r.key} of ${r.name} was revoked later (entry ${r.entry}, effective ${r.effective}${r.reason ? `, reason: ${r.reason}` : ''}${by}); ${before === 0 ? 'it signed no entry before then' : before === 1 ? 'the 1 entry it signed before then stays valid' : `the ${before} entries it signed before then stay valid`}`;
  });
}

/** How far back an entry's time may step from the one before it (clocks of a lab's workstations differ a little). */
const BACKWARD_SLACK_MS = 5 * 60_000;

/**
 * For people: entries whose times do not run forward (dated well before the entry before them) or lie
 * in the future. The times are each signer's own clock: a log's order is its chain, not its times, but a
 * handover dated before the item was registered, or next year, needs a word in court.
 */
export function entryTimeNotes(entries: readonly CheckedEntry[], now = Date.now()): string[] {
  const out: string[] = [];
  let before: CheckedEntry | undefined;
  for (const e of entries) {
    const t = Date.parse(e.entry.time.utc);
    if (before && t < Date.parse(before.entry.time.utc) - BACKWARD_SLACK_MS) {
      out.push(`entry ${e.seq} (${e.entry.kind}) is dated ${e.entry.time.utc}, before entry ${before.seq} (${before.entry.time.utc}), which the log puts first: the clock of whoever signed one of them was wrong`);
    }
    if (t > now + BACKWARD_SLACK_MS) out.push(`entry ${e.seq} (${e.entry.kind}) is dated ${e.entry.time.utc}, in the future: the signer's clock was wrong`);
    if (!before || t > Date.parse(before.entry.time.utc)) before = e;
  }
  return out;
}
