/**
 * exhibit verify: is this image exactly what was acquired, and is its record
 * intact? Re-hashes every byte of the media through the image readers and
 * compares the result with every account of it there is: the acquisition
 * record, the hashes the image stores (E01), and the custody log's
 * acquisition entry (whose SHA-256 of the record also proves the record
 * unedited). Checks each file's SHA-256, the set of files, every checksum the
 * format has (reported by chunk or frame and media range), and the custody
 * log. An image with nothing to compare against is `unverifiable`, never
 * verified. Works offline on the folder alone; writes nothing.
 */
import type { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CheckedEntry } from '../core/custody-check.js';
import { digestsEqual, HASH_ALGORITHMS, type Digests, type HashAlgorithm, type PublicKey } from '../core/crypto.js';
import { ExhibitError } from '../core/errors.js';
import { listWords } from '../core/text.js';
import { recordBesideImage, recordCredits, type AcquisitionRecord } from '../core/record.js';
import { readRecord } from '../core/record/read.js';
import { damagedAtOpen, openImage } from '../image/open.js';
import { readableFormatOf } from '../image/registry.js';
import { compareWithStore, entryForRecord, imageEntries, imageEntryNotes, impostorProblems, logCase, signerViews, type SignerView, type StoreView } from './anchor.js';
import { checkCustodyFiles, LOG_SUFFIX, readCheckpointText, sayCustody } from './custody-files.js';
import { fileSums } from './file-sums.js';
import { INLINE_BELOW } from '../core/hash-stream.js';
import { scanMedia, type DamagedUnit } from './media-scan.js';
import { revokedSignerWords, storeKeyFindings, trustFindings, type TrustRegister } from './trust.js';
import { checkTokenBeside, type TokenFinding } from './timestamp-check.js';
import { checkFileSet, lookAlikeCases, resolveTarget, storeLogFor } from './target.js';
import { comparePieces, expectedPieces, hashSelectedPieces, pieceFile, PIECES_SUBJECT, type ExpectedPieces, type PiecesResult } from './pieces.js';
import { parsePieceSelection, pieceSpan, type PieceList, type PieceSpan } from '../core/pieces.js';
import type { ImageReader, StoredCheckOptions } from '../image/types.js';

export type Verdict = 'verified' | 'failed' | 'unverifiable';
const STORED_IN_IMAGE = 'the hash stored in the image';

export interface Comparison {
  against: string; // "the record", "the image's own hash section", "custody log entry 4"
  algorithm: string;
  expected: string;
  computed: string;
  equal: boolean;
  /** Whether this account can anchor a verdict (a signed entry, the store, --expect, the source); the record alone cannot. */
  anchor: boolean;
  /** What the value is of, when not the media (a value the image stores about its own parts: AFF4 block map hash, stream hashes). */
  subject?: string;
}

export interface VerifyReport {
  verdict: Verdict;
  target: string;
  image?: { format: string; media_bytes: number; files: { name: string; size: number; sha256?: string; recorded_sha256?: string }[] };
  record?: { file: string; sha256: string; result: string; evidence: string; case: string };
  hashes: Digests;
  comparisons: Comparison[];
  units?: { kind: string; count: number };
  damage: DamagedUnit[];
  /** The pieces of the media compared with the pieces file, and how many bytes of media they prove intact. */
  pieces?: PiecesResult;
  intact_bytes?: number;
  custody?: { log: string; entries: number; problems: string[]; acquisition_entry?: number; keys: SignerView[]; trusted_by: string };
  store?: { case: string; entry?: number; rolled_back?: { store: number; copy: number; copy_head: string } };
  /** What the RFC 3161 token beside the checkpoint proves, when it checks. */
  timestamp?: TokenFinding['proven'];
  /** The trust register the signing keys were checked against (--trust), by file and SHA-256. */
  trust?: { register: string; sha256: string };
  /** Why the keys' anchor (register, store keys, --key) does not vouch for the image's entry: a signer's key revoked since (verify/trust.ts). */
  revoked_signer?: string;
  unverifiable_reason?: string;
  source?: {
    path: string;
    hashes: Digests;
    read_only_unchanged: boolean;
    read_only_method: string;
    unreadable_now: { first_sector: number; sectors: number; error: string }[];
    recorded_unreadable: RecordedUnreadable;
    /** The source's pieces compared with the pieces file: which differ from the image as acquired. */
    pieces?: { count: number; same: number; differ: PieceSpan[] };
  };
  notes: string[];
  problems: string[];
}

