/**
 * The custody log's byte formats, shared by the case store (which writes and
 * re-checks logs) and the verifier (which checks the copy beside an image).
 *
 * A log is a file of lines (JSON Lines), one entry per line:
 *
 *   {"entry":<entry>,"signatures":[{"key":"<fingerprint>","sig":"<base64>"},...]}
 *
 * <entry> is the canonical JSON of a CustodyEntry (core/canonical-json.ts),
 * kept byte for byte as it was signed; each signature is Ed25519 over exactly
 * those bytes. Entry n (counted from 1) has `seq` n and `prev`, the SHA-256 of
 * line n-1 *including its newline* (what `sed -n 'Np' log | sha256sum`
 * prints); the first entry's `prev` is 64 zeros. The chain covers whole lines,
 * signatures included.
 *
 * A checkpoint, in the style of a transparency log's signed note, commits to
 * the log's length and last line; its first three lines are the signed text:
 *
 *   exhibit custody log, case <case number>
 *   <number of entries>
 *   <SHA-256 of the last line, newline included>
 *   <empty line>
 *   — <fingerprint> <base64 Ed25519 signature of the three lines above>
 *
 * A store that has seen a sound copy of its log longer than its own (it was rolled back: see
 * verify/anchor.ts) signs that high-water mark into its checkpoint, as a fourth signed line:
 *
 *   seen <entries of the longest copy seen> <SHA-256 of that copy's last line>
 *
 * so the store's own signed state says it was rolled back, whatever is done to its tables; every
 * other checkpoint is the three lines above, byte for byte as before.
 */
import { canonicalJson, type CanonicalValue } from './canonical-json.js';
import type { Timestamp } from './time.js';

export const CUSTODY_ENTRY_VERSION = 1;
export const GENESIS_PREV = '0'.repeat(64);

export const CUSTODY_KINDS = [
  'case.opened',
  'key.registered',
  'evidence.registered',
  'acquisition.completed',
  'acquisition.incomplete',
  'custody.transferred',
  'verification.performed',
  'report.issued',
  'image.restored',
  'image.converted',
  'drive.cloned',
  'key.rotated',
  'key.revoked',
] as const;
export type CustodyKind = (typeof CUSTODY_KINDS)[number];

/** Plain words for each kind, for logs printed to people. */
export const KIND_WORDS: Record<CustodyKind, string> = {
  'case.opened': 'case opened',
  'key.registered': 'key registered',
  'evidence.registered': 'evidence registered',
  'acquisition.completed': 'acquisition completed',
  'acquisition.incomplete': 'acquisition incomplete',
  'custody.transferred': 'custody transferred',
  'verification.performed': 'verification performed',
  'report.issued': 'report issued',
  'image.restored': 'image restored',
  'image.converted': 'image converted',
  'drive.cloned': 'drive cloned',
  'key.rotated': 'key rotated',
  'key.revoked': 'key revoked',
};

export interface Party {
  name: string;
  key: string; // fingerprint of the party's Ed25519 key
}

export type Payload = { [key: string]: CanonicalValue | undefined };

export interface CustodyEntry {
  v: number;
  case: string;
  seq: number;
  prev: string;
  time: Timestamp;
  actor: Party; // who did it; signs first
  cosigners?: Party[]; // who also signs (the receiving party of a transfer), in order
  kind: CustodyKind;
  payload: Payload;
}

export interface EntrySignature {
  key: string;
  sig: string;
}

export function isCustodyKind(kind: unknown): kind is CustodyKind {
  return typeof kind === 'string' && (CUSTODY_KINDS as readonly string[]).includes(kind);
}

/** The canonical bytes of an entry: what is signed and stored verbatim. */
export function encodeEntry(entry: CustodyEntry): string {
  return canonicalJson(entry);
}

