/**
 * The target of a restore or a clone: probed once (`probeTarget`), and every
 * refusal answered from that probe, in one line each, before anything is
 * written (`refuseTarget`); then opened for writing (`openTarget`), written
 * whole (`writeAll`), and read back and hashed once durable
 * (`readBackHashes`). A target is refused when it is an existing file, a
 * device without `yes`, smaller than the media, mounted, locked read-only,
 * on the source's disk, holds a file that must not be overwritten, or is
 * evidence (evidence-guard.ts).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { HashAlgorithm } from '../core/crypto.js';
import { describeSystemError, errnoOf, ExhibitError } from '../core/errors.js';
import type { KnownEvidence } from '../core/evidence-identity.js';
import { hashStream } from '../core/hash-stream.js';
import { EVIDENCE_FILE_MODE } from '../core/modes.js';
import { formatBytes } from '../core/units.js';
import { PARTIAL_SUFFIX, publishStaged } from '../image/output-file.js';
import { readRoFlag } from './block-device.js';
import { acquisitionFileBeside, refuseEvidenceTarget } from './evidence-guard.js';
import { blockDevicesUnder, checkMounts, checkOutputNotOnSource } from './read-only.js';
import { openSource, type SourceFacts } from './source.js';

const PIECE = 4 * 1024 * 1024;

/** A target as it stood when probed: its facts (none for a new file) and a plain description of what writing it would destroy. */
export interface TargetProbe {
  path: string;
  facts?: SourceFacts;
  words: string;
}

/** Probe the target once; the refusals, the open and the record all use this. */
export async function probeTarget(target: string): Promise<TargetProbe> {
  if (!fs.existsSync(target)) {
    // A link to nothing would be found only at the end, when the checked copy takes the target's name.
    if (fs.lstatSync(target, { throwIfNoEntry: false })?.isSymbolicLink()) {
      throw new ExhibitError('USAGE', `${target} is a link to ${fs.readlinkSync(target)}, which does not exist; exhibit writes a new file only under its own name: give that path`);
    }
    return { path: target, words: `${target} (a new file)` };
  }
  // Said of the target, in its own words (openSource speaks of a source).
  const st = fs.statSync(target);
  if (st.isDirectory()) throw new ExhibitError('USAGE', `the target ${target} is a folder: give a drive, a partition, or the name of a new file`);
  if (!st.isBlockDevice() && !st.isFile()) throw new ExhibitError('USAGE', `the target ${target} is neither a block device nor a regular file: give a drive, a partition, or the name of a new file`);
  const { handle, facts } = await openSource(target);
  await handle.close();
  const d = facts.device;
  const words = d
    ? `${target}: ${formatBytes(facts.size_bytes)}${d.vendor || d.model ? `, ${[d.vendor, d.model].filter(Boolean).join(' ')}` : ''}${d.serial ? `, serial ${d.serial}` : ''}${d.partitions.length ? `, partitions ${d.partitions.join(', ')}` : ', no partitions'}`
    : `${target}: a file of ${formatBytes(facts.size_bytes)}`;
  return { path: target, facts, words };
}

export interface TargetRules {
  yes: boolean;
  known: KnownEvidence; // what the case store and records know as evidence: never a target
  verb?: string; // what the overwrite is called in the refusal ("restoring", "cloning")
  mustNotHold: readonly string[]; // files the target may not be or hold (the image's files, the clone record)
  sourceDisk?: string; // the kernel name of the source's whole disk (a clone): the target may not be on it
}

