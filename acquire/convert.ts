/**
 * Converting an image from one format to another without losing a byte or a
 * fact: the media is read through the image readers, hashed in-stream while it
 * is written, and the hashes must equal the ones recorded for the source (its
 * exhibit record, or the hashes an E01 stores). Case facts, the source's
 * facts and the unreadable ranges carry over into the new image's own fields
 * and its record, which names the image it came from.
 */
import fs from 'node:fs';
import path from 'node:path';
import { digestsEqual, HASH_ALGORITHMS, type Digests, type HashAlgorithm } from '../core/crypto.js';
import { describeSystemError, ExhibitError } from '../core/errors.js';
import { digestsOf, fileSha256s, mediaJobs, piecesJob } from './digests.js';
import { DEFAULT_PIECE_SIZE, pieceSpan, piecesFileName, readPiecesFile, renderPieces, summarise, type PieceList, type PiecesSummary } from '../core/pieces.js';
import { recordBesideImage, recordFileName, recordPathFor, renderRecord, writeFileAtomic, type AcquisitionRecord } from '../core/record.js';
import { assembleRecord } from '../core/record/build.js';
import { readRecord } from '../core/record/read.js';
import { timestamp } from '../core/time.js';
import { damagedAtOpen, openImage } from '../image/open.js';
import { formatOf, readableFormatOf } from '../image/registry.js';
import type { ImageFile } from '../image/types.js';
import { outputError, PARTIAL_SUFFIX, publishStaged } from '../image/output-file.js';
import { checkEvidenceId, isSafeEvidenceId, prepareOutputDir, safeEvidenceName, refuseExisting, refuseNoRoom } from './checks.js';
import { journalFileName } from './journal.js';
import { lockIfFolderExists, lockOutput, type OutputLock } from './output-lock.js';
import { runPipeline } from './pipeline.js';
import { makeWriter, type FormatSettings } from './writers.js';

export interface ConvertOptions {
  image: string;
  /** --raw: read the source as raw media whatever its first bytes say (image/open.ts). */
  raw?: boolean;
  outDir: string;
  settings: FormatSettings;
  evidence?: string;
  examiner?: string;
  /** Hashes to compute; by default the strongest one the source records (plus what the target format stores). */
  hashes?: HashAlgorithm[];
  version: string;
  commandLine: string[];
  signal?: AbortSignal;
  onStart?: (size: number) => void;
  onProgress?: (done: number) => void;
}

export interface ConvertOutcome {
  record: AcquisitionRecord;
  recordPath: string;
  compared: { algorithm: string; recorded: string; computed: string; equal: boolean }[];
  verified: boolean; // every recorded hash was compared and equal
  warnings: string[];
  /** How the source was identified, when worth saying (no container signature: read as raw media). */
  notes: string[];
  /** Files left under `<name>.partial` by a conversion that did not finish. */
  partialFiles: string[];
  error?: ExhibitError;
}

/**
 * The pieces file beside the source's record, when it is the one the record names (by SHA-256) and
 * covers the media; otherwise a warning says why its pieces are not compared (the media hashes still are).
 */
