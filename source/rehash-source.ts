/**
 * Reading a source again to compare it with its record (exhibit verify
 * --source): opened read-only with the same proof as an acquisition, read
 * with the same retries and fill, and hashed. Every sector is read, those the
 * record lists as unreadable included, and what is read is what is hashed: a
 * record cannot make sectors count as fill by calling them unreadable. A
 * recorded-unreadable sector that is still unreadable gets the fill, as at
 * acquisition, so an unchanged failing drive gives the recorded hashes; one
 * that reads now is reported (which sectors, and which hold other bytes than
 * the fill), because its bytes change the hashes. Sectors unreadable now are
 * filled and listed.
 */
import type { Digests, HashAlgorithm } from '../core/crypto.js';
import { ExhibitError } from '../core/errors.js';
import { hashStream } from '../core/hash-stream.js';
import { BadSectorMap, parseFill, type BadRange, type Fill } from './bad-sectors.js';
import { beginReadOnlyProof, checkMounts, type ReadOnlyProof } from './read-only.js';
import { SourceReader } from './source-reader.js';
import { openSource, type SourceFacts } from './source.js';

export interface SourceRehashOptions {
  source: string;
  algorithms: HashAlgorithm[];
  mediaBytes: number; // what the record says the source holds
  paddingBytes: number; // zeros the image adds after the source (E01 of an odd-sized source)
  sectorSize: number;
  fill: string;
  retries: number;
  recordedUnreadable: unknown; // the record's read_errors.ranges, checked here: the record is not trusted
  allowMounted: boolean;
  /** Also the SHA-256 of each piece of this size (the image's pieces file's), to say which pieces of the source differ. */
  pieceSize?: number;
  signal?: AbortSignal;
  onStart?: (bytes: number) => void;
  onProgress?: (done: number) => void;
}

export interface SectorRange {
  first_sector: number;
  sectors: number;
}

/** What became of the sectors the record lists as unreadable, read again. */
export interface RecordedUnreadableCheck {
  sectors: number; // listed by the record (overlaps counted once)
  still_unreadable: number; // unreadable now too: hashed as the fill, as at acquisition
  read_now_sectors: number;
  read_now: SectorRange[]; // read this time: their bytes are hashed
  differ_from_fill_sectors: number;
  differ_from_fill: SectorRange[]; // of those read, the ones holding other bytes than the fill
}

export interface SourceRehash {
  facts: SourceFacts;
  hashes: Digests;
  readOnly: ReadOnlyProof;
  unreadableNow: BadRange[];
  recordedUnreadable: RecordedUnreadableCheck;
  /** SHA-256 of each piece, when `pieceSize` was given. */
  pieces?: string[];
}

const BLOCK = 4 * 1024 * 1024;
const MAX_RETRIES = 16;

/** The record's ranges checked, sorted and merged; a list no acquisition can have written is refused. */
function recordedRanges(list: unknown, sectorCount: number): SectorRange[] {
  if (!Array.isArray(list)) throw damaged('it is not a list');
  const ok = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
  const ranges: SectorRange[] = [];
  for (const [i, r] of list.entries()) {
    const { first_sector: first, sectors: count } = (typeof r === 'object' && r !== null ? r : {}) as { first_sector?: unknown; sectors?: unknown };
    if (!ok(first) || !ok(count) || count === 0) throw damaged(`entry ${i + 1} is not a first sector and a count`);
    if (first + count > sectorCount) throw damaged(`entry ${i + 1} (sectors ${first} to ${first + count - 1}) lies beyond the ${sectorCount} sectors of the media`);
    ranges.push({ first_sector: first, sectors: count });
  }
  ranges.sort((a, b) => a.first_sector - b.first_sector);
  const merged: SectorRange[] = [];
  for (const r of ranges) extend(merged, r.first_sector, r.sectors, true);
  return merged;
}

function damaged(why: string): ExhibitError {
  return new ExhibitError('VERIFY_FAILED', `the record's list of unreadable sectors is damaged: ${why}`);
}

/** Add sectors [first, first + count) to an ascending list of ranges, merging what touches (or overlaps, when `overlap`). */
function extend(list: SectorRange[], first: number, count: number, overlap = false): void {
  const last = list[list.length - 1];
  const end = last ? last.first_sector + last.sectors : -1;
  if (last && (end === first || (overlap && end > first))) last.sectors = Math.max(end, first + count) - last.first_sector;
  else list.push({ first_sector: first, sectors: count });
}