/** verify --source: what became of the sectors the record lists as unreadable (sector ranges of the record's sector size). */
export interface RecordedUnreadable {
  sectors: number;
  still_unreadable: number;
  read_now_sectors: number;
  read_now: { first_sector: number; sectors: number }[];
  differ_from_fill_sectors: number;
  differ_from_fill: { first_sector: number; sectors: number }[];
}

export interface VerifyOptions extends Pick<StoredCheckOptions, 'onPass'> {
  target: string;
  /** Hashes to compute; by default every one something records. */
  algorithms?: HashAlgorithm[];
  /** Public keys to check the custody log with, instead of the key files beside it. */
  trustedKeys?: Map<string, PublicKey>;
  /** This machine's case store, when there is one: it is the reference for the cases it holds. */
  store?: StoreView;
  /** The lab's trust register (--trust): every signing key must be in it, valid at the entry's time. */
  trust?: TrustRegister;
  /** The CA certificates of the lab's time-stamping authority (tsa.ca), to check the token beside the checkpoint. */
  tsaCa?: readonly X509Certificate[];
  /** Hashes the verifier brings (--expect): they anchor the verdict like a signed entry. */
  expect?: Digests;
  /** --pieces: check only these pieces ("3", "0-7,12") against the pieces file, and nothing else of the media. */
  pieces?: string;
  /** --every-piece: hash each piece even when the media's SHA-256 already proves them all (see `piecesProven`). */
  everyPiece?: boolean;
  /** --raw: read the image as raw media whatever its first bytes say (image/open.ts). */
  raw?: boolean;
  inline?: boolean;
  signal?: AbortSignal;
  onStart?: (mediaBytes: number, files: readonly string[]) => void;
  onProgress?: (done: number) => void;
}

