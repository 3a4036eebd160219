import { shownLines } from '../../core/text.js';
import { Command } from 'commander';
import { restsOn, verifiedWords, type RestsOn } from '../../verify/vouch.js';
import { verificationWords } from '../../core/verification-words.js';
import fs from 'node:fs';
import path from 'node:path';
import { recordVerification } from '../../case-store/index.js';
import { keepRollbackSeen } from '../rollback-seen.js';
import { withCaseSigner } from '../store.js';
import { parseHashList } from '../../core/crypto.js';
import { formatBytes } from '../../core/units.js';
import { readKeyFiles } from '../../verify/custody-files.js';
import { signerWords } from '../../verify/anchor.js';
import { readTrustRegister } from '../../verify/trust.js';
import { exhibitPaths } from '../../case-store/index.js';
import { tsaCertificates } from '../timestamp.js';
import { openStoreView, parseExpected } from '../store-view.js';
import { settle, verifyImage, type VerifyReport } from '../../verify/verify.js';
import { PIECES_SUBJECT, sourcePieceDifferences } from '../../verify/pieces.js';
import { readPiecesFile } from '../../core/pieces.js';
import { rehashSource } from '../../source/rehash-source.js';
import { digestsEqual, type HashAlgorithm } from '../../core/crypto.js';
import { ExhibitError } from '../../core/errors.js';
import { readRecord } from '../../core/record/read.js';
import { action, printJson } from '../action.js';
import { EXIT } from '../exit-codes.js';
import { errorLine, info } from '../messages.js';
import { Progress } from '../progress.js';
import { asJob, startJob } from '../job.js';
import type { JobPublisher } from '../job.js';
import { interruptSignal } from '../signals.js';
import { io } from '../io.js';
import { RAW_OPTION_HELP } from '../format-options.js';

const SOURCE = 'the source, read again';

interface VerifyFlags {
  hash?: string;
  source?: string;
  allowMounted?: boolean;
  key: string[];
  trust?: string;
  expect: string[];
  pieces?: string;
  everyPiece?: boolean;
  raw?: boolean;
  record: boolean;
  examiner?: string;
  passphraseFile?: string;
  json?: boolean;
}

