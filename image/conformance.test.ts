/**
 * The suite every image format passes: what is written reads back exactly,
 * at any offset, and a writer never replaces an existing file.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RawReader } from './raw/reader.js';
import { RawWriter } from './raw/writer.js';
import { EwfReader } from './ewf/reader.js';
import { EwfWriter } from './ewf/writer.js';
import { ZstdReader } from './zstd/reader.js';
import { ZstdWriter } from './zstd/writer.js';
import { findSegments } from './split-raw/naming.js';
import type { ImageReader, ImageWriter } from './types.js';

interface FormatUnderTest {
  name: string;
  sizes: number[]; // media sizes the format can hold (E01: whole sectors)
  writer: (dir: string, base: string, size: number) => ImageWriter;
  reader: (dir: string, base: string) => Promise<ImageReader>;
}

const ANY_SIZE = [1, 511, 512, 64 * 1024, 64 * 1024 + 1, 300_001];
const ewfInfo = { caseNumber: 'C-1', evidenceNumber: 'EV', examiner: 'Conformance', version: '0', os: 'Linux', acquired: new Date(0), system: new Date(0) };

const formats: FormatUnderTest[] = [
  {
    name: 'raw',
    sizes: ANY_SIZE,
    writer: (dir, base) => new RawWriter(dir, base, null),
    reader: (dir, base) => RawReader.open([path.join(dir, `${base}.raw`)]),
  },
  {
    name: 'split-raw',
    sizes: ANY_SIZE,
    writer: (dir, base) => new RawWriter(dir, base, 64 * 1024),
    reader: async (dir, base) => RawReader.open((await findSegments(path.join(dir, `${base}.001`))).files),
  },
  {
    name: 'e01',
    sizes: [512, 64 * 1024, 64 * 1024 + 512, 300_032, 5 * 1024 * 1024],
    writer: (dir, base, size) =>
      new EwfWriter({ dir, base, segmentSize: 1024 * 1024, chunkSectors: 16, sectorSize: 512, mediaBytes: size, compression: 'fast', mediaType: 'fixed', physical: false, info: ewfInfo, threads: 2 }),
    reader: (dir, base) => EwfReader.open(path.join(dir, `${base}.E01`)),
  },
  {
    name: 'zst',
    sizes: ANY_SIZE,
    writer: (dir, base) => new ZstdWriter({ dir, base, frameSize: 64 * 1024, level: 3, threads: 2 }),
    reader: (dir, base) => ZstdReader.open(path.join(dir, `${base}.zst`)),
  },
];

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'exhibit-conformance-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Deterministic media: a seeded stream, cut into writes of uneven sizes. */
function media(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let block = crypto.createHash('sha256').update(String(seed)).digest();
  for (let i = 0; i < size; i += 32) {
    block.copy(out, i, 0, Math.min(32, size - i));
    block = crypto.createHash('sha256').update(block).digest();
  }
  return out;
}

async function writeAll(w: ImageWriter, data: Buffer): Promise<void> {
  const cuts = [1, 511, 4096, 65536, 70000, 3];
  let pos = 0;
  for (let i = 0; pos < data.length; i++) {
    const n = Math.min(cuts[i % cuts.length]!, data.length - pos);
    await w.write(data.subarray(pos, pos + n));
    pos += n;
  }
}

for (const f of formats) {
  describe(`image format ${f.name}`, () => {
    for (const size of f.sizes) {
      it(`writes ${size} bytes and reads them back exactly`, async () => {
        const dir = fs.mkdtempSync(path.join(work, `${f.name}-`));
        const data = media(size, size);
        const w = f.writer(dir, 'EV', size);
        await writeAll(w, data);
        const files = await w.finish();
        // Planned names are the most a writer may need (a compressing one may need fewer); it never uses others.
        expect(w.plannedFiles(size).slice(0, files.length)).toEqual(files.map((x) => x.name));
        if (w.layout.kind === 'slices') expect(files.reduce((a, x) => a + x.size, 0)).toBe(size);
        const r = await f.reader(dir, 'EV');
        try {
          expect(r.size).toBe(size);
          const all = Buffer.alloc(size);
          expect(await r.read(all, 0, size)).toBe(size);
          expect(all.equals(data)).toBe(true);
          // seeded random reads, across segment boundaries and past the end
          let x = size >>> 0 || 1;
          const next = (): number => {
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            return (x >>> 0) / 2 ** 32;
          };
          for (let i = 0; i < 200; i++) {
            const off = Math.floor(next() * size);
            const len = Math.floor(next() * 140_000) + 1;
            const buf = Buffer.alloc(len);
            const n = await r.read(buf, off, len);
            expect(n).toBe(Math.min(len, size - off));
            expect(buf.subarray(0, n).equals(data.subarray(off, off + n))).toBe(true);
          }
        } finally {
          await r.close();
        }
      });
    }

    it('never replaces an existing file', async () => {
      const dir = fs.mkdtempSync(path.join(work, `${f.name}-x-`));
      const size = f.sizes[0]!;
      const first = f.writer(dir, 'EV', size).plannedFiles(size)[0]!;
      fs.writeFileSync(path.join(dir, first), 'keep me');
      const w = f.writer(dir, 'EV', size);
      const attempt = async () => {
        await w.write(media(size, 1));
        await w.finish();
      };
      await expect(attempt()).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
      await w.close().catch(() => undefined);
      expect(fs.readFileSync(path.join(dir, first), 'utf8')).toBe('keep me');
    });

    it('creates no file before the first byte', () => {
      const dir = fs.mkdtempSync(path.join(work, `${f.name}-lazy-`));
      f.writer(dir, 'EV', f.sizes[0]!);
      expect(fs.readdirSync(dir)).toEqual([]);
    });
  });
}

describe('split-raw segment discovery', () => {
  it('finds segments in order and names those beyond a gap', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'seg-'));
    for (const n of ['EV.001', 'EV.002', 'EV.004', 'EV.raw', 'EW.003']) fs.writeFileSync(path.join(dir, n), 'x');
    const { files, strays } = await findSegments(path.join(dir, 'EV.002'));
    expect(files.map((p) => path.basename(p))).toEqual(['EV.001', 'EV.002']);
    expect(strays.map((p) => path.basename(p))).toEqual(['EV.004']);
  });
});
