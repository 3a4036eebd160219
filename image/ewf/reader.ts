/**
 * Reads EWF (E01) images: EnCase 1-7, FTK Imager, linen, libewf's ewfacquire,
 * and the SMART/EWF variant with a 94-byte volume and chunks inside the table
 * section. Opening walks every section of every segment file and checks every
 * structure's Adler-32; reading decodes chunks on demand and checks each one.
 * Anything damaged, truncated or inconsistent is an ExhibitError
 * 'IMAGE_INVALID' naming the file and offset (or, for a chunk, the chunk and
 * the media bytes it covers). SPEC.md beside this file describes the layout.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { lastAtOrBefore } from '../../core/search.js';
import zlib from 'node:zlib';
import { adler32 } from '../../core/adler32.js';
import { describeSystemError, ExhibitError } from '../../core/errors.js';
import { openInput } from '../../core/input-file.js';
import type { FormatName, ImageCaseFacts, ImageReader, IntegrityUnitKind, ScannedUnit } from '../types.js';
import { DESCRIPTOR_SIZE, FILE_HEADER_SIZE, FILE_SIGNATURE, TABLE_COMPRESSED, TABLE_HEADER_SIZE, TABLE_OFFSET_MASK, VOLUME_SIZE, parseDescriptor } from './layout.js';
import {
  type ErrorRange,
  type EwfVolume,
  headerTextOf,
  invalid,
  parseDigest,
  parseError2,
  parseHash,
  parseMainCategory,
  parseTableEntries,
  parseTableHeader,
  parseVolume,
} from './sections.js';

export type { ErrorRange, EwfVolume } from './sections.js';

/** A section as walked: `size` is the effective size, descriptor included. */
interface Section {
  type: string;
  offset: number;
  size: number;
  next: number;
}

interface Segment {
  path: string;
  handle: fsp.FileHandle;
  size: number;
  sections: Section[];
}

/** The chunks one table lists, all in one segment file. */
interface ChunkGroup {
  segment: number;
  firstChunk: number;
  base: number;
  entries: Uint32Array;
  /** From this entry on the offsets use all 32 bits and the chunks are stored raw (EnCase 6.7.1 beyond 2 GiB). */
  overflowFrom: number;
  /** Where the last chunk's stored bytes end: the end of the section that holds the chunks. */
  end: number;
}

interface ChunkPlan {
  index: number;
  segment: number;
  offset: number;
  size: number;
  compressed: boolean;
  want: number; // media bytes the chunk covers
  first: number; // media offset of its first byte
  segmentPath: string; // for messages: see chunkLabel
}

export interface ChunkLocation {
  file: string;
  offset: number;
  size: number;
  compressed: boolean;
}

/** "chunk N (media bytes a..b) in file", for messages: made only when one is needed (65,536 chunks in 2 GiB). */
function chunkLabel(p: { index: number; first: number; want: number; segmentPath: string }): string {
  return `chunk ${p.index} (media bytes ${p.first}..${p.first + p.want - 1}) in ${p.segmentPath}`;
}

/** Metadata sections (header text, volume, tables, hashes) are small; a larger one is damage. */
const MAX_METADATA = 64 * 1024 * 1024;
/** Stored bytes fetched in one read when a read spans several chunks. */
const READ_BATCH = 4 * 1024 * 1024;
/**
 * Chunk sizes accepted: one 512-byte sector at least (ewfacquire writes 16 to
 * 32768 sectors per chunk), 64 MiB at most. Every chunk is decoded into a
 * buffer of this size and no larger, so memory is bounded by it; a hostile
 * geometry of 1-byte chunks would otherwise turn a few MB of file into
 * millions of chunk buffers.
 */
const MIN_CHUNK_SIZE = 512;
const MAX_CHUNK_SIZE = 64 * 1024 * 1024;

async function readAt(handle: fsp.FileHandle, position: number, length: number, where: string): Promise<Buffer> {
  const b = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    let n: number;
    try {
      ({ bytesRead: n } = await handle.read(b, got, length - got, position + got));
    } catch (err) {
      throw invalid(where, `reading failed: ${describeSystemError(err)}`, err);
    }
    if (n === 0) throw invalid(where, `cut short: the file ends after ${got} of ${length} bytes`);
    got += n;
  }
  return b;
}

/** Segment file names: .E01-.E99, then .EAA-.EZZ, .FAA-.ZZZ (SMART: .s01, .saa ...), keeping the first file's letter case. */
function segmentPath(prefix: string, letter: string, n: number): string | undefined {
  let ext: string;
  if (n <= 99) ext = `${letter}${String(n).padStart(2, '0')}`;
  else {
    let k = n - 100;
    const third = k % 26;
    k = Math.floor(k / 26);
    const second = k % 26;
    k = Math.floor(k / 26);
    const first = letter.toUpperCase().charCodeAt(0) - 65 + k;
    if (first > 25) return undefined;
    ext = String.fromCharCode(65 + first, 65 + second, 65 + third);
    if (letter !== letter.toUpperCase()) ext = ext.toLowerCase();
  }
  return prefix + ext;
}