export async function verifyImage(o: VerifyOptions): Promise<VerifyReport> {
  const t = resolveTarget(o.target);
  const problems: string[] = [];
  const notes: string[] = [];
  const comparisons: Comparison[] = [];
  const report: VerifyReport = { verdict: 'failed', target: o.target, hashes: {}, comparisons, damage: [], notes, problems };

  let opened: Awaited<ReturnType<typeof openImage>>;
  try {
    opened = await openImage(t.image, { raw: o.raw === true });
  } catch (err) {
    // A file an acquisition record lists that no longer reads as its format is damaged evidence, not a format exhibit does not read.
    if (damagedAtOpen(err, t.image)) {
      problems.push(`the image cannot be opened: ${err.message}`);
      return report;
    }
    throw err;
  }
  const { reader, base } = opened;
  try {
    // A damaged copy the reader could work around (a table whose table2 holds, a lost zstd seek
    // table) still means the files are not as written: that fails; other remarks are notes. The
    // reader says which is which: a remark's words may quote the image (a section or member name).
    const hurt = new Set(opened.damaged);
    for (const w of opened.warnings) (hurt.has(w) ? problems : notes).push(w);
    notes.push(...opened.notes);
    const beside = recordBesideImage(base);
    const recordPath = t.record ?? (fs.existsSync(beside) ? beside : undefined);
    let rec: AcquisitionRecord | undefined;
    let recordSha: string | undefined; // set with `rec`, from the same bytes
    if (recordPath) {
      try {
        const read = t.record === recordPath && t.read ? t.read : readRecord(recordPath);
        if (read instanceof Error) throw read;
        rec = read.record;
        recordSha = read.sha256;
        report.record = { file: recordPath, sha256: recordSha, result: String(rec.result), evidence: String(rec.evidence), case: String(rec.case) };
        if (rec.result !== 'complete') problems.push(`the record ${path.basename(recordPath)} says the acquisition is ${String(rec.result)}${rec.incomplete_reason ? ` (${rec.incomplete_reason})` : ''}`);
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
    } else notes.push(`there is no acquisition record beside the image (${path.basename(beside)})`);

    checkFileSet(reader, rec, problems, notes);
    const mediaBytes = rec ? rec.media.size_bytes + (rec.media.padding_bytes ?? 0) : reader.size;
    if (rec && mediaBytes !== reader.size) problems.push(`the image holds ${reader.size} bytes of media, the record says ${mediaBytes}`);

    // The custody log beside the image, and its entry for this record. The log is looked for by the
    // image's own name and in the whole folder, not only where the record (which could be edited) points.
    const dir = path.dirname(recordPath ?? reader.files[0] ?? base);
    const fileEvidence = path.basename(base);
    if (rec && rec.evidence !== fileEvidence) problems.push(`the record is for evidence ${rec.evidence}, but the image files are named ${fileEvidence}`);
    const evidenceNames = [fileEvidence, rec?.evidence];
    const logs = fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.name.endsWith(LOG_SUFFIX) && !d.isDirectory()).map((d) => d.name);
    const logName = [`${fileEvidence}${LOG_SUFFIX}`, ...(rec ? [`${rec.evidence}${LOG_SUFFIX}`] : []), ...logs].find((n) => logs.includes(n));
    const folder = logName ? logBeside(path.join(dir, logName), o.trustedKeys, problems) : undefined;
    const signers = folder ? signerViews(folder.keys, o.store) : [];
    const anchors: { entry: CheckedEntry; from: string }[] = []; // signed entries that log this image
    let imageEntry: number | undefined; // the entry that logs this image, in the log checked against --trust
    if (folder) {
      const named = imageEntries(folder.entries, evidenceNames);
      const folderEntry = entryForRecord(named, recordSha);
      imageEntry = folderEntry?.seq;
      notes.push(...imageEntryNotes(named, folderEntry));
      report.custody = {
        log: folder.log,
        entries: folder.count,
        problems: folder.problems.map((p) => p.message),
        ...(folderEntry ? { acquisition_entry: folderEntry.seq } : {}),
        keys: signers,
        trusted_by: o.trustedKeys ? 'the keys given with --key' : `the key files beside the log (${path.basename(folder.keysDir)}/)`,
      };
      // An entry signed after its key's revocation fails the log; it fails this image only when it is the one that logs it.
      const blocking = new Set(folder.problems.filter((p) => !p.revoked || p.entry === folderEntry?.seq));
      sayCustody(folder.problems, blocking, problems, notes);
      if (rec && !folderEntry) {
        problems.push(
          named.length > 0
            ? `the record's SHA-256 (${recordSha}) is in none of the custody log's ${named.length} acquisition entries for ${rec.evidence}: the record was changed after it was logged`
            : `the custody log has no acquisition entry for ${rec.evidence}`,
        );
      }
      if (!rec && folderEntry) problems.push(`the acquisition record is missing or unreadable: custody log entry ${folderEntry.seq} logged one for ${fileEvidence} (SHA-256 ${String((folderEntry.entry.payload as { record?: { sha256?: unknown } }).record?.sha256)})`);
      if (rec && folderEntry) problems.push(...signerNotCredited(rec, folderEntry, `custody log entry ${folderEntry.seq}`));
      if (folderEntry && blocking.size === 0) anchors.push({ entry: folderEntry, from: `custody log entry ${folderEntry.seq}` });
      // A record changed after it was logged (failed above): the one signed entry of its evidence still says what the
      // media and the pieces file were, so the media is compared with it, and a pieces file the record alone lists proves nothing.
      if (rec && !folderEntry && named.length === 1 && blocking.size === 0) anchors.push({ entry: named[0]!, from: `custody log entry ${named[0]!.seq}` });
    }

    const named = [rec?.case, logCase(folder), reader.caseFacts?.case]; // the store's log of this case is the reference, not the files beside the image
    const storeLog = o.store ? storeLogFor(o.store, named, [...reader.files, recordPath], problems) : undefined;
    if (o.store && !storeLog) problems.push(...lookAlikeCases(o.store, named)); // else a look-alike case number escapes the store
    if (o.store && !storeLog) {
      // The store logged other files in this very folder that are gone: the folder holds another image now.
      const gone = (o.store.filesLoggedIn?.(path.resolve(dir)) ?? []).filter((f) => !fs.existsSync(f.path));
      if (gone.length > 0) notes.push(`this case store logged ${gone.length === 1 ? 'a file' : `${gone.length} files`} in this folder that ${gone.length === 1 ? 'is' : 'are'} not here now (${gone.slice(0, 3).map((f) => `${path.basename(f.path)}, ${f.what}`).join('; ')}${gone.length > 3 ? '; ...' : ''}): the folder holds another image than the one logged there`);
    }
    if (rec && !folder && !storeLog) notes.push(`there is no custody log beside the image (${fileEvidence}${LOG_SUFFIX}): the record cannot be checked against the signed entry that logged it`);
    if (storeLog) {
      const s = compareWithStore(storeLog, folder ? { lines: folder.lines, check: folder, signers } : undefined, evidenceNames, recordSha);
      problems.push(...s.problems.filter(((said) => (p: string) => !said.has(p))(new Set(problems))));
      notes.push(...s.notes);
      report.store = { case: s.case, ...(s.entry ? { entry: s.entry.seq } : {}), ...(s.rollback ? { rolled_back: s.rollback } : {}) };
      if (s.reference) anchors.push({ entry: s.reference, from: `the case store's entry ${s.reference.seq} (case ${s.case})` });
      if (rec && s.reference && !folder) problems.push(...signerNotCredited(rec, s.reference, `the case store's entry ${s.reference.seq}`));
      if (!folder) imageEntry = s.reference?.seq;
    } else {
      if (!o.trustedKeys) for (const p of impostorProblems(signers)) problems.push(p);
      // A key this machine's store revoked or replaced signs nothing after that, whatever the case (also with --trust:
      // a register published before the revocation does not know of it, this store does).
      if (folder) {
        const k = storeKeyFindings(folder, o.store?.keyRegister?.(), imageEntry);
        problems.push(...k.problems.map((m) => `custody log: ${m}`));
        notes.push(...k.notes.map((m) => `custody log: ${m}`));
      }
    }
    if (folder) {
      const t = checkTokenBeside(folder.checkpoint, o.tsaCa);
      if (t.problem) problems.push(t.problem);
      if (t.note) notes.push(t.note);
      if (t.proven) {
        report.timestamp = t.proven;
        if (report.store?.rolled_back) problems.push(`the time-stamp token proves the copy's ${t.proven.entries} entries existed at ${t.proven.time} (${t.proven.tsa}): the store was rolled back past that time`);
      }
    }
    const signedLog = folder ?? storeLog?.check;
    if (signedLog) {
      const t = trustFindings(signedLog, folder ? readCheckpointText(folder.checkpoint) : undefined, o.trust, imageEntry ?? 0, o.trustedKeys !== undefined);
      problems.push(...t.problems.map((p) => `custody log: ${p}`));
      notes.push(...t.notes);
      if (t.anchored) report.trust = t.anchored;
      // The log's entry vouches for the image through its keys only while no signer's key was revoked since.
      if (folder && !storeLog) {
        const said = revokedSignerWords(folder.entries, imageEntry, [o.trust, o.store?.keyRegister?.()], report.timestamp);
        if (said) {
          report.revoked_signer = said;
          notes.push(said);
        }
      }
    }
    if (folder && !storeLog && !o.trustedKeys && !o.trust && folder.problems.length === 0) {
      notes.push(`the custody log's signatures were checked with the key files beside it: compare their fingerprints with the ones the examiners published, or give them with --key`);
    }

    // What to compute: every algorithm some account records, or what was asked.
    // Only a signed entry (beside the image or in the store), --expect or the source read again can
    // anchor a verdict; the record never does by itself. An image's own stored hash counts only for an
    // image with no record (another tool's E01), as ewfverify counts it.
    const references: { against: string; hashes: Digests; anchor: boolean }[] = [];
    if (rec?.media.hashes && rec.result === 'complete') references.push({ against: 'the record', hashes: rec.media.hashes, anchor: false });
    // An image's own stored hash is tied to no key the register lists unless a signed entry logs this very image
    // (a log of something else beside it ties nothing).
    const trustUnmet = o.trust !== undefined && anchors.length === 0;
    if (trustUnmet) {
      notes.push(
        signedLog
          ? 'a trust register was given, but no entry of the custody log beside the image or in the case store logs this image: nothing here ties its hashes to a key the register lists'
          : 'a trust register was given, but there is no custody log beside the image or in the case store to check with it: nothing here ties the hashes to a key the register lists',
      );
    }
    if (!rec && storeLog && anchors.length === 0) notes.push(`the case store holds case ${storeLog.case}, which this image names, but logged no image of ${[...new Set(evidenceNames.filter(Boolean))].join(' / ')}: nothing of this lab's vouches for it`);
    if (Object.keys(reader.storedHashes).length > 0) references.push({ against: STORED_IN_IMAGE, hashes: reader.storedHashes, anchor: !rec && !trustUnmet });
    for (const a of anchors) {
      const media = (a.entry.entry.payload as { media?: { hashes?: Digests } }).media?.hashes;
      if (media) references.push({ against: a.from, hashes: media, anchor: true });
    }
    if (o.expect && Object.keys(o.expect).length > 0) references.push({ against: 'the hash given with --expect', hashes: o.expect, anchor: true });
    const recorded = new Set(references.flatMap((r) => Object.keys(r.hashes)));
    const algorithms = HASH_ALGORITHMS.filter((a) => (o.algorithms ? o.algorithms.includes(a) || o.expect?.[a] !== undefined : recorded.has(a))); // --hash never drops an --expect
    // What --hash left out is said: a stored or recorded hash not computed is not checked.
    const skipped = HASH_ALGORITHMS.filter((a) => recorded.has(a) && !algorithms.includes(a));
    if (skipped.length > 0) {
      const by = (a: HashAlgorithm) => references.filter((r) => r.hashes[a] !== undefined).map((r) => r.against).join(', ');
      notes.push(`not checked (--hash): ${skipped.map((a) => `${a.toUpperCase()}, which ${by(a)} gives`).join('; ')}`);
    }
    const computeList = algorithms.length > 0 ? algorithms : (['md5', 'sha1', 'sha256'] as HashAlgorithm[]);

    const sectorSize = rec?.media.sector_size ?? reader.sectorSize ?? 512;
    const ep = expectedPieces(dir, rec, anchors.map((a) => ({ from: a.from, payload: a.entry.entry.payload })), reader);
    comparisons.push(...ep.comparisons);
    problems.push(...ep.problems);
    notes.push(...ep.notes);
    const fileOf = pieceFile(reader, ep.file ?? '');
    if (o.pieces !== undefined) {
      await checkSomePieces(reader, ep, o.pieces, fileOf, report, o);
      return report;
    }
    // A split set's files are hashed from the media stream when they are slices of one size (the last
    // no larger, not empty); sets other tools cut otherwise (split -n, an empty last file) are read back.
    const sizes = reader.format === 'split-raw' && reader.files.length > 1 ? reader.files.map((f) => fs.statSync(f).size) : [];
    const even = sizes.length > 1 && sizes.slice(0, -1).every((n) => n === sizes[0]) && sizes.at(-1)! > 0 && sizes.at(-1)! <= sizes[0]!;
    const split = even ? sizes[0] : undefined;
    o.onStart?.(reader.size, reader.files);
    const containerFiles = readableFormatOf(reader.format).container || (sizes.length > 1 && !even);
    const scanAlgorithms = [...new Set([...computeList, ...(reader.format === 'raw' || reader.format === 'split-raw' ? (['sha256'] as HashAlgorithm[]) : [])])];
    // The pieces are hashed in the same pass only when the media's own SHA-256 cannot prove them (see
    // piecesProven): no signed account lists the pieces file (the record beside the image alone cannot
    // vouch for it), or there is no strong media hash nor file hashes to prove them with.
    const canProve = (ep.vouchedBy?.length ?? 0) > 0 && (scanAlgorithms.some((a) => STRONG.has(a)) || containerFiles);
    const piecesNow = ep.list !== undefined && (o.everyPiece === true || !canProve);
    const scanning = scanMedia(reader, {
      algorithms: scanAlgorithms,
      sectorSize,
      ...(split ? { sliceSize: split } : {}),
      ...(ep.list && piecesNow ? { pieceSize: ep.list.pieceSize } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.inline !== undefined ? { inline: o.inline } : {}),
    });
    const mediaHashes = scanning.then((x) => x.hashes);
    mediaHashes.catch(() => undefined); // a failed walk is reported through `scanning`
    const stored = reader.checkStored?.({ ...(o.signal ? { signal: o.signal } : {}), ...(o.inline !== undefined ? { inline: o.inline } : {}), ...(o.onPass ? { onPass: o.onPass } : {}), media: { algorithms: scanAlgorithms, hashes: mediaHashes } });
    const [scan, containerSums, integrity] = await Promise.all([
      scanning,
      containerFiles ? fileSums(reader.files, o.inline ?? reader.size < INLINE_BELOW, o.signal) : Promise.resolve(undefined),
      stored,
    ]);
    if (o.signal?.aborted) throw new ExhibitError('INTERRUPTED', 'verification interrupted');
    report.units = scan.units;
    report.damage = scan.damaged;
    for (const a of computeList) report.hashes[a] = scan.hashes[a]!;
    const damageAt = problems.length; // the damage lines go here once the pieces have added theirs (below)

    // Each file's SHA-256: raw slices come from the media stream, containers were read back.
    const sums = containerSums ?? scan.sliceSha256 ?? [scan.hashes.sha256!];
    report.image = {
      format: reader.format,
      media_bytes: reader.size,
      files: reader.files.map((f, i) => {
        const recorded = rec?.image.files.find((x) => x.name === path.basename(f))?.sha256;
        return { name: path.basename(f), size: fs.statSync(f).size, ...(sums[i] ? { sha256: sums[i] } : {}), ...(recorded ? { recorded_sha256: recorded } : {}) };
      }),
    };
    // One problem per file and per hash, naming every reference it was compared with.
    const fileChecks: FileCheck[] = [];
    for (const f of report.image.files) {
      if (!f.sha256) continue;
      const refs: { against: string; expected: string }[] = f.recorded_sha256 ? [{ against: 'the record', expected: f.recorded_sha256 }] : [];
      for (const a of anchors) {
        const ef = ((a.entry.entry.payload as { files?: { name?: unknown; sha256?: unknown }[] }).files ?? []).find((x) => x.name === f.name);
        if (typeof ef?.sha256 === 'string') refs.push({ against: a.from, expected: ef.sha256 });
      }
      fileChecks.push({ sha256: f.sha256, refs });
      const line = mismatchLine(`${f.name}: its SHA-256`, f.sha256, refs);
      if (line) problems.push(line);
    }

    for (const r of references) {
      for (const [a, expected] of Object.entries(r.hashes)) {
        const computed = scan.hashes[a as HashAlgorithm];
        if (!computed || typeof expected !== 'string') continue;
        comparisons.push({ against: r.against, algorithm: a, expected, computed, equal: digestsEqual(expected, computed), anchor: r.anchor });
      }
    }
    const media = comparisons.filter((c) => c.subject === undefined); // the pieces file's own comparisons are said by pieces.ts
    for (const a of new Set(media.map((c) => c.algorithm))) {
      const mine = media.filter((c) => c.algorithm === a);
      const line = mismatchLine(`${a.toUpperCase()} of the media`, mine[0]!.computed, mine);
      if (line) problems.push(line);
    }
    if (ep.list) {
      if (scan.pieceSha256) addPieces(report, ep, comparePieces(ep.list, new Map(scan.pieceSha256.map((h, i) => [i, h])), fileOf));
      else {
        const proof = piecesProven(media, report.damage, new Set(ep.vouchedBy), fileChecks.length === reader.files.length ? fileChecks : undefined);
        if (proof) {
          addPieces(report, ep, allIntact(ep.list));
          report.pieces!.proven_by = proof;
        } else {
          // The media is not what was acquired: a second pass hashes each piece, to say which differ.
          const tick = o.onPass?.('locating the change, piece by piece', reader.size);
          const again = await scanMedia(reader, { algorithms: [], sectorSize, pieceSize: ep.list.pieceSize, ...(tick ? { onProgress: tick } : {}), ...(o.signal ? { signal: o.signal } : {}), ...(o.inline !== undefined ? { inline: o.inline } : {}) });
          if (o.signal?.aborted) throw new ExhibitError('INTERRUPTED', 'verification interrupted');
          addPieces(report, ep, comparePieces(ep.list, new Map(again.pieceSha256!.map((h, i) => [i, h])), fileOf));
        }
      }
    }
    problems.splice(damageAt, 0, ...report.damage.map(damageWords));
    // What the image stores about its own parts (AFF4; its notes say which values were taken as stored): like a stored media hash, it anchors only an image with no record.
    for (const c of integrity?.checks ?? []) comparisons.push({ ...c, anchor: !rec && integrity?.coversMedia !== false }); // parts alone (a stream, not the map placing it) vouch for no media
    problems.push(...(integrity?.problems ?? []));
    notes.push(...(integrity?.notes ?? []));
    const unreadable = rec?.read_errors?.unreadable_sectors ?? reader.errorRanges.reduce((n, e) => n + e.sectors, 0);
    if (unreadable > 0 && (rec || !reader.errorRangesFrom)) notes.push(`${unreadable} sectors could not be read at acquisition and hold the fill; the hashes include them`); // else said with the map
    const selfStored = (c: Comparison) => c.against === STORED_IN_IMAGE || (c.subject !== undefined && !c.subject.startsWith(PIECES_SUBJECT));
    if (!comparisons.some((c) => c.anchor && !selfStored(c)) && comparisons.some((c) => c.anchor)) {
      notes.push('this rests on the hash stored in the image alone: it shows the image is intact since it was written, not who wrote it; compare the hash with the acquiring side\'s report, or give it with --expect');
    }
    settle(report);
    return report;
  } finally {
    await reader.close();
  }
}