export function verifyCommand(): Command {
  return action<VerifyFlags>(
    new Command('verify')
      .summary('prove an image and its record: re-hash every byte, check every checksum and the custody log')
      .description(
        'Re-reads every byte of the media through the image and compares its hashes with every account of it: ' +
          'the acquisition record, the hashes an E01 or Ex01 stores, and the custody log entry that logged the acquisition ' +
          '(which also proves the record unedited). Checks the files (missing, extra, resized, their SHA-256), every ' +
          'checksum of the format (a damaged E01 or Ex01 chunk or zstd frame is named with the media bytes and sectors it covers), ' +
          'and the custody log beside the image. Each piece of the media is compared with the signed pieces file (<evidence>.pieces): ' +
          'a changed piece is named with its media bytes and sectors, and every other piece is proven intact, even when an edit ' +
          'recomputed the format\'s own checksums. When the media\'s SHA-256 (or every image file\'s) equals the signed one, that proves ' +
          'every piece at once (the pieces file was made from that media); otherwise each piece is hashed, in a second pass, to say where. ' +
          'Writes nothing beside the image.',
      )
      .argument('<target>', 'the image (.raw, .001, .E01, .Ex01, .aff4, .zst), its record (<evidence>.acquisition.yaml), or the folder holding them')
      .option('--hash <list>', 'compute only these hashes (e.g. md5); by default every one that something records')
      .option('--source <device|file>', 'also read the source again (read-only, with the same proof as acquire) and compare its hashes with the record')
      .option('--allow-mounted', 'with --source: read it although a file system on it is mounted read-write')
      .option('--key <pem>', "check the custody log's signatures with this public key instead of the key files beside it (repeat for several)", (v: string, all: string[]) => [...all, v], [])
      .option('--trust <register>', "the lab's trust register (exhibit key register export): every key that signed the custody log must be in it, valid when it signed")
      .option('--expect <algorithm:hex>', 'a hash the media must have, from a report you trust (e.g. sha256:9f86d0...); repeat for several', (v: string, all: string[]) => [...all, v], [])
      .option('--pieces <list>', 'check only these pieces of the media against the signed pieces file, e.g. 3 or 0-7,12 (numbers from 0, as verify names them): a quick check of one region')
      .option('--every-piece', "hash each piece of the media even when the media's SHA-256 equals the signed one (which proves every piece by itself)")
      .option('--raw', RAW_OPTION_HELP)
      .option('--no-record', 'do not log the verification in the case store (read-only use)')
      .option('-x, --examiner <name>', 'who verifies (signs the entry in the case store, when the case is there)')
      .option('--passphrase-file <file>', "the passphrase of the examiner's signing key (or EXHIBIT_PASSPHRASE)")
      .option('--json', 'print the full report as JSON')
      .addHelpText(
        'after',
        '\nResults: VERIFIED (everything checked holds), FAILED (something differs or is damaged: each problem is named),\n' +
          'UNVERIFIABLE (nothing that can be trusted records what the image should hold).\n' +
          'What counts: a custody log entry signed by a trusted key, this case store\'s own log when it holds the case,\n' +
          'a hash given with --expect, or the source read again. A record alone never does: whoever can rewrite an image\n' +
          'can rewrite its record. Another tool\'s E01 or Ex01 with no record is checked against the hash it stores, as ewfverify does.\n' +
          'When this machine\'s case store holds the case (or logged the image\'s files at this path), the image is checked against\n' +
          'the store\'s log and keys, whatever the files beside the image say; each signer\'s fingerprint is printed with whether\n' +
          'it is the store\'s key for that name. The VERIFIED line says what it rests on: plain when something from outside the\n' +
          'image\'s folder vouches (the store, --key, --trust, --expect, --source); "against the custody log beside the image"\n' +
          'when only keys that came with the image signed it (compare their fingerprints, or give --key); "against the hash\n' +
          'stored in the image" when the image only vouches for itself.\n' +
          'With --trust <register> (the lab\'s trust register: exhibit key register export), every key that signed must be listed\n' +
          'as that examiner\'s and valid when it signed; without it, the output says the keys are not anchored.\n' +
          'With tsa: {url, ca} in config.yaml, the RFC 3161 token beside the checkpoint (<evidence>.checkpoint.tsr) is checked\n' +
          'and the time it proves printed; a token that fails fails the verification. A custody log beside the image that goes\n' +
          'on past the store\'s is reported as a ROLLBACK of the store, one that parts from it as a FORK, with both counts and heads.\n' +
          'Exit code 4: failed or unverifiable.\n\n' +
          'When this machine\'s case store holds the case, the verification is added to its custody log, signed by\n' +
          '--examiner (or EXHIBIT_EXAMINER); --no-record leaves the store untouched. A store found rolled back gets no entry:\n' +
          'the examiner\'s key signs the longer copy\'s count and head into the case\'s checkpoint instead, so the store\'s own\n' +
          'check reports the rollback from then on, and nothing is added to the case until its latest state is restored.\n\n' +
          'Examples:\n  exhibit verify /cases/2026-0117/EV-001.E01\n  exhibit verify /cases/2026-0117 --pieces 12-15     (only pieces 12 to 15: one region, quickly)\n  exhibit verify /cases/2026-0117 --key jdoe.pem --no-record\n  exhibit verify EV-001.E01 --hash md5\n  exhibit verify suspect.E01 --expect md5:d73c51f10c7ee6a681b7b619ccc6f1c4',
      ),
    async ([target], f) => {
      const expect = parseExpected(f.expect);
      if (f.source && f.pieces !== undefined) throw new ExhibitError('USAGE', '--source reads the whole source; it cannot be combined with --pieces');
      if (f.expect.length > 0 && f.pieces !== undefined) throw new ExhibitError('USAGE', '--expect gives hashes of the whole media, which --pieces does not read; they cannot be combined');
      const job = startJob({ kind: 'verification', subject: path.resolve(target!), ...(f.examiner ? { examiner: f.examiner } : {}) });
      const said: { words?: string } = {};
      return asJob(job, () => runVerify(target!, f, expect, job, said), (code) => said.words ?? (code === EXIT.VERIFY_FAILED ? 'FAILED or UNVERIFIABLE' : undefined));
    },
  );
}

