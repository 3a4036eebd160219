/** The case operations that write to a case's custody log, each one transaction. */
import { currentHolder } from '../core/custody-holders.js';
import type { CheckedEntry } from '../core/custody-check.js';
import type { CanonicalValue } from '../core/canonical-json.js';
import { caseNumbersLookAlike } from '../core/look-alike.js';
import { ExhibitError } from '../core/errors.js';
import { checkName } from '../core/text.js';
import { appendToCase, checkCase, logLines, requireIntact, type Append } from './custody-log.js';
import { rowMatchesEntry, WITH_ENTRY_LINE } from './custody-log-quick.js';
import { splitLogLine, type CustodyEntry } from '../core/custody.js';
import type { Signer } from './keys.js';
import { evidencePayload, type EvidenceItem } from './payloads.js';
import type { CaseRow, CaseStore } from './store.js';

export function checkCaseNumber(number: string): string {
  return checkName('case number', number, 100);
}

/**
 * A new case number a reader could take for one the store holds (a Cyrillic letter, another hyphen,
 * other capitals) is refused: on paper the two would be one case, and verify could no longer tell them apart.
 */
export function refuseLookAlikeCase(store: CaseStore, number: string): void {
  const other = (store.db.all('SELECT number FROM cases') as { number: string }[]).find((c) => c.number !== number && caseNumbersLookAlike(c.number, number));
  if (other) {
    throw new ExhibitError('USAGE', `case number ${number} looks like case ${other.number}, which this store holds: exhibit keeps apart case numbers a reader could confuse`, {
      hints: [`if it is case ${other.number}, type its number exactly so`, 'if it is another case, give it a number that differs visibly'],
    });
  }
}

function insertCase(store: CaseStore, number: string, title?: string): CaseRow {
  refuseLookAlikeCase(store, number);
  store.db.run('INSERT INTO cases (number, title) VALUES (?, ?)', [number, title ?? null]);
  return store.getCase(number);
}

function openedEntry(number: string, title: string | undefined, signer: Signer): Append {
  return { kind: 'case.opened', payload: { number, title }, signers: [signer] };
}

export interface Written {
  case: CaseRow;
  entries: CheckedEntry[];
}

export function openCase(store: CaseStore, number: string, title: string | undefined, signer: Signer): Written {
  const n = checkCaseNumber(number);
  return store.immediate(() => {
    if (store.findCase(n)) throw new ExhibitError('USAGE', `case ${n} is already open`, { hints: [`see it with: exhibit case show ${n}`] });
    const c = insertCase(store, n, title);
    return { case: c, entries: appendToCase(store, c, [openedEntry(n, title, signer)], true) };
  });
}

export function hasEvidence(store: CaseStore, c: CaseRow, number: string): boolean {
  return store.db.get('SELECT 1 FROM evidence WHERE case_id = ? AND number = ?', [c.id, number]) !== undefined;
}

export function registerEvidence(store: CaseStore, caseNumber: string, item: EvidenceItem, signer: Signer): Written {
  return store.immediate(() => {
    const c = store.getCase(caseNumber);
    if (hasEvidence(store, c, item.number)) throw new ExhibitError('USAGE', `evidence ${item.number} is already registered in case ${c.number}`);
    return { case: c, entries: appendToCase(store, c, [{ kind: 'evidence.registered', payload: evidencePayload(item), signers: [signer] }]) };
  });
}

/**
 * Log an entry about an evidence item, in one transaction: the case is opened
 * and the item registered first when the store does not have them yet (an
 * acquisition with a new --case). `opened` and `registered` say what was done.
 */
export function logForEvidence(
  store: CaseStore,
  caseNumber: string,
  item: EvidenceItem,
  entry: Append,
): Written & { opened: boolean; registered: boolean } {
  const n = checkCaseNumber(caseNumber);
  return store.immediate(() => {
    const items: Append[] = [];
    let c = store.findCase(n);
    const opened = !c;
    if (!c) {
      c = insertCase(store, n);
      items.push(openedEntry(n, undefined, entry.signers[0]!));
    }
    const registered = !hasEvidence(store, c, item.number);
    if (registered) items.push({ kind: 'evidence.registered', payload: evidencePayload(item), signers: [entry.signers[0]!] });
    items.push(entry);
    return { case: c, entries: appendToCase(store, c, items, opened), opened, registered };
  });
}