/** The custody log beside the image, checked; one that cannot be read at all (a pipe, a device, unreadable) is a problem of the image's folder, not a stop. */
function logBeside(file: string, trustedKeys: VerifyOptions['trustedKeys'], problems: string[]): ReturnType<typeof checkCustodyFiles> | undefined {
  try {
    return checkCustodyFiles(file, trustedKeys ? { trustedKeys } : {});
  } catch (err) {
    if (!(err instanceof ExhibitError) || err.code === 'INTERNAL') throw err;
    problems.push(`the custody log beside the image cannot be read: ${err.message}`);
    return undefined;
  }
}

function damageWords(d: DamagedUnit): string {
  return `${path.basename(d.file) || 'the image'}${d.last_file ? ` to ${path.basename(d.last_file)}` : ''}: ${d.unit} ${d.index} (media bytes ${d.first_byte} to ${d.first_byte + d.bytes - 1}, sectors ${d.first_sector} to ${d.first_sector + d.sectors - 1}) ${d.problem}`;
}

/** Media hashes strong enough to stand for every piece hashed on its own. */
const STRONG: ReadonlySet<string> = new Set(['sha256', 'sha512']);

/** An image file's SHA-256 as computed, and what each account of it says. */
export interface FileCheck {
  sha256: string;
  refs: readonly { against: string; expected: string }[];
}