/** Refuse the probed target, in one line, when writing `mediaBytes` to it is not allowed. */
export async function refuseTarget(t: TargetProbe, mediaBytes: number, o: TargetRules): Promise<void> {
  const { facts, words, path: target } = t;
  const verb = o.verb ?? 'restoring';
  if (!facts && path.resolve(target).startsWith('/dev/')) throw new ExhibitError('USAGE', `${target} does not exist: is the drive connected? (exhibit will not create a file under /dev)`);
  if (!facts) {
    // A new file is written as <target>.partial, then takes the target's name: neither may be a file the run keeps (the clone record).
    const own = [path.resolve(target), path.resolve(writePath(t))];
    const clash = o.mustNotHold.find((f) => own.includes(path.resolve(f)));
    if (clash) throw new ExhibitError('USAGE', `${clash} cannot be both the target and a file this run writes or reads: give each its own name`);
    await refuseFolderOnEvidence(target, o);
    // A new file under an evidence's name in its acquisition's folder would be taken for one of its files (or be
    // removed by its resume): refused as evidence.
    for (const f of [path.resolve(target), path.resolve(writePath(t))]) {
      const named = acquisitionFileBeside(f);
      if (named) throw new ExhibitError('USAGE', `the target ${target} would be ${named}: exhibit never writes to evidence`, { hints: ['give the new file a name and folder of its own'] });
    }
  }
  if (facts?.kind === 'file') {
    refuseEvidenceTarget(target, facts, o.known, o.mustNotHold); // evidence is named before the plain refusal
    throw new ExhibitError('OUTPUT_EXISTS', `${target} exists; exhibit writes into a new file, and never overwrites one`);
  }
  if (facts?.kind === 'block-device') {
    const d = facts.device!;
    if (o.sourceDisk && d.whole_disk === o.sourceDisk) throw new ExhibitError('USAGE', `the target ${target} is on the source disk (/dev/${o.sourceDisk}): exhibit never writes to evidence`);
    if (facts.size_bytes < mediaBytes) throw new ExhibitError('USAGE', `the target ${target} holds ${formatBytes(facts.size_bytes)}, less than the ${formatBytes(mediaBytes)} of media`);
    const mounted = checkMounts(facts, true);
    if (mounted.length > 0) throw new ExhibitError('USAGE', `the target has a file system mounted (${mounted.map((m) => `${m.source} on ${m.mount_point}`).join(', ')}); unmount it first`);
    if (readRoFlag(d.kernel_name)) {
      throw new ExhibitError('USAGE', `the target ${target} is locked read-only (as exhibit leaves a drive it acquired)`, { hints: [`if it really is the drive to overwrite: blockdev --setrw ${target}`] });
    }
    // A disk one of whose partitions was acquired keeps that partition locked: writing the disk writes it.
    const locked = (d.is_partition ? [] : d.partitions).filter((p) => readRoFlag(p) === true);
    if (locked.length > 0) {
      throw new ExhibitError('USAGE', `the target ${target} holds ${locked.join(', ')}, ${locked.length === 1 ? 'which is' : 'which are'} locked read-only (as exhibit leaves a drive it acquired)`, {
        hints: [`if it really is the drive to overwrite: blockdev --setrw ${locked.map((p) => `/dev/${p}`).join(' ')}, then run again`],
      });
    }
    refuseEvidenceTarget(target, facts, o.known, o.mustNotHold);
    for (const f of o.mustNotHold) {
      await checkOutputNotOnSource(facts, path.dirname(f)).catch((err: unknown) => {
        throw err instanceof ExhibitError && err.code === 'OUTPUT_ON_SOURCE' ? new ExhibitError('USAGE', `${f} lies on the target ${target}`) : err;
      });
    }
    if (!o.yes) throw new ExhibitError('USAGE', `${verb} would overwrite ${words}`, { hints: ['if that is the drive to overwrite, run again with --yes'] });
  }
}

/**
 * A new file is refused when the folder it goes into lies on evidence: a file system on a drive
 * (or a loop device over a file) that is an evidence source, under whatever device name it is
 * mounted. Each block device the folder's data ends up on is probed (read-only) and checked as a
 * target would be; one that cannot be opened here is passed over.
 */
async function refuseFolderOnEvidence(target: string, o: TargetRules): Promise<void> {
  for (const name of await blockDevicesUnder(path.dirname(path.resolve(target)))) {
    const node = `/dev/${name}`;
    let facts: SourceFacts;
    try {
      const opened = await openSource(node);
      await opened.handle.close();
      facts = opened.facts;
    } catch {
      continue;
    }
    refuseEvidenceTarget(`${target} (on ${node})`, facts, o.known, o.mustNotHold);
  }
}

/**
 * Where the target's bytes go: a device itself, but a new file as `<file>.partial`, which takes its
 * name only once read back and checked (`publishTarget`), so an interrupted run never leaves a file
 * that looks finished.
 */
export function writePath(t: TargetProbe): string {
  return t.facts ? t.path : `${t.path}${PARTIAL_SUFFIX}`;
}

/** Open the probed target for writing: O_EXCL makes a new file, and on a device a claim no mount or other opener can share. */
export async function openTarget(t: TargetProbe): Promise<fsp.FileHandle> {
  const p = writePath(t);
  try {
    return await fsp.open(p, t.facts ? fs.constants.O_WRONLY | fs.constants.O_EXCL : fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, EVIDENCE_FILE_MODE);
  } catch (err) {
    if (!t.facts && errnoOf(err) === 'EEXIST') {
      throw new ExhibitError('OUTPUT_EXISTS', `${p} exists: an earlier run stopped while writing it; exhibit leaves it as it is`, { hints: [`remove it or move it aside if it is not wanted, then run the same command again`] });
    }
    throw new ExhibitError('OUTPUT_WRITE', `cannot open the target ${p} for writing: ${describeSystemError(err)}`, { cause: err });
  }
}

/** The error of a run that stopped after it began a new target file: the same, adding where the unfinished file is. */
export function leftPartial(err: unknown, partial: string): unknown {
  if (!(err instanceof ExhibitError)) return err;
  return new ExhibitError(err.code, err.message, { cause: err.cause ?? err, hints: [...err.hints, `what was written is left unfinished as ${partial} (never under the target's own name)`] });
}

/** A new file that was read back and checked takes its name (never replacing one); a device has nothing to do. */
export async function publishTarget(t: TargetProbe): Promise<void> {
  if (!t.facts) await publishStaged(path.dirname(path.resolve(t.path)), [path.basename(t.path)]);
}

/** Write all of `data` at `pos`, or fail naming the byte. */
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
    // With padding: also `<alg>:target`, whose first segment is the digest of the target's own bytes.
    const jobs = [...algorithms.map((a) => ({ id: a, algorithm: a })), ...(paddingBytes > 0 ? algorithms.map((a) => ({ id: `${a}:target`, algorithm: a, segmentSize: bytes })) : [])];
    return await hashStream(pieces(), jobs, { size: bytes + paddingBytes, ...(onProgress ? { onBytes: onProgress } : {}) });
  } finally {
    await back.close();
  }
}
