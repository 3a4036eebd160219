/**
 * Reads EWF (E01) images: EnCase 1-7, FTK Imager, linen, libewf's ewfacquire,
 * and the SMART/EWF variant with a 94-byte volume and chunks inside the table
 * section. Opening walks every section of every segment file and checks every
 * structure's Adler-32; reading decodes chunks on demand and checks each one.
 * Anything damaged, truncated or inconsistent is an ExhibitError
 * 'IMAGE_INVALID' naming the file and offset (or, for a chunk, the chunk and
 * the media bytes it covers). SPEC.md beside this file describes the layout.
 *
 * The work is spread over: segment-files.ts (finding and opening segments),
 * walk.ts (a segment's sections), section-contents.ts (what each section
 * holds), tables.ts (tables into chunk groups), opener.ts (the whole image),
 * chunk-store.ts (locating, fetching and decoding chunks).
 */
import path from 'node:path';
import { ExhibitError, withDamagedRange } from '../../core/errors.js';
import type { FormatName, ImageCaseFacts, ImageReader, IntegrityUnitKind, ScannedUnit, UnitsOptions } from '../types.js';
import { type ChunkLocation, ChunkStore } from './chunk-store.js';
import { MEDIA_TYPES } from './layout.js';
import type { EwfPartialState, Opened } from './model.js';
import { Opener } from './opener.js';
import type { ErrorRange, EwfVolume } from './sections.js';

export type { ErrorRange, EwfVolume } from './sections.js';
export type { ChunkLocation } from './chunk-store.js';
export type { EwfPartialState } from './model.js';

export class EwfReader implements ImageReader {
  readonly format: FormatName = 'e01';
  readonly unitKind: IntegrityUnitKind = 'chunk';
  get unitBytes(): number {
    return this.chunkSize;
  }
  readonly size: number;
  readonly files: readonly string[];
  readonly chunkCount: number;
  readonly chunkSize: number;
  readonly volume: EwfVolume;
  /** The `main` category of the case metadata: identifiers (c, n, a, e, t, av, ov, m, u, ...) to values. */
  readonly header: Record<string, string>;
  /** Which section `header` came from: header2 dates (m, u) are POSIX seconds, header dates are local "Y M D h m s". */
  readonly headerSection: 'header2' | 'header' | undefined;
  readonly storedHashes: { md5?: string; sha1?: string; sha256?: string };
  /** Sector ranges the acquiring tool could not read (error2 section). */
  readonly errors: readonly ErrorRange[];
  readonly warnings: string[];
  /** Those of `warnings` that say a segment is damaged. */
  readonly damaged: readonly string[];

  private readonly store: ChunkStore;

  private constructor(o: Opened) {
    this.files = o.segments.map((s) => s.path);
    this.volume = o.volume;
    this.chunkSize = o.volume.sectorsPerChunk * o.volume.bytesPerSector;
    this.chunkCount = o.partialChunks ?? o.mediaChunks ?? o.volume.chunkCount;
    this.size = o.partialChunks === undefined ? o.volume.sectorCount * o.volume.bytesPerSector : o.partialChunks * this.chunkSize;
    this.header = o.header;
    this.headerSection = o.headerSection;
    this.storedHashes = o.storedHashes;
    this.errors = o.errors;
    this.warnings = o.warnings;
    this.damaged = o.damaged;
    this.store = new ChunkStore(o.segments, o.groups, this.chunkSize, this.chunkCount, this.size, this.warnings);
  }

  get sectorSize(): number {
    return this.volume.bytesPerSector;
  }

  get errorRanges(): readonly ErrorRange[] {
    return this.errors;
  }

  /** The header's case facts (c, n, e, a, t, md, sn) as written, and what the volume says of the media. */
  get caseFacts(): ImageCaseFacts {
    const type = (Object.entries(MEDIA_TYPES) as [NonNullable<ImageCaseFacts['mediaType']>, number][]).find(([, code]) => code === this.volume.mediaType)?.[0];
    const facts: ImageCaseFacts = { removable: this.volume.mediaType === 0, ...(type ? { mediaType: type } : {}), physical: ((this.volume.mediaFlags ?? 0) & 2) !== 0 };
    const fields = { case: 'c', evidence: 'n', examiner: 'e', description: 'a', notes: 't', model: 'md', serial: 'sn' } as const;
    for (const [key, id] of Object.entries(fields) as [keyof typeof fields, string][]) {
      const value = this.header[id];
      if (value !== undefined) facts[key] = value;
    }
    return facts;
  }

  /** Every chunk in order, read in batches of about 4 MiB (into the room given, when one is: see core/hash-stream.ts); a damaged one comes with its error. */
  async *units(o?: UnitsOptions): AsyncGenerator<ScannedUnit> {
    const batch = Math.max(1, Math.floor((4 * 1024 * 1024) / this.chunkSize));
    for (let first = 0; first < this.chunkCount; ) {
      const room = o?.room?.();
      const fit = room ? Math.floor(room.length / this.chunkSize) : 0;
      const count = Math.min(fit > 0 ? fit : batch, this.chunkCount - first);
      const got = await this.store.chunks(first, count, true, fit > 0 ? room : undefined);
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
      first += count;
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
    return this.store.locate(index);
  }

  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    if (this.store.closed) throw new ExhibitError('INTERNAL', 'read after close');
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) throw new RangeError(`bad read range ${offset}+${length}`);
    const end = Math.min(offset + length, this.size, offset + into.length);
    if (end <= offset) return 0;
    const firstChunk = Math.floor(offset / this.chunkSize);
    const lastChunk = Math.floor((end - 1) / this.chunkSize);
    // Whole chunks into a buffer that starts with one (a mount's cache fetches so): decoded where they
    // go. Damage is then found again the usual way below, which names the chunk and its media bytes.
    if (offset === firstChunk * this.chunkSize && end - offset === Math.min(this.size, (lastChunk + 1) * this.chunkSize) - offset) {
      const done = await this.store.decodeInto(into, firstChunk, lastChunk).then(
        () => true,
        (err: unknown) => {
          if (err instanceof ExhibitError && err.code === 'IMAGE_INVALID') return false;
          throw err;
        },
      );
      if (done) return end - offset;
    }
    const decoded = await this.chunks(firstChunk, lastChunk - firstChunk + 1);
    decoded.forEach((data, k) => {
      const index = firstChunk + k;
      if (data instanceof ExhibitError) throw withDamagedRange(data, index * this.chunkSize, Math.min(this.size, (index + 1) * this.chunkSize) - 1);
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
  chunks(first: number, count: number): Promise<(Buffer | ExhibitError)[]> {
    return this.store.chunks(first, count);
  }

  /** Decode chunk `index` (checked); the bytes are exactly the media bytes it covers. */
  chunk(index: number): Promise<Buffer> {
    return this.store.chunk(index);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
