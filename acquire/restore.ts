/**
 * Restoring an image onto a disk or into a file: the media is written,
 * hashed as it is written, made durable, and the target read back and hashed
 * again; both must equal each other and what the image's record (or an E01's
 * stored hashes) says. A target is refused when it is smaller than the media,
 * mounted, locked read-only, holds the image being restored, or is the source
 * of an acquisition; a device is written only with `yes` (the caller asks).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { digestsEqual, type Digests, type HashAlgorithm } from '../core/crypto.js';
import { describeSystemError, ExhibitError } from '../core/errors.js';
import { hashStream } from '../core/hash-stream.js';
import type { AcquisitionRecord } from '../core/record.js';
import { formatBytes } from '../core/units.js';
import { EwfReader } from '../image/ewf/reader.js';
import { openImage } from '../image/open.js';
import { readRoFlag } from './block-device.js';
import { checkMounts, checkOutputNotOnSource } from './read-only.js';
import { openSource, type SourceFacts } from './source.js';

/** What identifies a drive that was acquired: a target matching one is evidence and is refused. */
export interface SourceIdentity {
  serial?: string;
  wwid?: string;
  path?: string; // resolved path of a file source
  what: string; // for the message: "the source of EV-001 in case 2026-0117"
}

export interface RestoreOptions {
  image: string;
  target: string;
  yes: boolean;
  wipeExcess: boolean;
  evidenceSources: SourceIdentity[];
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

export async function restoreImage(o: RestoreOptions): Promise<RestoreOutcome> {
  const { reader, base } = await openImage(o.image);
  let target: fsp.FileHandle | undefined;
  try {
    const recordPath = `${base}.acquisition.yaml`;
    const rec = fs.existsSync(recordPath) ? (YAML.parse(fs.readFileSync(recordPath, 'utf8')) as AcquisitionRecord) : undefined;
    const mediaBytes = rec ? rec.media.size_bytes : reader.size;
    if (mediaBytes > reader.size) throw new ExhibitError('IMAGE_INVALID', `the image holds ${reader.size} bytes of media, its record says ${mediaBytes}`);
    const ewf = reader instanceof EwfReader ? reader : undefined;
    const reference = rec?.result === 'complete' && rec.media.hashes
      ? { against: 'the record', hashes: rec.media.hashes }
      : !rec && ewf && (ewf.storedHashes.md5 || ewf.storedHashes.sha1)
        ? { against: 'the hash stored in the image', hashes: ewf.storedHashes as Digests }
        : undefined;
    if (rec && rec.result !== 'complete') throw new ExhibitError('IMAGE_INVALID', `the record ${recordPath} says the acquisition is incomplete: there is no whole image to restore`);
    const algorithms = (reference ? Object.keys(reference.hashes) : ['md5', 'sha1', 'sha256']) as HashAlgorithm[];

    const { facts, words } = await describeTarget(o.target);
    const kind = facts?.kind ?? 'file';
    if (facts?.kind === 'file') throw new ExhibitError('OUTPUT_EXISTS', `${o.target} exists; exhibit restores into a new file, and never overwrites one`);
    if (facts?.kind === 'block-device') {
      const d = facts.device!;
      if (facts.size_bytes < mediaBytes) throw new ExhibitError('USAGE', `the target ${o.target} holds ${formatBytes(facts.size_bytes)}, less than the ${formatBytes(mediaBytes)} of media`);
      const mounted = checkMounts(facts, true);
      if (mounted.length > 0) throw new ExhibitError('USAGE', `the target has a file system mounted (${mounted.map((m) => `${m.source} on ${m.mount_point}`).join(', ')}); unmount it first`);
      if (readRoFlag(d.kernel_name)) {
        throw new ExhibitError('USAGE', `the target ${o.target} is locked read-only (as exhibit leaves a drive it acquired)`, { hints: [`if it really is the drive to overwrite: blockdev --setrw ${o.target}`] });
      }
      const hit = o.evidenceSources.find((s) => (s.serial && s.serial === d.serial) || (s.wwid && s.wwid === d.wwid) || (d.loop_backing_file && s.path === d.loop_backing_file));
      if (hit) throw new ExhibitError('USAGE', `the target ${o.target} is ${hit.what}: exhibit never writes to evidence`);
      for (const f of reader.files) {
        await checkOutputNotOnSource(facts, path.dirname(f)).catch((err: unknown) => {
          throw err instanceof ExhibitError && err.code === 'OUTPUT_ON_SOURCE' ? new ExhibitError('USAGE', `the image ${f} lies on the target ${o.target}`) : err;
        });
      }
      if (!o.yes) throw new ExhibitError('USAGE', `restoring would overwrite ${words}`, { hints: ['if that is the drive to overwrite, run again with --yes'] });
    } else {
      const hit = o.evidenceSources.find((s) => s.path && s.path === path.resolve(o.target));
      if (hit) throw new ExhibitError('USAGE', `the target ${o.target} is ${hit.what}: exhibit never writes to evidence`);
    }

    try {
      // O_EXCL: a new file, never an existing one; on a block device, a claim no mount or other opener can share.
      target = await fsp.open(o.target, facts ? fs.constants.O_WRONLY | fs.constants.O_EXCL : fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
    } catch (err) {
      throw new ExhibitError('OUTPUT_WRITE', `cannot open the target ${o.target} for writing: ${describeSystemError(err)}`, { cause: err });
    }
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
    }
    const writtenSums = await hashStream(written(), algorithms.map((a) => ({ id: a, algorithm: a })), { inline: mediaBytes < 64 << 20, ...(o.onProgress ? { onBytes: o.onProgress } : {}) });
    const excessBytes = facts ? facts.size_bytes - mediaBytes : 0;
    if (o.wipeExcess && excessBytes > 0) {
      o.onPhase?.('wiping', excessBytes);
      const zeros = Buffer.alloc(PIECE);
      for (let pos = mediaBytes; pos < mediaBytes + excessBytes; pos += PIECE) await writeAll(t, zeros.subarray(0, Math.min(PIECE, mediaBytes + excessBytes - pos)), pos, o.target);
    }
    await t.sync().catch((err: unknown) => {
      throw new ExhibitError('OUTPUT_WRITE', `cannot make the target ${o.target} durable: ${describeSystemError(err)}`, { cause: err });
    });
    await t.close();
    target = undefined;
    // Read back what the device holds, not what the page cache kept: drop the device's buffers first.
    if (facts) spawnSync('blockdev', ['--flushbufs', o.target]);

    o.onPhase?.('reading back', mediaBytes);
    const back = await fsp.open(o.target, fs.constants.O_RDONLY);
    let readSums: Map<string, string[]>;
    try {
      async function* readBack(): AsyncGenerator<Uint8Array> {
        const buf = Buffer.allocUnsafe(PIECE);
        for (let pos = 0; pos < mediaBytes; pos += PIECE) {
          const n = Math.min(PIECE, mediaBytes - pos);
          const { bytesRead } = await back.read(buf, 0, n, pos);
          if (bytesRead !== n) throw new ExhibitError('VERIFY_FAILED', `the target ends at byte ${pos + bytesRead}, before the media does`);
          yield buf.subarray(0, n);
        }
      }
      readSums = await hashStream(readBack(), algorithms.map((a) => ({ id: a, algorithm: a })), { inline: mediaBytes < 64 << 20, ...(o.onProgress ? { onBytes: o.onProgress } : {}) });
    } finally {
      await back.close();
    }
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
    await target?.close();
    await reader.close();
  }
}

async function writeAll(h: fsp.FileHandle, data: Uint8Array, pos: number, what: string): Promise<void> {
  let done = 0;
  while (done < data.length) {
    try {
      const { bytesWritten } = await h.write(data, done, data.length - done, pos + done);
      done += bytesWritten;
    } catch (err) {
      throw new ExhibitError('OUTPUT_WRITE', `writing the target ${what} failed at byte ${pos + done}: ${describeSystemError(err)}`, { cause: err });
    }
  }
}
