/**
 * One acquisition, start to finish: open the source read-only, refuse what
 * must be refused before a byte is read, lock and measure the source, copy
 * and hash, seal the image, take the after-readings, and write the record.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type HashAlgorithm } from '../core/crypto.js';
import { describeSystemError, ExhibitError } from '../core/errors.js';
import type { HashJob } from '../core/hash-plan.js';
import { recordFileName, renderRecord, writeFileAtomic, type AcquisitionRecord, type RecordImageFile } from '../core/record.js';
import { timestamp } from '../core/time.js';
import { formatBytes } from '../core/units.js';
import { RawWriter } from '../image/raw/writer.js';
import type { ImageFile, ImageWriter } from '../image/types.js';
import { runPipeline } from './pipeline.js';
import { beginReadOnlyProof, checkMounts, checkOutputNotOnSource, type ReadOnlyProof } from './read-only.js';
import { openSource, type SourceFacts } from './source.js';

export type AcquireFormat = 'raw' | 'split-raw';

export interface AcquireOptions {
  source: string;
  outDir: string;
  caseId: string;
  evidence: string;
  examiner: string;
  description?: string;
  notes?: string;
  format: AcquireFormat;
  segmentSize: number;
  hashes: HashAlgorithm[];
  allowMounted: boolean;
  commandLine: string[];
  version: string;
  signal?: AbortSignal;
  threads?: number;
  slotSize?: number;
  onStart?: (facts: SourceFacts, files: string[]) => void;
  onProgress?: (bytesDone: number, total: number) => void;
}

export interface AcquireOutcome {
  record: AcquisitionRecord;
  recordPath: string;
  /** Set when the result is incomplete: why (interrupted, read error, full disk, moved counter...). */
  error?: ExhibitError;
}

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Evidence ids become file names: letters, digits, dot, dash and underscore only. */
export function checkEvidenceId(id: string): void {
  if (!SAFE_ID.test(id) || id.includes('..')) {
    throw new ExhibitError('USAGE', `evidence id "${id}" cannot be used as a file name`, {
      hints: ['use letters, digits, dot, dash and underscore, starting with a letter or digit (for example EV-001 or 2026-0117.HDD1)'],
    });
  }
}

/** Free text fields end up in image headers that cannot hold tabs or line breaks. */
export function checkText(what: string, value: string | undefined, max = 2999): void {
  if (value === undefined) return;
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new ExhibitError('USAGE', `${what} contains a tab, line break or other control character`, { hints: ['write it on one line'] });
  }
  if (value.length > max) throw new ExhibitError('USAGE', `${what} is longer than ${max} characters`);
}

async function existingAncestor(dir: string): Promise<string> {
  let p = path.resolve(dir);
  while (!fs.existsSync(p)) p = path.dirname(p);
  const st = await fsp.stat(p);
  if (!st.isDirectory()) throw new ExhibitError('OUTPUT_NOT_DIRECTORY', `the output ${p} is a file, not a folder`);
  return p;
}

async function refuseExisting(outDir: string, names: string[]): Promise<void> {
  if (!fs.existsSync(outDir)) return;
  const present = names.filter((n) => fs.existsSync(path.join(outDir, n)));
  if (present.length > 0) {
    throw new ExhibitError('OUTPUT_EXISTS', `${path.join(outDir, present[0]!)} already exists; exhibit never overwrites an image or its record`, {
      hints: ['choose another --out folder or another --evidence id'],
    });
  }
}

async function refuseNoRoom(outDir: string, needed: number): Promise<void> {
  const at = await existingAncestor(outDir);
  const st = await fsp.statfs(at);
  const free = Number(st.bavail) * Number(st.bsize);
  if (free < needed) {
    throw new ExhibitError('OUTPUT_NO_ROOM', `the destination has ${formatBytes(free)} free but the image needs ${formatBytes(needed)}`, {
      hints: ['write to a larger drive'],
    });
  }
}

function hashJobs(hashes: HashAlgorithm[], writer: ImageWriter): HashJob[] {
  const jobs: HashJob[] = hashes.map((a) => ({ id: `media:${a}`, algorithm: a }));
  if (writer.layout.kind === 'slices') {
    const seg = writer.layout.segmentSize;
    // One file holding the media verbatim has the media's SHA-256: no second pass.
    if (seg !== null || !hashes.includes('sha256')) {
      jobs.push(seg === null ? { id: 'file:sha256', algorithm: 'sha256' } : { id: 'file:sha256', algorithm: 'sha256', segmentSize: seg });
    }
  }
  return jobs;
}

