/**
 * EWF (E01, EnCase 6 layout) writer. Media bytes arrive in order; they are
 * cut into chunks, encoded on the compression worker pool, and laid down in
 * order into `sectors` sections, each followed by its `table` and `table2`.
 * Segment files are rolled over before they would pass the segment size.
 * See SPEC.md for the section order.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { fileSha256 } from '../file-hash.js';
import path from 'node:path';
import { ExhibitError } from '../../core/errors.js';
import { OutputFile } from '../output-file.js';
import type { ImageFile, ImageWriter, MediaLayout, SealInfo } from '../types.js';
import type { Compression, EncodedChunk } from './chunk-codec.js';
import { BatchEncoder } from '../batch-encoder.js';
import { ewfCodec } from './codec.js';
import { header2Payload, headerPayload, type EwfCaseInfo } from './header-text.js';
import type { EwfPartialState } from './reader.js';
import {
  DESCRIPTOR_SIZE,
  DIGEST_SIZE,
  ERROR2_HEADER_SIZE,
  HASH_SIZE,
  MAX_TABLE_ENTRIES,
  MEDIA_TYPES,
  TABLE_COMPRESSED,
  TABLE_HEADER_SIZE,
  VOLUME,
  VOLUME_SIZE,
  descriptor,
  fileHeader,
  sealPayload,
  segmentExtension,
  type MediaType,
} from './layout.js';
import { adler32 } from '../../core/adler32.js';

export interface EwfWriterOptions {
  dir: string;
  base: string;
  segmentSize: number;
  chunkSectors: number;
  sectorSize: number;
  mediaBytes: number; // a whole number of sectors (the caller pads the last one)
  compression: Compression;
  mediaType: MediaType;
  physical: boolean;
  info: EwfCaseInfo;
  threads?: number;
  staged?: boolean; // each segment written as <name>.partial (see publishStaged)
}

/** Bytes the end of a segment may need beyond its last group: data, error2 header, digest, hash, done/next. */
const CLOSING_RESERVE = 4 * DESCRIPTOR_SIZE + VOLUME_SIZE + ERROR2_HEADER_SIZE + DIGEST_SIZE + HASH_SIZE + 4096;

function tableSectionSize(entries: number): number {
  return DESCRIPTOR_SIZE + TABLE_HEADER_SIZE + 4 * entries + 4;
}

export class EwfWriter implements ImageWriter {
  readonly format = 'e01' as const;
  readonly layout: MediaLayout = { kind: 'container' };
  private readonly chunkSize: number;
  private readonly encoder: BatchEncoder;
  private setId = crypto.randomBytes(16);
  private volumePayload: Buffer;
  private readonly segments: OutputFile[] = [];
  private file: OutputFile | undefined;
  private group: { base: number; entries: number[] } | undefined;
  private chunksInSegment = 0;
  private chunksLaid = 0; // chunks written to segment files

  constructor(private readonly o: EwfWriterOptions) {
    if (o.mediaBytes % o.sectorSize !== 0) throw new ExhibitError('INTERNAL', 'EWF media must be a whole number of sectors');
    this.chunkSize = o.chunkSectors * o.sectorSize;
    this.encoder = new BatchEncoder(this.chunkSize, ewfCodec(o.compression), (units) => this.addChunks(units), o.threads);
    this.volumePayload = this.volume();
  }

  plannedFiles(mediaSize: number): string[] {
    // Without compression a segment holds at most segmentSize bytes; compression only makes fewer.
    const n = Math.max(1, Math.ceil((mediaSize * 1.01 + 65536) / Math.max(this.o.segmentSize - CLOSING_RESERVE, 1)));
    return Array.from({ length: Math.min(n, 1295) }, (_, i) => `${this.o.base}.${segmentExtension(i + 1)}`);
  }

  private volume(): Buffer {
    const v = Buffer.alloc(VOLUME_SIZE);
    v[VOLUME.mediaType] = MEDIA_TYPES[this.o.mediaType];
    v.writeUInt32LE(Math.ceil(this.o.mediaBytes / this.chunkSize), VOLUME.chunkCount);
    v.writeUInt32LE(this.o.chunkSectors, VOLUME.sectorsPerChunk);
    v.writeUInt32LE(this.o.sectorSize, VOLUME.bytesPerSector);
    v.writeBigUInt64LE(BigInt(this.o.mediaBytes / this.o.sectorSize), VOLUME.sectorCount);
    v[VOLUME.mediaFlags] = 0x01 | (this.o.physical ? 0x02 : 0);
    v[VOLUME.compressionLevel] = this.o.compression === 'fast' ? 1 : this.o.compression === 'best' ? 2 : 0;
    v.writeUInt32LE(this.o.chunkSectors, VOLUME.errorGranularity);
    this.setId.copy(v, VOLUME.setIdentifier);
    return sealPayload(v, VOLUME.checksum);
  }