/**
 * Whether every piece is proven intact without hashing each: no account of the media differs, the
 * format found no damage, and either the media's SHA-256 (or SHA-512) equals what an account that
 * lists the pieces file says, or every file the image is read from (`files`, one for each) has the
 * SHA-256 such an account gives it (the same files give the same media). The pieces file's own
 * SHA-256 is what those accounts say (expectedPieces trusts it only then), and it was made from that
 * media: the same media gives the same pieces. Anything short of that hashes each piece (the second
 * pass). The words say what proved them.
 */
export function piecesProven(media: readonly Comparison[], damage: readonly DamagedUnit[], accounts: ReadonlySet<string>, files?: readonly FileCheck[]): string | undefined {
  if (damage.length > 0 || media.length === 0 || media.some((c) => !c.equal)) return undefined;
  // Only a signed account's word: a record beside the image is anyone's to write, its media hash and its pieces file alike.
  const by = media.find((c) => STRONG.has(c.algorithm) && c.anchor && accounts.has(c.against));
  if (by) return `the media's ${by.algorithm === 'sha256' ? 'SHA-256' : 'SHA-512'}, equal to what ${by.against} says, which lists this pieces file`;
  if (!files || files.length === 0 || files.some((f) => f.refs.some((r) => !digestsEqual(r.expected, f.sha256)))) return undefined;
  const vouching = files.map((f) => f.refs.filter((r) => accounts.has(r.against)).map((r) => r.against));
  if (vouching.some((v) => v.length === 0)) return undefined;
  const common = vouching[0]!.filter((a) => vouching.every((v) => v.includes(a)));
  const who = common[0] ?? 'the accounts that list this pieces file';
  return `the SHA-256 of every image file, equal to what ${who} says, which lists this pieces file`;
}

