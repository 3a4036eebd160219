/**
 * Before resuming: is this the drive the acquisition started on, and is the
 * partial image still what was read from it?
 */
import { ExhibitError } from '../core/errors.js';
import type { ImageReader } from '../image/types.js';
import type { BadSectorMap } from '../source/bad-sectors.js';
import type { SourceIdentity } from './journal.js';
import type { SourceFacts } from '../source/source.js';

export function identityOf(f: SourceFacts): SourceIdentity {
  const id: SourceIdentity = { path: f.path, kind: f.kind, size_bytes: f.size_bytes, logical_sector_size: f.logical_sector_size };
  const d = f.device;
  if (d?.vendor) id.vendor = d.vendor;
  if (d?.model) id.model = d.model;
  if (d?.serial) id.serial = d.serial;
  if (d?.wwid) id.wwid = d.wwid;
  return id;
}

/** Refuse a source whose size, sector size or identity differs from the journal's. */
export function checkSameIdentity(was: SourceIdentity, now: SourceIdentity): void {
  const differ = (what: string, a: unknown, b: unknown) => {
    throw new ExhibitError('RESUME_MISMATCH', `this is not the source the acquisition started on: its ${what} is ${String(b)}, the journal says ${String(a)}`, {
      hints: ['give the original drive as the source (its device name may have changed after re-plugging: look for its serial number in lsblk -o NAME,SIZE,SERIAL)'],
    });
  };
  if (was.kind !== now.kind) differ('kind', was.kind, now.kind);
  if (was.size_bytes !== now.size_bytes) differ('size', `${was.size_bytes} bytes`, `${now.size_bytes} bytes`);
  if (was.logical_sector_size !== now.logical_sector_size) differ('sector size', was.logical_sector_size, now.logical_sector_size);
  for (const k of ['serial', 'wwid', 'model', 'vendor'] as const) {
    if (was[k] !== undefined && was[k] !== now[k]) differ(k, was[k], now[k] ?? 'unknown');
  }
}

export interface SampleReader {
  readRaw(into: Buffer, pos: number): Promise<boolean>; // false when unreadable
}

/**
 * Compare the source with the partial image at up to `count` places spread
 * over what is already copied (skipping unreadable sectors): a different or
 * altered drive, or an altered partial image, is caught here.
 */
export async function checkSamples(o: {
  source: SampleReader;
  image: ImageReader;
  safeBytes: number;
  sectorSize: number;
  avoid: Pick<BadSectorMap, 'overlaps'>; // sectors whose image bytes are fills or placeholders
  count?: number;
  sampleSize?: number;
}): Promise<number> {
  const count = o.count ?? 8;
  const size = Math.min(o.sampleSize ?? 64 * 1024, o.safeBytes);
  if (size <= 0) return 0;
  const a = Buffer.alloc(size);
  const b = Buffer.alloc(size);
  let compared = 0;
  for (let i = 0; i < count; i++) {
    const raw = Math.floor(((o.safeBytes - size) * i) / Math.max(count - 1, 1));
    const pos = raw - (raw % o.sectorSize);
    if (o.avoid.overlaps(Math.floor(pos / o.sectorSize), Math.ceil(size / o.sectorSize))) continue;
    if (!(await o.source.readRaw(a, pos))) continue;
    if ((await o.image.read(b, pos, size)) !== size) {
      throw new ExhibitError('RESUME_MISMATCH', `the partial image is shorter than the journal says (${o.safeBytes} bytes)`);
    }
    if (!a.equals(b)) {
      let at = 0;
      while (a[at] === b[at]) at++;
      throw new ExhibitError('RESUME_MISMATCH', `the source differs from the partial image at byte ${pos + at}: it is not the drive this acquisition started on, or one of them changed`);
    }
    compared++;
  }
  return compared;
}
