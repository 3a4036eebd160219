/**
 * Checking a custody log: the chain, the signatures, the keys and the
 * checkpoint. Used by the case store on every read of a case and by the
 * verifier on the copy beside an image; it never throws on bad input, it
 * lists what is wrong, naming the entry.
 */
import { mixedScriptWord } from './look-alike.js';
import { parseCanonical } from './canonical-json.js';
import { codePoint as codePointOf, isRecord, NARROW_SPACE } from './text.js';
import { keyFingerprint, readPublicKey, sha256Hex, verifyBytes, type PublicKey } from './crypto.js';
import { retiredUse, revokedUses, revokeKey, rotateKey, type Revocation } from './custody-key-life.js';
import { verifySignaturesInParallel } from './signature-pool.js';
import {
  CUSTODY_ENTRY_VERSION,
  GENESIS_PREV,
  isCustodyKind,
  lineHashInput,
  parseCheckpoint,
  splitLogLine,
  type CustodyEntry,
  type EntrySignature,
  type Party,
} from './custody.js';

export interface CustodyProblem {
  entry?: number; // 1-based; absent for problems of the log as a whole
  message: string; // names the entry itself, ready to print
  /** A signature by a key after its revocation took effect: a failure of the entry, but not a reason to stop the log growing (it records the revocation). */
  revoked?: true;
  /** The log's own signed checkpoint says a longer copy of it was seen: the store holding it was rolled back. */
  rolledBack?: true;
}

export interface CheckedEntry {
  seq: number; // position in the log, 1-based
  line: string;
  entryBytes: string;
  entry: CustodyEntry;
  signatures: EntrySignature[];
}

export interface RegisteredKey {
  name: string;
  publicPem: string;
  key: PublicKey;
  entry: number; // the entry that registers it (key.registered, or key.rotated for the new key)
  retiredBy?: { entry: number; key: string }; // the key.rotated entry that replaced it, and the new key
  revoked?: { entry: number; effective: string }; // the key.revoked entry, and when the revocation takes effect
}

export interface CustodyCheck {
  entries: CheckedEntry[]; // the lines that could be read as entries
  problems: CustodyProblem[];
  keys: Map<string, RegisteredKey>; // fingerprint -> key, as registered in the log
  count: number; // lines in the log
  head: string; // SHA-256 of the last line with its newline, or GENESIS_PREV for an empty log
  revocations: Revocation[]; // keys the log revokes, in order
}

