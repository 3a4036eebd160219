/**
 * Restoring an image onto a disk or into a file: the media is written,
 * hashed as it is written, made durable, and the target read back and hashed
 * again; both must equal each other and what the image's record (or an E01's
 * stored hashes) says. A target is refused when it is smaller than the media,
 * mounted, locked read-only, holds the image being restored, or is evidence
 * (evidence-guard.ts); a device is written only with `yes` (the caller asks).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { digestsEqual, type Digests, type HashAlgorithm } from '../core/crypto.js';
import { describeSystemError, ExhibitError } from '../core/errors.js';
import { hashStream } from '../core/hash-stream.js';
import type { EvidenceSource, KnownEvidence } from '../core/evidence-identity.js';
import { EVIDENCE_FILE_MODE } from '../core/modes.js';
import { recordBesideImage } from '../core/record.js';
import { readRecord } from '../core/record/read.js';
import { formatBytes } from '../core/units.js';
import { openImage } from '../image/open.js';
import { readRoFlag } from '../source/block-device.js';
import { refuseEvidenceTarget } from './evidence-guard.js';
import { checkMounts, checkOutputNotOnSource } from '../source/read-only.js';
import { openSource, type SourceFacts } from '../source/source.js';

/** What identifies a drive that was acquired: a target matching one is evidence and is refused. */
export type SourceIdentity = EvidenceSource;

export interface RestoreOptions {
  image: string;
  target: string;
  yes: boolean;
  wipeExcess: boolean;
  known: KnownEvidence; // what the case store and records know as evidence: never a target
  signal?: AbortSignal;
  onPhase?: (phase: 'writing' | 'reading back' | 'wiping', bytes: number) => void;
  onProgress?: (done: number) => void;
}

export interface RestoreOutcome {
  image: string;
  target: string;
  targetKind: 'block-device' | 'file';
  mediaBytes: number;
  written: Digests;
  readBack: Digests;
  reference?: { against: string; hashes: Digests };
  excessBytes: number; // target bytes beyond the media
  wiped: boolean;
  problems: string[];
  record?: { file: string; case: string; evidence: string };
}

const PIECE = 4 * 1024 * 1024;

/** The target as it stands, and a plain description of what writing it would destroy. */
export async function describeTarget(target: string): Promise<{ facts?: SourceFacts; words: string }> {
  if (!fs.existsSync(target)) return { words: `${target} (a new file)` };
  const { handle, facts } = await openSource(target);
  await handle.close();
  const d = facts.device;
  const words = d
    ? `${target}: ${formatBytes(facts.size_bytes)}${d.vendor || d.model ? `, ${[d.vendor, d.model].filter(Boolean).join(' ')}` : ''}${d.serial ? `, serial ${d.serial}` : ''}${d.partitions.length ? `, partitions ${d.partitions.join(', ')}` : ', no partitions'}`
    : `${target}: a file of ${formatBytes(facts.size_bytes)}`;
  return { facts, words };
}

/**
 * The refusals shared by restore and clone, in one line each, before anything is written: an
 * existing file, a device without `yes`, too small, mounted, locked read-only, evidence (see
 * evidence-guard.ts: an image or record the store knows, or one `mustNotHold` names, behind the
 * target; a drive an evidence item came from), or one that holds any of `mustNotHold` (the
 * image's files, the source's own disk).
 */
export async function refuseTarget(target: string, mediaBytes: number, o: { yes: boolean; known: KnownEvidence; verb?: string }, mustNotHold: readonly string[], sourceDisk?: string): Promise<void> {
  const { facts, words } = await describeTarget(target);
  const verb = o.verb ?? 'restoring';
  if (!facts && path.resolve(target).startsWith('/dev/')) throw new ExhibitError('USAGE', `${target} does not exist: is the drive connected? (exhibit will not create a file under /dev)`);
  if (facts?.kind === 'file') {
    refuseEvidenceTarget(target, facts, o.known, mustNotHold); // evidence is named before the plain refusal
    throw new ExhibitError('OUTPUT_EXISTS', `${target} exists; exhibit writes into a new file, and never overwrites one`);
  }
  if (facts?.kind === 'block-device') {
    const d = facts.device!;
    if (sourceDisk && d.whole_disk === sourceDisk) throw new ExhibitError('USAGE', `the target ${target} is on the source disk (/dev/${sourceDisk}): exhibit never writes to evidence`);
    if (facts.size_bytes < mediaBytes) throw new ExhibitError('USAGE', `the target ${target} holds ${formatBytes(facts.size_bytes)}, less than the ${formatBytes(mediaBytes)} of media`);
    const mounted = checkMounts(facts, true);
    if (mounted.length > 0) throw new ExhibitError('USAGE', `the target has a file system mounted (${mounted.map((m) => `${m.source} on ${m.mount_point}`).join(', ')}); unmount it first`);
    if (readRoFlag(d.kernel_name)) {
      throw new ExhibitError('USAGE', `the target ${target} is locked read-only (as exhibit leaves a drive it acquired)`, { hints: [`if it really is the drive to overwrite: blockdev --setrw ${target}`] });
    }
    refuseEvidenceTarget(target, facts, o.known, mustNotHold);
    for (const f of mustNotHold) {
      await checkOutputNotOnSource(facts, path.dirname(f)).catch((err: unknown) => {
        throw err instanceof ExhibitError && err.code === 'OUTPUT_ON_SOURCE' ? new ExhibitError('USAGE', `${f} lies on the target ${target}`) : err;
      });
    }
    if (!o.yes) throw new ExhibitError('USAGE', `${verb} would overwrite ${words}`, { hints: ['if that is the drive to overwrite, run again with --yes'] });
  }
}

