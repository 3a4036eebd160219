/**
 * What anchors a verification: a signed custody entry whose signer is
 * trusted, the case store's own log, or a hash the verifier brings. The
 * record and the files beside an image are written by whoever wrote the image,
 * so they can say what the media should be but never vouch for it alone.
 *
 * When this machine's case store holds the case, the store is the reference:
 * its acquisition entry (media hashes, the record's SHA-256, each file's
 * SHA-256) is compared, and the log beside the image must be a copy of the
 * store's (a byte-for-byte beginning of it). A folder made under another
 * exhibit home, with a fresh key under the same examiner's name, is then named
 * for what it is, with both fingerprints.
 *
 * verify/ may not import the store: the CLI hands in a `StoreView`.
 */
import type { CheckedEntry, CustodyCheck, RegisteredKey } from '../core/custody-check.js';
import { short } from '../core/custody-check.js';
import type { TrustRegister } from '../core/trust-register.js';

/** The case store as the verifier sees it: read only, already checked. */
export interface StoreView {
  /** The store's log of a case and its full check, or undefined when the store does not hold the case. */
  caseLog(caseNumber: string): { case: string; lines: readonly string[]; check: CustodyCheck } | undefined;
  /** Fingerprints of the store's keys for an examiner's name (none when the store does not know the name). */
  keysFor(name: string): string[];
  /** A case number the store holds that looks like `caseNumber` but is not it (a hyphen of another kind, a Cyrillic letter). */
  lookAlikeCase?(caseNumber: string): string | undefined;
  /** The case whose log says it wrote `file` (an image file or record, by its absolute path), if any. */
  caseOfFile?(file: string): string | undefined;
  /** The files the store's logs say were written in `folder` (by its absolute path), with what each was. */
  filesLoggedIn?(folder: string): { path: string; what: string }[];
  /** The store's keys with when each was issued, replaced or revoked, as a trust register holds them. */
  keyRegister?(): TrustRegister;
}

/** One signer of the log beside the image, as the output names it. */
export interface SignerView {
  fingerprint: string;
  examiner: string;
  /** 'same': the store's key for that name; 'different': the store holds another key for the name; 'unknown': no key for it in the store; 'no-store'. */
  store_key: 'same' | 'different' | 'unknown' | 'no-store';
  store_fingerprints?: string[];
  /** The store lists this key as revoked: from when, and why. Its word is then no anchor (a stolen key backdates at will). */
  store_revoked?: { from: string; reason?: string };
}

export function signerViews(keys: Map<string, RegisteredKey>, store: StoreView | undefined): SignerView[] {
  return [...keys].map(([fingerprint, k]) => {
    if (!store) return { fingerprint, examiner: k.name, store_key: 'no-store' };
    const own = store.keysFor(k.name);
    if (own.length === 0) return { fingerprint, examiner: k.name, store_key: 'unknown' };
    if (!own.includes(fingerprint)) return { fingerprint, examiner: k.name, store_key: 'different', store_fingerprints: own };
    const listed = store.keyRegister?.().keys.get(fingerprint);
    return { fingerprint, examiner: k.name, store_key: 'same', ...(listed?.revoked ? { store_revoked: { from: listed.revoked, ...(listed.reason ? { reason: listed.reason } : {}) } } : {}) };
  });
}

export function signerWords(s: SignerView): string {
  switch (s.store_key) {
    case 'same':
      return s.store_revoked
        ? `the case store's key for ${s.examiner}, REVOKED in the store from ${s.store_revoked.from}${s.store_revoked.reason ? ` (${s.store_revoked.reason})` : ''}: the times its entries give are the signer's own, so they vouch for nothing`
        : `the case store's key for ${s.examiner}`;
    case 'different':
      return `NOT the case store's key for ${s.examiner} (the store's is ${s.store_fingerprints!.join(', ')})`;
    case 'unknown':
      return `the case store holds no key for ${s.examiner}`;
    case 'no-store':
      return 'no case store here: compare the fingerprint with the one the examiner published';
  }
}

/** Entries that log an image and its record: acquisitions and conversions. */
export function isImageEntry(e: CheckedEntry): boolean {
  return e.entry.kind === 'acquisition.completed' || e.entry.kind === 'acquisition.incomplete' || e.entry.kind === 'image.converted';
}

const payloadOf = (e: CheckedEntry): { evidence?: unknown; record?: { sha256?: unknown } } => e.entry.payload as { evidence?: unknown; record?: { sha256?: unknown } };

