/**
 * A lab's trust register: the examiners' signing keys it vouches for, one entry per key, with when
 * each was issued and, where it applies, replaced (rotated) or revoked. It is published by the lab
 * and kept outside any one case; a custody log checked against it must be signed, entry by entry,
 * by keys it lists as that examiner's and valid at the entry's time.
 *
 *   exhibit_trust_register: 1
 *   keys:
 *     - examiner: J. Doe
 *       fingerprint: <64 hex digits: SHA-256 of the public key, DER>
 *       issued: 2026-03-02T09:00:00.000Z
 *       replaced: 2026-09-01T10:00:00.000Z    # rotated: signs nothing after this
 *       replaced_by: <fingerprint>
 *       revoked: 2026-10-01T00:00:00.000Z     # its signatures from this time on do not count
 *       reason: laptop stolen
 *       administrator: true                   # a lab administrator: may revoke other examiners' keys
 *       public_key: |
 *         -----BEGIN PUBLIC KEY-----
 *         ...
 */
import YAML from 'yaml';
import { keyFingerprint, readPublicKey, sha256Hex } from './crypto.js';
import type { CheckedEntry } from './custody-check.js';
import { endsKey } from './custody-key-life.js';
import { parseCheckpoint } from './custody.js';
import { ExhibitError } from './errors.js';
import { isRecord } from './text.js';

export interface RegisterKey {
  examiner: string;
  fingerprint: string;
  issued: string;
  replaced?: string;
  replaced_by?: string;
  revoked?: string;
  reason?: string;
  administrator?: boolean;
  public_key?: string;
}

