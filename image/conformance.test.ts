/**
 * The suite every image format passes: what is written reads back exactly,
 * at any offset, and a writer never replaces an existing file.
 */
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExhibitError } from '../core/errors.js';
import { openImage, RAW_NOTE } from './open.js';
import { FORMATS } from './registry.js';
import { findSegments, firstOfLetterSet } from './split-raw/naming.js';
import type { FormatName, FormatSettings, ImageReader, ImageWriter } from './types.js';
import { tempDir } from '../test/helpers/cli.js';

const ANY_SIZE = [1, 511, 512, 64 * 1024, 64 * 1024 + 1, 300_001];

/** What the suite needs to know of each format beyond its descriptor: media sizes it can hold, small settings. */
const UNDER_TEST: Record<FormatName, { sizes: number[]; settings: FormatSettings }> = {
  raw: { sizes: ANY_SIZE, settings: { format: 'raw' } },
  'split-raw': { sizes: ANY_SIZE, settings: { format: 'split-raw', segment_size: 64 * 1024 } },
  e01: { sizes: [512, 64 * 1024, 64 * 1024 + 512, 300_032, 5 * 1024 * 1024], settings: { format: 'e01', segment_size: 1024 * 1024, ewf: { compression: 'fast', chunk_sectors: 16 } } },
  zst: { sizes: ANY_SIZE, settings: { format: 'zst', zstd: { level: 3, frame_size: 64 * 1024 } } },
};

interface FormatUnderTest {
  name: FormatName;
  sizes: number[];
  writer: (dir: string, base: string, size: number) => ImageWriter;
  reader: (dir: string, base: string) => Promise<ImageReader>;
}

const formats: FormatUnderTest[] = FORMATS.map((d) => {
  const t = UNDER_TEST[d.name];
  const writer = (dir: string, base: string, size: number) =>
    d.createWriter({ dir, base, settings: t.settings, mediaBytes: size, sectorSize: 512, facts: { case: 'C-1', evidence: 'EV', examiner: 'Conformance', physical: false, acquired: new Date(0) }, version: '0', threads: 2 });
  return {
    name: d.name,
    sizes: t.sizes,
    writer,
    // Opened the way every command opens an image: by its first file, identified by its content.
    reader: async (dir: string, base: string) => (await openImage(path.join(dir, writer(dir, base, 512).plannedFiles(512)[0]!))).reader,
  };
});