/** The case's entries as written, parsed but not checked (the append that follows checks the whole log). */
function parsedEntries(store: CaseStore, c: CaseRow): { seq: number; entry: CustodyEntry }[] {
  const out: { seq: number; entry: CustodyEntry }[] = [];
  logLines(store, c).forEach((line, i) => {
    const split = splitLogLine(line);
    if (!split) return;
    try {
      out.push({ seq: i + 1, entry: JSON.parse(split.entryBytes) as CustodyEntry });
    } catch {
      /* a damaged line: the check names it */
    }
  });
  return out;
}

/** The evidence item's row, with its entry's line (see quickHolder); undefined when the case has no such item. */
function evidenceRow(store: CaseStore, c: CaseRow, evidence: string): Record<string, unknown> | undefined {
  return store.db.get(`SELECT ${WITH_ENTRY_LINE} FROM evidence r WHERE r.case_id = ? AND r.number = ?`, [c.id, evidence]);
}

/**
 * Who holds the evidence whose row is `item`, from the rows about it (its registration, its
 * acquisitions, its latest transfer), each checked against the entry it comes from (read in the same
 * query as the row); false when one disagrees (then the whole log decides, after its full check).
 * The same answer as currentHolder over the whole log.
 */
function quickHolder(store: CaseStore, c: CaseRow, evidence: string, item: Record<string, unknown>): string | undefined | false {
  const registered = rowMatchesEntry('evidence', item);
  if (!registered.entry) return false;
  for (const row of store.db.all(`SELECT ${WITH_ENTRY_LINE} FROM acquisitions r WHERE r.case_id = ? AND r.evidence = ?`, [c.id, evidence])) {
    if (!rowMatchesEntry('acquisitions', row).ok) return false;
  }
  const latest = store.db.get(`SELECT ${WITH_ENTRY_LINE} FROM transfers r WHERE r.case_id = ? AND r.evidence = ? ORDER BY r.entry_seq DESC LIMIT 1`, [c.id, evidence]);
  if (!latest) return registered.entry.actor.name;
  const transfer = rowMatchesEntry('transfers', latest);
  if (!transfer.ok || Number(latest.entry_seq) < registered.entry.seq) return false;
  return typeof latest.to_name === 'string' ? latest.to_name : '';
}

export interface TransferParty {
  name: string;
  signer?: Signer; // present when that party signs (the releasing party always does)
}

export function recordTransfer(
  store: CaseStore,
  caseNumber: string,
  evidence: string,
  from: Signer,
  to: TransferParty,
  purpose: string,
  location: string,
  override?: string,
): Written {
  return store.immediate(() => {
    const c = store.getCase(caseNumber);
    const item = evidenceRow(store, c, evidence);
    if (!item) {
      requireIntact(store, c); // a missing item may be a deleted one: say that first
      throw new ExhibitError('NOT_FOUND', `there is no evidence ${evidence} in case ${c.number}`, { hints: [`register it with: exhibit evidence add ${c.number} ${evidence} ...`] });
    }
    // Custody follows the evidence: only its holder, by the log, can pass it on, unless a reason is logged.
    let holder = quickHolder(store, c, evidence, item);
    if (holder === false) {
      requireIntact(store, c); // a row that disagrees with its entry: the full check names it
      holder = currentHolder(parsedEntries(store, c), evidence);
    }
    if (holder !== undefined && holder !== from.name && override === undefined) {
      requireIntact(store, c); // a log changed behind exhibit's back is named before any holder it seems to show
      throw new ExhibitError('USAGE', `${from.name} does not hold ${evidence}: by the custody log of case ${c.number}, ${holder} does`, {
        hints: [`if ${from.name} really has it (the log missed a handover), record why: --override "<reason>"`],
      });
    }
    if (override !== undefined && holder === from.name) throw new ExhibitError('USAGE', `${from.name} holds ${evidence} by the log: --override is only for a transfer from someone who does not`);
    const payload = {
      evidence,
      from: { name: from.name, key: from.fingerprint },
      to: { name: to.name, key: to.signer?.fingerprint },
      purpose,
      location,
      ...(override !== undefined ? { override: { reason: override, ...(holder !== undefined ? { holder } : {}) } } : {}),
    };
    const signers = to.signer ? [from, to.signer] : [from];
    return { case: c, entries: appendToCase(store, c, [{ kind: 'custody.transferred', payload, signers }]) };
  });
}