/** Every piece of the list intact, as proven by the media's hash. */
function allIntact(list: PieceList): ReturnType<typeof comparePieces> {
  return { damage: [], result: { piece_size: list.pieceSize, count: list.sha256.length, checked: list.sha256.length, intact: list.sha256.length, damaged: 0 }, intactBytes: list.mediaBytes };
}

/** The piece results into the report: damage entries beside the format's, the count, the bytes proven intact. */
function addPieces(report: VerifyReport, ep: ExpectedPieces, c: ReturnType<typeof comparePieces>): void {
  report.damage = [...report.damage, ...c.damage];
  report.pieces = { file: path.basename(ep.file!), sha256: ep.sha256!, ...c.result };
  report.intact_bytes = c.intactBytes;
}

/** verify --pieces: only the pieces asked for are read and compared with the pieces file; the verdict rests on that file's signed SHA-256. */
async function checkSomePieces(reader: ImageReader, ep: ExpectedPieces, selection: string, fileOf: ReturnType<typeof pieceFile>, report: VerifyReport, o: VerifyOptions): Promise<void> {
  if (!ep.file) throw new ExhibitError('USAGE', `--pieces needs the image's pieces file, and there is none: ${ep.notes[0] ?? 'no record lists one'}`, { hints: ['verify the whole image without --pieces'] });
  if (ep.list) {
    const which = parsePieceSelection(selection, ep.list.sha256.length);
    const total = which.reduce((n, i) => n + pieceSpan(ep.list!, i).bytes, 0);
    o.onStart?.(total, reader.files);
    const { sums, unreadable } = await hashSelectedPieces(reader, ep.list, which, o.signal, o.onProgress);
    if (o.signal?.aborted) throw new ExhibitError('INTERRUPTED', 'verification interrupted');
    // The image the pieces were read from, by its files (not hashed whole here): the logged entry names it.
    report.image = { format: reader.format, media_bytes: reader.size, files: reader.files.map((f) => ({ name: path.basename(f), size: fs.statSync(f).size })) };
    report.damage = unreadable;
    const c = comparePieces(ep.list, sums, fileOf);
    addPieces(report, ep, c);
    report.pieces!.checked = which.length;
    report.pieces!.damaged += unreadable.length;
    report.problems.push(...report.damage.map(damageWords));
    report.notes.push(`only ${which.length === 1 ? `piece ${which[0]}` : `the ${which.length} pieces ${selection}`} of the ${ep.list.sha256.length} ${which.length === 1 ? 'was' : 'were'} read (${total} bytes of media); the rest of the media, its hashes and the image files' SHA-256 were not checked`);
  }
  settle(report);
}