const work = tempDir('exhibit-conformance-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Deterministic media: a seeded stream that does not compress (AES-CTR keyed by the seed), cut into writes of uneven sizes. */
function media(size: number, seed: number): Buffer {
  const key = crypto.createHash('sha256').update(String(seed)).digest().subarray(0, 16);
  return crypto.createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
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

    const container = FORMATS.find((d) => d.name === f.name)!.recognise !== undefined;

    it('is identified by its content, under its own name and under another', async () => {
      const dir = fs.mkdtempSync(path.join(work, `${f.name}-detect-`));
      const size = f.sizes[1]!; // one file in every format
      const data = media(size, 7);
      const w = f.writer(dir, 'EV', size);
      await writeAll(w, data);
      const [file] = await w.finish();
      expect(file).toBeDefined();
      const own = await openImage(path.join(dir, file!.name));
      await own.reader.close();
      // A split raw image of one segment reads as raw (as it always has): the same bytes.
      expect(own.reader.format).toBe(f.name === 'split-raw' ? 'raw' : f.name);
      expect(own.warnings).toEqual([]);
      expect(own.notes).toEqual(container ? [] : [RAW_NOTE]);
      fs.renameSync(path.join(dir, file!.name), path.join(dir, 'OTHER.raw'));
      const renamed = await openImage(path.join(dir, 'OTHER.raw'));
      try {
        expect(renamed.reader.format).toBe(container ? f.name : 'raw');
        const all = Buffer.alloc(size);
        expect(await renamed.reader.read(all, 0, size)).toBe(size);
        expect(all.equals(data)).toBe(true);
      } finally {
        await renamed.reader.close();
      }
      if (container) expect(renamed.warnings[0]).toMatch(new RegExp(`^OTHER\\.raw holds an? \\S+ image, not a raw image as its name says`));
      else expect(renamed.notes).toEqual([RAW_NOTE]);
      expect(renamed.base).toBe(path.join(dir, 'OTHER'));
    });

    it('a truncated image is never read as the whole media', async () => {
      const size = f.sizes[f.sizes.length - 1]!;
      const data = media(size, 9);
      // Written once; each cut is made on a copy of it.
      const written = fs.mkdtempSync(path.join(work, `${f.name}-whole-`));
      const w = f.writer(written, 'EV', size);
      await writeAll(w, data);
      const files = await w.finish();
      for (const keep of [7, 0.5]) {
        const dir = fs.mkdtempSync(path.join(work, `${f.name}-cut-`));
        for (const x of files) fs.copyFileSync(path.join(written, x.name), path.join(dir, x.name));
        const last = path.join(dir, files[files.length - 1]!.name);
        fs.truncateSync(last, keep < 1 ? Math.floor(fs.statSync(last).size * keep) : keep);
        let whole = false;
        try {
          const { reader } = await openImage(path.join(dir, files[0]!.name));
          try {
            const got: Buffer[] = [];
            let damaged = 0;
            for await (const u of reader.units()) {
              if ('data' in u) got.push(Buffer.from(u.data));
              else damaged++;
            }
            whole = damaged === 0 && Buffer.concat(got).equals(data);
          } finally {
            await reader.close();
          }
        } catch (err) {
          expect(err).toBeInstanceOf(ExhibitError);
          expect(['IMAGE_INVALID', 'IMAGE_UNSUPPORTED']).toContain((err as ExhibitError).code);
        }
        expect(whole, `${f.name} cut to ${keep}`).toBe(false);
      }
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
  it("reads other tools' names: .aa and .aaa (split, dcfldd, dc3dd), xaa and x00 (split), .00; and names a missing one", async () => {
    const cases: [string[], string, string[], string[], string | undefined][] = [
      [['d.img.aa', 'd.img.ab', 'd.img.ac', 'd.img', 'd.img.abc'], 'd.img.aa', ['d.img.aa', 'd.img.ab', 'd.img.ac'], [], undefined],
      [['m.aaa', 'm.aab', 'm.aad'], 'm.aaa', ['m.aaa', 'm.aab'], ['m.aad'], 'm.aac'],
      [['xaa', 'xab', 'xac', 'xylophone'], 'xaa', ['xaa', 'xab', 'xac'], [], undefined],
      [['x00', 'x01', 'x02'], 'x00', ['x00', 'x01', 'x02'], [], undefined],
      [['s.00', 's.01', 's.03', 's.04'], 's.00', ['s.00', 's.01'], ['s.03', 's.04'], 's.02'],
      // One character (split -a 1, split -a 1 -d, dc3dd ofs=out.1), capitals.
      [['img.a', 'img.b', 'img.c', 'img.aa'], 'img.a', ['img.a', 'img.b', 'img.c'], [], undefined],
      [['img.0', 'img.1', 'img.2', 'img.10'], 'img.0', ['img.0', 'img.1', 'img.2'], ['img.10'], 'img.3'],
      [['out.1', 'out.2', 'out.3', 'out.4'], 'out.1', ['out.1', 'out.2', 'out.3', 'out.4'], [], undefined],
      [['up.AA', 'up.AB', 'up.AC', 'up.ad'], 'up.AA', ['up.AA', 'up.AB', 'up.AC'], [], undefined],
      [['up.AA', 'up.AB', 'up.AD'], 'up.AA', ['up.AA', 'up.AB'], ['up.AD'], 'up.AC'],
      // Files of their own beside a letter-named set: dc3dd's log, exhibit's map.
      [['o.aaa', 'o.aab', 'o.log', 'o.map', 'o.raw'], 'o.aaa', ['o.aaa', 'o.aab'], [], undefined],
    ];
    for (const [names, open, files, strays, missing] of cases) {
      const dir = fs.mkdtempSync(path.join(work, 'seg-'));
      for (const n of names) fs.writeFileSync(path.join(dir, n), 'x');
      const got = await findSegments(path.join(dir, open));
      expect(got.files.map((p) => path.basename(p)), open).toEqual(files);
      expect(got.strays.map((p) => path.basename(p)), open).toEqual(strays);
      expect(got.missing, open).toBe(missing);
    }
    // Letters run on past z: ..., az, ba, bb.
    const dir = fs.mkdtempSync(path.join(work, 'seg-'));
    const many = Array.from({ length: 28 }, (_, i) => `t.${String.fromCharCode(97 + Math.floor(i / 26))}${String.fromCharCode(97 + (i % 26))}`);
    for (const n of many) fs.writeFileSync(path.join(dir, n), 'x');
    expect((await findSegments(path.join(dir, 't.aa'))).files.map((p) => path.basename(p))).toEqual(many);
  });
  it('names the first file of a letter-named set when a later one is given, and only when that first one is there', () => {
    const dir = fs.mkdtempSync(path.join(work, 'letters-'));
    for (const n of ['d.aa', 'd.ab', 'xaa', 'xab', 'U.AA', 'U.AB', 'l.a', 'l.b', 'alone.ab', 'EV.map']) fs.writeFileSync(path.join(dir, n), 'x');
    const first = (n: string) => firstOfLetterSet(path.join(dir, n));
    expect([first('d.ab'), first('xab'), first('U.AB'), first('l.b')]).toEqual(['d.aa', 'xaa', 'U.AA', 'l.a']);
    expect([first('d.aa'), first('alone.ab'), first('EV.map'), first('d.001')]).toEqual([undefined, undefined, undefined, undefined]);
  });
  it("reads GNU split's lengthening names past xyz (xzaaa ...) and x89 (x9000 ...), in split's order, and names a missing one", async (ctx) => {
    if (spawnSync('split', ['--version']).status !== 0) ctx.skip();
    for (const [flags, count, first] of [[[], 700, 'xaa'], [['-d'], 120, 'x00']] as const) {
      const dir = fs.mkdtempSync(path.join(work, 'gnu-'));
      const src = Buffer.from(Array.from({ length: count }, (_, i) => i & 0xff));
      const made = spawnSync('split', ['-b', '1', ...flags, '-'], { cwd: dir, input: src });
      expect(made.status, String(made.stderr)).toBe(0);
      const made_names = fs.readdirSync(dir).sort((a, b) => a.length - b.length || a.localeCompare(b)); // split's own order
      expect(made_names).toHaveLength(count);
      expect(made_names.some((n) => n.length === 5)).toBe(true); // past the two-character names
      const got = await findSegments(path.join(dir, first));
      expect(got.files.map((p) => path.basename(p))).toEqual(made_names);
      expect(Buffer.concat(got.files.map((f) => fs.readFileSync(f))).equals(src)).toBe(true);
      // One gone from the lengthened names: the set stops there, says which, and lists the rest as strays.
      const gone = made_names[count - 7]!;
      fs.rmSync(path.join(dir, gone));
      const cut = await findSegments(path.join(dir, first));
      expect(cut.files).toHaveLength(count - 7);
      expect(cut.missing).toBe(gone);
      expect(cut.strays).toHaveLength(6);
    }
  });
});