/** The entries of a log that logged an image of one of these evidence names. */
export function imageEntries(entries: readonly CheckedEntry[], evidence: readonly (string | undefined)[]): CheckedEntry[] {
  return entries.filter((e) => isImageEntry(e) && evidence.includes(payloadOf(e).evidence as string));
}

/**
 * Who signed the entry that logs this image, and, when the log holds other images of the same
 * evidence with other media hashes, which: an entry added later by another key is named, not
 * taken on trust because earlier entries are genuine.
 */
export function imageEntryNotes(named: readonly CheckedEntry[], logging: CheckedEntry | undefined): string[] {
  if (!logging) return [];
  const media = (e: CheckedEntry) => (e.entry.payload as { media?: { hashes?: Record<string, unknown> } }).media?.hashes;
  const mine = JSON.stringify(media(logging) ?? {});
  const others = named.filter((e) => e !== logging && e.entry.kind !== 'acquisition.incomplete' && JSON.stringify(media(e) ?? {}) !== mine);
  const actor = logging.entry.actor as { name?: unknown; key?: unknown };
  return [
    `the entry that logs this image (custody log entry ${logging.seq}) is signed by ${String(actor.name)} (key ${short(String(actor.key))})`,
    ...(others.length > 0 ? [`the custody log also logs ${others.length === 1 ? 'an image' : `${others.length} images`} of the same evidence with other media hashes: entr${others.length === 1 ? 'y' : 'ies'} ${others.map((e) => e.seq).join(', ')}`] : []),
  ];
}

/** The entry whose record SHA-256 is this one; without a record, the last completed one. */
export function entryForRecord(entries: readonly CheckedEntry[], recordSha256: string | undefined): CheckedEntry | undefined {
  if (recordSha256 !== undefined) return entries.find((e) => payloadOf(e).record?.sha256 === recordSha256);
  const done = entries.filter((e) => e.entry.kind !== 'acquisition.incomplete');
  return done[done.length - 1];
}

/** The case a custody log beside an image belongs to, by its first entry. */
export function logCase(check: CustodyCheck | undefined): string | undefined {
  return check?.entries[0]?.entry.case;
}

export interface StoreComparison {
  case: string;
  /** The store's entry that logged this very record. */
  entry?: CheckedEntry;
  /** What the media is compared with: that entry, else the store's last completed one for the item. */
  reference?: CheckedEntry;
  problems: string[];
  notes: string[];
  /** The store's log is a strict beginning of a sound copy beside the image: the store was rolled back. */
  rollback?: { store: number; copy: number; copy_head: string };
}

/**
 * Compare what is beside the image with the store's log of its case. `folderLog` is the log
 * beside the image (its lines and check), or undefined when there is none.
 */