export async function acquire(o: AcquireOptions): Promise<AcquireOutcome> {
  checkEvidenceId(o.evidence);
  checkText('case id', o.caseId, 100);
  checkText('examiner', o.examiner, 200);
  checkText('description', o.description);
  checkText('notes', o.notes);
  if (o.caseId.trim() === '' || o.examiner.trim() === '') throw new ExhibitError('USAGE', 'case id and examiner must not be empty');
  const outDir = path.resolve(o.outDir);

  const { handle, facts } = await openSource(o.source);
  try {
    if (facts.size_bytes === 0) {
      throw new ExhibitError('SOURCE_EMPTY', `source ${o.source} is empty (0 bytes)`, { hints: ['check that the drive is connected and its medium inserted'] });
    }
    const mounted = checkMounts(facts, o.allowMounted);
    await checkOutputNotOnSource(facts, outDir);
    await existingAncestor(outDir);
    const writer = new RawWriter(outDir, o.evidence, o.format === 'split-raw' ? o.segmentSize : null);
    const planned = writer.plannedFiles(facts.size_bytes);
    const recordPath = path.join(outDir, recordFileName(o.evidence));
    await refuseExisting(outDir, [...planned, recordFileName(o.evidence)]);
    await refuseNoRoom(outDir, facts.size_bytes + 1024 * 1024);
    await fsp.mkdir(outDir, { recursive: true });

    const proof = await beginReadOnlyProof(facts, handle, o.allowMounted, mounted);
    const started = timestamp();
    o.onStart?.(facts, planned);
    const run = await runPipeline({
      source: handle,
      size: facts.size_bytes,
      sectorSize: facts.logical_sector_size,
      writer,
      jobs: hashJobs(o.hashes, writer),
      ...(o.slotSize ? { slotSize: o.slotSize } : {}),
      ...(o.threads ? { threads: o.threads } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      onProgress: (n) => o.onProgress?.(n, facts.size_bytes),
    });
    const readOnly: ReadOnlyProof = await proof.finish();

    let error: ExhibitError | undefined;
    let files: ImageFile[];
    const complete = !run.interrupted && run.failure === undefined;
    try {
      files = complete ? await writer.finish() : await writer.close();
    } catch (err) {
      error = err instanceof ExhibitError ? err : new ExhibitError('OUTPUT_WRITE', `sealing the image failed: ${describeSystemError(err)}`, { cause: err });
      files = [];
    }
    if (run.failure !== undefined) {
      error = run.failure instanceof ExhibitError ? run.failure : new ExhibitError('INTERNAL', describeSystemError(run.failure), { cause: run.failure });
    } else if (run.interrupted) {
      error = new ExhibitError('INTERRUPTED', `interrupted after ${formatBytes(run.bytesDone)} of ${formatBytes(facts.size_bytes)}`);
    }
    if (!readOnly.unchanged) {
      error = new ExhibitError('SOURCE_WRITTEN', 'the source changed while it was read: its write counters or file attributes moved; the image cannot be called a faithful copy', {
        hints: [`see read_only in ${recordPath}`],
      });
    }

    const d = run.digests;
    const fileSums = d?.get('file:sha256') ?? d?.get('media:sha256');
    const recordFiles: RecordImageFile[] = files.map((f, i) => ({ name: f.name, size: f.size, ...(fileSums?.[i] && !error ? { sha256: fileSums[i] } : {}) }));
    const finished = timestamp();
    const media: AcquisitionRecord['media'] = {
      size_bytes: facts.size_bytes,
      sector_size: facts.logical_sector_size,
      sectors: Math.floor(facts.size_bytes / facts.logical_sector_size),
      trailing_bytes: facts.size_bytes % facts.logical_sector_size,
      bytes_acquired: run.bytesDone,
    };
    if (d && !error) media.hashes = Object.fromEntries(o.hashes.map((a) => [a, d.get(`media:${a}`)![0]!]));
    const record: AcquisitionRecord = {
      record: 'exhibit acquisition',
      record_version: 1,
      result: error ? 'incomplete' : 'complete',
      ...(error ? { incomplete_reason: error.message } : {}),
      tool: { name: 'exhibit', version: o.version, node: process.version, openssl: process.versions.openssl ?? 'unknown' },
      command_line: o.commandLine,
      host: { hostname: os.hostname(), user: os.userInfo().username, os: `${os.type()} ${os.release()} ${os.arch()}` },
      case: o.caseId,
      evidence: o.evidence,
      examiner: o.examiner,
      ...(o.description ? { description: o.description } : {}),
      ...(o.notes ? { notes: o.notes } : {}),
      started,
      finished,
      duration_seconds: Math.round((Date.parse(finished.utc) - Date.parse(started.utc)) / 10) / 100,
      source: facts as unknown as Record<string, unknown>,
      read_only: readOnly as unknown as Record<string, unknown>,
      image: { format: writer.format, ...(o.format === 'split-raw' ? { segment_size: o.segmentSize } : {}), files: recordFiles },
      media,
    };
    try {
      await writeFileAtomic(recordPath, renderRecord(record));
    } catch (err) {
      const why = `the acquisition record ${recordPath} could not be written: ${describeSystemError(err)}`;
      throw new ExhibitError(error ? error.code : 'OUTPUT_WRITE', error ? `${error.message}; and ${why}` : why, { cause: err });
    }
    return { record, recordPath, ...(error ? { error } : {}) };
  } finally {
    await handle.close();
  }
}
