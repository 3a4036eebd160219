/**
 * Seekable zstd image writer: `<evidence>.zst`, independent zstd frames of
 * `frameSize` media bytes (content checksum and size on), compressed on the
 * codec worker pool, then the seek table in a skippable frame. Plain
 * `zstd -d` turns it back into the media; exhibit seeks with the table.
 */
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { ExhibitError } from '../../core/errors.js';
import { BatchEncoder, type EncodedUnit } from '../batch-encoder.js';
import { zstdCodec } from './codec.js';
import { hashPrefix } from '../file-hash.js';
import { OutputFile } from '../output-file.js';
import type { ImageFile, ImageWriter, MediaLayout } from '../types.js';
import { seekTable, type FrameEntry } from './layout.js';
import { scanFrames } from './scan.js';

export interface ZstdWriterOptions {
  dir: string;
  base: string;
  frameSize: number;
  level: number;
  threads?: number;
  staged?: boolean; // written as <base>.zst.partial (see publishStaged)
}

/** What the journal keeps of a seekable zstd image at a safe point: the durable bytes hold whole frames. */
export interface ZstdResumeState {
  size: number;
  frames: number;
}

export class ZstdWriter implements ImageWriter {
  readonly format = 'zst' as const;
  readonly layout: MediaLayout = { kind: 'container' };
  private readonly encoder: BatchEncoder;
  private file: OutputFile;
  private readonly entries: FrameEntry[] = [];
  private media = 0; // media bytes laid down
  // The file is written strictly in order (nothing is patched later), so its SHA-256 is taken as it is written.
  private readonly fileHash = crypto.createHash('sha256');

  constructor(private readonly o: ZstdWriterOptions) {
    this.file = new OutputFile(path.join(o.dir, `${o.base}.zst`), o.staged === true);
    this.encoder = new BatchEncoder(o.frameSize, zstdCodec(o.level), (units) => this.addFrames(units), o.threads);
  }

  plannedFiles(): string[] {
    return [`${this.o.base}.zst`];
  }

  private async addFrames(units: EncodedUnit[]): Promise<void> {
    for (const u of units) {
      const b = u.bytes;
      // A frame with its content checksum ends with it: the low 32 bits of XXH64, what the seek table wants.
      const checksum = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(b.length - 4, true);
      this.entries.push({ compressed: b.length, decompressed: u.mediaLength, checksum });
      this.media += u.mediaLength;
    }
    const parts = units.map((u) => u.bytes);
    await this.file.writev(parts);
    for (const p of parts) this.fileHash.update(p);
  }

  write(data: Uint8Array): Promise<void> {
    return this.encoder.write(data);
  }

  async sync(): Promise<number> {
    await this.encoder.flushWhole();
    await this.file.sync();
    return this.media;
  }

  resumeState(): ZstdResumeState {
    return { size: this.file.size, frames: this.entries.length };
  }

  async resume(mediaBytes: number, state?: unknown): Promise<void> {
    const st = state as ZstdResumeState | undefined;
    if (mediaBytes === 0 || !st) {
      await fsp.rm(this.file.filePath, { force: true }); // nothing was durable: written again
      return;
    }
    const h = await fsp.open(this.file.filePath, 'r');
    let found: FrameEntry[];
    try {
      ({ entries: found } = await scanFrames(h, st.size, () => this.o.frameSize));
    } finally {
      await h.close();
    }
    if (found.length !== st.frames || found.length * this.o.frameSize !== mediaBytes) {
      throw new ExhibitError('RESUME_MISMATCH', `${this.file.filePath} holds ${found.length} whole frames before byte ${st.size}, the journal says ${st.frames}`);
    }
    this.file = await OutputFile.adopt(this.file.filePath, st.size);
    await hashPrefix(this.file.filePath, st.size, this.fileHash);
    for (const e of found) this.entries.push(e);
    this.media = mediaBytes;
  }

  async finish(): Promise<ImageFile[]> {
    try {
      await this.encoder.flushAll();
      const table = seekTable(this.entries);
      await this.file.write(table);
      this.fileHash.update(table);
      await this.file.sync();
      await this.file.close();
      return [{ name: this.file.name, size: this.file.size, sha256: this.fileHash.digest('hex') }];
    } finally {
      await this.encoder.close();
    }
  }

  async close(): Promise<ImageFile[]> {
    await this.encoder.close();
    await this.file.sync();
    await this.file.close();
    return this.file.size > 0 ? [{ name: this.file.name, size: this.file.size }] : [];
  }
}