/**
 * Set the verdict from what was found: any problem fails; otherwise it is verified only when an
 * account that can anchor it (a signed entry, the store, --expect, the source read again) was
 * compared; a record or an image that only vouches for itself is unverifiable.
 */
export function settle(report: VerifyReport): void {
  report.verdict = report.problems.length > 0 ? 'failed' : report.comparisons.some((c) => c.anchor) ? 'verified' : 'unverifiable';
  if (report.verdict !== 'unverifiable') {
    delete report.unverifiable_reason;
    return;
  }
  const unchecked = report.notes.find((n) => n.startsWith('not checked (--hash): '));
  report.unverifiable_reason = report.record
    ? 'the record is not anchored: no signed custody entry holds it, the case store does not log it, and no --expect hash was given (anyone who can rewrite the image can rewrite its record)'
    : unchecked
      ? `no hash computed here is one anything records (${unchecked.slice('not checked (--hash): '.length)}, not computed: give it with --hash)`
      : 'nothing records what this image should hold';
  const note = `${report.record || unchecked ? report.unverifiable_reason : 'nothing records what this image should hold (no record, no stored hash, no custody entry)'}: its hashes are printed, but they prove nothing by themselves`;
  if (!report.notes.includes(note)) report.notes.push(note);
}

/**
 * "<what> is <computed>, A and B say <x>; C says <y>", with any reference that agrees named at the end:
 * one line for one hash, whatever the number of references. Undefined when every reference agrees.
 */