/** Open the target for writing: O_EXCL makes a new file, and on a device a claim no mount or other opener can share. */
export async function openTarget(target: string, exists: boolean): Promise<fsp.FileHandle> {
  try {
    return await fsp.open(target, exists ? fs.constants.O_WRONLY | fs.constants.O_EXCL : fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, EVIDENCE_FILE_MODE);
  } catch (err) {
    throw new ExhibitError('OUTPUT_WRITE', `cannot open the target ${target} for writing: ${describeSystemError(err)}`, { cause: err });
  }
}

/** Make the target durable, drop a device's buffers, then hash its first `bytes` as read back. */
export async function readBackHashes(target: string, bytes: number, algorithms: HashAlgorithm[], onProgress?: (done: number) => void, paddingBytes = 0, signal?: AbortSignal): Promise<Map<string, string[]>> {
  if (fs.statSync(target).isBlockDevice()) {
    const flushed = spawnSync('blockdev', ['--flushbufs', target], { encoding: 'utf8' }); // read the device, not the page cache
    if (flushed.status !== 0) throw new ExhibitError('OUTPUT_WRITE', `cannot drop the buffers of ${target} before reading it back: ${(flushed.stderr || flushed.error?.message || '').trim()}`);
  }
  let back: fsp.FileHandle;
  try {
    back = await fsp.open(target, fs.constants.O_RDONLY);
  } catch (err) {
    throw new ExhibitError('VERIFY_FAILED', `cannot read the target ${target} back: ${describeSystemError(err)}`, { cause: err });
  }
  try {
    async function* pieces(): AsyncGenerator<Uint8Array> {
      const buf = Buffer.allocUnsafe(PIECE);
      for (let pos = 0; pos < bytes; pos += PIECE) {
        if (signal?.aborted) throw new ExhibitError('INTERRUPTED', `interrupted while reading the target back: it was written whole but not checked`);
        const n = Math.min(PIECE, bytes - pos);
        const { bytesRead } = await back.read(buf, 0, n, pos).catch((err: unknown) => {
          throw new ExhibitError('VERIFY_FAILED', `reading the target ${target} back failed at byte ${pos}: ${describeSystemError(err)}`, { cause: err });
        });
        if (bytesRead !== n) throw new ExhibitError('VERIFY_FAILED', `the target ends at byte ${pos + bytesRead}, before the media does`);
        yield buf.subarray(0, n);
      }
      if (paddingBytes > 0) yield Buffer.alloc(paddingBytes);
    }
    return await hashStream(pieces(), algorithms.map((a) => ({ id: a, algorithm: a })), { size: bytes + paddingBytes, ...(onProgress ? { onBytes: onProgress } : {}) });
  } finally {
    await back.close();
  }
}