const SEGMENT_ONE = /^(.*\.)([EeSs])01$/;

export class EwfReader implements ImageReader {
  readonly format: FormatName = 'e01';
  readonly unitKind: IntegrityUnitKind = 'chunk';
  readonly size: number;
  readonly files: readonly string[];
  readonly chunkCount: number;
  readonly chunkSize: number;
  readonly volume: EwfVolume;
  /** The `main` category of the case metadata: identifiers (c, n, a, e, t, av, ov, m, u, ...) to values. */
  readonly header: Record<string, string>;
  /** Which section `header` came from: header2 dates (m, u) are POSIX seconds, header dates are local "Y M D h m s". */
  readonly headerSection: 'header2' | 'header' | undefined;
  readonly storedHashes: { md5?: string; sha1?: string };
  /** Sector ranges the acquiring tool could not read (error2 section). */
  readonly errors: readonly ErrorRange[];
  readonly warnings: string[];

  private readonly segments: Segment[];
  private readonly groups: ChunkGroup[];
  private cache: { index: number; data: Buffer } | undefined;
  private closed = false;
  private warnedLongLastChunk = false;

  private constructor(o: Opened) {
    this.segments = o.segments;
    this.files = o.segments.map((s) => s.path);
    this.groups = o.groups;
    this.volume = o.volume;
    this.chunkSize = o.volume.sectorsPerChunk * o.volume.bytesPerSector;
    this.chunkCount = o.partialChunks ?? o.volume.chunkCount;
    this.size = o.partialChunks === undefined ? o.volume.sectorCount * o.volume.bytesPerSector : o.partialChunks * this.chunkSize;
    this.header = o.header;
    this.headerSection = o.headerSection;
    this.storedHashes = o.storedHashes;
    this.errors = o.errors;
    this.warnings = o.warnings;
  }

  get sectorSize(): number {
    return this.volume.bytesPerSector;
  }

  get errorRanges(): readonly ErrorRange[] {
    return this.errors;
  }

  /** The header's case facts (c, n, e, a, t, md, sn) as written, and what the volume says of the media. */
  get caseFacts(): ImageCaseFacts {
    const facts: ImageCaseFacts = { removable: this.volume.mediaType === 0, physical: ((this.volume.mediaFlags ?? 0) & 2) !== 0 };
    const fields = { case: 'c', evidence: 'n', examiner: 'e', description: 'a', notes: 't', model: 'md', serial: 'sn' } as const;
    for (const [key, id] of Object.entries(fields) as [keyof typeof fields, string][]) {
      const value = this.header[id];
      if (value !== undefined) facts[key] = value;
    }
    return facts;
  }

  /** Every chunk in order, read in batches of about 4 MiB; a damaged one comes with its error. */
  async *units(): AsyncGenerator<ScannedUnit> {
    const batch = Math.max(1, Math.floor((4 * 1024 * 1024) / this.chunkSize));
    for (let first = 0; first < this.chunkCount; first += batch) {
      const got = await this.chunks(first, Math.min(batch, this.chunkCount - first));
      for (const [k, data] of got.entries()) {
        const i = first + k;
        const start = i * this.chunkSize;
        const want = Math.min(this.chunkSize, this.size - start);
        if (!(data instanceof ExhibitError)) {
          yield { start, data: data.length > want ? data.subarray(0, want) : data };
          continue;
        }
        let file = '';
        try {
          file = this.locate(i).file;
        } catch {
          /* the table itself is what is damaged */
        }
        yield { start, bytes: want, file, index: i, error: data };
      }
    }
  }

  /** Open an image from its first segment file (.E01, .e01 or .s01); the other segments are found beside it. */
  static open(firstSegment: string): Promise<EwfReader> {
    return EwfReader.run(firstSegment);
  }

