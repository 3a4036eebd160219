/**
 * Restoring an image onto a disk or into a file: the media is written,
 * hashed as it is written, made durable, and the target read back and hashed
 * again; both must equal each other and what the image's record (or an E01's
 * stored hashes) says. The target is probed once and refused by
 * source/target.ts when it is smaller than the media, mounted, locked
 * read-only, holds the image being restored, or is evidence; a device is
 * written only with `yes` (the caller asks).
 */
import fs from 'node:fs';
import type fsp from 'node:fs/promises';
import { digestsEqual, type Digests, type HashAlgorithm } from '../core/crypto.js';
import { describeSystemError, ExhibitError } from '../core/errors.js';
import { hashStream } from '../core/hash-stream.js';
import type { KnownEvidence } from '../core/evidence-identity.js';
import { recordBesideImage } from '../core/record.js';
import { readRecord } from '../core/record/read.js';
import { formatBytes } from '../core/units.js';
import { openImage } from '../image/open.js';
import { leftPartial, openTarget, probeTarget, publishTarget, readBackHashes, refuseTarget, writeAll, writePath } from '../source/target.js';

export interface RestoreOptions {
  image: string;
  /** --raw: read the image as raw media whatever its first bytes say (image/open.ts). */
  raw?: boolean;
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
  /** The target's bytes as written and as read back (the media, without the padding an E01 adds). */
  written: Digests;
  readBack: Digests;
  /** The image's zeros after a source that ends inside a sector (E01), not written: the hashes with them, as the record's cover them. */
  withPadding?: { bytes: number; hashes: Digests };
  reference?: { against: string; hashes: Digests };
  excessBytes: number; // target bytes beyond the media
  wiped: boolean;
  problems: string[];
  record?: { file: string; case: string; evidence: string };
}

const PIECE = 4 * 1024 * 1024;

export async function restoreImage(o: RestoreOptions): Promise<RestoreOutcome> {
  const { reader, base } = await openImage(o.image, { raw: o.raw === true });
  let target: fsp.FileHandle | undefined;
  let staged: string | undefined; // a new file's <name>.partial, while it is not checked
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
      : !rec && Object.keys(stored).length > 0
        ? { against: 'the hash stored in the image', hashes: stored as Digests }
        : undefined;
    if (rec && rec.result !== 'complete') throw new ExhibitError('IMAGE_INVALID', `the record ${recordPath} says the acquisition is incomplete: there is no whole image to restore`);
    const algorithms = (reference ? Object.keys(reference.hashes) : ['md5', 'sha1', 'sha256']) as HashAlgorithm[];

    const probe = await probeTarget(o.target);
    const { facts } = probe;
    const kind = facts?.kind ?? 'file';
    await refuseTarget(probe, mediaBytes, { yes: o.yes, known: o.known, mustNotHold: reader.files });
    target = await openTarget(probe);
    if (!probe.facts) staged = writePath(probe);
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
    // With padding (an E01's zeros after a source that ends inside a sector, hashed with it but not written):
    // the target's own bytes are hashed apart, as the first segment of a job cut at the media's end.
    const jobs = [...algorithms.map((a) => ({ id: a, algorithm: a })), ...(padding > 0 ? algorithms.map((a) => ({ id: `${a}:target`, algorithm: a, segmentSize: mediaBytes })) : [])];
    const writtenSums = await hashStream(written(), jobs, { size: mediaBytes + padding, ...(o.onProgress ? { onBytes: o.onProgress } : {}) });
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
    const readSums = await readBackHashes(writePath(probe), mediaBytes, algorithms, o.onProgress, padding, o.signal);
    const pick = (m: Map<string, string[]>, suffix = ''): Digests => Object.fromEntries(algorithms.map((a) => [a, m.get(`${a}${suffix}`)![0]!]));
    const onTarget = (m: Map<string, string[]>): Digests => pick(m, padding > 0 ? ':target' : '');
    const out: RestoreOutcome = {
      image: o.image,
      target: o.target,
      targetKind: kind,
      mediaBytes,
      written: onTarget(writtenSums),
      readBack: onTarget(readSums),
      ...(padding > 0 ? { withPadding: { bytes: padding, hashes: pick(readSums) } } : {}),
      ...(reference ? { reference } : {}),
      excessBytes,
      wiped: o.wipeExcess && excessBytes > 0,
      problems: [],
      ...(rec ? { record: { file: recordPath, case: rec.case, evidence: rec.evidence } } : {}),
    };
    const padded = pick(writtenSums);
    for (const a of algorithms) {
      if (!digestsEqual(out.written[a]!, out.readBack[a]!)) out.problems.push(`${a.toUpperCase()} read back from the target is ${out.readBack[a]}, but ${out.written[a]} was written`);
      if (padding > 0 && !digestsEqual(padded[a]!, out.withPadding!.hashes[a]!)) out.problems.push(`${a.toUpperCase()} read back from the target with the image's ${padding} bytes of padding is ${out.withPadding!.hashes[a]}, but ${padded[a]} was written`);
      const want = reference?.hashes[a];
      // The record's hashes cover the padding too (the image holds it): compared with the target's bytes and those zeros.
      if (want && !digestsEqual(want, padded[a]!)) out.problems.push(`${a.toUpperCase()} of the media written${padding > 0 ? ` (with the ${padding} zero bytes of padding the image holds)` : ''} is ${padded[a]}, ${reference!.against} says ${want}`);
    }
    if (out.problems.length === 0) {
      await publishTarget(probe);
      staged = undefined;
    } else out.target = writePath(probe); // not what it should hold: it keeps the name that says so
    return out;
  } catch (err) {
    throw staged && fs.existsSync(staged) ? leftPartial(err, staged) : err;
  } finally {
    await target?.close().catch(() => undefined);
    await reader.close();
  }
}
