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
  const places: number[] = [];
  for (let i = 0; i < count; i++) places.push(Math.floor(((o.safeBytes - size) * i) / Math.max(count - 1, 1)));
  return comparePlaces({ ...o, places, size });
}

/**
 * Compare the source with the image at each of `places` (each moved back to a sector boundary,
 * and to `size` bytes before the safe point), skipping unreadable sectors; the first difference
 * throws RESUME_MISMATCH naming its byte. Returns how many places were compared.
 */
/**
 * The `n` source bytes in `a` against the partial image's at `pos` (read into `b`): a partial image
 * shorter than the journal's safe point, or the first byte that differs, throws RESUME_MISMATCH.
 */
async function sameAsImage(image: ImageReader, a: Buffer, b: Buffer, pos: number, n: number, safeBytes: number, o: { said?: string; hints?: string[] } = {}): Promise<void> {
  if ((await image.read(b, pos, n)) !== n) throw new ExhibitError('RESUME_MISMATCH', `the partial image is shorter than the journal says (${safeBytes} bytes)`);
  if (a.compare(b, 0, n, 0, n) === 0) return;
  let at = 0;
  while (a[at] === b[at]) at++;
  throw new ExhibitError('RESUME_MISMATCH', `the source differs from the partial image at byte ${pos + at}${o.said ?? ''}: it is not the drive this acquisition started on, or one of them changed`, { hints: o.hints ?? [] });
}

async function comparePlaces(o: { source: SampleReader; image: ImageReader; safeBytes: number; sectorSize: number; avoid: Pick<BadSectorMap, 'overlaps'>; places: readonly number[]; size: number }): Promise<number> {
  const size = Math.min(o.size, o.safeBytes);
  if (size <= 0) return 0;
  const a = Buffer.alloc(size);
  const b = Buffer.alloc(size);
  let compared = 0;
  for (const place of o.places) {
    const raw = Math.max(0, Math.min(place, o.safeBytes - size));
    const pos = raw - (raw % o.sectorSize);
    if (o.avoid.overlaps(Math.floor(pos / o.sectorSize), Math.ceil(size / o.sectorSize))) continue;
    if (!(await o.source.readRaw(a, pos))) continue;
    await sameAsImage(o.image, a, b, pos, size, o.safeBytes);
    compared++;
  }
  return compared;
}

/**
 * The stretch of the partial image after the last whole piece the journal noted, up to the safe point,
 * compared with the source byte for byte: no noted digest covers it (a piece's SHA-256 is noted only
 * once the piece is whole), so a change in it would otherwise reach the finished image and its hashes.
 * At most a piece is read again (with --skip-bad, which notes no piece, all that was copied). Sectors whose image bytes are fills or placeholders (`avoid`), and
 * any the source cannot read now, are passed over sector by sector; the first difference throws
 * RESUME_MISMATCH naming its byte. Returns how many bytes were compared.
 */
export async function checkTail(o: { source: SampleReader; image: ImageReader; from: number; safeBytes: number; sectorSize: number; avoid: Pick<BadSectorMap, 'overlaps'> }): Promise<number> {
  const ss = o.sectorSize;
  const block = Math.max(ss, TAIL_BLOCK - (TAIL_BLOCK % ss));
  const a = Buffer.alloc(block);
  const b = Buffer.alloc(block);
  let compared = 0;
  const compare = async (pos: number, n: number, sourceRead: boolean): Promise<void> => {
    if (!sourceRead && !(await o.source.readRaw(a.subarray(0, n), pos))) return; // unreadable now: nothing to compare with
    // Which of the two changed, nothing here tells: another drive given by mistake is mended by giving the right one.
    await sameAsImage(o.image, a, b, pos, n, o.safeBytes, {
      said: ', which an earlier session read and wrote',
      hints: ['give the drive the acquisition started on; if it is that drive, the partial image or the drive changed since: acquire it again into a new folder (exhibit added nothing to this one)'],
    });
    compared += n;
  };
  for (let pos = o.from - (o.from % ss); pos < o.safeBytes; pos += block) {
    const n = Math.min(block, o.safeBytes - pos);
    const first = Math.floor(pos / ss);
    if (!o.avoid.overlaps(first, Math.ceil(n / ss)) && (await o.source.readRaw(a.subarray(0, n), pos))) {
      await compare(pos, n, true);
      continue;
    }
    for (let at = pos; at < pos + n; at += ss) {
      if (o.avoid.overlaps(Math.floor(at / ss), 1)) continue;
      await compare(at, Math.min(ss, pos + n - at), false);
    }
  }
  return compared;
}
const TAIL_BLOCK = 1024 * 1024;