  /** Walk the segments; whatever goes wrong is an IMAGE_INVALID error naming the place, with every file closed. */
  private static async run(firstSegment: string, state?: EwfPartialState): Promise<EwfReader> {
    const opener = new Opener(path.resolve(firstSegment), state);
    try {
      return new EwfReader(await opener.run());
    } catch (err) {
      await opener.closeAll();
      if (err instanceof ExhibitError) throw err;
      throw new ExhibitError('IMAGE_INVALID', `${firstSegment}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  /**
   * Open an unfinished image that exhibit is writing, at one of its safe
   * points (see EwfWriter.resumeState): each segment is read up to the size it
   * had then, and the group of chunks still open comes from the state. Used
   * to rebuild the hashes when an E01 acquisition resumes.
   */
  static openPartial(firstSegment: string, state: EwfPartialState): Promise<EwfReader> {
    return EwfReader.run(firstSegment, state);
  }

  /** Where chunk `index` is stored. */
  locate(index: number): ChunkLocation {
    const { segment, ...rest } = this.find(index);
    return { file: this.segments[segment]!.path, ...rest };
  }

  private find(index: number): { segment: number; offset: number; size: number; compressed: boolean } {
    if (!Number.isInteger(index) || index < 0 || index >= this.chunkCount) throw new RangeError(`no chunk ${index} (the image has ${this.chunkCount})`);
    const g = this.groups[lastAtOrBefore(this.groups, (x) => x.firstChunk, index)]!;
    const j = index - g.firstChunk;
    const start = entryOffset(g, j);
    const end = j + 1 < g.entries.length ? entryOffset(g, j + 1) : g.end;
    const compressed = j < g.overflowFrom && (g.entries[j]! & TABLE_COMPRESSED) !== 0;
    return { segment: g.segment, offset: start, size: end - start, compressed };
  }

  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    if (this.closed) throw new ExhibitError('INTERNAL', 'read after close');
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) throw new RangeError(`bad read range ${offset}+${length}`);
    const end = Math.min(offset + length, this.size, offset + into.length);
    if (end <= offset) return 0;
    const firstChunk = Math.floor(offset / this.chunkSize);
    const lastChunk = Math.floor((end - 1) / this.chunkSize);
    const decoded = await this.chunks(firstChunk, lastChunk - firstChunk + 1);
    decoded.forEach((data, k) => {
      if (data instanceof ExhibitError) throw data;
      const index = firstChunk + k;
      const from = Math.max(offset, index * this.chunkSize);
      const to = Math.min(end, index * this.chunkSize + data.length);
      into.set(data.subarray(from - index * this.chunkSize, to - index * this.chunkSize), from - offset);
    });
    return end - offset;
  }

  /**
   * Decode `count` chunks from `first`, each checked: its bytes, or the error that names it (a
   * verifier goes on past a damaged chunk). Chunks stored back to back in one file are fetched
   * with one read of up to 4 MiB.
   */
  async chunks(first: number, count: number): Promise<(Buffer | ExhibitError)[]> {
    if (this.closed) throw new ExhibitError('INTERNAL', 'read after close');
    const out: (Buffer | ExhibitError)[] = [];
    const one = async (index: number) => {
      try {
        out.push(await this.chunk(index));
      } catch (err) {
        if (!(err instanceof ExhibitError) || err.code !== 'IMAGE_INVALID') throw err;
        out.push(err);
      }
    };
    const last = first + count - 1;
    let index = first;
    while (index <= last) {
      let head: ChunkPlan;
      try {
        head = this.plan(index);
      } catch (err) {
        if (!(err instanceof ExhibitError)) throw err;
        out.push(err);
        index++;
        continue;
      }
      if (this.cache?.index === index) {
        await one(index);
        index++;
        continue;
      }
      // A run of chunks stored back to back in one file: one read for all.
      const run = [head];
      let bytes = head.size;
      while (index + run.length <= last && bytes < READ_BATCH) {
        const prev = run[run.length - 1]!;
        let next: ChunkPlan;
        try {
          next = this.plan(index + run.length);
        } catch {
          break; // reported when its turn comes, after the chunks before it
        }
        if (next.segment !== prev.segment || next.offset !== prev.offset + prev.size) break;
        run.push(next);
        bytes += next.size;
      }
      const file = this.segments[run[0]!.segment]!;
      // A failed batch read (a file cut short) is retried chunk by chunk to name the chunk.
      const stored = await readAt(file.handle, run[0]!.offset, bytes, file.path).catch(() => undefined);
      for (const p of run) {
        if (!stored) {
          await one(p.index);
          continue;
        }
        const at = p.offset - run[0]!.offset;
        try {
          const data = this.decode(p, stored.subarray(at, at + p.size));
          out.push(data);
          this.cache = { index: p.index, data };
        } catch (err) {
          if (!(err instanceof ExhibitError)) throw err;
          out.push(err);
        }
      }
      index += run.length;
    }
    return out;
  }

  /** Decode chunk `index` (checked); the bytes are exactly the media bytes it covers. */
  async chunk(index: number): Promise<Buffer> {
    if (this.closed) throw new ExhibitError('INTERNAL', 'read after close');
    if (this.cache?.index === index) return this.cache.data;
    const p = this.plan(index);
    const file = this.segments[p.segment]!;
    const data = this.decode(p, await readAt(file.handle, p.offset, p.size, chunkLabel(p)));
    this.cache = { index, data };
    return data;
  }

  private plan(index: number): ChunkPlan {
    const loc = this.find(index);
    const first = index * this.chunkSize;
    const want = Math.min(this.chunkSize, this.size - first);
    const segmentPath = this.segments[loc.segment]!.path;
    // A zlib stream can exceed its chunk by a little (SMART stores every chunk compressed).
    if (loc.size > this.chunkSize + Math.ceil(this.chunkSize / 1000) + 1024 || loc.size < (loc.compressed ? 8 : 5))
      throw new ExhibitError('IMAGE_INVALID', `${chunkLabel({ index, first, want, segmentPath })}: stored size ${loc.size} at offset ${loc.offset} cannot hold a ${want}-byte chunk`);
    return { ...loc, index, first, want, segmentPath };
  }

  private decode(p: ChunkPlan, stored: Buffer): Buffer {
    const isLast = p.index === this.chunkCount - 1;
    const fits = (n: number) => n === p.want || (isLast && n > p.want && n <= this.chunkSize);
    let data: Buffer;
    if (p.compressed) {
      try {
        data = zlib.inflateSync(stored, { maxOutputLength: this.chunkSize });
      } catch (err) {
        const tooLong = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
        throw new ExhibitError('IMAGE_INVALID', `${chunkLabel(p)}: ${tooLong ? `inflates to more than ${this.chunkSize} bytes` : `zlib stream is damaged (${(err as Error).message})`}`, { cause: err });
      }
    } else {
      data = stored.subarray(0, stored.length - 4);
      if (fits(data.length) && adler32(data) !== stored.readUInt32LE(stored.length - 4)) throw new ExhibitError('IMAGE_INVALID', `${chunkLabel(p)}: checksum mismatch`);
    }
    if (!fits(data.length)) throw new ExhibitError('IMAGE_INVALID', `${chunkLabel(p)}: holds ${data.length} bytes, expected ${p.want}`);
    if (data.length > p.want) {
      if (!this.warnedLongLastChunk) {
        this.warnedLongLastChunk = true;
        this.warnings.push(
          `the last chunk in ${this.segments[p.segment]!.path} holds ${data.length} bytes but the media ends after ${p.want}: the writer did not pad the source to whole sectors; the extra ${data.length - p.want} bytes are ignored`,
        );
      }
      data = data.subarray(0, p.want);
    }
    return data;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cache = undefined;
    await Promise.all(this.segments.map((s) => s.handle.close()));
  }
}

function entryOffset(g: ChunkGroup, j: number): number {
  const raw = g.entries[j]!;
  return g.base + (j >= g.overflowFrom ? raw : raw & TABLE_OFFSET_MASK);
}

interface Opened {
  segments: Segment[];
  groups: ChunkGroup[];
  volume: EwfVolume;
  partialChunks?: number; // an unfinished image: the chunks it holds so far
  header: Record<string, string>;
  headerSection: 'header2' | 'header' | undefined;
  storedHashes: { md5?: string; sha1?: string };
  errors: ErrorRange[];
  warnings: string[];
}

/** A table or table2 as read: its entries, or why it does not hold. */
interface TableCopy {
  section: Section;
  index: number; // in the segment's section list
  base: number;
  entries: Uint32Array | undefined;
  damage: string | undefined;
}

/** An unfinished image at a safe point: what EwfWriter records in the resume journal. */
export interface EwfPartialState {
  set_id: string; // hex
  segments: { name: string; size: number }[]; // sizes at the safe point; the last is still open
  group?: { base: number; entries: number[] }; // the open group in the last segment
  chunks: number; // chunks laid down in all
  chunks_in_segment?: number; // of those, in the last segment
}

/** Walks the segments once and gathers everything the reader needs. */
class Opener {
  private readonly segments: Segment[] = [];
  private readonly groups: ChunkGroup[] = [];
  private readonly warnings: string[] = [];
  private readonly errors: ErrorRange[] = [];
  private volume: { v: EwfVolume; where: string } | undefined;
  private header2: Record<string, string> | undefined;
  private header: Record<string, string> | undefined;
  private hashes: { source: string; md5?: string; sha1?: string }[] = [];
  private chunks = 0;

  constructor(
    private readonly first: string,
    private readonly partial?: EwfPartialState,
  ) {}

  /** An unfinished image: every segment up to its safe-point size, the last without its closing sections. */
  private async runPartial(p: EwfPartialState): Promise<Opened> {
    const dir = path.dirname(this.first);
    for (const [i, s] of p.segments.entries()) {
      const seg = await this.openSegment(path.join(dir, s.name), i + 1);
      if (seg.size < s.size) throw invalid(seg.path, `holds ${seg.size} bytes but ${s.size} were written safely: the partial image was changed or lost`);
      seg.size = s.size; // anything written after the safe point is not part of the image yet
      const last = i === p.segments.length - 1;
      if (!last) {
        if ((await this.walk(seg, i + 1)) !== 'next') throw invalid(seg.path, "an unfinished image's earlier segment must end in 'next'");
        continue;
      }
      await this.walk(seg, i + 1, p.group?.base ?? s.size);
      if (p.group && p.group.entries.length > 0) {
        const entries = Uint32Array.from(p.group.entries);
        this.groups.push({ segment: i, firstChunk: this.chunks, base: p.group.base, entries, overflowFrom: entries.length, end: s.size });
        this.chunks += entries.length;
      }
    }
    if (this.chunks !== p.chunks) throw invalid(this.first, `the partial image lists ${this.chunks} chunks but the journal says ${p.chunks}`);
    const opened = this.finish(true);
    if (opened.volume.setIdentifier !== p.set_id) throw invalid(this.first, 'the partial image belongs to another acquisition (set identifier differs)');
    return { ...opened, partialChunks: this.chunks };
  }

  async run(): Promise<Opened> {
    if (this.partial) return this.runPartial(this.partial);
    const m = SEGMENT_ONE.exec(this.first);
    let file = this.first;
    for (let n = 1; ; n++) {
      const segment = await this.openSegment(file, n);
      const last = await this.walk(segment, n);
      if (last === 'done') break;
      const next = m ? this.findSegment(m[1]!, m[2]!, n + 1) : undefined;
      if (!next) {
        const expected = m ? (segmentPath(m[1]!, m[2]!, n + 1) ?? `segment ${n + 1}`) : `segment ${n + 1}`;
        throw new ExhibitError(
          'IMAGE_INVALID',
          `segment ${n + 1} of the image is missing: ${expected} does not exist (${path.basename(file)} ends with a 'next' section)` +
            (m ? '' : '; the first file is not named .E01, so the others cannot be found'),
        );
      }
      file = next;
    }
    if (m) {
      const stray = this.findSegment(m[1]!, m[2]!, this.segments.length + 1);
      if (stray) this.warnings.push(`${stray} exists but the image ends in ${path.basename(this.segments[this.segments.length - 1]!.path)} (its 'done' section); it was ignored`);
    }
    return this.finish();
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.segments.map((s) => s.handle.close().catch(() => undefined)));
  }

  private findSegment(prefix: string, letter: string, n: number): string | undefined {
    for (const l of [letter, letter === letter.toUpperCase() ? letter.toLowerCase() : letter.toUpperCase()]) {
      const p = segmentPath(prefix, l, n);
      if (p && fs.existsSync(p)) return p;
    }
    return undefined;
  }

  private async openSegment(file: string, n: number): Promise<Segment> {
    let handle: fsp.FileHandle;
    try {
      handle = await openInput(file);
    } catch (err) {
      if (err instanceof ExhibitError) throw err;
      throw invalid(file, `cannot open segment ${n}: ${describeSystemError(err)}`, err);
    }
    let size: number;
    try {
      size = (await handle.stat()).size;
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw invalid(file, `cannot read: ${describeSystemError(err)}`, err);
    }
    const segment: Segment = { path: file, handle, size, sections: [] };
    this.segments.push(segment);
    if (size < FILE_HEADER_SIZE) throw invalid(file, size === 0 ? 'empty file, not an EWF segment' : `only ${size} bytes, too short for an EWF segment`);
    const h = await readAt(handle, 0, FILE_HEADER_SIZE, `file header of ${file}`);
    if (!h.subarray(0, 8).equals(FILE_SIGNATURE)) {
      if (h.toString('latin1', 0, 3) === 'LVF') throw invalid(file, 'a logical evidence file (L01), not a disk image');
      throw invalid(file, `not an EWF segment file (signature ${h.toString('hex', 0, 8)})`);
    }
    if (h[8] !== 1) throw invalid(file, `unexpected file header field ${h[8]} at offset 8`);
    const number = h.readUInt16LE(9);
    if (number !== n) throw invalid(file, `holds segment ${number} but segment ${n} belongs here (files renamed, out of order, or from another image)`);
    return segment;
  }

  /** Walk the sections of one segment; returns how it ends. */
  private async walk(seg: Segment, n: number, stopAt?: number): Promise<'done' | 'next' | 'partial'> {
    const tables: TableCopy[] = [];
    let off = FILE_HEADER_SIZE;
    let end: 'done' | 'next' | 'partial';
    for (;;) {
      if (stopAt !== undefined && off >= stopAt) {
        end = 'partial'; // an unfinished segment: the sections up to the safe point only
        break;
      }
      if (off + DESCRIPTOR_SIZE > seg.size) {
        const last = seg.sections[seg.sections.length - 1];
        if (off === seg.size)
          throw invalid(seg.path, `the file ends at ${off} without a 'done' or 'next' section${last ? ` (the last is '${last.type}' at ${last.offset})` : ''}: truncated or incomplete`);
        throw invalid(`${seg.path} at ${off}`, `section descriptor cut short: the file ends at ${seg.size}`);
      }
      const raw = await readAt(seg.handle, off, DESCRIPTOR_SIZE, `section descriptor in ${seg.path} at ${off}`);
      const d = parseDescriptor(raw, off);
      if (!d) throw invalid(`section descriptor in ${seg.path} at ${off}`, 'checksum mismatch');
      const where = `'${d.type}' section in ${seg.path} at ${off}`;
      if (d.type === 'done' || d.type === 'next') {
        // Size 0 (EnCase) or 76 (FTK Imager before 2.9, SMART); the next offset points at itself or just past.
        seg.sections.push({ type: d.type, offset: off, size: DESCRIPTOR_SIZE, next: off });
        const tail = seg.size - off - DESCRIPTOR_SIZE;
        if (tail > 0) this.warnings.push(`${tail} bytes after the '${d.type}' section in ${seg.path} at ${off} were ignored`);
        end = d.type;
        break;
      }
      if (d.next <= off) throw invalid(where, `next section offset ${d.next} does not move forward`);
      if (d.next > seg.size) throw invalid(where, `next section offset ${d.next} is past the end of the file (${seg.size} bytes): truncated?`);
      const gap = d.next - off;
      if (gap < DESCRIPTOR_SIZE) throw invalid(where, `next section offset ${d.next} lies inside this section's descriptor`);
      let size = d.size;
      if (size === 0) {
        this.warnings.push(`${where} has no size (as Expert Witness 1.x wrote); the gap to the next section (${gap} bytes) was used`);
        size = gap;
      } else if (size < DESCRIPTOR_SIZE) throw invalid(where, `size ${size} is smaller than its descriptor`);
      else if (size > gap) throw invalid(where, `size ${size} is larger than the gap to the next section (${gap} bytes)`);
      const section: Section = { type: d.type, offset: off, size, next: d.next };
      seg.sections.push(section);
      await this.section(seg, n, section, seg.sections.length - 1, tables, where);
      off = d.next;
    }
    this.resolveTables(seg, tables);
    return end;
  }

  private async payload(seg: Segment, s: Section, where: string, max = MAX_METADATA): Promise<Buffer> {
    const length = Math.min(s.size - DESCRIPTOR_SIZE, max);
    if (s.size - DESCRIPTOR_SIZE > MAX_METADATA) throw invalid(where, `implausibly large (${s.size} bytes)`);
    return readAt(seg.handle, s.offset + DESCRIPTOR_SIZE, length, where);
  }

  private async section(seg: Segment, n: number, s: Section, index: number, tables: TableCopy[], where: string): Promise<void> {
    switch (s.type) {
      case 'header2':
      case 'header': {
        const p = await this.payload(seg, s, where);
        let values: Record<string, string> | undefined;
        try {
          values = parseMainCategory(headerTextOf(p, s.type === 'header2'));
        } catch (err) {
          this.warnings.push(`${where} is damaged (${(err as Error).message}); case metadata taken from another copy if there is one`);
          return;
        }
        if (!values) this.warnings.push(`${where} has no 'main' category`);
        else if (s.type === 'header2') this.header2 ??= values;
        else this.header ??= values;
        return;
      }
      case 'volume':
      case 'disk':
      case 'data': {
        const v = parseVolume(await this.payload(seg, s, where, VOLUME_SIZE), s.type, where);
        if (!this.volume) {
          if (s.type === 'data' && n > 1) throw invalid(where, 'the image has no volume section before it');
          this.volume = { v, where };
          return;
        }
        const first = this.volume.v;
        if (v.setIdentifier !== first.setIdentifier)
          throw invalid(where, `set identifier ${v.setIdentifier} differs from ${first.setIdentifier} in the ${this.volume.where}: the segments belong to different images`);
        if (v.sectorsPerChunk !== first.sectorsPerChunk || v.bytesPerSector !== first.bytesPerSector)
          throw invalid(where, `chunk geometry (${v.sectorsPerChunk} sectors of ${v.bytesPerSector} bytes) differs from the ${this.volume.where} (${first.sectorsPerChunk} of ${first.bytesPerSector})`);
        return;
      }
      case 'table':
      case 'table2':
        tables.push(await this.readTable(seg, s, index, where));
        return;
      case 'error2':
        for (const e of parseError2(await this.payload(seg, s, where), where)) this.errors.push(e);
        return;
      case 'digest':
        this.hashes.push({ source: where, ...parseDigest(await this.payload(seg, s, where), where) });
        return;
      case 'hash': {
        const md5 = parseHash(await this.payload(seg, s, where), where);
        this.hashes.push(md5 ? { source: where, md5 } : { source: where });
        return;
      }
      case 'xhash': {
        // EWF-X (ewfacquire -f ewfx): zlib-compressed XML with <MD5> and <SHA1>.
        let text: string;
        try {
          text = zlib.inflateSync(await this.payload(seg, s, where), { maxOutputLength: 1024 * 1024 }).toString('utf8');
        } catch (err) {
          this.warnings.push(`${where} is damaged (${(err as Error).message})`);
          return;
        }
        const md5 = /<md5>\s*([0-9a-f]{32})\s*</i.exec(text)?.[1]?.toLowerCase();
        const sha1 = /<sha1>\s*([0-9a-f]{40})\s*</i.exec(text)?.[1]?.toLowerCase();
        this.hashes.push({ source: where, ...(md5 && !/^0+$/.test(md5) ? { md5 } : {}), ...(sha1 && !/^0+$/.test(sha1) ? { sha1 } : {}) });
        return;
      }
      case 'sectors': // chunk data: reached through the tables
      case 'xheader': // EWF-X case metadata as XML
      case 'session': // optical disc sessions
        return;
      case 'ltree':
      case 'ltypes':
        throw invalid(where, 'a logical evidence (L01) section: not a disk image');
      default:
        this.warnings.push(`${where}: unknown section type, ignored`);
    }
  }

  private async readTable(seg: Segment, s: Section, index: number, where: string): Promise<TableCopy> {
    const copy: TableCopy = { section: s, index, base: 0, entries: undefined, damage: undefined };
    const room = s.size - DESCRIPTOR_SIZE;
    const header = parseTableHeader(await readAt(seg.handle, s.offset + DESCRIPTOR_SIZE, Math.min(room, TABLE_HEADER_SIZE), where));
    if (typeof header === 'string') {
      copy.damage = header;
      return copy;
    }
    copy.base = header.base;
    // The SMART/EWF layout (94-byte volume) has no checksum after the entries: its chunks follow them.
    const footer = this.volume?.v.layout !== 's01';
    const need = header.count * 4 + (footer ? 4 : 0);
    if (need > room - TABLE_HEADER_SIZE || need > MAX_METADATA) {
      copy.damage = `its ${header.count} entries run past the end of the section`;
      return copy;
    }
    const entries = parseTableEntries(await readAt(seg.handle, s.offset + DESCRIPTOR_SIZE + TABLE_HEADER_SIZE, need, where), header.count, footer);
    if (typeof entries === 'string') copy.damage = entries;
    else copy.entries = entries;
    return copy;
  }

  /** Pair each table with the table2 right after it and take the good copy. */
  private resolveTables(seg: Segment, tables: TableCopy[]): void {
    for (let i = 0; i < tables.length; i++) {
      const t = tables[i]!;
      const where = (c: TableCopy) => `${c.section.type} in ${seg.path} at ${c.section.offset}`;
      if (t.section.type === 'table2') {
        // A table2 without its table before it.
        if (!t.entries) throw invalid(where(t), `damaged (${t.damage}) and no table precedes it`);
        this.addGroup(seg, t);
        continue;
      }
      const mirror = tables[i + 1]?.section.type === 'table2' && tables[i + 1]!.index === t.index + 1 ? tables[i + 1] : undefined;
      if (mirror) i++;
      if (t.entries) {
        if (mirror && !mirror.entries) this.warnings.push(`${where(mirror)} is damaged (${mirror.damage}); table used`);
        else if (mirror?.entries && (mirror.base !== t.base || !Buffer.from(mirror.entries.buffer).equals(Buffer.from(t.entries.buffer))))
          this.warnings.push(`${where(t)} and its table2 differ; table used`);
        this.addGroup(seg, t);
      } else if (mirror?.entries) {
        this.warnings.push(`table in ${seg.path} at ${t.section.offset} is damaged; table2 used`);
        this.addGroup(seg, mirror);
      } else {
        throw invalid(where(t), `damaged (${t.damage})${mirror ? `, and so is its table2 (${mirror.damage})` : ' and no table2 follows it'}`);
      }
    }
  }

  private addGroup(seg: Segment, t: TableCopy): void {
    const entries = t.entries!;
    const where = `${t.section.type} in ${seg.path} at ${t.section.offset}`;
    const firstChunk = this.chunks;
    const n = entries.length;
    if (n === 0) return;
    const group: ChunkGroup = { segment: this.segments.indexOf(seg), firstChunk, base: t.base, entries, overflowFrom: n, end: 0 };
    let prev = -1;
    for (let j = 0; j < n; j++) {
      let off = entryOffset(group, j);
      if (off <= prev && j < group.overflowFrom && t.base + entries[j]! > prev) {
        // EnCase 6.7.1 let offsets beyond 2 GiB spill into the compression bit; what follows is stored raw.
        group.overflowFrom = j;
        off = entryOffset(group, j);
        this.warnings.push(`${where}: chunk offsets pass 2 GiB from entry ${j} on (as EnCase 6.7.1 wrote); those chunks are read as uncompressed`);
      }
      if (off <= prev) throw invalid(where, `entry ${j} (chunk ${firstChunk + j}) points to ${off}, not after the previous chunk at ${prev}`);
      prev = off;
    }
    const start = entryOffset(group, 0);
    const holder = containing(seg.sections, start);
    if (!holder || containing(seg.sections, prev) !== holder)
      throw invalid(where, `its chunks (offsets ${start}..${prev}) do not lie within one section of the file`);
    let floor: number;
    if (holder.type === 'sectors') floor = holder.offset + DESCRIPTOR_SIZE;
    else if (holder === t.section && this.volume?.v.layout === 's01') floor = holder.offset + DESCRIPTOR_SIZE + TABLE_HEADER_SIZE + n * 4;
    else if (holder === t.section) floor = holder.offset + DESCRIPTOR_SIZE + TABLE_HEADER_SIZE + n * 4 + 4;
    else throw invalid(where, `its chunks point into the '${holder.type}' section at ${holder.offset}`);
    if (start < floor) throw invalid(where, `its first chunk at ${start} overlaps the structures of the '${holder.type}' section at ${holder.offset}`);
    group.end = holder.offset + holder.size;
    if (prev >= group.end) throw invalid(where, `its last chunk at ${prev} lies past the end of the '${holder.type}' section at ${holder.offset}`);
    this.groups.push(group);
    this.chunks += n;
  }

  private finish(partial = false): Opened {
    const first = this.segments[0]!.path;
    if (!this.volume) throw invalid(first, "no 'volume' or 'disk' section: not a disk image or damaged");
    const v = this.volume.v;
    const where = this.volume.where;
    if (v.bytesPerSector === 0 || v.sectorsPerChunk === 0) throw invalid(where, `impossible geometry: ${v.sectorsPerChunk} sectors of ${v.bytesPerSector} bytes per chunk`);
    const chunkSize = v.sectorsPerChunk * v.bytesPerSector;
    if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE)
      throw invalid(where, `chunk size ${chunkSize} byte${chunkSize === 1 ? '' : 's'} (${v.sectorsPerChunk} sectors of ${v.bytesPerSector} bytes) is ${chunkSize < MIN_CHUNK_SIZE ? 'too small' : 'too large'}: exhibit reads chunks of ${MIN_CHUNK_SIZE} bytes to ${MAX_CHUNK_SIZE / 1024 / 1024} MiB`);
    const size = v.sectorCount * v.bytesPerSector;
    if (!Number.isSafeInteger(size)) throw invalid(where, `media size ${v.sectorCount} x ${v.bytesPerSector} is implausibly large`);
    if (!partial && this.chunks !== v.chunkCount) throw invalid(where, `declares ${v.chunkCount} chunks but the tables of the image list ${this.chunks}`);
    if (Math.ceil(size / chunkSize) !== v.chunkCount)
      throw invalid(where, `declares ${v.chunkCount} chunks, but ${v.sectorCount} sectors of ${v.bytesPerSector} bytes make ${Math.ceil(size / chunkSize)} chunks of ${chunkSize}`);
    // One warning for the ranges past the media's end, however many: the first of them, and how many.
    const beyond = this.errors.filter((e) => e.first_sector + e.sectors > v.sectorCount);
    if (beyond.length > 0) {
      const e = beyond[0]!;
      this.warnings.push(`error2 lists sectors ${e.first_sector}..${e.first_sector + e.sectors - 1}${beyond.length > 1 ? ` and ${beyond.length - 1} more ranges` : ''}, beyond the media's ${v.sectorCount} sectors`);
    }
    const storedHashes: { md5?: string; sha1?: string } = {};
    for (const kind of ['md5', 'sha1'] as const) {
      for (const h of this.hashes) {
        const value = h[kind];
        if (!value) continue;
        const had = storedHashes[kind];
        if (had && had !== value) throw invalid(h.source, `stored ${kind.toUpperCase()} ${value} contradicts ${had} stored earlier`);
        storedHashes[kind] = value;
      }
    }
    const headerSection = this.header2 ? 'header2' : this.header ? 'header' : undefined;
    if (!headerSection) this.warnings.push('no readable header or header2 section: the case metadata is missing');
    return {
      segments: this.segments,
      groups: this.groups,
      volume: v,
      header: this.header2 ?? this.header ?? {},
      headerSection,
      storedHashes,
      errors: this.errors,
      warnings: this.warnings,
    };
  }
}

/** The section whose byte range holds `position`. */
function containing(sections: Section[], position: number): Section | undefined {
  const s = sections[lastAtOrBefore(sections, (x) => x.offset, position)];
  return s && position < s.offset + s.size ? s : undefined;
}
