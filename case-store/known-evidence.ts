/**
 * Every drive and file the case store knows as evidence, from the custody log
 * itself (the signed entries, not the tables or the records at their logged
 * paths, which can move): each acquisition's image files, record and source
 * identity, and each registered evidence item's serial, model and capacity.
 * restore and clone refuse a target that matches any of them.
 */
import { splitLogLine } from '../core/custody.js';
import type { EvidenceSource, KnownEvidence } from '../core/evidence-identity.js';
import { recordOf } from '../core/text.js';
import path from 'node:path';
import { logLines } from './custody-log.js';
import type { CaseStore } from './store.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
const num = (v: unknown): number | undefined => (Number.isSafeInteger(v) && (v as number) > 0 ? (v as number) : undefined);

/** A log line's entry as a plain record, or undefined for a line the log check fails (nothing to learn from it here). */
function entryOf(line: string): Record<string, unknown> | undefined {
  const split = splitLogLine(line);
  if (!split) return undefined;
  try {
    return recordOf(JSON.parse(split.entryBytes));
  } catch {
    return undefined;
  }
}

export function knownEvidence(store: CaseStore): KnownEvidence {
  const out: KnownEvidence = { sources: [], files: [] };
  const rows = store.db.all('SELECT c.number AS case_number, e.line AS line FROM custody_entries e JOIN cases c ON c.id = e.case_id') as Iterable<{ case_number: string; line: string }>;
  for (const { case_number: caseNumber, line } of rows) {
    const entry = entryOf(line);
    if (!entry) continue;
    const p = recordOf(entry.payload);
    if (entry.kind === 'acquisition.completed' || entry.kind === 'acquisition.incomplete') {
      const ev = str(p.evidence) ?? '?';
      const folder = str(p.folder);
      const record = str(recordOf(p.record).file);
      if (folder && record) out.files.push({ path: path.join(folder, record), what: `the acquisition record of ${ev} in case ${caseNumber}`, case: caseNumber });
      for (const f of Array.isArray(p.files) ? p.files : []) {
        const name = str(recordOf(f).name);
        if (folder && name) out.files.push({ path: path.join(folder, name), what: `an image file of ${ev} in case ${caseNumber}`, case: caseNumber });
      }
      const s = recordOf(p.source);
      const size = num(recordOf(p.media).size_bytes);
      add(out.sources, {
        serial: str(s.serial),
        wwid: str(s.wwid),
        model: str(s.model),
        size_bytes: size,
        path: str(s.backing_file) ?? (s.kind === 'file' && str(s.path)?.startsWith('/') ? str(s.path) : undefined),
        what: `the source of ${ev} in case ${caseNumber}`,
      });
    } else if (entry.kind === 'evidence.registered') {
      add(out.sources, { serial: str(p.serial), model: str(p.model), size_bytes: num(p.capacity_bytes), what: `evidence item ${str(p.number) ?? '?'} of case ${caseNumber}` });
    }
  }
  return out;
}

type Fields<T> = { [K in keyof T]: T[K] | undefined };

/** Keep a source only when something identifies it, without the fields that are not set. */
function add(list: EvidenceSource[], s: Fields<EvidenceSource>): void {
  const clean: EvidenceSource = { what: s.what ?? '?' };
  if (s.serial) clean.serial = s.serial;
  if (s.wwid) clean.wwid = s.wwid;
  if (s.model) clean.model = s.model;
  if (s.size_bytes) clean.size_bytes = s.size_bytes;
  if (s.path) clean.path = s.path;
  if (clean.serial || clean.wwid || clean.path || (clean.model && clean.size_bytes)) list.push(clean);
}

/**
 * The media hashes the log of case `caseNumber` holds for images of `evidence` (its acquisitions that
 * completed, and its conversions): what a conversion logged into the case must be one of.
 */
/** The readable entries of a case's log in the store, each with its payload as a record (none when the store lacks the case). */
function* caseEntries(store: CaseStore, caseNumber: string): Generator<{ entry: NonNullable<ReturnType<typeof entryOf>>; p: Record<string, unknown> }> {
  const c = store.findCase(caseNumber);
  if (!c) return;
  for (const line of logLines(store, c)) {
    const entry = entryOf(line);
    if (entry) yield { entry, p: recordOf(entry.payload) };
  }
}

export function loggedMediaHashes(store: CaseStore, caseNumber: string, evidence: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const { entry, p } of caseEntries(store, caseNumber)) {
    if ((entry.kind !== 'acquisition.completed' && entry.kind !== 'image.converted') || p.evidence !== evidence) continue;
    const h = recordOf(recordOf(p.media).hashes);
    const hashes = Object.fromEntries(Object.entries(h).filter((kv): kv is [string, string] => typeof kv[1] === 'string'));
    if (Object.keys(hashes).length > 0) out.push(hashes);
  }
  return out;
}

/**
 * The first entry of a case that logged an acquisition of `evidence` into `folder` (or begun at `startedUtc`) whose source was found
 * written while it was read (its read-only verdict `unchanged: false`), as "entry N", or undefined. A
 * resume consults it: the journal beside the image, which also lists the sessions, is anyone's to edit.
 */
export function loggedSourceChange(store: CaseStore, caseNumber: string, evidence: string, folder: string, startedUtc?: string): string | undefined {
  for (const { entry, p } of caseEntries(store, caseNumber)) {
    if (typeof entry.kind !== 'string' || !entry.kind.startsWith('acquisition.')) continue;
    // This acquisition, wherever its folder has gone: begun at the same moment (the signed journal's start); an
    // earlier acquisition of the item into the same folder is another one.
    const same = startedUtc !== undefined ? recordOf(p.started).utc === startedUtc : p.folder === folder;
    if (p.evidence === evidence && same && recordOf(p.read_only).unchanged === false) return `entry ${entry.seq}`;
  }
  return undefined;
}