  // ---- laying sections down -------------------------------------------------

  private async section(type: string, payload: Uint8Array): Promise<void> {
    const f = this.file!;
    const size = DESCRIPTOR_SIZE + payload.length;
    await f.write(descriptor(type, f.size + size, size));
    if (payload.length > 0) await f.write(payload);
  }

  /** next and done: size 0, next pointing at themselves (what libewf writes and expects). */
  private async terminal(type: 'next' | 'done'): Promise<void> {
    const f = this.file!;
    await f.write(descriptor(type, f.size, 0));
  }

  private async openSegment(): Promise<void> {
    const n = this.segments.length + 1;
    const f = new OutputFile(path.join(this.o.dir, `${this.o.base}.${segmentExtension(n)}`), this.o.staged === true);
    this.segments.push(f);
    this.file = f;
    this.chunksInSegment = 0;
    await f.write(fileHeader(n));
    if (n === 1) {
      const h2 = header2Payload(this.o.info);
      await this.section('header2', h2);
      await this.section('header2', h2);
      await this.section('header', headerPayload(this.o.info));
      await this.section('volume', this.volumePayload);
    } else {
      await this.section('data', this.volumePayload);
    }
  }

  private async openGroup(): Promise<void> {
    const f = this.file!;
    this.group = { base: f.size, entries: [] };
    await f.write(Buffer.alloc(DESCRIPTOR_SIZE)); // the sectors descriptor, completed when the group closes
  }

  private tablePayload(base: number, entries: number[]): Buffer {
    const b = Buffer.alloc(TABLE_HEADER_SIZE + 4 * entries.length + 4);
    b.writeUInt32LE(entries.length, 0);
    b.writeBigUInt64LE(BigInt(base), 8);
    b.writeUInt32LE(adler32(b, 1, 0, 20), 20);
    for (const [i, e] of entries.entries()) b.writeUInt32LE(e, TABLE_HEADER_SIZE + 4 * i);
    b.writeUInt32LE(adler32(b, 1, TABLE_HEADER_SIZE, TABLE_HEADER_SIZE + 4 * entries.length), TABLE_HEADER_SIZE + 4 * entries.length);
    return b;
  }

  private async closeGroup(): Promise<void> {
    const g = this.group;
    if (!g) return;
    this.group = undefined;
    const f = this.file!;
    const end = f.size;
    // Nothing stands between the last chunk and its table: a chunk's length is the gap to the next entry or to the table.
    await f.writeAt(g.base, descriptor('sectors', end, end - g.base));
    const table = this.tablePayload(g.base, g.entries);
    await this.section('table', table);
    await this.section('table2', table);
  }