function sourcePieces(rec: AcquisitionRecord, recPath: string, mediaBytes: number, warnings: string[]): { list?: PieceList; pieceSize?: number } {
  const p = rec.media.pieces;
  if (!p) return {};
  const file = path.join(path.dirname(recPath), p.file);
  const skip = (why: string) => {
    warnings.push(`the source's pieces file ${file} ${why}: its pieces are not compared, only the media hashes; the new image gets pieces of its own`);
    return { pieceSize: p.piece_size };
  };
  if (!fs.existsSync(file)) return skip('is missing (its record lists it)');
  let read: ReturnType<typeof readPiecesFile>;
  try {
    read = readPiecesFile(file);
  } catch (err) {
    return skip(`cannot be read (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!digestsEqual(read.sha256, p.sha256)) return skip(`was changed (its SHA-256 is ${read.sha256}, its record says ${p.sha256})`);
  if (read.list.mediaBytes !== mediaBytes) return skip(`covers ${read.list.mediaBytes} bytes of media, the image holds ${mediaBytes}`);
  return { list: read.list, pieceSize: read.list.pieceSize };
}

function pieceWords(list: PieceList, i: number): string {
  const s = pieceSpan(list, i);
  return `${i} (media bytes ${s.first_byte} to ${s.first_byte + s.bytes - 1}, sectors ${s.first_sector} to ${s.first_sector + s.sectors - 1})`;
}

/** The source's own account of itself: its exhibit record, if any beside it. */
function sourceRecord(base: string): { path: string; record: AcquisitionRecord } | undefined {
  const p = recordBesideImage(base);
  if (!fs.existsSync(p)) return undefined;
  return { path: p, record: readRecord(p).record };
}

/**
 * The name of the new files: `-e` as given (checked), else the source's evidence number when it is a
 * file name, else that number made safe, else the source file's stem made safe. Another tool's E01
 * often leaves the number empty, blank, or writes text such as `Item 3/B`; the original is kept
 * verbatim in the record (`converted_from.evidence_number`) whenever the name differs from it.
 */
function newFilesName(given: string | undefined, number: string | undefined, stem: string): { name: string; original?: string; said?: string } {
  if (given !== undefined) {
    checkEvidenceId(given);
    return { name: given };
  }
  if (number !== undefined && isSafeEvidenceId(number)) return { name: number };
  const fromNumber = number === undefined ? '' : safeEvidenceName(number);
  const name = fromNumber || safeEvidenceName(stem) || 'image';
  const why = number === undefined ? 'the source names no evidence number' : number.trim() === '' ? `the source's evidence number is ${number === '' ? 'empty' : 'blank'}` : `the source's evidence number "${number}" is not a file name`;
  const from = fromNumber ? 'made from it' : name === 'image' ? 'no usable name in it or the file name' : `from the file name ${stem}`;
  return { name, ...(number !== undefined ? { original: number } : {}), said: `${why}: the new files are named ${name} (${from}; -e chooses another)` };
}

export async function convert(o: ConvertOptions): Promise<ConvertOutcome> {
  const { reader, base, warnings, damaged: damagedFiles, notes } = await openSource(o.image, o.raw === true);
  let lock: OutputLock | undefined;
  try {
    const found = sourceRecord(base);
    const rec = found?.record;
    const recPath = found?.path;
    if (rec && rec.result !== 'complete') throw new ExhibitError('IMAGE_INVALID', `the source's record ${recPath} says its acquisition is incomplete; finish or resume it first`);
    // The case facts the image stores itself (an E01's header), if any.
    const h = reader.caseFacts;
    const stored = reader.storedHashes;
    // Reference hashes: the record's, else what the image itself stores.
    const reference: Digests = rec?.media.hashes ?? { ...stored };
    if (rec?.media.size_bytes !== undefined && rec.media.size_bytes + (rec.media.padding_bytes ?? 0) !== reader.size) {
      // Media lost or added since it was acquired: damage met by convert (exit 4), as verify calls it. Nothing is written.
      throw new ExhibitError('VERIFY_FAILED', `the source image is damaged: it holds ${reader.size} bytes of media but its record says ${rec.media.size_bytes + (rec.media.padding_bytes ?? 0)}${damagedFiles.length > 0 ? ` (${damagedFiles[0]})` : ''}`);
    }
    const named = newFilesName(o.evidence, rec?.evidence ?? h?.evidence, path.basename(base));
    const evidence = named.name;
    if (named.said) notes.push(named.said);
    // The source's pieces, checked against its record before anything is written; the new image gets pieces of the same size.
    const fromSource = rec && recPath ? sourcePieces(rec, recPath, reader.size, warnings) : {};
    const srcPieces = fromSource.list;
    const sectorSize = rec?.media.sector_size ?? reader.sectorSize ?? 512;
    // Pieces are whole sectors: 64 MiB is not a whole number of 520- or 2352-byte sectors.
    const pieceSize = fromSource.pieceSize ?? DEFAULT_PIECE_SIZE - (DEFAULT_PIECE_SIZE % sectorSize);
    const target = formatOf(o.settings.format);
    if (target.wholeSectors && reader.size % sectorSize !== 0) {
      throw new ExhibitError('USAGE', `the media (${reader.size} bytes) is not a whole number of ${sectorSize}-byte sectors; E01 would have to pad it, and its hashes would no longer be the source's`, {
        hints: ['convert to raw, split-raw or zst instead'],
      });
    }
    const unreadable = rec?.read_errors?.ranges ?? reader.errorRanges.map((e) => ({ ...e, error: e.error ?? 'EIO' }));
    const source = rec?.source;
    const outDir = path.resolve(o.outDir);
    // The same lock as an acquisition's: one run at a time on an evidence id in a folder.
    lock = await lockIfFolderExists(outDir, evidence, 'conversion');
    const writer = makeWriter({
      dir: outDir,
      base: evidence,
      settings: o.settings,
      mediaBytes: reader.size,
      sectorSize,
      facts: {
        case: rec?.case ?? h?.case ?? '',
        evidence: named.original ?? evidence, // the image's own field keeps the number as the source gave it
        examiner: rec?.examiner ?? h?.examiner ?? '',
        ...((rec?.description ?? h?.description) ? { description: rec?.description ?? h?.description } : {}),
        ...((rec?.notes ?? h?.notes) ? { notes: rec?.notes ?? h?.notes } : {}),
        ...((source?.device?.model ?? h?.model) ? { model: source?.device?.model ?? h?.model } : {}),
        ...((source?.device?.serial ?? h?.serial) ? { serial: source?.device?.serial ?? h?.serial } : {}),
        removable: source?.device?.removable === true || h?.removable === true,
        ...(!source && h?.mediaType ? { mediaType: h.mediaType } : {}),
        physical: source ? source.kind === 'block-device' && !source.device?.is_partition : h?.physical === true,
        acquired: rec ? new Date(rec.started.utc) : new Date(),
      },
      version: o.version,
      staged: true, // <name>.partial until the media is checked against the source's hashes
    });
    const recordPath = recordPathFor(outDir, evidence);
    const inputs = reader.files.map((f) => path.resolve(f));
    for (const n of [...writer.plannedFiles(reader.size), recordFileName(evidence)]) {
      if (inputs.includes(path.join(outDir, n))) throw new ExhibitError('OUTPUT_ON_SOURCE', `the output ${path.join(outDir, n)} would replace the image being converted`);
    }
    const images = writer.plannedFiles(reader.size);
    const planned = [...images, ...images.map((n) => `${n}${PARTIAL_SUFFIX}`), recordFileName(evidence), piecesFileName(evidence), journalFileName(evidence)];
    refuseExisting(outDir, evidence, planned);
    await refuseNoRoom(outDir, reader.size + 1024 * 1024);
    await prepareOutputDir(outDir);
    if (!lock) {
      lock = await lockOutput(outDir, evidence, 'conversion');
      refuseExisting(outDir, evidence, planned); // the folder is new: another run may have made it too
    }

    // One matching SHA-256 proves the media identical, so the strongest recorded hash is enough to check;
    // E01 stores MD5 (and SHA-1), so those are computed when it is the target. Without any recorded
    // hash, the three usual ones are computed for the new record.
    const strongest = (['sha512', 'sha256', 'sha1', 'md5'] as const).find((a) => a in reference);
    const wanted = new Set<HashAlgorithm>(o.hashes ?? (strongest ? [strongest] : ['md5', 'sha1', 'sha256']));
    // A format that stores hashes itself gets those it requires, and those the source records.
    for (const a of target.storesHashes) if (target.requiresHashes.includes(a) || a in reference) wanted.add(a);
    const algorithms = HASH_ALGORITHMS.filter((a) => wanted.has(a));
    const jobs = [...mediaJobs(algorithms, writer, { wholeFileSha256: false }), piecesJob(pieceSize)];
    const started = timestamp();
    o.onStart?.(reader.size);
    // What an image with no record stores to prove itself (AFF4's block and map hashes) is checked alongside.
    const selfCheck = rec ? undefined : reader.checkStored?.(o.signal ? { signal: o.signal } : {});
    const run = await runPipeline({
      source: {
        read: async (into, pos) => {
          const n = await reader.read(into, pos, into.length);
          if (n !== into.length) throw new ExhibitError('IMAGE_INVALID', `the image ends at byte ${pos + n}, before its size of ${reader.size}`);
        },
      },
      size: reader.size,
      sectorSize,
      writer,
      jobs,
      ...(o.signal ? { signal: o.signal } : {}),
      onProgress: (n) => o.onProgress?.(n),
    });
    const d = digestsOf(run.digests);
    const computed: Digests = d?.media ?? {};
    const carried = (Object.keys(reference) as HashAlgorithm[]).filter((a) => computed[a] === undefined);
    const compared = (Object.keys(reference) as HashAlgorithm[])
      .filter((a) => computed[a] !== undefined)
      .map((a) => ({ algorithm: a, recorded: reference[a]!, computed: computed[a]!, equal: digestsEqual(reference[a]!, computed[a]!) }));
    let error: ExhibitError | undefined;
    let files: ImageFile[] = [];
    const copied = !run.interrupted && run.failure === undefined;
    const damaged = run.failure instanceof ExhibitError ? run.failure.damaged : undefined;
    if (damaged) {
      // Damage in the source image is a failed check of it (exit 4), not a failure of exhibit.
      error = new ExhibitError('VERIFY_FAILED', `the source image is damaged: ${(run.failure as ExhibitError).message}; ${run.bytesDone} bytes were converted before it`);
    } else if (run.failure !== undefined) error = run.failure instanceof ExhibitError ? run.failure : new ExhibitError('INTERNAL', describeSystemError(run.failure));
    else if (run.interrupted) error = new ExhibitError('INTERRUPTED', 'interrupted; run the conversion again (delete its partial output first)');
    const integrity = await selfCheck;
    const mismatch = compared.find((c) => !c.equal);
    if (copied && integrity && integrity.problems.length > 0) {
      error = new ExhibitError('VERIFY_FAILED', `the source image does not match what it stores about itself: ${integrity.problems[0]}${integrity.problems.length > 1 ? ` (and ${integrity.problems.length - 1} more problems)` : ''}`);
    }
    const pieceMismatch = copied && srcPieces && d?.pieces ? d.pieces.findIndex((x, i) => !digestsEqual(x, srcPieces.sha256[i] ?? '')) : -1;
    const badPieces = pieceMismatch >= 0 ? d!.pieces!.map((_, i) => i).filter((i) => !digestsEqual(d!.pieces![i]!, srcPieces!.sha256[i] ?? '')) : [];
    const where = badPieces.length > 0 ? `; it differs in ${badPieces.length === 1 ? 'piece' : `${badPieces.length} pieces, first`} ${pieceWords(srcPieces!, badPieces[0]!)}` : '';
    if (pieceMismatch >= 0) error = new ExhibitError('VERIFY_FAILED', `the source image does not hold what was acquired${where}`);
    if (copied && mismatch) {
      error = new ExhibitError('VERIFY_FAILED', `the converted media's ${mismatch.algorithm.toUpperCase()} is ${mismatch.computed}, but the source records ${mismatch.recorded}: the source image does not hold what was acquired${where}`);
    }
    // Damage the reader stepped over or worked around (a cut-short zstd frame, a lost seek table, a damaged table read
    // through its copy): what was read is the source's whole media only where a recorded hash of it says so.
    if (copied && !error && damagedFiles.length > 0 && compared.length === 0) { // (a compared hash that differs has set `error` above)
      error = new ExhibitError('VERIFY_FAILED', `the source image is damaged (${damagedFiles[0]}${damagedFiles.length > 1 ? `, and ${damagedFiles.length - 1} more` : ''}): nothing it records shows that the ${run.bytesDone} bytes read are its whole media`);
    }
    // The new pieces file (same piece size as the source's), written before the image takes its final names and
    // before the record that holds its SHA-256: a pieces file that cannot be written leaves the image unpublished.
    let pieces: PiecesSummary | undefined;
    try {
      files = copied && !error ? await writer.finish({ ...(computed.md5 ? { md5: computed.md5 } : {}), ...(computed.sha1 ? { sha1: computed.sha1 } : {}), unreadable }) : await writer.close();
      if (d?.pieces && !error) {
        const list = { evidence, mediaBytes: reader.size, sectorSize, pieceSize, sha256: d.pieces };
        const text = renderPieces(list);
        const file = path.join(outDir, piecesFileName(evidence));
        await writeFileAtomic(file, text).catch((err: unknown) => {
          throw outputError(err, file, 'write');
        });
        pieces = summarise(list, text);
      }
      // The checked image takes its final names; until then its files are <name>.partial.
      if (!error) await publishStaged(outDir, files.map((f) => f.name));
    } catch (err) {
      error ??= err instanceof ExhibitError ? err : new ExhibitError('OUTPUT_WRITE', describeSystemError(err), { cause: err });
      pieces = undefined;
    }
    // What is left of a conversion that stopped: its staged files (a writer that could not even close lists none
    // itself: then the files of this evidence's image, <evidence>.<extension>.partial, in the folder).
    const staged = new RegExp(`^${evidence.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.[^.]+${PARTIAL_SUFFIX.replace('.', '\\.')}$`);
    const left = !error ? [] : files.length > 0
      ? files.map((f) => `${f.name}${PARTIAL_SUFFIX}`).filter((n) => fs.existsSync(path.join(outDir, n)))
      : fs.readdirSync(outDir).filter((n) => staged.test(n)).sort();
    const fileSums = d?.files ?? (writer.layout.kind === 'slices' ? fileSha256s(d) : undefined);
    const finished = timestamp();
    const selfProved = integrity !== undefined && integrity.checks.length > 0 && integrity.problems.length === 0 && integrity.coversMedia !== false;
    // A source whose files are damaged (read through a copy of a damaged table, say) is converted, but not called checked.
    const verified = damagedFiles.length === 0 && ((compared.length > 0 && compared.every((c) => c.equal)) || (compared.length === 0 && selfProved));
    if (!error && selfProved) notes.push(`the source's ${integrity.checks.length} stored hashes of its own parts all match the bytes read`);
    if (!error && !verified) warnings.push(damagedFiles.length > 0 ? 'the source\'s files are damaged (see above), so the conversion is not called checked' : 'the source records no hash, so the conversion could not be checked against it');
    const record = assembleRecord({
      kind: 'exhibit conversion',
      incompleteReason: error?.message,
      version: o.version,
      commandLine: o.commandLine,
      case: rec?.case ?? h?.case ?? '',
      evidence,
      examiner: rec?.examiner ?? h?.examiner ?? '',
      description: rec?.description ?? h?.description,
      notes: rec?.notes ?? h?.notes,
      started: rec?.started ?? started,
      finished,
      durationSeconds: Math.round((Date.parse(finished.utc) - Date.parse(started.utc)) / 10) / 100,
      source: rec?.source ?? { kind: 'image', model: h?.model, serial: h?.serial },
      readOnly: rec?.read_only ?? { note: 'not known: the source image carries no exhibit record' },
      format: writer.format,
      settings: o.settings,
      files: files.map((f, i) => {
        const sha256 = f.sha256 ?? fileSums?.[i];
        return { name: error ? `${f.name}${PARTIAL_SUFFIX}` : f.name, size: f.size, ...(sha256 && !error ? { sha256 } : {}) };
      }),
      media: {
        size_bytes: rec?.media.size_bytes ?? reader.size,
        sector_size: sectorSize,
        sectors: Math.floor(reader.size / sectorSize),
        trailing_bytes: reader.size % sectorSize,
        // What this conversion wrote: all the media when it finished, else the bytes before it stopped.
        bytes_acquired: error ? Math.min(run.bytesDone, rec?.media.bytes_acquired ?? reader.size) : (rec?.media.bytes_acquired ?? reader.size),
        ...(rec?.media.padding_bytes ? { padding_bytes: rec.media.padding_bytes } : {}),
        ...(d && !error
          ? {
              hashes: { ...reference, ...computed },
              hashes_computed:
                carried.length > 0
                  ? `${algorithms.join(', ')} in-stream while converting; ${carried.join(', ')} carried over from the source, which the ${algorithms.filter((a) => a in reference).join(', ')} check shows to be the same media`
                  : 'in-stream, while converting',
            }
          : {}),
        ...(rec?.media.zero_sectors ? { zero_sectors: rec.media.zero_sectors } : {}),
        ...(pieces ? { pieces } : {}),
      },
      readErrors: rec?.read_errors ?? {
        unreadable_sectors: unreadable.reduce((a, r) => a + r.sectors, 0),
        ranges: unreadable,
        fill: 'unknown',
        retries: 0,
        ...(readableFormatOf(reader.format).listsReadErrors
          ? { strategy: 'as the source image lists them', note: 'carried over from the source image' }
          : reader.errorRangesFrom
          ? { strategy: `as ${reader.errorRangesFrom} lists them`, note: `carried over from ${reader.errorRangesFrom} (not signed: its word alone); the sectors it lists as never tried are among them` }
          : {
              strategy: 'unknown: the source image keeps no list of unreadable sectors',
              note: `a ${reader.format} image with no acquisition record beside it cannot say which sectors, if any, were unreadable when it was made: none are listed, which does not mean none were`,
            }),
      },
      sessions: rec?.sessions ?? [],
      convertedFrom: {
        format: reader.format,
        ...(named.original !== undefined ? { evidence_number: named.original } : {}),
        files: inputs,
        ...(recPath ? { record: recPath } : {}),
        hashes_compared: compared,
        ...(damaged ? { damaged } : {}),
        verified,
        converted: { started, finished, ...(o.examiner ? { by: o.examiner } : {}) },
      },
    });
    try {
      await writeFileAtomic(recordPath, renderRecord(record));
    } catch (err) {
      // No record (a full destination, most often): say why the conversion stopped, and what is left of it.
      const cannot = outputError(err, recordPath, 'write');
      const first = error ?? cannot;
      const published = error ? [] : [...files.map((f) => f.name), ...(pieces ? [pieces.file] : [])];
      throw new ExhibitError(first.code, first.message, {
        cause: err,
        hints: [
          ...(error ? [`the record that says the conversion is incomplete could not be written either: ${cannot.message}`] : []),
          ...(left.length > 0 ? [`its partial output is left in ${outDir}: ${left.join(', ')}; delete it, make room, and run the conversion again`] : []),
          ...(published.length > 0 ? [`the converted image was written and checked, but it has no record: ${published.join(', ')} in ${outDir}; delete them, make room, and run the conversion again`] : []),
        ],
      });
    }
    return { record, recordPath, compared, verified, warnings, notes, partialFiles: left, ...(error ? { error } : {}) };
  } finally {
    await reader.close();
    await lock?.release();
  }
}

/**
 * The source image, opened; one too damaged to open (or an image its record lists that no longer reads
 * as its format) is damage met by convert (exit 4), as verify calls it, not a failure of exhibit.
 */
async function openSource(file: string, raw: boolean): ReturnType<typeof openImage> {
  try {
    return await openImage(file, { raw });
  } catch (err) {
    if (damagedAtOpen(err, file)) {
      throw new ExhibitError('VERIFY_FAILED', `the source image is damaged: ${err.message}`, { cause: err, hints: [...err.hints] });
    }
    throw err;
  }
}