function mismatchLine(what: string, computed: string, refs: readonly { against: string; expected: string }[]): string | undefined {
  const differ = refs.filter((r) => !digestsEqual(r.expected, computed));
  if (differ.length === 0) return undefined;
  const groups = new Map<string, string[]>();
  for (const r of differ) groups.set(r.expected.toLowerCase(), [...(groups.get(r.expected.toLowerCase()) ?? []), r.against]);
  const said = [...groups].map(([hash, names]) => `${listWords(names)} ${names.length === 1 ? 'says' : 'say'} ${hash}`).join('; ');
  const agree = refs.filter((r) => digestsEqual(r.expected, computed)).map((r) => r.against);
  return `${what} is ${computed}, ${said}${agree.length > 0 ? ` (${listWords(agree)} ${agree.length === 1 ? 'gives' : 'give'} the same as the media)` : ''}`;
}

/**
 * An acquisition's entry is signed by whoever ran the session that finished it: the record's examiner,
 * or the examiner of one of its sessions (a resume by a colleague). A record that credits someone else
 * than the signer was written by one person and logged as another's work (an insider with a key of
 * their own signing a record in a colleague's name).
 */
function signerNotCredited(rec: AcquisitionRecord, entry: CheckedEntry, where: string): string[] {
  if (!entry.entry.kind.startsWith('acquisition.')) return []; // a conversion's record keeps the acquiring examiner; the converter signs
  const signer = entry.entry.actor.name;
  if (recordCredits(rec, signer)) return [];
  return [`${where}, which logs this record, was signed by ${signer}, but the record names ${rec.examiner} as its examiner and no session of it was ${signer}'s: the record credits someone other than who signed it`];
}