export async function restoreImage(o: RestoreOptions): Promise<RestoreOutcome> {
  const { reader, base } = await openImage(o.image);
  let target: fsp.FileHandle | undefined;
  try {
    const recordPath = recordBesideImage(base);
    const rec = fs.existsSync(recordPath) ? readRecord(recordPath).record : undefined;
    const mediaBytes = rec ? rec.media.size_bytes : reader.size;
    // An E01 of an odd-sized source holds zeros after it, and the recorded hashes cover them too.
    const padding = rec ? (rec.media.padding_bytes ?? 0) : 0;
    if (rec && mediaBytes + padding !== reader.size) throw new ExhibitError('IMAGE_INVALID', `the image holds ${reader.size} bytes of media, its record says ${mediaBytes + padding}`);
    const stored = reader.storedHashes;
    const reference = rec?.result === 'complete' && rec.media.hashes
      ? { against: 'the record', hashes: rec.media.hashes }
      : !rec && (stored.md5 || stored.sha1)
        ? { against: 'the hash stored in the image', hashes: stored as Digests }
        : undefined;
    if (rec && rec.result !== 'complete') throw new ExhibitError('IMAGE_INVALID', `the record ${recordPath} says the acquisition is incomplete: there is no whole image to restore`);
    const algorithms = (reference ? Object.keys(reference.hashes) : ['md5', 'sha1', 'sha256']) as HashAlgorithm[];

    const { facts } = await describeTarget(o.target);
    const kind = facts?.kind ?? 'file';
    await refuseTarget(o.target, mediaBytes, o, reader.files);
    target = await openTarget(o.target, facts !== undefined);
    const t = target;
    o.onPhase?.('writing', mediaBytes);
    async function* written(): AsyncGenerator<Uint8Array> {
      const buf = Buffer.allocUnsafe(PIECE);
      for (let pos = 0; pos < mediaBytes; pos += PIECE) {
        if (o.signal?.aborted) throw new ExhibitError('INTERRUPTED', `interrupted after writing ${formatBytes(pos)}: the target holds part of the image`);
        const n = Math.min(PIECE, mediaBytes - pos);
        if ((await reader.read(buf, pos, n)) !== n) throw new ExhibitError('IMAGE_INVALID', `the image ends before byte ${pos + n}`);
        await writeAll(t, buf.subarray(0, n), pos, o.target);
        yield buf.subarray(0, n);
      }
      if (padding > 0) yield Buffer.alloc(padding); // hashed, not written
    }
    const writtenSums = await hashStream(written(), algorithms.map((a) => ({ id: a, algorithm: a })), { size: mediaBytes + padding, ...(o.onProgress ? { onBytes: o.onProgress } : {}) });
    const excessBytes = facts ? facts.size_bytes - mediaBytes : 0;
    if (o.wipeExcess && excessBytes > 0) {
      o.onPhase?.('wiping', excessBytes);
      const zeros = Buffer.alloc(PIECE);
      for (let pos = mediaBytes; pos < mediaBytes + excessBytes; pos += PIECE) {
        if (o.signal?.aborted) throw new ExhibitError('INTERRUPTED', `interrupted while zeroing the target beyond the media, at byte ${pos}`);
        await writeAll(t, zeros.subarray(0, Math.min(PIECE, mediaBytes + excessBytes - pos)), pos, o.target);
      }
    }
    await t.sync().catch((err: unknown) => {
      throw new ExhibitError('OUTPUT_WRITE', `cannot make the target ${o.target} durable: ${describeSystemError(err)}`, { cause: err });
    });
    await t.close();
    target = undefined;

    o.onPhase?.('reading back', mediaBytes);
    const readSums = await readBackHashes(o.target, mediaBytes, algorithms, o.onProgress, padding, o.signal);
    const pick = (m: Map<string, string[]>): Digests => Object.fromEntries(algorithms.map((a) => [a, m.get(a)![0]!]));
    const out: RestoreOutcome = {
      image: o.image,
      target: o.target,
      targetKind: kind,
      mediaBytes,
      written: pick(writtenSums),
      readBack: pick(readSums),
      ...(reference ? { reference } : {}),
      excessBytes,
      wiped: o.wipeExcess && excessBytes > 0,
      problems: [],
      ...(rec ? { record: { file: recordPath, case: rec.case, evidence: rec.evidence } } : {}),
    };
    for (const a of algorithms) {
      if (!digestsEqual(out.written[a]!, out.readBack[a]!)) out.problems.push(`${a.toUpperCase()} read back from the target is ${out.readBack[a]}, but ${out.written[a]} was written`);
      const want = reference?.hashes[a];
      if (want && !digestsEqual(want, out.written[a]!)) out.problems.push(`${a.toUpperCase()} of the media written is ${out.written[a]}, ${reference!.against} says ${want}`);
    }
    return out;
  } finally {
    await target?.close().catch(() => undefined);
    await reader.close();
  }
}

export async function writeAll(h: fsp.FileHandle, data: Uint8Array, pos: number, what: string): Promise<void> {
  let done = 0;
  while (done < data.length) {
    try {
      const { bytesWritten } = await h.write(data, done, data.length - done, pos + done);
      if (bytesWritten === 0) throw Object.assign(new Error('the target accepted no more bytes'), { code: 'ENOSPC' });
      done += bytesWritten;
    } catch (err) {
      throw new ExhibitError('OUTPUT_WRITE', `writing the target ${what} failed at byte ${pos + done}: ${describeSystemError(err)}`, { cause: err });
    }
  }
}