const ZEROS = Buffer.alloc(64 * 1024);

/** Offset of the first non-zero byte of data[from, to), or -1 (memcmp in 64 KiB steps, then a scan of one step). */
function firstNonZero(data: Uint8Array, from: number, to: number): number {
  for (let at = from; at < to; at += ZEROS.length) {
    const n = Math.min(ZEROS.length, to - at);
    if (ZEROS.compare(data, at, at + n, 0, n) === 0) continue;
    for (let i = at; i < at + n; i++) if (data[i] !== 0) return i;
  }
  return -1;
}

/**
 * Places to compare chosen by what the partial image holds. Evenly spread samples of a mostly
 * empty drive fall on zeros, which any other empty drive of the same size also holds; so while a
 * resume replays the partial image (it reads every byte of it to rebuild the hashes), this notes
 * the first non-zero byte in each of `buckets` equal stretches of it. Before the first new byte is
 * read, the source is compared with the image there (`check`): a different drive whose data lies
 * elsewhere is refused before anything of it is written.
 */
export class ContentSamples {
  private readonly bucketBytes: number;
  private readonly found = new Map<number, number>();

  constructor(
    private readonly upTo: number,
    buckets = 64,
    private readonly sampleSize = 4096,
  ) {
    this.bucketBytes = Math.max(1, Math.ceil(upTo / buckets));
  }

  /** Replayed image bytes `data`, which begin at media byte `at`. */
  observe(data: Uint8Array, at: number): void {
    let off = 0;
    while (off < data.length) {
      const bucket = Math.floor((at + off) / this.bucketBytes);
      const end = Math.min(data.length, (bucket + 1) * this.bucketBytes - at);
      if (!this.found.has(bucket)) {
        const i = firstNonZero(data, off, end);
        if (i >= 0) this.found.set(bucket, at + i);
      }
      off = end;
    }
  }

  get places(): number[] {
    return [...this.found.values()];
  }

  async check(o: { source: SampleReader; image: ImageReader; sectorSize: number; avoid: Pick<BadSectorMap, 'overlaps'> }): Promise<number> {
    return comparePlaces({ ...o, safeBytes: this.upTo, places: this.places, size: this.sampleSize });
  }
}

/**
 * The pieces the journal noted as read from the source, against the same pieces hashed again from the
 * partial image while it was replayed: one that differs means the partial image changed between
 * sessions (RESUME_MISMATCH naming it). Covers every whole piece up to the last safe point; the
 * samples above cover the rest.
 */
export function checkNotedPieces(noted: readonly string[], replayed: { at(index: number): string | undefined }, pieceSize: number): number {
  const changed = noted.flatMap((d, i) => (replayed.at(i) === d ? [] : [i]));
  if (changed.length > 0) {
    const first = changed[0]!;
    const more = changed.length > 1 ? ` and ${changed.length - 1} more of the ${noted.length} pieces noted` : '';
    throw new ExhibitError('PARTIAL_CHANGED', `the partial image changed since an earlier session wrote it: piece ${first} (bytes ${first * pieceSize} to ${(first + 1) * pieceSize - 1}) no longer has the SHA-256 noted when it was read from the source${more}`, {
      hints: ['the partial image no longer holds what was read: acquire the drive again into a new folder (exhibit added nothing to this one)'],
    });
  }
  return noted.length;
}
