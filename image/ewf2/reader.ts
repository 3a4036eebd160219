/**
 * Reads EWF2 (Ex01) disk images, as EnCase 7 and later and libewf write them.
 * Opening walks every section of every segment (opener.ts, segments.ts) and
 * checks every structure; reading decodes chunks on demand and checks each
 * (chunks.ts). SPEC.md beside this file describes the layout.
 */
import { ExhibitError } from '../../core/errors.js';
import type { ImageCaseFacts, ImageErrorRange, ImageReader, IntegrityUnitKind, ReadableFormatName, ScannedUnit, UnitsOptions } from '../types.js';
import { Ex01Chunks } from './chunks.js';
import { type Ex01Opened, openEx01 } from './opener.js';

export class Ex01Reader implements ImageReader {
  readonly format: ReadableFormatName = 'ex01';
  readonly unitKind: IntegrityUnitKind = 'chunk';
  get unitBytes(): number {
    return this.chunkSize;
  }
  readonly size: number;
  readonly files: readonly string[];
  readonly sectorSize: number;
  readonly chunkSize: number;
  readonly chunkCount: number;
  readonly storedHashes: Readonly<{ md5?: string; sha1?: string }>;
  readonly errorRanges: readonly ImageErrorRange[];
  readonly warnings: string[];
  /** The device information and case data as stored: attribute tags to values. */
  readonly device: Readonly<Record<string, string>>;
  readonly caseData: Readonly<Record<string, string>>;
  private readonly store: Ex01Chunks;

  private constructor(o: Ex01Opened) {
    this.files = o.segments.map((s) => s.path);
    this.size = o.size;
    this.sectorSize = o.sectorSize;
    this.chunkSize = o.chunkSize;
    this.chunkCount = o.chunkCount;
    this.storedHashes = o.storedHashes;
    this.errorRanges = o.errors;
    this.warnings = o.warnings;
    this.device = o.device;
    this.caseData = o.caseData;
    this.store = new Ex01Chunks(o.segments, o.groups, o.chunkSize, o.chunkCount, o.size, o.compression, o.sectorSize, this.warnings);
  }

  static async open(firstSegment: string): Promise<Ex01Reader> {
    return new Ex01Reader(await openEx01(firstSegment));
  }

  /** Case data (case and evidence number, examiner, name, notes) and device information (model, serial, drive type, physical). */
  get caseFacts(): ImageCaseFacts {
    const c = this.caseData;
    const d = this.device;
    const facts: ImageCaseFacts = { removable: d.dt === 'r', physical: d.ph === '1' };
    const fields: [keyof ImageCaseFacts, string | undefined][] = [
      ['case', c.cn],
      ['evidence', c.en],
      ['examiner', c.ex],
      ['description', c.nm],
      ['notes', c.nt],
      ['model', d.md],
      ['serial', d.sn],
    ];
    for (const [key, value] of fields) if (value !== undefined && value !== '') (facts as unknown as Record<string, string>)[key] = value;
    return facts;
  }

  /** Every chunk in order, read in batches of about 4 MiB (into the room given, when one is: see core/hash-stream.ts); a damaged one comes with its error. */
  async *units(o?: UnitsOptions): AsyncGenerator<ScannedUnit> {
    const batch = Math.max(1, Math.floor((4 * 1024 * 1024) / this.chunkSize));
    for (let first = 0; first < this.chunkCount; ) {
      const room = o?.room?.();
      const fit = room ? Math.floor(room.length / this.chunkSize) : 0;
      const count = Math.min(fit > 0 ? fit : batch, this.chunkCount - first);
      const got = await this.store.chunks(first, count, true, fit > 0 ? room : undefined); // each chunk is used before the next batch
      for (const [k, data] of got.entries()) {
        const i = first + k;
        const start = i * this.chunkSize;
        if (!(data instanceof ExhibitError)) yield { start, data };
        else yield { start, bytes: Math.min(this.chunkSize, this.size - start), file: this.store.fileOf(i), index: i, error: data };
      }
      first += count;
    }
  }

  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    if (this.store.closed) throw new ExhibitError('INTERNAL', 'read after close');
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) throw new RangeError(`bad read range ${offset}+${length}`);
    const end = Math.min(offset + length, this.size, offset + into.length);
    if (end <= offset) return 0;
    const firstChunk = Math.floor(offset / this.chunkSize);
    const lastChunk = Math.floor((end - 1) / this.chunkSize);
    const decoded = await this.store.chunks(firstChunk, lastChunk - firstChunk + 1);
    decoded.forEach((data, k) => {
      if (data instanceof ExhibitError) throw data;
      const base = (firstChunk + k) * this.chunkSize;
      const from = Math.max(offset, base);
      const to = Math.min(end, base + data.length);
      into.set(data.subarray(from - base, to - base), from - offset);
    });
    return end - offset;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