  /**
   * Lay a batch of encoded chunks down in order. Chunks are gathered and
   * written with one writev, flushed early only where a group or a segment
   * must close (a write per 32 KiB chunk would cost a system call round trip
   * each).
   */
  private async addChunks(chunks: EncodedChunk[]): Promise<void> {
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      await this.file!.writev(pending);
      pending = [];
      pendingBytes = 0;
    };
    for (const c of chunks) {
      if (!this.file) await this.openSegment();
      const at = () => this.file!.size + pendingBytes; // where the next byte will land
      const entriesAfter = (this.group?.entries.length ?? 0) + 1;
      const need = c.bytes.length + 2 * tableSectionSize(entriesAfter) + CLOSING_RESERVE;
      if (this.chunksInSegment > 0 && at() + need > this.o.segmentSize) {
        await flush();
        await this.closeGroup();
        await this.terminal('next');
        await this.file!.sync();
        await this.file!.close();
        await this.openSegment();
      }
      if (this.group && (this.group.entries.length >= MAX_TABLE_ENTRIES || at() + c.bytes.length - this.group.base > 0x7fffffff)) {
        await flush();
        await this.closeGroup();
      }
      if (!this.group) await this.openGroup();
      const g = this.group!;
      g.entries.push(((at() - g.base) | (c.compressed ? TABLE_COMPRESSED : 0)) >>> 0);
      pending.push(c.bytes);
      pendingBytes += c.bytes.length;
      this.chunksInSegment++;
      this.chunksLaid++;
    }
    if (this.file) await flush();
  }

  // ---- the ImageWriter contract ---------------------------------------------

  write(data: Uint8Array): Promise<void> {
    return this.encoder.write(data);
  }

  async sync(): Promise<number> {
    await this.encoder.flushWhole();
    await this.file?.sync();
    return this.chunksLaid * this.chunkSize;
  }

  resumeState(): EwfPartialState {
    return {
      set_id: this.setId.toString('hex'),
      segments: this.segments.map((s) => ({ name: s.name, size: s.size })),
      ...(this.group ? { group: { base: this.group.base, entries: [...this.group.entries] } } : {}),
      chunks: this.chunksLaid,
      chunks_in_segment: this.chunksInSegment,
    };
  }

  async resume(mediaBytes: number, state?: unknown): Promise<void> {
    const st = state as EwfPartialState | undefined;
    if (this.segments.length > 0) throw new ExhibitError('INTERNAL', 'resume after writing');
    if (mediaBytes === 0 || !st) {
      await this.removeSegmentsFrom(1); // nothing was durable: the killed run's files are written again
      return;
    }
    if (st.chunks * this.chunkSize !== mediaBytes) throw new ExhibitError('RESUME_MISMATCH', `the journal's E01 state holds ${st.chunks} chunks, not ${mediaBytes} bytes`);
    // The journal is a file anyone with the folder can edit: its segment names must be the ones this
    // writer gives (a name like ../backup/EV.E02 would aim the cut and the writes outside the folder).
    st.segments.forEach((s, i) => {
      const own = `${this.o.base}.${segmentExtension(i + 1)}`;
      if (s.name !== own || !Number.isSafeInteger(s.size) || s.size < 0) throw new ExhibitError('RESUME_MISMATCH', `the journal's E01 state names segment ${i + 1} ${JSON.stringify(s.name)} of ${s.size} bytes; exhibit names it ${own}: the journal was edited`);
    });
    this.setId = Buffer.from(st.set_id, 'hex');
    this.volumePayload = this.volume();
    for (const [i, s] of st.segments.entries()) {
      const p = path.join(this.o.dir, s.name);
      if (i < st.segments.length - 1) {
        const done = new OutputFile(p);
        done.size = s.size;
        this.segments.push(done);
      } else {
        this.file = await OutputFile.adopt(p, s.size);
        this.segments.push(this.file);
      }
    }
    await this.removeSegmentsFrom(st.segments.length + 1); // begun after the safe point: written again
    this.group = st.group ? { base: st.group.base, entries: [...st.group.entries] } : undefined;
    this.chunksLaid = st.chunks;
    this.chunksInSegment = st.chunks_in_segment ?? st.group?.entries.length ?? 0;
  }

  private async removeSegmentsFrom(n: number): Promise<void> {
    for (; ; n++) {
      const p = path.join(this.o.dir, `${this.o.base}.${segmentExtension(n)}`);
      if (!(await fs.stat(p).then(() => true, () => false))) break;
      await fs.rm(p);
    }
  }

  async finish(seal: SealInfo = {}): Promise<ImageFile[]> {
    try {
      await this.encoder.flushAll();
      if (!this.file) await this.openSegment();
      await this.closeGroup();
      if (this.segments.length === 1) await this.section('data', this.volumePayload);
      const errors = (seal.unreadable ?? []).filter((r) => r.first_sector + r.sectors <= 0xffffffff);
      if (errors.length > 0) {
        const head = Buffer.alloc(ERROR2_HEADER_SIZE);
        head.writeUInt32LE(errors.length, 0);
        sealPayload(head, 516);
        const list = Buffer.alloc(8 * errors.length + 4);
        for (const [i, r] of errors.entries()) {
          list.writeUInt32LE(r.first_sector, 8 * i);
          list.writeUInt32LE(r.sectors, 8 * i + 4);
        }
        sealPayload(list, 8 * errors.length);
        await this.section('error2', Buffer.concat([head, list]));
      }
      if (seal.md5 && seal.sha1) {
        const d = Buffer.alloc(DIGEST_SIZE);
        Buffer.from(seal.md5, 'hex').copy(d, 0);
        Buffer.from(seal.sha1, 'hex').copy(d, 16);
        await this.section('digest', sealPayload(d, 76));
      }
      if (seal.md5) {
        const h = Buffer.alloc(HASH_SIZE);
        Buffer.from(seal.md5, 'hex').copy(h, 0);
        await this.section('hash', sealPayload(h, 32));
      }
      await this.terminal('done');
      await this.file!.sync();
      await this.file!.close();
      this.file = undefined;
      return await Promise.all(this.segments.map(async (s) => ({ name: s.name, size: s.size, sha256: await fileSha256(s.filePath) })));
    } finally {
      await this.encoder.close();
    }
  }

  async close(): Promise<ImageFile[]> {
    await this.encoder.close();
    if (this.file) {
      await this.file.sync();
      await this.file.close();
      this.file = undefined;
    }
    return this.segments.map((s) => ({ name: s.name, size: s.size }));
  }
}
