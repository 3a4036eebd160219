import fs from 'node:fs/promises';
import path from 'node:path';
import { ExhibitError } from '../../core/errors.js';
import type { ImageFile, ImageWriter, MediaLayout } from '../types.js';
import { OutputFile } from '../output-file.js';
import { segmentCount, segmentName } from '../split-raw/naming.js';

/**
 * Raw media bytes, verbatim: one `<base>.raw` file, or with a segment size
 * consecutive `<base>.001`, `.002`, ... files of exactly that size but the last.
 * The media is never padded: an odd-sized source gives an odd-sized image.
 * Blocks of zeros are left as holes in the files (OutputFile.writeSparse):
 * the files read back every byte of the media, zeros included.
 */
export class RawWriter implements ImageWriter {
  readonly format;
  readonly layout: MediaLayout;
  private readonly files: OutputFile[] = [];
  private current: OutputFile | undefined;

  constructor(
    private readonly dir: string,
    private readonly base: string,
    private readonly segmentSize: number | null,
    private readonly staged = false,
  ) {
    this.format = segmentSize === null ? ('raw' as const) : ('split-raw' as const);
    this.layout = { kind: 'slices', segmentSize };
  }

  plannedFiles(mediaSize: number): string[] {
    if (this.segmentSize === null) return [`${this.base}.raw`];
    const n = segmentCount(mediaSize, this.segmentSize);
    return Array.from({ length: n }, (_, i) => segmentName(this.base, i));
  }

  private nextFile(): OutputFile {
    const name = this.segmentSize === null ? `${this.base}.raw` : segmentName(this.base, this.files.length);
    const f = new OutputFile(path.join(this.dir, name), this.staged);
    this.files.push(f);
    return f;
  }

  async write(data: Uint8Array): Promise<void> {
    let pos = 0;
    while (pos < data.length) {
      if (!this.current || (this.segmentSize !== null && this.current.size >= this.segmentSize)) {
        // Finish the full segment before starting the next, so at most one file is unsynced.
        await this.current?.sync();
        await this.current?.close();
        this.current = this.nextFile();
      }
      const room = this.segmentSize === null ? data.length - pos : this.segmentSize - this.current.size;
      const take = Math.min(room, data.length - pos);
      await this.current.writeSparse(data.subarray(pos, pos + take));
      pos += take;
    }
  }

  async sync(): Promise<number> {
    await this.current?.sync();
    return this.files.reduce((a, f) => a + f.size, 0);
  }

  resumeState(): undefined {
    return undefined; // the byte count says everything
  }

  async resume(mediaBytes: number): Promise<void> {
    if (this.files.length > 0) throw new ExhibitError('INTERNAL', 'resume after writing');
    const seg = this.segmentSize;
    const whole = seg === null ? 0 : Math.floor(mediaBytes / seg); // segments complete before the safe point
    const partial = seg === null ? mediaBytes : mediaBytes - whole * seg;
    const names = seg === null ? [`${this.base}.raw`] : Array.from({ length: whole + 1 }, (_, i) => segmentName(this.base, i));
    for (const [i, name] of names.entries()) {
      const p = path.join(this.dir, name);
      const last = i === names.length - 1;
      const need = last ? partial : seg!;
      const size = await fs.stat(p).then((s) => s.size, () => -1);
      // Nothing of this file is safe yet (a segment boundary, or no byte at all): it starts fresh.
      if (last && need === 0 && (seg !== null || size < 0)) break;
      if (size < need) {
        throw new ExhibitError('RESUME_MISMATCH', `${p} holds ${Math.max(size, 0)} bytes but the journal says ${need} were written safely; the partial image was changed or lost`);
      }
      if (last) {
        this.current = await OutputFile.adopt(p, need);
        this.files.push(this.current);
      } else {
        if (size !== need) throw new ExhibitError('RESUME_MISMATCH', `segment ${p} should hold ${need} bytes but holds ${size}`);
        const done = new OutputFile(p);
        done.size = size;
        this.files.push(done);
      }
    }
    // Segments written after the safe point are not part of the image yet: they will be written again.
    if (seg !== null) {
      for (let i = this.files.length; ; i++) {
        const p = path.join(this.dir, segmentName(this.base, i));
        if (!(await fs.stat(p).then(() => true, () => false))) break;
        await fs.rm(p);
      }
    }
  }

  async finish(): Promise<ImageFile[]> {
    if (this.files.length === 0) {
      this.current = this.nextFile(); // an empty medium still gets its (empty) file
      await this.current.write(new Uint8Array(0));
    }
    return this.close();
  }

  async close(): Promise<ImageFile[]> {
    if (this.current) {
      await this.current.sync();
      await this.current.close();
      this.current = undefined;
    }
    return this.files.map((f) => ({ name: f.name, size: f.size }));
  }
}