export interface TrustRegister {
  file: string;
  sha256: string; // of the file's bytes, for the report and for comparing with the published one
  keys: Map<string, RegisterKey>;
  /** How problems name it ("the trust register <file>" when not set; "this case store" for the store's own keys). */
  where?: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
const MAX_BYTES = 4 * 1024 * 1024;

/** The register's text, from the keys a case store holds. */
export function registerText(keys: readonly RegisterKey[], lab: string): string {
  const doc = { exhibit_trust_register: 1, keys: keys.map((k) => Object.fromEntries(Object.entries(k).filter(([, v]) => v !== undefined && v !== null))) };
  return `# exhibit trust register: the signing keys of ${lab}'s examiners.\n# Publish it; check custody logs with: exhibit verify --trust <this file>\n${YAML.stringify(doc, { lineWidth: 0 })}`;
}

export function parseTrustRegister(bytes: Buffer, file: string): TrustRegister {
  const bad = (what: string): ExhibitError => new ExhibitError('USAGE', `the trust register ${file} ${what}`, { hints: ['make one with: exhibit key register export -o <file>'] });
  if (bytes.length > MAX_BYTES) throw bad('is larger than 4 MiB');
  let doc: unknown;
  try {
    doc = YAML.parse(bytes.toString('utf8'), { maxAliasCount: 0 });
  } catch {
    throw bad('is not valid YAML');
  }
  if (!isRecord(doc) || doc.exhibit_trust_register !== 1 || !Array.isArray(doc.keys)) throw bad('is not an exhibit trust register (exhibit_trust_register: 1, keys: [...])');
  const keys = new Map<string, RegisterKey>();
  doc.keys.forEach((k: unknown, i) => {
    const at = `key ${i + 1}`;
    if (!isRecord(k)) throw bad(`${at} is not a mapping`);
    const text = (name: string, required: boolean): string | undefined => {
      const v = k[name];
      if (v === undefined && !required) return undefined;
      if (typeof v !== 'string' || v.trim() === '') throw bad(`${at}: "${name}" should be text`);
      return v.trim();
    };
    const time = (name: string, required: boolean): string | undefined => {
      const v = k[name] instanceof Date ? (k[name] as Date).toISOString() : text(name, required);
      if (v !== undefined && !Number.isFinite(Date.parse(v))) throw bad(`${at}: "${name}" is not a time (${v})`);
      return v;
    };
    const fingerprint = text('fingerprint', true)!.toLowerCase();
    if (!HEX64.test(fingerprint)) throw bad(`${at}: the fingerprint should be 64 hex digits`);
    if (keys.has(fingerprint)) throw bad(`lists key ${fingerprint} twice`);
    const publicKey = text('public_key', false);
    if (publicKey !== undefined) {
      const pk = readPublicKey(publicKey);
      if (!pk || keyFingerprint(pk) !== fingerprint) throw bad(`${at}: its public key is not the key ${fingerprint.slice(0, 16)}...`);
    }
    const entry: RegisterKey = { examiner: text('examiner', true)!, fingerprint, issued: time('issued', true)! };
    for (const [name, v] of [['replaced', time('replaced', false)], ['replaced_by', text('replaced_by', false)], ['revoked', time('revoked', false)], ['reason', text('reason', false)]] as const) {
      if (v !== undefined) entry[name] = v;
    }
    if (k.administrator !== undefined) {
      if (typeof k.administrator !== 'boolean') throw bad(`${at}: "administrator" should be true or false`);
      if (k.administrator) entry.administrator = true;
    }
    keys.set(fingerprint, entry);
  });
  return { file, sha256: sha256Hex(bytes), keys };
}

export interface RegisterProblem {
  entry?: number;
  message: string;
  /** A signature after the register's revocation of its key: a failure of that entry (as CustodyProblem.revoked). */
  revoked?: true;
}

/**
 * Every signature of every entry, and the checkpoint's, against the register: the key must be
 * listed, as the examiner the entry names, issued before the entry and neither replaced nor revoked
 * by then. Problems name the entry and the full fingerprint.
 */
export function checkAgainstRegister(entries: readonly CheckedEntry[], checkpoint: string | undefined, register: TrustRegister, o: { listedOnly?: boolean } = {}): RegisterProblem[] {
  const out: RegisterProblem[] = [];
  const where = register.where ?? `the trust register ${register.file}`;
  for (const e of entries) {
    const signers = [e.entry.actor, ...(e.entry.cosigners ?? [])];
    const at = Date.parse(e.entry.time.utc);
    for (const s of e.signatures) {
      const say = (m: string): void => void out.push({ entry: e.seq, message: `entry ${e.seq}: ${m}` });
      const sayRevoked = (m: string): void => void out.push({ entry: e.seq, message: `entry ${e.seq}: ${m}`, revoked: true });
      const name = signers.find((p) => p.key === s.key)?.name ?? '?';
      const k = register.keys.get(s.key);
      if (!k) {
        // listedOnly: only what the register says of the keys it lists (this case store's own keys, for a case it does not hold).
        if (!o.listedOnly) say(`signed by ${name} with key ${s.key}, which ${where} does not list`);
        continue;
      }
      if (!Number.isFinite(at)) {
        say(`signed by ${name} with key ${s.key} at "${e.entry.time.utc}", which is not a time: when the key signed cannot be compared with what ${where} says of it`);
        continue;
      }
      if (k.examiner !== name) say(`signed by "${name}" with key ${s.key}, which ${where} lists as ${k.examiner}'s`);
      if (at < Date.parse(k.issued)) say(`signed by ${name} with key ${s.key} at ${e.entry.time.utc}, before ${where} says it was issued (${k.issued})`);
      if (endsKey(e.entry, s.key)) continue;
      if (k.revoked !== undefined && at >= Date.parse(k.revoked)) sayRevoked(`signed by ${name} with key ${s.key} at ${e.entry.time.utc}, after ${where} says it was revoked (${k.revoked}${k.reason ? `: ${k.reason}` : ''})`);
      if (k.replaced !== undefined && at > Date.parse(k.replaced)) say(`signed by ${name} with key ${s.key} at ${e.entry.time.utc}, after ${where} says it was replaced (${k.replaced})`);
    }
    // A revocation on an administrator's authority counts only when the register names its signer one.
    if (!o.listedOnly && e.entry.kind === 'key.revoked' && e.entry.payload.authority === 'administrator' && register.keys.get(e.entry.actor.key)?.administrator !== true) {
      out.push({
        entry: e.seq,
        message: `entry ${e.seq}: revokes key ${String(e.entry.payload.key)} of ${String(e.entry.payload.examiner)} as a lab administrator, but ${where} does not list key ${e.entry.actor.key} of ${e.entry.actor.name} as an administrator's: the revocation is refused`,
      });
    }
  }
  const cp = checkpoint !== undefined ? parseCheckpoint(checkpoint) : undefined;
  if (cp && !o.listedOnly && !register.keys.has(cp.key)) out.push({ message: `the checkpoint is signed with key ${cp.key}, which ${where} does not list` });
  return out;
}

/** Signers whose keys the register lists as revoked or replaced after they signed: entries that stay valid, said so. */
export function registerNotes(entries: readonly CheckedEntry[], register: TrustRegister): string[] {
  const later = new Map<string, RegisterKey>();
  for (const e of entries) for (const s of e.signatures) {
    const k = register.keys.get(s.key);
    if (k?.revoked !== undefined && Date.parse(e.entry.time.utc) < Date.parse(k.revoked)) later.set(s.key, k);
  }
  return [...later.values()].map((k) => `key ${k.fingerprint} of ${k.examiner} was revoked later (${k.revoked}${k.reason ? `: ${k.reason}` : ''}); what it signed before then stays valid`);
}