export function compareWithStore(
  store: { case: string; lines: readonly string[]; check: CustodyCheck },
  folderLog: { lines: readonly string[]; check: CustodyCheck; signers: SignerView[] } | undefined,
  evidence: readonly (string | undefined)[],
  recordSha256: string | undefined,
): StoreComparison {
  const problems: string[] = [];
  const notes: string[] = [];
  const named = imageEntries(store.check.entries, evidence);
  const entry = entryForRecord(named, recordSha256);
  const reference = entry ?? entryForRecord(named, undefined);
  for (const p of store.check.problems) {
    // Another entry signed after its key's revocation fails the log, not this image's entry.
    if (p.revoked && p.entry !== reference?.seq) notes.push(`in the case store's log of case ${store.case}, ${p.message}`);
    // A store that knows it was rolled back still holds, unchanged, the entries before the backup.
    else if (p.rolledBack && reference) notes.push(`in the case store's log of case ${store.case}, ${p.message}; this image's entry ${reference.seq} is among the entries it still holds`);
    else problems.push(`the case store's custody log of case ${store.case} fails its check: ${p.message}`);
  }
  const what = evidence.filter((x): x is string => typeof x === 'string' && x !== '');
  const label = [...new Set(what)].join(' / ') || 'this image';
  if (recordSha256 !== undefined && !entry) {
    problems.push(
      named.length > 0
        ? `the record's SHA-256 (${recordSha256}) is in none of the case store's ${named.length} entries for ${label} in case ${store.case}: this is not the record exhibit logged`
        : `the case store holds case ${store.case} but logged no acquisition or conversion of ${label}: this image and its record are not the ones exhibit logged`,
    );
  }
  let rollback: StoreComparison['rollback'];
  if (folderLog) {
    const n = firstDifference(folderLog.lines, store.lines);
    const counts = `the store has ${store.lines.length} entries (head ${store.check.head}), the copy ${folderLog.lines.length} (head ${folderLog.check.head})`;
    if (n !== undefined) {
      const impostors = folderLog.signers.filter((s) => s.store_key === 'different');
      // A longer copy says the store lost entries only if the store's own keys signed every entry it
      // has beyond the store's: else anyone could append a few entries under a key of their own, and
      // the lab's store would be marked rolled back and refuse the case from then on.
      // A key the store revoked does not count: whoever stole it can sign entries past the store's.
      const storeKeys = new Set(folderLog.signers.filter((s) => s.store_key === 'same' && !s.store_revoked).map((s) => s.fingerprint));
      const strangers = [
        ...new Set(
          folderLog.check.entries
            .filter((e) => e.seq > store.lines.length)
            .flatMap((e) => e.signatures.map((g) => g.key))
            .filter((k) => !storeKeys.has(k)),
        ),
      ];
      // Nothing wrong with the entries beyond the store's (a signature after its key's revocation included);
      // before them, only signatures of keys revoked later, which the store's own log holds alike.
      const sound = folderLog.check.problems.every((p) => p.revoked && p.entry !== undefined && p.entry <= store.lines.length) && impostors.length === 0 && strangers.length === 0;
      if (n > store.lines.length && sound) {
        rollback = { store: store.lines.length, copy: folderLog.lines.length, copy_head: folderLog.check.head };
        problems.push(
          `ROLLBACK: the case store's log of case ${store.case} is older than the custody log beside the image, which begins with all of it and goes on: ${counts}; ` +
            'the store was restored from an older state, or its latest entries were removed with their checkpoint',
        );
      } else {
        problems.push(
          `the custody log beside the image is not a copy of the case store's log of case ${store.case}: ` +
            (n > store.lines.length
              ? `it has ${folderLog.lines.length} entries, the store ${store.lines.length}`
              : folderLog.lines.length === store.lines.length && folderLog.check.head === store.check.head
                ? `its entry ${n} differs from the store's (both have ${store.lines.length} entries and end on the same head ${store.check.head}: that entry of the copy was changed)`
                : `the two part at entry ${n} (a FORK): ${counts}`) +
            (impostors.length > 0 ? `; ${impostors.map((s) => `it is signed by ${s.examiner} with key ${s.fingerprint}, but the store's key for ${s.examiner} is ${s.store_fingerprints!.join(', ')}`).join('; ')}` : '') +
            (n > store.lines.length && strangers.length > 0 ? `; the entries it has beyond the store's are signed by ${strangers.map(short).join(', ')}, which this store holds no current key of (unknown here, or revoked), so they are not taken as entries the store lost` : '') +
            (n > store.lines.length && strangers.length === 0 && impostors.length === 0 ? `; its entries beyond the store's fail their check (${folderLog.check.problems.filter((p) => p.entry === undefined || p.entry > store.lines.length).map((p) => p.message).slice(0, 2).join('; ')}), so they are not taken as entries the store lost` : ''),
        );
      }
    }
    else if (folderLog.lines.length < store.lines.length) {
      const later = store.check.entries.slice(folderLog.lines.length).map((e) => e.entry.kind);
      const kinds = [...new Set(later)].join(', ');
      notes.push(`the custody log beside the image is the first ${folderLog.lines.length} of the ${store.lines.length} entries the case store holds for case ${store.case}; the store's log goes on (${kinds})`);
    }
  } else notes.push(`there is no custody log beside the image: checked against the case store's log of case ${store.case}`);
  if (recordSha256 === undefined && reference) problems.push(`the acquisition record is missing or unreadable: the case store's entry ${reference.seq} (case ${store.case}) logged one for ${label}`);
  return { case: store.case, ...(entry ? { entry } : {}), ...(reference ? { reference } : {}), problems, notes, ...(rollback ? { rollback } : {}) };
}

/** The first entry (1-based) where `copy` is not a prefix of `full`, or undefined when it is one. */
function firstDifference(copy: readonly string[], full: readonly string[]): number | undefined {
  for (let i = 0; i < copy.length; i++) if (i >= full.length || copy[i] !== full[i]) return i + 1;
  return undefined;
}

/** Signers of the log beside the image whose name the store knows under another key. */
export function impostorProblems(signers: readonly SignerView[]): string[] {
  return signers
    .filter((s) => s.store_key === 'different')
    .map((s) => `the custody log beside the image is signed by ${s.examiner} with key ${s.fingerprint}, but this case store's key for ${s.examiner} is ${s.store_fingerprints!.join(', ')} (key ${short(s.fingerprint)} is not theirs here)`);
}