export interface CustodyCheckOptions {
  caseNumber?: string; // every entry must belong to this case
  checkpoint?: string; // its text; checked against the log when given
  /** Public keys the checker trusts, by fingerprint; every key registered in the log must be one of them. */
  trustedKeys?: Map<string, PublicKey>;
  trustedKeysSource?: string; // for messages, e.g. "this case store's keys"
  /**
   * Skip each entry's signatures when the checkpoint vouches for them and was signed by one of
   * these keys. The chain binds every byte of every line to the last one, and the checkpoint binds
   * the last one, so a log that matches it is, byte for byte, the log its signer had checked in
   * full before signing. Only a checkpoint signed by whoever is appending now (whose private key is
   * in hand) is trusted so; anything else is checked in full. Every check a person asks for is full.
   */
  trustCheckpointSignedBy?: ReadonlySet<string>;
  /** Fingerprints of lab administrators' keys, which may sign the revocation of another examiner's key; unchecked when absent. */
  administrators?: ReadonlySet<string>;
  administratorsSource?: string; // for messages, e.g. "in this case store"
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Lines of a log file; a missing final newline is reported as a cut-short last entry. */
export function splitLog(text: string): { lines: string[]; problems: CustodyProblem[] } {
  if (text === '') return { lines: [], problems: [] };
  const problems: CustodyProblem[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else problems.push({ entry: lines.length, message: `entry ${lines.length} is cut short: the log does not end with a newline (truncated?)` });
  return { lines, problems };
}

/** The most entry problems one check lists: a log of junk lines would otherwise make one for each, without bound. */
export const MAX_PROBLEMS = 10_000;

export function checkCustodyLog(lines: readonly string[], o: CustodyCheckOptions = {}): CustodyCheck {
  const problems: CustodyProblem[] = [];
  const entries: CheckedEntry[] = [];
  const keys = new Map<string, RegisteredKey>();
  const revocations: Revocation[] = [];
  const cpKey = o.checkpoint !== undefined ? parseCheckpoint(o.checkpoint)?.key : undefined;
  const skipSignatures = cpKey !== undefined && o.trustCheckpointSignedBy?.has(cpKey) === true;
  // A long log's signatures are verified on every core first; what the workers vouch for is not verified again below.
  const vouched = skipSignatures ? undefined : verifySignaturesInParallel(lines);
  let caseNumber = o.caseNumber;
  let prevHash = GENESIS_PREV;
  let untold = 0; // problems past MAX_PROBLEMS, counted, not listed
  lines.forEach((line, i) => {
    const n = i + 1;
    const say = (message: string): void => void (problems.length < MAX_PROBLEMS ? problems.push({ entry: n, message: `entry ${n}: ${message}` }) : untold++);
    const expectedPrev = prevHash;
    prevHash = sha256Hex(lineHashInput(line));
    const parts = splitLogLine(line);
    if (!parts) return say('is not a custody log line (damaged or not written by exhibit)');
    let parsed: { value: unknown; canonical: boolean };
    try {
      parsed = parseCanonical(parts.entryBytes);
    } catch {
      return say('is not valid JSON (damaged)');
    }
    const shapeError = entryShapeError(parsed.value);
    if (shapeError) return say(`is malformed: ${shapeError}`);
    const entry = parsed.value as CustodyEntry;
    if (!parsed.canonical) say('its bytes are not the ones that were signed (the entry was re-written or edited)');
    const sigs = signaturesOf(parts.signatures);
    if (!sigs) return say('its signature list is malformed');
    entries.push({ seq: n, line, entryBytes: parts.entryBytes, entry, signatures: sigs });

    caseNumber ??= entry.case; // without one given, the first entry's case is the log's
    if (entry.case !== caseNumber) say(`belongs to case "${entry.case}", not "${caseNumber}"`);
    if (entry.seq !== n) say(`has sequence number ${entry.seq} at position ${n}: entries were removed, reordered or inserted`);
    if (entry.prev !== expectedPrev) {
      say(
        n === 1
          ? 'is not the start of a log (its link to a previous entry is set): entries before it were removed'
          : `does not link to entry ${n - 1}: the SHA-256 of the line before it differs (that line was changed, or entries were removed, reordered or inserted)`,
      );
    }

    if (entry.kind === 'key.registered') {
      // exhibit refuses such a name (checkExaminerName): a log that registers one was not written by it as it is.
      const mixed = mixedScriptWord(entry.actor.name);
      // A space narrower than a letter's gap hides where a word ends: exhibit makes no key for such a name (checkName).
      const narrow = NARROW_SPACE.exec(entry.actor.name);
      if (narrow) say(`registers a key for "${entry.actor.name}", a name with a narrow space (${codePointOf(narrow[0])}), which hides where a word ends; exhibit makes no key for such a name`);
      else if (mixed) say(`registers a key for "${entry.actor.name}", a name that mixes ${mixed.scripts.join(' and ')} letters in "${mixed.word}", so it looks like a name it is not; exhibit makes no key for such a name`);
      registerKey(entry, n, keys, o, say);
    }
    if (entry.kind === 'key.rotated') rotateKey(entry, n, keys, o, say);
    if (entry.kind === 'key.revoked') revokeKey(entry, n, keys, revocations, o, say);

    const signers: Party[] = [entry.actor, ...(entry.cosigners ?? [])];
    if (sigs.length !== signers.length || sigs.some((s, k) => s.key !== signers[k]!.key)) {
      say(`should be signed by ${signers.map(partyWords).join(' and ')}, but its signatures are by ${sigs.map((s) => `key ${short(s.key)}`).join(', ') || 'nobody'}`);
    }
    for (const p of signers) {
      const k = keys.get(p.key);
      if (k && k.name !== p.name) say(`names ${p.name} as a signer, but key ${short(p.key)} is registered to ${k.name}`);
    }
    if (entry.kind === 'custody.transferred') checkTransferParties(entry, say);
    sigs.forEach((s, index) => {
      const k = keys.get(s.key);
      if (!k) {
        say(`is signed with key ${short(s.key)}, which no earlier entry registers`);
        return;
      }
      const retired = retiredUse(entry, n, s.key, keys);
      if (retired) say(retired);
      // keys.get(s.key) is the key whose fingerprint is s.key (registerKey and rotateKey compute it), the one a worker used.
      if (!skipSignatures && vouched?.(n, index) !== true && !verifyBytes(k.key, parts.entryBytes, s.sig)) say(`the signature by ${k.name} (key ${short(s.key)}) does not match the entry: the entry or its signature was changed`);
    });
  });

  const head = lines.length === 0 ? GENESIS_PREV : prevHash;
  if (untold > 0) problems.push({ message: `and ${untold} more problems in later entries (the first ${MAX_PROBLEMS} are listed)` });
  problems.push(...revokedUses(entries, revocations));
  if (o.checkpoint !== undefined) checkCheckpoint(o.checkpoint, lines, keys, caseNumber, problems);
  if (skipSignatures && problems.length > 0) return checkCustodyLog(lines, { ...o, trustCheckpointSignedBy: new Set() }); // name every bad signature
  return { entries, problems, keys, count: lines.length, head, revocations };
}

function registerKey(entry: CustodyEntry, n: number, keys: Map<string, RegisteredKey>, o: CustodyCheckOptions, say: (m: string) => void): void {
  const pem = entry.payload.public_key;
  const fp = entry.payload.key;
  const key = typeof pem === 'string' ? readPublicKey(pem) : undefined;
  if (!key || typeof pem !== 'string') return void say('registers a key but holds no readable Ed25519 public key');
  const actual = keyFingerprint(key);
  if (fp !== actual || entry.actor.key !== actual) return void say(`registers key ${short(actual)} under another fingerprint or actor`);
  if (o.trustedKeys) {
    const trusted = o.trustedKeys.get(actual);
    if (!trusted || keyFingerprint(trusted) !== actual) say(`registers key ${short(actual)} of ${entry.actor.name}, which is not among ${o.trustedKeysSource ?? 'the trusted keys'}`);
  }
  // A second key for a name is a look-alike signer unless the first was rotated away or revoked.
  const sameName = [...keys].find(([fp, k]) => k.name === entry.actor.name && fp !== actual && !k.retiredBy && !k.revoked);
  if (sameName) say(`registers a second key (${short(actual)}) for ${entry.actor.name}, who has key ${short(sameName[0])} from entry ${sameName[1].entry}`);
  if (!keys.has(actual)) keys.set(actual, { name: entry.actor.name, publicPem: pem, key, entry: n });
}

/** A transfer's parties are its signers: the releasing party is the actor, a countersigning receiver the first cosigner. */
function checkTransferParties(entry: CustodyEntry, say: (m: string) => void): void {
  const p = entry.payload as { from?: { name?: unknown; key?: unknown }; to?: { name?: unknown; key?: unknown } };
  if (p.from?.key !== entry.actor.key || p.from?.name !== entry.actor.name) say(`says ${String(p.from?.name)} released the item, but ${entry.actor.name} signed it as the actor`);
  const co = entry.cosigners?.[0];
  if (p.to?.key !== undefined || co) {
    if (!co || p.to?.key !== co.key || p.to?.name !== co.name) say(`claims a countersignature by ${String(p.to?.name)} that its signers do not match`);
  }
}

function checkCheckpoint(text: string, lines: readonly string[], keys: Map<string, RegisteredKey>, caseNumber: string | undefined, problems: CustodyProblem[]): void {
  const say = (message: string, entry?: number): void => void problems.push({ ...(entry !== undefined ? { entry } : {}), message });
  const cp = parseCheckpoint(text);
  if (!cp) return say('the checkpoint is damaged or not an exhibit custody checkpoint');
  if (caseNumber !== undefined && cp.caseNumber !== caseNumber) say(`the checkpoint is for case "${cp.caseNumber}", not "${caseNumber}"`);
  const k = keys.get(cp.key);
  if (!k) say(`the checkpoint is signed with key ${short(cp.key)}, which the log does not register`);
  const signed = k !== undefined && verifyBytes(k.key, cp.body, cp.sig);
  if (k && !signed) say(`the checkpoint's signature by ${k.name} does not match it: the checkpoint was changed`);
  if (cp.size > lines.length) {
    const missing = cp.size - lines.length === 1 ? `entry ${cp.size} is missing` : `entries ${lines.length + 1} to ${cp.size} are missing`;
    return say(`the log is truncated: the signed checkpoint covers ${cp.size} entries but the log holds ${lines.length}; ${missing}`, lines.length + 1);
  }
  if (cp.size === 0 ? cp.head !== GENESIS_PREV : sha256Hex(lineHashInput(lines[cp.size - 1]!)) !== cp.head) {
    say(`entry ${cp.size} is not the one the signed checkpoint ends on: it or an entry before it was changed`, cp.size);
  }
  if (cp.seen && signed) {
    problems.push({
      rolledBack: true,
      message: `ROLLBACK: the signed checkpoint (by ${k!.name}) says a copy of this log with ${cp.seen.size} entries (head ${cp.seen.head}) was seen, but the log holds ${cp.size} (head ${cp.head}): the store was restored from an older state, or its latest entries were removed`,
    });
  }
  if (cp.size < lines.length) {
    say(`${lines.length === cp.size + 1 ? `entry ${lines.length} comes` : `entries ${cp.size + 1} to ${lines.length} come`} after the signed checkpoint (which covers ${cp.size}): ${lines.length === cp.size + 1 ? 'it was' : 'they were'} added without it being signed again (or a copy of the log was cut off before its checkpoint: copy it again)`, cp.size + 1);
  }
}

function entryShapeError(v: unknown): string | undefined {
  if (!isRecord(v)) return 'not an object';
  if (v.v !== CUSTODY_ENTRY_VERSION) return v.v === undefined ? 'it gives no entry format version ("v"): it is not an exhibit custody entry' : `entry format ${JSON.stringify(v.v)} is not one this exhibit reads`;
  if (typeof v.case !== 'string') return 'no case number';
  if (!Number.isSafeInteger(v.seq)) return 'no sequence number';
  if (typeof v.prev !== 'string' || !HEX64.test(v.prev)) return 'no link to the previous entry';
  if (!isRecord(v.time) || typeof v.time.utc !== 'string' || typeof v.time.local !== 'string') return 'no time';
  if (!isParty(v.actor)) return 'no actor';
  if (v.cosigners !== undefined && (!Array.isArray(v.cosigners) || !v.cosigners.every(isParty))) return 'bad cosigners';
  if (!isCustodyKind(v.kind)) return `unknown kind ${JSON.stringify(v.kind)}`;
  if (!isRecord(v.payload)) return 'no payload';
  return undefined;
}

function signaturesOf(v: unknown): EntrySignature[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: EntrySignature[] = [];
  for (const s of v) {
    if (!isRecord(s) || typeof s.key !== 'string' || typeof s.sig !== 'string') return undefined;
    out.push({ key: s.key, sig: s.sig });
  }
  return out;
}

function isParty(v: unknown): v is Party {
  return isRecord(v) && typeof v.name === 'string' && typeof v.key === 'string' && HEX64.test(v.key);
}

function partyWords(p: Party): string {
  return `${p.name} (key ${short(p.key)})`;
}

/** The first 16 hex digits of a fingerprint: enough to tell keys apart in a message. */
export function short(fingerprint: string): string {
  return fingerprint.slice(0, 16);
}