/** The custody files exhibit keeps beside an image of `evidence`: the log, its checkpoint, the checkpoint's time-stamp token, the public keys. */
export function custodyFileNames(evidence: string): { log: string; checkpoint: string; token: string; keys: string } {
  return { log: `${evidence}.custody.jsonl`, checkpoint: `${evidence}.checkpoint`, token: `${evidence}.checkpoint.tsr`, keys: `${evidence}.keys` };
}

/** One log line (without its newline) from the entry's bytes and its signatures. */
export function logLine(entryBytes: string, signatures: EntrySignature[]): string {
  return `{"entry":${entryBytes},"signatures":${canonicalJson(signatures.map((s) => ({ key: s.key, sig: s.sig })))}}`;
}

// A line is everything up to a "\n" (and "\n" alone ends one, as for sed and wc -l), any other
// character being line content (a raw U+2028 in an entry an older exhibit wrote among them).
// The line is `{"entry":{...},"signatures":[...]}`. It is cut where the signatures begin: after the
// last `,"signatures":[`, as the signature list holds no "]" before its end. (A regular expression
// with a greedy entry did the same, but took time quadratic in the line's length: a line of a few
// MB held verify for minutes.)
const HEAD = '{"entry":';
const SIGNATURES = ',"signatures":[';

export function splitLogLine(line: string): { entryBytes: string; signatures: unknown } | undefined {
  if (!line.startsWith(HEAD) || !line.endsWith(']}')) return undefined;
  const cut = line.lastIndexOf(SIGNATURES);
  if (cut < HEAD.length) return undefined;
  const entryBytes = line.slice(HEAD.length, cut);
  const list = line.slice(cut + SIGNATURES.length - 1, -1);
  if (entryBytes.length < 2 || !entryBytes.startsWith('{') || !entryBytes.endsWith('}') || list.indexOf(']') !== list.length - 1) return undefined;
  try {
    return { entryBytes, signatures: JSON.parse(list) as unknown };
  } catch {
    return undefined;
  }
}

/** The chain hash of a line: SHA-256 over the line and its newline. */
export function lineHashInput(line: string): string {
  return `${line}\n`;
}

export interface Checkpoint {
  caseNumber: string;
  size: number;
  head: string;
  body: string; // the signed text: the lines before the empty one, newlines included
  key: string;
  sig: string;
  /** The longest sound copy of the log the store has seen, when longer than the log it signs: the store was rolled back. */
  seen?: { size: number; head: string };
}

const CHECKPOINT_ORIGIN = 'exhibit custody log, case ';

export function checkpointBody(caseNumber: string, size: number, head: string, seen?: { size: number; head: string }): string {
  return `${CHECKPOINT_ORIGIN}${caseNumber}\n${size}\n${head}\n${seen ? `seen ${seen.size} ${seen.head}\n` : ''}`;
}

export function checkpointText(body: string, key: string, sig: string): string {
  return `${body}\n\u2014 ${key} ${sig}\n`;
}

/** Parse a checkpoint; undefined when the text is not one. */
export function parseCheckpoint(text: string): Checkpoint | undefined {
  const m = /^exhibit custody log, case ([^\n]+)\n(0|[1-9][0-9]{0,15})\n([0-9a-f]{64})\n(?:seen ([1-9][0-9]{0,15}) ([0-9a-f]{64})\n)?\n\u2014 ([0-9a-f]{64}) ([A-Za-z0-9+/]{86}==)\n$/.exec(text);
  if (!m) return undefined;
  const size = Number(m[2]);
  if (!Number.isSafeInteger(size)) return undefined;
  const seen = m[4] !== undefined ? { size: Number(m[4]), head: m[5]! } : undefined;
  if (seen && (!Number.isSafeInteger(seen.size) || seen.size <= size)) return undefined;
  return { caseNumber: m[1]!, size, head: m[3]!, body: checkpointBody(m[1]!, size, m[3]!, seen), key: m[6]!, sig: m[7]!, ...(seen ? { seen } : {}) };
}