export async function rehashSource(o: SourceRehashOptions): Promise<SourceRehash> {
  if (!Number.isSafeInteger(o.sectorSize) || o.sectorSize < 1 || BLOCK % o.sectorSize !== 0) {
    throw new ExhibitError('VERIFY_FAILED', `the record's sector size (${o.sectorSize}) is not one a source can have`);
  }
  const sectorCount = Math.ceil(o.mediaBytes / o.sectorSize);
  const recorded = recordedRanges(o.recordedUnreadable, sectorCount);
  let fill: Fill;
  try {
    fill = parseFill(o.fill, o.sectorSize);
  } catch {
    throw new ExhibitError('VERIFY_FAILED', `the record's fill (${JSON.stringify(o.fill).slice(0, 80)}) is not one exhibit writes`);
  }
  // Retries come from the (untrusted) record: a bound keeps a forged count from stalling on a bad sector forever.
  const retries = Number.isSafeInteger(o.retries) ? Math.min(Math.max(o.retries, 0), MAX_RETRIES) : 2;
  const { handle, facts } = await openSource(o.source);
  let reader: SourceReader | undefined;
  try {
    if (facts.size_bytes !== o.mediaBytes) {
      throw new ExhibitError('VERIFY_FAILED', `the source ${o.source} holds ${facts.size_bytes} bytes; the record says the acquired one held ${o.mediaBytes}`);
    }
    const mounted = checkMounts(facts, o.allowMounted);
    const proof = await beginReadOnlyProof(facts, handle, o.allowMounted, mounted);
    const bad = new BadSectorMap();
    const sourceReader = (reader = SourceReader.of(handle, facts, { retries, fill, maxBadRun: 0 }, bad));
    const check: RecordedUnreadableCheck = { sectors: 0, still_unreadable: 0, read_now_sectors: 0, read_now: [], differ_from_fill_sectors: 0, differ_from_fill: [] };
    for (const r of recorded) check.sectors += r.sectors;
    let next = 0; // the first recorded range not wholly behind the blocks read so far
    const ss = o.sectorSize;
    const devSs = facts.logical_sector_size;
    const total = o.mediaBytes + o.paddingBytes;
    o.onStart?.(total);

    /** Sort the recorded-unreadable sectors of the block just read into still unreadable, read, and read but not the fill. */
    const classify = (block: Buffer, pos: number): void => {
      const end = pos + block.length;
      const badNow = bad.near(Math.floor(pos / devSs), Math.ceil(block.length / devSs)); // in the device's sectors
      let b = 0;
      for (; next < recorded.length && recorded[next]!.first_sector * ss < end; next++) {
        const r = recorded[next]!;
        const stop = Math.min(r.first_sector + r.sectors, Math.ceil(end / ss));
        for (let s = Math.max(r.first_sector, Math.floor(pos / ss)); s < stop; s++) {
          const from = s * ss;
          const to = Math.min(from + ss, o.mediaBytes);
          while (b < badNow.length && (badNow[b]!.first_sector + badNow[b]!.sectors) * devSs <= from) b++;
          if (b < badNow.length && badNow[b]!.first_sector * devSs < to) {
            check.still_unreadable++;
            continue;
          }
          check.read_now_sectors++;
          extend(check.read_now, s, 1);
          if (!block.subarray(from - pos, to - pos).equals(fill.sector.subarray(0, to - from))) {
            check.differ_from_fill_sectors++;
            extend(check.differ_from_fill, s, 1);
          }
        }
        if ((r.first_sector + r.sectors) * ss > end) break; // the range goes on into the next block
      }
    };

    async function* pieces(): AsyncGenerator<Uint8Array> {
      const buf = Buffer.alloc(BLOCK);
      for (let pos = 0; pos < o.mediaBytes; pos += BLOCK) {
        if (o.signal?.aborted) throw new ExhibitError('INTERRUPTED', 'interrupted while reading the source again');
        const n = Math.min(BLOCK, o.mediaBytes - pos);
        const into = buf.subarray(0, n);
        await sourceReader.read(into, pos); // every sector: what reads is hashed, what does not gets the fill
        classify(into, pos);
        yield into;
      }
      if (o.paddingBytes > 0) yield Buffer.alloc(o.paddingBytes);
    }
    const results = await hashStream(
      pieces(),
      [...o.algorithms.map((a) => ({ id: a, algorithm: a })), ...(o.pieceSize ? [{ id: 'pieces', algorithm: 'sha256' as const, segmentSize: o.pieceSize }] : [])],
      { size: total, ...(o.onProgress ? { onBytes: o.onProgress } : {}) },
    );
    const readOnly = await proof.finish();
    const hashes: Digests = {};
    for (const a of o.algorithms) hashes[a] = results.get(a)![0]!;
    const pieceSums = results.get('pieces');
    return { facts, hashes, readOnly, unreadableNow: bad.ranges, recordedUnreadable: check, ...(pieceSums ? { pieces: pieceSums } : {}) };
  } finally {
    await reader?.close(); // its O_DIRECT handle on the source, if it opened one
    await handle.close();
  }
}