/** `said.words`: the verdict in the words the jobs list shows (core/verification-words.ts), once there is one. */
async function runVerify(target: string, f: VerifyFlags, expect: ReturnType<typeof parseExpected>, job: JobPublisher, said: { words?: string }): Promise<number> {
  let progress: Progress | undefined;
  const stop = interruptSignal(() => progress?.done());
  const store = openStoreView();
  try {
    const report = await verifyImage({
      target,
      ...(f.hash ? { algorithms: parseHashList(f.hash) } : {}),
      ...(f.key.length > 0 ? { trustedKeys: readKeyFiles(f.key) } : {}),
      ...(f.trust !== undefined ? { trust: readTrustRegister(f.trust) } : {}),
      ...tsaOption(),
      ...(Object.keys(expect).length > 0 ? { expect } : {}),
      ...(f.pieces !== undefined ? { pieces: f.pieces } : {}),
      ...(f.everyPiece ? { everyPiece: true } : {}),
      ...(f.raw ? { raw: true } : {}),
      ...(store ? { store: store.view } : {}),
      signal: stop.signal,
      onStart: (bytes) => {
        progress = new Progress('verifying', bytes, job);
      },
      onProgress: (done) => progress?.update(done),
      onPass: (label, bytes) => {
        progress?.done();
        const pass = new Progress(label, bytes, job);
        progress = pass;
        return (done) => pass.update(done);
      },
    });
    progress?.done();
    if (f.source) {
      await checkSource(report, f.source, f.allowMounted === true, stop.signal, (p) => (progress = p), job);
      progress?.done();
    }
    if (stop.signal.aborted) throw new ExhibitError('INTERRUPTED', 'verification interrupted');
    said.words = verificationWords(loggedResult(report)).words;
    if (!f.json) io().stdout.write(reportText(report)); // the verdict first: a failure to log it must not hide it
    let logged: ReturnType<typeof logVerification>;
    try {
      logged = f.record ? logVerification(report, f) : undefined;
    } catch (err) {
      info(`the verification was not logged in the case store: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (report.record) job.describe({ case: report.record.case, evidence: report.record.evidence, ...(report.image ? { format: report.image.format } : {}) });
    if (f.json) printJson({ ...report, ...(report.verdict === 'verified' ? { rests_on: restsOn(report) } : {}), ...(logged ? { logged } : {}) });
    else if (logged) info(`logged in case ${logged.case}'s custody log as entry ${logged.entry}, signed by ${logged.examiner}`);
    if (report.verdict !== 'verified') {
      errorLine(report.verdict === 'failed' ? `verification failed: ${report.problems[0]}` : `unverifiable: ${report.unverifiable_reason ?? 'nothing records what this image should hold'}`);
      return EXIT.VERIFY_FAILED;
    }
    return EXIT.OK;
  } finally {
    store?.close();
    progress?.done();
    stop.dispose();
  }
}

/** The TSA's CA certificates from config.yaml, to check the token beside a checkpoint. */
function tsaOption(): { tsaCa?: NonNullable<ReturnType<typeof tsaCertificates>> } {
  const ca = tsaCertificates(exhibitPaths(io().env).configFile);
  return ca ? { tsaCa: ca } : {};
}

/** Add the verification to the case's custody log, when this machine's store holds the case. */
function logVerification(r: VerifyReport, f: VerifyFlags): { case: string; entry: number; examiner: string } | undefined {
  const rec = r.record;
  if (!rec) return undefined;
  if (r.store?.rolled_back) {
    keepRollbackSeen(r.store.case, r.store.rolled_back, r.custody?.log ?? r.target, f.examiner, f.passphraseFile);
    info(`not logged in case ${r.store.case}'s custody log: the case store was rolled back, and an entry added to it now would fork the log; exhibit adds nothing to the case until its latest state is restored`);
    return undefined;
  }
  return withCaseSigner(rec.case, f.examiner, f.passphraseFile, 'verified', (store, c, signer) => {
    const seq = recordVerification(store, c.number, rec.evidence, signer, {
      ...loggedResult(r),
      image: r.image?.files.map((x) => x.name) ?? [],
      record_sha256: rec.sha256,
      hashes: { ...r.hashes },
      problems: r.problems.length,
      first_problem: r.problems[0],
      // Whether the pieces were hashed one by one, or proven all at once by the media's (or the files') SHA-256.
      ...(r.pieces ? { pieces: { ...loggedResult(r).pieces!, intact: r.pieces.intact, damaged: r.pieces.damaged, ...(r.pieces.proven_by ? { proven_by: r.pieces.proven_by } : {}) } } : {}),
    });
    return { case: c.number, entry: seq, examiner: signer.name };
  });
}

/**
 * The verdict as it is logged and listed: a check of some pieces only (--pieces) says so, it is not a
 * verification of the whole media; a success says what it rests on (verify/vouch.ts).
 */
function loggedResult(r: VerifyReport): { result: string; rests_on?: RestsOn; pieces?: { checked: number; of: number } } {
  return {
    result: r.verdict,
    ...(r.verdict === 'verified' ? { rests_on: restsOn(r) } : {}),
    ...(r.pieces ? { pieces: { checked: r.pieces.checked, of: r.pieces.count } } : {}),
  };
}

function reportText(r: VerifyReport): string {
  const out: string[] = [];
  const img = r.image;
  out.push(`verifying ${r.target}${img ? `: ${img.format}, ${img.files.length} file${img.files.length === 1 ? '' : 's'}, ${formatBytes(img.media_bytes)} of media` : ''}`);
  if (r.record) out.push(`  record  ${r.record.file} (case ${r.record.case}, evidence ${r.record.evidence}, ${r.record.result})`);
  for (const [a, h] of Object.entries(r.hashes)) {
    const against = r.comparisons.filter((c) => c.algorithm === a && c.against !== SOURCE && c.subject === undefined);
    const words = against.length === 0 ? 'nothing records it' : against.map((c) => `${c.equal ? 'matches' : 'DIFFERS FROM'} ${c.against}`).join(', ');
    out.push(`  ${a.padEnd(7)} ${h}  ${words}`);
  }
  for (const c of r.comparisons.filter((x) => x.subject !== undefined && !x.subject.startsWith(PIECES_SUBJECT))) out.push(`  stored  ${c.algorithm.padEnd(7)} ${c.computed}  ${c.equal ? 'matches' : 'DIFFERS FROM'} ${c.against}`);
  for (const f of (img?.files ?? []).filter((x) => x.sha256 !== undefined || x.recorded_sha256 !== undefined)) {
    const state = f.recorded_sha256 ? (f.sha256 !== undefined && digestsEqual(f.sha256, f.recorded_sha256) ? 'matches the record' : 'DIFFERS from the record') : 'not recorded';
    out.push(`  file    ${f.name}  ${formatBytes(f.size)}  sha256 ${f.sha256 ?? '?'}  ${state}`);
  }
  const pf = r.comparisons.filter((x) => x.subject?.startsWith(PIECES_SUBJECT) && x.against !== SOURCE);
  if (pf.length > 0) out.push(`  pieces  ${pf[0]!.subject!.slice(PIECES_SUBJECT.length + 1)}  sha256 ${pf[0]!.computed}  ${pf.map((c) => `${c.equal ? 'matches' : 'DIFFERS FROM'} ${c.against}`).join(', ')}`);
  if (r.pieces) {
    const p = r.pieces;
    const bad = r.damage.filter((d) => d.unit === 'piece').map((d) => d.index);
    if (p.proven_by) out.push(`  pieces  ${p.count === 1 ? 'the one piece' : `all ${p.count} pieces of ${formatBytes(p.piece_size)}`} intact (${formatBytes(r.intact_bytes ?? 0)} of media), proven by ${p.proven_by}; --every-piece hashes each`);
    else out.push(
      `  checked ${p.checked === p.count ? '' : `${p.checked} of `}${p.count} piece${p.count === 1 ? '' : 's'} of ${formatBytes(p.piece_size)}: ${p.intact} intact (${formatBytes(r.intact_bytes ?? 0)} of media proven)` +
        (bad.length > 0 ? `, ${bad.length} damaged: piece${bad.length === 1 ? '' : 's'} ${bad.slice(0, 20).join(', ')}${bad.length > 20 ? ` and ${bad.length - 20} more (--json lists them)` : ''}` : ''),
    );
  }
  if (r.units) out.push(`  ${unitWords(r.units.kind, r.units.count, r.damage.filter((d) => d.unit !== 'piece').length, img?.format)}`);
  if (r.custody) {
    const c = r.custody;
    out.push(`  custody ${path.basename(c.log)}: ${c.entries} entries, ${c.problems.length === 0 ? 'chain, signatures and checkpoint check' : `${c.problems.length} problems`}${c.acquisition_entry ? `; the record is the one logged in entry ${c.acquisition_entry}` : ''}`);
    for (const k of c.keys) out.push(`          signed by ${k.examiner}  ${k.fingerprint}  (${signerWords(k)})`);
    out.push(`          signatures checked with ${c.trusted_by}`);
  }
  if (r.timestamp) out.push(`  time    ${path.basename(r.timestamp.file)}: the log's first ${r.timestamp.entries} entries existed at ${r.timestamp.time} (RFC 3161 token by ${r.timestamp.tsa}, serial ${r.timestamp.serial})`);
  if (r.trust) out.push(`  keys    every signing key checked against the trust register ${r.trust.register} (SHA-256 ${r.trust.sha256})`);
  if (r.store) out.push(`  store   case ${r.store.case} in this case store: ${r.store.entry ? `the record is the one logged in its entry ${r.store.entry}` : 'no entry of it logs this record'}`);
  if (r.source) {
    out.push(`  source  ${r.source.path}, read again (${r.source.read_only_unchanged ? 'unchanged while read' : 'CHANGED while read'}):`);
    for (const c of r.comparisons.filter((x) => x.against === SOURCE)) out.push(`  ${c.algorithm.padEnd(7)} ${c.computed}  ${c.equal ? 'matches' : 'DIFFERS FROM'} the record`);
    const p = r.source.pieces;
    if (p) out.push(`  pieces  ${p.same} of ${p.count} the same as the image as acquired${p.differ.length > 0 ? `; ${p.differ.length} ${p.differ.length === 1 ? 'differs' : 'differ'}: piece${p.differ.length === 1 ? '' : 's'} ${p.differ.slice(0, 20).map((x) => x.index).join(', ')}${p.differ.length > 20 ? ' ...' : ''}` : ''}`);
  }
  for (const n of r.notes) out.push(`  note: ${n}`);
  const partial = r.pieces !== undefined && r.pieces.checked < r.pieces.count;
  if (r.verdict === 'verified') {
    if (!partial) out.push(verifiedWords(r));
    else {
      const part = `VERIFIED (part): ${r.pieces!.checked === 1 ? 'the 1 piece checked matches' : `the ${r.pieces!.checked} pieces checked match`} the signed pieces file; the rest of the media was not read`;
      // As for a whole verification: say when the signature on the pieces file rests on keys that came with the image.
      out.push(restsOn(r) === 'independent' ? part : `${part}; but the pieces file is signed only by keys that came with the image, and nothing on this machine vouches for them: compare their fingerprints (above) with the examiner's, or give --key or --trust`);
    }
  }
  else if (r.verdict === 'unverifiable') out.push(`UNVERIFIABLE: ${r.unverifiable_reason ?? 'nothing records what this image should hold'}`);
  else {
    out.push(`FAILED: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`);
    for (const p of r.problems) out.push(`  ${p}`);
  }
  return shownLines(out);
}

/** --source: read the source again and compare it with the record; adds to the report and settles it again. */
async function checkSource(report: VerifyReport, source: string, allowMounted: boolean, signal: AbortSignal, show: (p: Progress) => void, job: JobPublisher): Promise<void> {
  if (!report.record) throw new ExhibitError('USAGE', '--source compares a source with its acquisition record, and this image has none');
  const read = readRecord(report.record.file);
  if (read.sha256 !== report.record.sha256) throw new ExhibitError('VERIFY_FAILED', `the record ${report.record.file} changed while the image was verified`);
  const rec = read.record;
  // The image read as its own source would prove nothing but itself.
  const given = fs.statSync(source, { throwIfNoEntry: false });
  for (const f of given ? rec.image.files : []) {
    const s = fs.statSync(path.join(path.dirname(report.record.file), f.name), { throwIfNoEntry: false });
    if (s && s.dev === given!.dev && s.ino === given!.ino) throw new ExhibitError('USAGE', `--source ${source} is ${f.name}, a file of the image itself: it would compare the image with itself`);
  }
  const recorded = rec.media.hashes ?? {};
  const algorithms = (Object.keys(recorded) as HashAlgorithm[]).filter((a) => ['md5', 'sha1', 'sha256', 'sha512'].includes(a));
  let progress: Progress | undefined;
  // The pieces file verify found intact: the source's pieces are compared with it.
  const pieces = report.pieces ? readPiecesFile(path.join(path.dirname(report.record.file), report.pieces.file)) : undefined;
  if (pieces && pieces.sha256 !== report.pieces?.sha256) throw new ExhibitError('VERIFY_FAILED', `the pieces file ${report.pieces!.file} changed while the image was verified`);
  if (algorithms.length === 0) throw new ExhibitError('USAGE', 'the record holds no hashes to compare the source with');
  const r = await rehashSource({
    source,
    algorithms,
    mediaBytes: rec.media.size_bytes,
    paddingBytes: rec.media.padding_bytes ?? 0,
    sectorSize: rec.media.sector_size,
    fill: rec.read_errors.fill,
    retries: rec.read_errors.retries,
    recordedUnreadable: rec.read_errors.ranges,
    allowMounted,
    ...(pieces ? { pieceSize: pieces.list.pieceSize } : {}),
    signal,
    onStart: (bytes) => {
      progress = new Progress('reading the source', bytes, job);
      show(progress);
    },
    onProgress: (done) => progress?.update(done),
  });
  const u = r.recordedUnreadable;
  report.source = {
    path: source,
    hashes: r.hashes,
    read_only_unchanged: r.readOnly.unchanged,
    read_only_method: r.readOnly.method,
    unreadable_now: r.unreadableNow,
    recorded_unreadable: u,
  };
  // Recorded-unreadable sectors that read now were hashed as read: say which, and whether that can change the hashes.
  if (u.read_now_sectors > 0) {
    const which = `${u.read_now_sectors === u.sectors ? 'all' : `${u.read_now_sectors} of the`} ${u.sectors} sectors the record lists as unreadable read now (sectors ${sectorList(u.read_now)})`;
    if (u.differ_from_fill_sectors > 0) {
      report.problems.push(`${which}; ${u.differ_from_fill_sectors} of them hold other bytes than the fill the record says the image holds there (sectors ${sectorList(u.differ_from_fill)})`);
    } else report.notes.push(`${which}; each holds exactly the fill, so the hashes are as if they had not been read`);
  }
  for (const a of algorithms) {
    const equal = digestsEqual(recorded[a]!, r.hashes[a]!);
    report.comparisons.push({ against: SOURCE, algorithm: a, expected: recorded[a]!, computed: r.hashes[a]!, equal, anchor: true });
    if (!equal) report.problems.push(`${a.toUpperCase()} of the source read again is ${r.hashes[a]}, the record says ${recorded[a]}`);
  }
  if (pieces && r.pieces) {
    const d = sourcePieceDifferences(pieces.list, r.pieces);
    report.source.pieces = d;
    if (d.differ.length > 0) {
      const shown = d.differ.slice(0, 20).map((s) => `piece ${s.index} (media bytes ${s.first_byte} to ${s.first_byte + s.bytes - 1}, sectors ${s.first_sector} to ${s.first_sector + s.sectors - 1})`);
      if (d.differ.length > 20) shown.push(`and ${d.differ.length - 20} more, listed in --json`);
      report.problems.push(`the source differs from the image as acquired in ${d.differ.length} of its ${d.count} pieces: ${shown.join(', ')}; the other ${d.same} are the same`);
    }
  }
  if (!r.readOnly.unchanged) report.problems.push(`the source changed while it was read again: ${r.readOnly.method}`);
  if (u.still_unreadable > 0) report.notes.push(`${u.still_unreadable} of the ${u.sectors} sectors the record lists as unreadable are still unreadable and were hashed as the fill, as at acquisition`);
  const now = r.unreadableNow.reduce((n, x) => n + x.sectors, 0);
  if (now > 0) report.notes.push(`${now} sectors of the source could not be read this time (sectors ${sectorList(r.unreadableNow)}); they were hashed as the fill`);
  settle(report);
}

/** Sector ranges in words ("0, 2100 to 2102"), the first few only: --json lists them all. */
function sectorList(ranges: readonly { first_sector: number; sectors: number }[]): string {
  const SHOWN = 10;
  const words = ranges.slice(0, SHOWN).map((x) => (x.sectors === 1 ? `${x.first_sector}` : `${x.first_sector} to ${x.first_sector + x.sectors - 1}`));
  if (ranges.length > SHOWN) words.push(`and ${ranges.length - SHOWN} more ranges, listed in --json`);
  return words.join(', ');
}

/** What checking the image's integrity units did, in words that say what was checked. */
function unitWords(kind: string, n: number, damaged: number, format: string | undefined): string {
  const many = (word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (damaged > 0 && damaged >= n) return `${n === 1 ? `its one ${kind} is` : `all ${n} ${kind}s are`} DAMAGED (named among the problems)`;
  const bad = damaged > 0 ? `; ${damaged} of them DAMAGED (named among the problems)` : '';
  const each = n === 1 ? 'it' : 'each one';
  if (kind === 'chunk' && format === 'aff4') return `decoded ${many('chunk')}: ${damaged > 0 ? 'the others decode to their size' : `${each} decodes to its size`} (AFF4 chunks carry no checksum of their own: the stored hashes above are their check)${bad}`;
  if (kind === 'chunk') return `checked ${many('chunk')}: ${damaged > 0 ? 'the others decompress to their size and their Adler-32 checksums hold' : `${each} decompresses to its size and its Adler-32 checksum holds`}${bad}`;
  if (kind === 'frame') return `decompressed ${many('frame')}: ${damaged > 0 ? 'the others are whole, of the size the image gives them, and their own checksums hold where they have one' : `${each} is whole, of the size the image gives it, and its own checksum holds where it has one`}${bad}`;
  return `read the media in ${many('range')}: ${damaged > 0 ? `${damaged} could not be read` : 'every byte read'} (raw media holds no checksums of its own: the hashes above are its check)`;
}