export interface CaseSummary {
  case: CaseRow;
  entries: number;
  head: string;
  problems: ReturnType<typeof checkCase>['problems'];
  evidence: Record<string, unknown>[];
  acquisitions: Record<string, unknown>[];
  transfers: Record<string, unknown>[];
  verifications: Record<string, unknown>[];
  reports: Record<string, unknown>[];
}

export function caseSummary(store: CaseStore, number: string): CaseSummary {
  return store.db.snapshot(() => summaryNow(store, number));
}

function summaryNow(store: CaseStore, number: string): CaseSummary {
  const c = store.getCase(number);
  const check = checkCase(store, c);
  const rows = (table: string, order: string) =>
    (store.db.all(`SELECT * FROM ${table} WHERE case_id = ? ORDER BY ${order}`, [c.id]) as Record<string, unknown>[]).map(({ case_id: _id, ...rest }) => rest);
  return {
    case: c,
    entries: check.count,
    head: check.head,
    problems: check.problems,
    evidence: rows('evidence', 'entry_seq').map((r) => ({ ...r, seals: parseSeals(r.seals) })),
    acquisitions: rows('acquisitions', 'entry_seq'),
    transfers: rows('transfers', 'entry_seq'),
    verifications: rows('verifications', 'entry_seq'),
    reports: rows('reports', 'entry_seq'),
  };
}

/** The custody entry that logged the acquisition whose record has this SHA-256, if any (to log each record once). */
export function acquisitionEntryFor(store: CaseStore, caseNumber: string, evidence: string, recordSha256: string): number | undefined {
  const c = store.findCase(caseNumber);
  if (!c) return undefined;
  const row = store.db.get('SELECT entry_seq FROM acquisitions WHERE case_id = ? AND evidence = ? AND record_sha256 = ?', [c.id, evidence, recordSha256]) as { entry_seq: number } | undefined;
  return row?.entry_seq;
}

/** The seals column as a list; a damaged value (the check reports it) shows as it is. */
function parseSeals(v: unknown): unknown {
  if (typeof v !== 'string') return [];
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return [v];
  }
}

/** Log a verification of an evidence item (exhibit verify). Returns the entry's number. */
export function recordVerification(store: CaseStore, caseNumber: string, evidence: string, signer: Signer, payload: Record<string, CanonicalValue | undefined>): number {
  return store.immediate(() => {
    const c = store.getCase(caseNumber);
    if (!hasEvidence(store, c, evidence)) {
      requireIntact(store, c);
      throw new ExhibitError('NOT_FOUND', `there is no evidence ${evidence} in case ${c.number} to log the verification against`);
    }
    const entries = appendToCase(store, c, [{ kind: 'verification.performed', payload: { evidence, ...payload }, signers: [signer] }]);
    return entries[entries.length - 1]!.seq;
  });
}

/** Log that a report of the case was issued (exhibit report). Returns the entry's number. */
export function recordReport(store: CaseStore, caseNumber: string, signer: Signer, payload: { file: string; sha256: string; format: string; entries_covered: number }): number {
  return store.immediate(() => {
    const c = store.getCase(caseNumber);
    const entries = appendToCase(store, c, [{ kind: 'report.issued', payload: { ...payload }, signers: [signer] }]);
    return entries[entries.length - 1]!.seq;
  });
}

/** Log an event about an evidence item that only the custody log records (an image restored, a drive cloned). Returns the entry's number. */
export function recordEvidenceEvent(store: CaseStore, caseNumber: string, kind: 'image.restored' | 'drive.cloned', evidence: string, signer: Signer, payload: Record<string, CanonicalValue | undefined>): number {
  return store.immediate(() => {
    const c = store.getCase(caseNumber);
    const entries = appendToCase(store, c, [{ kind, payload: { evidence, ...payload }, signers: [signer] }]);
    return entries[entries.length - 1]!.seq;
  });
}
