/**
 * Reading an acquisition record: the one way exhibit parses one. `readRecord`
 * reads it bounded (record.ts `readRecordFile`), checks its shape
 * (record/check.ts) and returns the typed record with the bytes it was read
 * from and their SHA-256, so a consumer never reads the file a second time.
 */
import fs from 'node:fs';
import { sha256Hex } from '../crypto.js';
import { ExhibitError } from '../errors.js';
import { readRecordFile, recordBesideImage, type AcquisitionRecord } from '../record.js';
import { checkRecord, RecordDamage } from './check.js';

export interface ReadRecord {
  record: AcquisitionRecord;
  bytes: Buffer;
  sha256: string;
  path: string;
}

/**
 * Read and check the record `file`. One that cannot be read (missing, too large, not a regular file,
 * not YAML) is IMAGE_INVALID "the record <file> cannot be read: <why>"; one whose fields are not as
 * exhibit writes them is IMAGE_INVALID "the record <file> is damaged: <field> <what is wrong>".
 */
export function readRecord(file: string): ReadRecord {
  const { bytes, parsed } = readRecordFile(file);
  let record: AcquisitionRecord;
  try {
    record = checkRecord(parsed);
  } catch (err) {
    if (err instanceof RecordDamage) throw new ExhibitError('IMAGE_INVALID', `the record ${file} is damaged: ${err.message}`);
    throw err;
  }
  return { record, bytes, sha256: sha256Hex(bytes), path: file };
}

/**
 * The record beside an image (`base`, the name its files share), when it is there, readable and
 * whole; undefined otherwise (a reader that only takes a hint from it: verify reports what is wrong).
 */
export function readRecordBeside(base: string): AcquisitionRecord | undefined {
  const beside = recordBesideImage(base);
  if (!fs.existsSync(beside)) return undefined;
  try {
    return readRecord(beside).record;
  } catch {
    return undefined;
  }
}

/** What a record says it is about, read even when its other fields are damaged (see readRecordClaims). */
export interface RecordClaims {
  /** The record's own `record` field: "exhibit acquisition" or "exhibit conversion" in a record exhibit wrote. */
  kind: unknown;
  evidence: string;
  case: string;
  /** The image file names it lists. */
  files: string[];
  /** Its source's identity, when it has a source at all. */
  source?: { kind: unknown; resolved_path?: string; serial?: string; wwid?: string; loop_backing_file?: string };
}

/**
 * The evidence a record names (its image files and its source), for the guard that keeps restore and
 * clone from writing to evidence: a record damaged in some other field must still protect what it
 * names, so only these fields are looked at, each only when of its kind. Undefined when the file
 * cannot be read or parsed at all.
 */
export function readRecordClaims(file: string): RecordClaims | undefined {
  let parsed: unknown;
  try {
    parsed = readRecordFile(file).parsed;
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const x = parsed as { record?: unknown; evidence?: unknown; case?: unknown; image?: { files?: unknown } | null; source?: unknown };
  const files = Array.isArray(x.image?.files) ? x.image.files.map((f: unknown) => (f as { name?: unknown } | null)?.name).filter((n): n is string => typeof n === 'string') : [];
  const claims: RecordClaims = { kind: x.record, evidence: String(x.evidence), case: String(x.case), files };
  if (typeof x.source === 'object' && x.source !== null) {
    const s = x.source as { kind?: unknown; resolved_path?: unknown; device?: unknown };
    const d = (typeof s.device === 'object' && s.device !== null ? s.device : {}) as { serial?: unknown; wwid?: unknown; loop_backing_file?: unknown };
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    claims.source = {
      kind: s.kind,
      ...(text(s.resolved_path) !== undefined ? { resolved_path: text(s.resolved_path)! } : {}),
      ...(text(d.serial) !== undefined ? { serial: text(d.serial)! } : {}),
      ...(text(d.wwid) !== undefined ? { wwid: text(d.wwid)! } : {}),
      ...(text(d.loop_backing_file) !== undefined ? { loop_backing_file: text(d.loop_backing_file)! } : {}),
    };
  }
  return claims;
}
