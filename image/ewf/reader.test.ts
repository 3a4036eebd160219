/**
 * EwfReader against images written by the real libewf `ewfacquire`, against
 * images other tools wrote (../shared/fixtures/interop), and against damaged
 * copies of both.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adler32 } from '../../core/adler32.js';
import { ExhibitError } from '../../core/errors.js';
import { descriptor, DESCRIPTOR_SIZE, VOLUME } from './layout.js';
import { EwfReader } from './reader.js';
import { headerTextOf, parseMainCategory } from './sections.js';
import { because, needsInterop, needsTools } from '../../test/helpers/skip.js';
import { tempDir } from '../../test/helpers/cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const INTEROP = path.resolve(ROOT, '../shared/fixtures/interop');
const HAVE_EWFACQUIRE = spawnSync('ewfacquire', ['-V']).status === 0;
if (!HAVE_EWFACQUIRE) console.warn('ewfacquire (Debian ewf-tools) is not installed: the tests on images it writes are skipped');

const work = tempDir('exhibit-ewf-reader-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Deterministic pseudo-random bytes (AES-CTR keyed by the seed). */
function random(size: number, seed: string): Buffer {
  const key = crypto.createHash('sha256').update(seed).digest().subarray(0, 16);
  return crypto.createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

/** A source of `mib` MiB plus `extraSectors` sectors (512 bytes): text, zeros, random and a repeating pattern, in turns of 192 KiB. */
function source(mib: number, extraSectors: number, seed: string): Buffer {
  const size = mib * 1024 * 1024 + extraSectors * 512;
  const out = Buffer.alloc(size);
  const text = Buffer.from(`exhibit ${seed}: the quick brown fox jumps over the lazy dog 0123456789\n`.repeat(4000));
  const noise = random(size, seed);
  const turn = 192 * 1024;
  for (let pos = 0, k = 0; pos < size; pos += turn, k++) {
    const n = Math.min(turn, size - pos);
    if (k % 4 === 0) text.copy(out, pos, 0, Math.min(n, text.length));
    else if (k % 4 === 2) noise.copy(out, pos, pos, pos + n);
    else if (k % 4 === 3) for (let i = 0; i < n; i++) out[pos + i] = (i * 7) & 0xff;
    // k % 4 === 1: zeros
  }
  noise.copy(out, size - 700, size - 700); // the last chunk ends in random bytes
  return out;
}

function writeSource(name: string, data: Buffer): string {
  const p = path.join(work, `${name}.bin`);
  fs.writeFileSync(p, data);
  return p;
}

/** Run ewfacquire unattended; returns the first segment's path. */
function ewfacquire(name: string, src: string, args: string[]): string {
  const target = path.join(work, name);
  const r = spawnSync(
    'ewfacquire',
    ['-u', '-q', '-t', target, '-C', `case ${name}`, '-E', 'ev-7', '-e', 'examiner x', '-D', 'desc', '-N', 'notes', ...args, src],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`ewfacquire ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
  for (const ext of ['E01', 'e01', 's01']) if (fs.existsSync(`${target}.${ext}`)) return `${target}.${ext}`;
  throw new Error(`ewfacquire wrote no first segment for ${name}`);
}

async function readAll(r: EwfReader, step = 1024 * 1024): Promise<Buffer> {
  const out = Buffer.alloc(r.size);
  for (let pos = 0; pos < r.size; pos += step) {
    const n = await r.read(out.subarray(pos), pos, step);
    expect(n).toBe(Math.min(step, r.size - pos));
  }
  return out;
}

const md5 = (b: Uint8Array) => crypto.createHash('md5').update(b).digest('hex');
const sha1 = (b: Uint8Array) => crypto.createHash('sha1').update(b).digest('hex');

/** Random reads around chunk boundaries, compared with the source. */
async function checkRandomReads(r: EwfReader, src: Buffer, seed: string): Promise<void> {
  const rnd = random(4 * 400, seed);
  const room = Buffer.allocUnsafe(Math.min(r.chunkSize * 2, r.size * 2) + 1000); // one buffer for every read: up to 6 MiB each, 400 times
  for (let i = 0; i < 400; i++) {
    const a = rnd.readUInt32LE(i * 4);
    const chunk = a % (r.chunkCount + 1);
    const offset = Math.max(0, Math.min(r.size, chunk * r.chunkSize - (a % 3000)));
    // Up to two chunks and a bit, but no more than twice the media: longer reads (two 16 MiB chunks,
    // say, over 3 MiB of media) only fill and compare zeros; half of these still run past its end.
    const length = (a >>> 8) % (Math.min(r.chunkSize * 2, r.size * 2) + 1000);
    const into = room.subarray(0, length).fill(0x5a); // what a read leaves unwritten cannot pass for the last read's bytes
    const n = await r.read(into, offset, length);
    const want = Math.max(0, Math.min(length, r.size - offset));
    expect(n).toBe(want);
    if (!into.subarray(0, n).equals(src.subarray(offset, offset + n))) throw new Error(`read ${offset}+${length} differs from the source`);
  }
  // Concurrent reads share the cache safely.
  const offsets = [0, r.chunkSize - 1, r.size - 1, Math.floor(r.size / 2), r.chunkSize * 2 + 5];
  const bufs = offsets.map(() => Buffer.alloc(777));
  const counts = await Promise.all(offsets.map((o, i) => r.read(bufs[i]!, o, 777)));
  offsets.forEach((o, i) => expect(bufs[i]!.subarray(0, counts[i]).equals(src.subarray(o, o + counts[i]!))).toBe(true));
}

/** Throws, and the error is an ExhibitError IMAGE_INVALID whose message matches. */
async function expectInvalid(p: Promise<unknown>, ...patterns: (string | RegExp)[]): Promise<ExhibitError> {
  let error: unknown;
  try {
    await p;
  } catch (err) {
    error = err;
  }
  expect(error, 'expected IMAGE_INVALID, got success').toBeInstanceOf(ExhibitError);
  const e = error as ExhibitError;
  expect(e.code, e.message).toBe('IMAGE_INVALID');
  for (const pattern of patterns) {
    if (typeof pattern === 'string') expect(e.message).toContain(pattern);
    else expect(e.message).toMatch(pattern);
  }
  return e;
}

interface Walked {
  type: string;
  offset: number;
  next: number;
  size: number;
}

/** An independent walk of a segment file's section descriptors (no checks). */
function walk(file: Buffer): Walked[] {
  const out: Walked[] = [];
  let off = 13;
  while (off + DESCRIPTOR_SIZE <= file.length) {
    const nul = file.indexOf(0, off);
    const type = file.toString('ascii', off, Math.min(nul, off + 16));
    const next = Number(file.readBigUInt64LE(off + 16));
    out.push({ type, offset: off, next, size: Number(file.readBigUInt64LE(off + 24)) });
    if (type === 'done' || type === 'next' || next <= off) break;
    off = next;
  }
  return out;
}

function sectionOf(file: Buffer, type: string, nth = 0): Walked {
  const s = walk(file).filter((w) => w.type === type)[nth];
  if (!s) throw new Error(`no ${type} section #${nth}`);
  return s;
}

/** Copy an image's segment files (all files beginning with `base`) under a new name. */
function copyImage(first: string, name: string): string {
  const dir = path.dirname(first);
  const base = path.basename(first).replace(/\.[^.]+$/, '');
  const ext = path.extname(first);
  for (const f of fs.readdirSync(dir)) {
    if (f.startsWith(`${base}.`) && /^\.[A-Za-z]\w\w$/.test(path.extname(f))) fs.copyFileSync(path.join(dir, f), path.join(work, `${name}${path.extname(f)}`));
  }
  return path.join(work, `${name}${ext}`);
}

function patch(file: string, fn: (b: Buffer) => void): void {
  const b = fs.readFileSync(file);
  fn(b);
  fs.writeFileSync(file, b);
}

describe.skipIf(!HAVE_EWFACQUIRE)(because('EwfReader on images written by ewfacquire', needsTools('ewfacquire')), () => {
  const src = source(3, 7, 'exhibit-ewf');
  const src4k = source(3, 24, 'exhibit-ewf-4k'); // a whole number of 4096-byte sectors
  const srcRandom = random(3 * 1024 * 1024 + 5 * 512, 'exhibit-ewf-random'); // does not compress: several segments even with -c fast
  const sources = { mixed: { data: src, path: '' }, '4k': { data: src4k, path: '' }, random: { data: srcRandom, path: '' } };
  let srcPath = '';
  beforeAll(() => {
    for (const [name, s] of Object.entries(sources)) s.path = writeSource(`src-${name}`, s.data);
    srcPath = sources.mixed.path;
  });

  const cases: { name: string; args: string[]; sha1?: boolean; segments?: number; src?: keyof typeof sources; header?: 'header2' | 'header' }[] = [
    { name: 'e6-fast-64', args: ['-f', 'encase6', '-c', 'fast', '-b', '64', '-d', 'sha1'], sha1: true, header: 'header2' },
    { name: 'e6-none-16', args: ['-f', 'encase6', '-c', 'none', '-b', '16', '-d', 'sha1'], sha1: true },
    { name: 'e6-empty-128', args: ['-f', 'encase6', '-c', 'empty-block', '-b', '128'] },
    { name: 'e6-best-32768', args: ['-f', 'encase6', '-c', 'best', '-b', '32768'] }, // one 16 MiB chunk, mostly empty
    { name: 'e6-best-1024', args: ['-f', 'encase6', '-c', 'best', '-b', '1024', '-d', 'sha1'], sha1: true },
    { name: 'e5-fast-256', args: ['-f', 'encase5', '-c', 'fast', '-b', '256'], header: 'header2' },
    { name: 'e5-none-64', args: ['-f', 'encase5', '-c', 'none'] },
    { name: 'ftk-fast', args: ['-f', 'ftk', '-c', 'fast'], header: 'header' },
    { name: 'ftk-none', args: ['-f', 'ftk', '-c', 'none', '-b', '32'] },
    { name: 'encase1-fast', args: ['-f', 'encase1', '-c', 'fast'], header: 'header' }, // chunks inside the table section
    { name: 'encase2-best', args: ['-f', 'encase2', '-c', 'best'] },
    { name: 'linen6-fast', args: ['-f', 'linen6', '-c', 'fast', '-d', 'sha1'], sha1: true },
    { name: 'ewfx-fast', args: ['-f', 'ewfx', '-c', 'fast', '-d', 'sha1'], sha1: true }, // sha1 from the xhash section
    { name: 'ewf-fast', args: ['-f', 'ewf', '-c', 'fast'] }, // .e01, 94-byte volume, chunks in the table section
    { name: 'smart-none', args: ['-f', 'smart', '-c', 'none'] }, // .s01
    { name: 'e6-none-split', args: ['-f', 'encase6', '-c', 'none', '-S', '1MiB', '-d', 'sha1'], sha1: true, segments: 4 },
    { name: 'e6-fast-split', args: ['-f', 'encase6', '-c', 'fast', '-S', '1MiB', '-b', '16'], segments: 3, src: 'random' },
    { name: 'e5-none-split', args: ['-f', 'encase5', '-c', 'none', '-S', '1MiB'], segments: 4 },
    { name: 'e6-4k-sectors', args: ['-f', 'encase6', '-c', 'fast', '-P', '4096', '-b', '16'], src: '4k' },
  ];

  for (const c of cases) {
    it(`${c.name}: media, hashes, header and random reads`, async () => {
      const { data, path: from } = sources[c.src ?? 'mixed'];
      const first = ewfacquire(c.name, from, c.args);
      const r = await EwfReader.open(first);
      try {
        expect(r.format).toBe('e01');
        expect(r.size).toBe(data.length);
        expect(r.volume.bytesPerSector).toBe(c.src === '4k' ? 4096 : 512);
        expect(r.chunkSize).toBe(r.volume.sectorsPerChunk * r.volume.bytesPerSector);
        expect(r.chunkCount).toBe(Math.ceil(data.length / r.chunkSize));
        if (c.segments) expect(r.files.length).toBeGreaterThanOrEqual(c.segments);
        else expect(r.files.length).toBe(1);
        expect(r.files[0]).toBe(first);
        const media = await readAll(r);
        expect(media.equals(data)).toBe(true);
        // The scan walk reuses its read buffer from batch to batch: each unit copied as it comes is the media.
        const walked: Buffer[] = [];
        for await (const u of r.units()) walked.push(Buffer.from('data' in u ? u.data : Buffer.alloc(0)));
        expect(Buffer.concat(walked).equals(data)).toBe(true);
        expect(r.storedHashes.md5).toBe(md5(data));
        if (c.sha1) expect(r.storedHashes.sha1).toBe(sha1(data));
        expect(r.header.c).toBe(`case ${c.name}`);
        expect(r.header.n).toBe('ev-7');
        expect(r.header.e).toBe('examiner x');
        expect(r.header.a).toBe('desc');
        if (c.header) expect(r.headerSection).toBe(c.header);
        expect(r.errors).toEqual([]);
        expect(r.warnings).toEqual([]);
        await checkRandomReads(r, data, c.name);
      } finally {
        await r.close();
      }
    });
  }

  it('follows the naming past .E99 to .EAA (a set of more than 99 segments)', async () => {
    const zeros = path.join(work, 'zeros.bin');
    fs.writeFileSync(zeros, '');
    fs.truncateSync(zeros, 101 * 1024 * 1024);
    const first = ewfacquire('many', zeros, ['-f', 'encase6', '-c', 'none', '-S', '1MiB']);
    expect(fs.existsSync(path.join(work, 'many.EAA'))).toBe(true);
    const r = await EwfReader.open(first);
    try {
      expect(r.files.length).toBeGreaterThan(100);
      expect(r.files[99]).toBe(path.join(work, 'many.EAA'));
      // Read through in 8 MiB steps, each all zeros, hashed as it comes (no 101 MiB buffers).
      expect(r.size).toBe(101 * 1024 * 1024);
      const step = Buffer.allocUnsafe(8 * 1024 * 1024);
      const zeros = Buffer.alloc(step.length);
      const h = crypto.createHash('md5');
      for (let pos = 0; pos < r.size; pos += step.length) {
        const want = Math.min(step.length, r.size - pos);
        step.fill(0x5a);
        expect(await r.read(step, pos, want)).toBe(want);
        expect(step.subarray(0, want).equals(zeros.subarray(0, want)), `bytes ${pos}..${pos + want - 1} are zeros`).toBe(true);
        h.update(step.subarray(0, want));
      }
      expect(r.storedHashes.md5).toBe(h.digest('hex'));
    } finally {
      await r.close();
    }
  });

  it('reads a 16 MiB fast-compressed image through 1 MiB reads, and reports the speed', async () => {
    // The figure is a hint only (bench:verify measures E01 reading against ewfverify); 16 MiB is 512 chunks.
    const big = source(16, 0, 'exhibit-ewf-speed');
    const first = ewfacquire('speed', writeSource('speed', big), ['-f', 'encase6', '-c', 'fast']);
    const r = await EwfReader.open(first);
    try {
      const t0 = performance.now();
      const h = crypto.createHash('md5');
      const buf = Buffer.alloc(1024 * 1024);
      for (let pos = 0; pos < r.size; pos += buf.length) {
        const n = await r.read(buf, pos, buf.length);
        h.update(buf.subarray(0, n));
      }
      const seconds = (performance.now() - t0) / 1000;
      expect(h.digest('hex')).toBe(r.storedHashes.md5);
      expect(r.storedHashes.md5).toBe(md5(big));
      console.log(`EwfReader: 16 MiB fast-compressed E01 (${fs.statSync(first).size} bytes) read and MD5-hashed in ${seconds.toFixed(2)} s: ${(16 / seconds).toFixed(0)} MiB/s`);
    } finally {
      await r.close();
    }
  });

  describe('damage', () => {
    let none = '';
    let fast = '';
    let split = '';
    beforeAll(() => {
      none = ewfacquire('dmg-none', srcPath, ['-f', 'encase6', '-c', 'none', '-d', 'sha1']);
      fast = ewfacquire('dmg-fast', srcPath, ['-f', 'encase6', '-c', 'fast']);
      split = ewfacquire('dmg-split', srcPath, ['-f', 'encase6', '-c', 'none', '-S', '1MiB']);
    });

    it('a flipped byte in a raw chunk: reading it fails naming the chunk and its media bytes; the rest reads', async () => {
      const copy = copyImage(none, 'flip-chunk');
      const probe = await EwfReader.open(copy);
      const loc = probe.locate(17);
      await probe.close();
      // ewfacquire: base = the sectors descriptor; raw chunks back to back, each followed by its Adler-32.
      const sectors = sectionOf(fs.readFileSync(copy), 'sectors');
      expect(loc).toEqual({ file: copy, offset: sectors.offset + 76 + 17 * (32768 + 4), size: 32768 + 4, compressed: false });
      patch(copy, (b) => (b[loc.offset + 1234]! ^= 0x01));
      const r = await EwfReader.open(copy);
      try {
        const buf = Buffer.alloc(100);
        await expectInvalid(r.read(buf, 17 * 32768 - 50, 100), `chunk 17 (media bytes 557056..589823) in ${copy}: checksum mismatch`);
        expect(await r.read(buf, 16 * 32768, 100)).toBe(100);
        expect(buf.equals(src.subarray(16 * 32768, 16 * 32768 + 100))).toBe(true);
        expect(await r.read(buf, 18 * 32768, 100)).toBe(100);
        expect(buf.equals(src.subarray(18 * 32768, 18 * 32768 + 100))).toBe(true);
        // A long read (batched) names the same chunk.
        await expectInvalid(readAll(r), `chunk 17 (media bytes 557056..589823) in ${copy}: checksum mismatch`);
      } finally {
        await r.close();
      }
    });

    it("a flipped byte in a raw chunk's stored checksum is caught too", async () => {
      const copy = copyImage(none, 'flip-chunk-sum');
      const loc = await EwfReader.open(copy).then(async (r) => [r.locate(3), await r.close()][0] as ReturnType<EwfReader['locate']>);
      patch(copy, (b) => (b[loc.offset + loc.size - 2]! ^= 0x80));
      const r = await EwfReader.open(copy);
      await expectInvalid(r.read(Buffer.alloc(10), 3 * 32768, 10), 'chunk 3 (media bytes 98304..131071)', 'checksum mismatch');
      await r.close();
    });

    it('a flipped byte in a compressed chunk: reading it fails naming the chunk', async () => {
      const copy = copyImage(fast, 'flip-zchunk');
      const probe = await EwfReader.open(copy);
      let index = -1;
      for (let i = 0; i < probe.chunkCount; i++) {
        const l = probe.locate(i);
        if (l.compressed && l.size > 200) {
          index = i;
          break;
        }
      }
      expect(index).toBeGreaterThanOrEqual(0);
      const loc = probe.locate(index);
      await probe.close();
      patch(copy, (b) => (b[loc.offset + Math.floor(loc.size / 2)]! ^= 0x10));
      const r = await EwfReader.open(copy);
      const first = index * 32768;
      await expectInvalid(r.read(Buffer.alloc(32768), first, 32768), `chunk ${index} (media bytes ${first}..${first + 32767}) in ${copy}:`);
      await r.close();
    });

    it('a flipped byte in any section descriptor: open fails naming the file and offset', async () => {
      const sections = walk(fs.readFileSync(none));
      expect(sections.map((s) => s.type)).toEqual(['header2', 'header2', 'header', 'volume', 'sectors', 'table', 'table2', 'data', 'digest', 'hash', 'done']);
      // One copy, each byte flipped and then flipped back: the same damage, one at a time, without a copy each.
      const copy = copyImage(none, 'flip-desc');
      const flip = (at: number) => {
        const fd = fs.openSync(copy, 'r+');
        const byte = Buffer.alloc(1);
        fs.readSync(fd, byte, 0, 1, at);
        byte[0]! ^= 0x04;
        fs.writeSync(fd, byte, 0, 1, at);
        fs.closeSync(fd);
      };
      for (const s of sections) {
        for (const at of [0, 17, 30, 50, 73]) {
          flip(s.offset + at);
          await expectInvalid(EwfReader.open(copy), `section descriptor in ${copy} at ${s.offset}: checksum mismatch`);
          flip(s.offset + at);
        }
      }
      const r = await EwfReader.open(copy); // flipped back, it opens again
      await r.close();
    });

    it('a section size larger than the gap, or a next offset that goes back or past the end: open fails', async () => {
      const b = fs.readFileSync(none);
      const vol = sectionOf(b, 'volume');
      const bad = [
        { next: vol.next, size: vol.size + 1, why: 'is larger than the gap to the next section' },
        { next: vol.offset - 1, size: vol.size, why: 'does not move forward' },
        { next: vol.offset, size: vol.size, why: 'does not move forward' },
        { next: b.length + 10, size: vol.size, why: 'past the end of the file' },
        { next: vol.offset + 20, size: 76, why: 'inside this section' },
        { next: vol.next, size: 40, why: 'smaller than its descriptor' },
      ];
      for (const [i, x] of bad.entries()) {
        const copy = copyImage(none, `desc-${i}`);
        patch(copy, (c) => descriptor('volume', x.next, x.size).copy(c, vol.offset));
        await expectInvalid(EwfReader.open(copy), `'volume' section in ${copy} at ${vol.offset}`, x.why);
      }
    });

    it('a damaged volume, data, hash or digest checksum: open fails', async () => {
      for (const type of ['volume', 'data', 'hash', 'digest']) {
        const copy = copyImage(none, `payload-${type}`);
        const s = sectionOf(fs.readFileSync(copy), type);
        patch(copy, (b) => (b[s.offset + 76 + 5]! ^= 0x01));
        await expectInvalid(EwfReader.open(copy), `'${type}' section in ${copy} at ${s.offset}`, 'checksum mismatch');
      }
    });

    it('all-zero stored hashes count as absent', async () => {
      const copy = copyImage(none, 'no-hashes');
      const b = fs.readFileSync(copy);
      const hash = sectionOf(b, 'hash');
      const digest = sectionOf(b, 'digest');
      patch(copy, (c) => {
        c.fill(0, hash.offset + 76, hash.offset + 76 + 16);
        c.writeUInt32LE(adler32(c, 1, hash.offset + 76, hash.offset + 76 + 32), hash.offset + 76 + 32);
        c.fill(0, digest.offset + 76, digest.offset + 76 + 36);
        c.writeUInt32LE(adler32(c, 1, digest.offset + 76, digest.offset + 76 + 76), digest.offset + 76 + 76);
      });
      const r = await EwfReader.open(copy);
      expect(r.storedHashes).toEqual({});
      await r.close();
    });

    it('truncated files fail to open with the file named', async () => {
      const size = fs.statSync(none).size;
      const sectors = sectionOf(fs.readFileSync(none), 'sectors');
      for (const at of [5, 13, 50, 400, sectors.offset + 1000, size - 1000, size - 76, size - 1]) {
        const copy = copyImage(none, `trunc-${at}`);
        fs.truncateSync(copy, at);
        await expectInvalid(EwfReader.open(copy), copy);
      }
      const copy = copyImage(none, 'trunc-done');
      fs.truncateSync(copy, size - 76);
      await expectInvalid(EwfReader.open(copy), "without a 'done' or 'next' section", "the last is 'hash'");
    });

    it('a chunk file shortened after open: reading fails cleanly', async () => {
      const copy = copyImage(none, 'shrink-later');
      const r = await EwfReader.open(copy);
      fs.truncateSync(copy, 100_000);
      await expectInvalid(r.read(Buffer.alloc(32768), 50 * 32768, 32768), 'chunk 50', 'cut short');
      await expectInvalid(r.read(Buffer.alloc(20 * 32768), 40 * 32768, 20 * 32768), 'chunk 40 (media bytes 1310720..1343487)', 'cut short');
      await r.close();
    });

    it('a missing second segment is named', async () => {
      const copy = copyImage(split, 'miss');
      fs.rmSync(path.join(work, 'miss.E02'));
      await expectInvalid(EwfReader.open(copy), 'segment 2 of the image is missing', path.join(work, 'miss.E02'));
    });

    it('segments out of order are named', async () => {
      const copy = copyImage(split, 'swap');
      const e2 = path.join(work, 'swap.E02');
      const e3 = path.join(work, 'swap.E03');
      fs.renameSync(e2, `${e2}.tmp`);
      fs.renameSync(e3, e2);
      fs.renameSync(`${e2}.tmp`, e3);
      await expectInvalid(EwfReader.open(copy), e2, 'holds segment 3 but segment 2 belongs here');
    });

    it("a segment from another image (set identifier) is refused", async () => {
      const copy = copyImage(split, 'guid');
      const e2 = path.join(work, 'guid.E02');
      const data = sectionOf(fs.readFileSync(e2), 'data');
      patch(e2, (b) => {
        const p = data.offset + 76;
        b[p + VOLUME.setIdentifier]! ^= 0xff;
        b.writeUInt32LE(adler32(b, 1, p, p + VOLUME.checksum), p + VOLUME.checksum);
      });
      await expectInvalid(EwfReader.open(copy), `'data' section in ${e2} at ${data.offset}`, 'set identifier');
    });

    it('a chunk count that differs from the tables is refused', async () => {
      const copy = copyImage(none, 'count');
      const vol = sectionOf(fs.readFileSync(copy), 'volume');
      patch(copy, (b) => {
        const p = vol.offset + 76;
        b.writeUInt32LE(b.readUInt32LE(p + VOLUME.chunkCount) + 1, p + VOLUME.chunkCount);
        b.writeUInt32LE(adler32(b, 1, p, p + VOLUME.checksum), p + VOLUME.checksum);
      });
      await expectInvalid(EwfReader.open(copy), `'volume' section in ${copy} at ${vol.offset}`, 'chunks but the tables of the image list');
    });

    it('a damaged table with a good table2 is recovered with a warning; both damaged fails', async () => {
      const b = fs.readFileSync(fast);
      const table = sectionOf(b, 'table');
      const table2 = sectionOf(b, 'table2');
      const count = b.readUInt32LE(table.offset + 76);
      for (const where of ['entries', 'header']) {
        const copy = copyImage(fast, `table-${where}`);
        patch(copy, (c) => (c[table.offset + 76 + (where === 'entries' ? 24 + 4 * Math.floor(count / 2) : 2)]! ^= 0x01));
        const r = await EwfReader.open(copy);
        expect(r.warnings).toEqual([`table in ${copy} at ${table.offset} is damaged; table2 used`]);
        expect((await readAll(r)).equals(src)).toBe(true);
        await r.close();
      }
      const copy2 = copyImage(fast, 'table2-only');
      patch(copy2, (c) => (c[table2.offset + 76 + 24 + 8]! ^= 0x01));
      const r2 = await EwfReader.open(copy2);
      expect(r2.warnings).toEqual([`table2 in ${copy2} at ${table2.offset} is damaged (its entry array checksum does not match); table used`]);
      await r2.close();
      const copy3 = copyImage(fast, 'table-both');
      patch(copy3, (c) => {
        c[table.offset + 76 + 24 + 8]! ^= 0x01;
        c[table2.offset + 76 + 24 + 8]! ^= 0x01;
      });
      await expectInvalid(EwfReader.open(copy3), `table in ${copy3} at ${table.offset}`, 'and so is its table2');
    });

    it('calls a segment whose sectors section has no size yet unfinished, as libewf leaves one it is still writing', async () => {
      const copy = copyImage(none, 'unfinished');
      const b = fs.readFileSync(copy);
      const sectors = sectionOf(b, 'sectors');
      // As ewfacquirestream has it while writing: the descriptor with no size, then chunk data, and nothing after.
      const cut = Buffer.concat([b.subarray(0, sectors.offset), descriptor('sectors', sectors.offset + DESCRIPTOR_SIZE, DESCRIPTOR_SIZE), b.subarray(sectors.offset + DESCRIPTOR_SIZE, sectors.offset + DESCRIPTOR_SIZE + 65536)]);
      fs.writeFileSync(copy, cut);
      await expectInvalid(EwfReader.open(copy), `its 'sectors' section at ${sectors.offset} was never given its size`, 'the image is unfinished');
    });

    it('reads an error2 section (a list of unread sector ranges) that ewfinfo also accepts', async () => {
      // Splice an error2 section in before the hash section of a single-segment image.
      const copy = copyImage(none, 'error2');
      const b = fs.readFileSync(copy);
      const hash = sectionOf(b, 'hash');
      const ranges = [
        { first_sector: 100, sectors: 64 },
        { first_sector: 5000, sectors: 3 },
      ];
      const head = Buffer.alloc(520);
      head.writeUInt32LE(ranges.length, 0);
      head.writeUInt32LE(adler32(head, 1, 0, 516), 516);
      const entries = Buffer.alloc(ranges.length * 8 + 4);
      ranges.forEach((e, i) => {
        entries.writeUInt32LE(e.first_sector, i * 8);
        entries.writeUInt32LE(e.sectors, i * 8 + 4);
      });
      entries.writeUInt32LE(adler32(entries, 1, 0, ranges.length * 8), ranges.length * 8);
      const size = 76 + head.length + entries.length;
      const tail = b.subarray(hash.offset); // hash and done, moved by `size`
      const moved = Buffer.from(tail);
      descriptor('hash', hash.next + size, hash.size).copy(moved, 0);
      const done = hash.next - hash.offset;
      descriptor('done', hash.next + size, 0).copy(moved, done);
      fs.writeFileSync(copy, Buffer.concat([b.subarray(0, hash.offset), descriptor('error2', hash.offset + size, size), head, entries, moved]));
      const r = await EwfReader.open(copy);
      expect(r.errors).toEqual(ranges);
      expect(r.warnings).toEqual([]);
      expect((await readAll(r)).equals(src)).toBe(true);
      await r.close();
      const info = spawnSync('ewfinfo', [copy], { encoding: 'utf8' });
      expect(info.stdout).toMatch(/read errors[^]*100[^]*163[^]*5000[^]*5002/i);
      // A damaged error2 entry array fails the open.
      patch(copy, (c) => (c[hash.offset + 76 + 520 + 1]! ^= 0x01));
      await expectInvalid(EwfReader.open(copy), `'error2' section in ${copy} at ${hash.offset}`, 'entry array checksum mismatch');
    });
  });
});

describe('EwfReader on what is not an image', () => {
  it('random bytes, an empty file, a short file and a raw disk image are IMAGE_INVALID', async () => {
    const files: [string, Buffer][] = [
      ['random.E01', random(100_000, 'garbage')],
      ['empty.E01', Buffer.alloc(0)],
      ['short.E01', Buffer.from('EVF\x09\x0d\x0a\xff\x00', 'latin1')],
      ['zeros.E01', Buffer.alloc(4096)],
      ['header-only.E01', Buffer.from([0x45, 0x56, 0x46, 0x09, 0x0d, 0x0a, 0xff, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00])],
      ['garbage-after-header.E01', Buffer.concat([Buffer.from([0x45, 0x56, 0x46, 0x09, 0x0d, 0x0a, 0xff, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00]), random(5000, 'g2')])],
    ];
    for (const [name, data] of files) {
      const p = path.join(work, name);
      fs.writeFileSync(p, data);
      await expectInvalid(EwfReader.open(p), p);
    }
    await expectInvalid(EwfReader.open(path.join(work, 'no-such-file.E01')), 'no-such-file.E01');
  });

  it('random section descriptors with valid checksums never crash or hang', async () => {
    // Fuzz: a file header, then descriptors with random types, offsets and sizes (valid checksums).
    const types = ['header', 'header2', 'volume', 'disk', 'data', 'sectors', 'table', 'table2', 'error2', 'digest', 'hash', 'done', 'next', 'xhash'];
    const rnd = random(200 * 64, 'fuzz');
    for (let i = 0; i < 200; i++) {
      const parts: Buffer[] = [Buffer.from([0x45, 0x56, 0x46, 0x09, 0x0d, 0x0a, 0xff, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00])];
      let off = 13;
      for (let k = 0; k < 6; k++) {
        const r = rnd.readUInt32LE((i * 16 + k * 2) % (rnd.length - 8));
        const type = types[r % types.length]!;
        const payload = random((r >>> 8) % 2000, `p${i}.${k}`);
        const next = r % 7 === 0 ? r : off + 76 + payload.length;
        parts.push(descriptor(type, next, r % 5 === 0 ? r >>> 4 : 76 + payload.length), payload);
        off += 76 + payload.length;
      }
      const p = path.join(work, `fuzz-${i}.E01`);
      fs.writeFileSync(p, Buffer.concat(parts));
      try {
        const r = await EwfReader.open(p);
        await readAll(r).catch((err: unknown) => {
          if (!(err instanceof ExhibitError) || err.code !== 'IMAGE_INVALID') throw err;
        });
        await r.close();
      } catch (err) {
        if (!(err instanceof ExhibitError) || err.code !== 'IMAGE_INVALID') throw err;
      }
      fs.rmSync(p);
    }
  });
});

describe(because('EwfReader on images other tools wrote', needsInterop()), () => {
  const have = fs.existsSync(path.join(INTEROP, 'ewf'));

  const fixtures = [
    { file: 'dfvfs-ext2.E01', size: 4_194_304, md5: '196066add11fb71c4c49cf1bb50d6d24', segments: 1 },
    { file: 'dfvfs-ext2-split.E01', size: 4_194_304, md5: '196066add11fb71c4c49cf1bb50d6d24', segments: 2, raw: ['dfvfs-ext2-splitraw.000', 'dfvfs-ext2-splitraw.001'] },
    { file: 'plaso-image.E01', size: 102_400, md5: 'd73c51f10c7ee6a681b7b619ccc6f1c4', segments: 1 },
    { file: 'plaso-image-split.E01', size: 1_474_560, md5: '38ea5af8a80e16e46c095c9110242fc0', segments: 2 },
    { file: 'sleuthkit-image.E01', size: 102_400, md5: '3ebb0b7dcd6b5fcd59a0020625d70994', segments: 1, raw: ['sleuthkit-image.dd'] },
    { file: 'keramics-ext2.E01', size: 4_194_304, md5: 'b1760d0b35a512ef56970df4e6f8c5d6', segments: 1 },
  ];

  for (const f of fixtures) {
    it.skipIf(!have)(`${f.file}: media size and MD5 as the README states, equal to the stored MD5`, async () => {
      const r = await EwfReader.open(path.join(INTEROP, 'ewf', f.file));
      try {
        expect(r.size).toBe(f.size);
        expect(r.files.length).toBe(f.segments);
        const media = await readAll(r, 100_000);
        expect(md5(media)).toBe(f.md5);
        expect(r.storedHashes.md5).toBe(f.md5);
        expect(r.warnings).toEqual([]);
        if (f.raw) expect(media.equals(Buffer.concat(f.raw.map((x) => fs.readFileSync(path.join(INTEROP, 'raw', x)))))).toBe(true);
        await checkRandomReads(r, media, f.file);
      } finally {
        await r.close();
      }
    });
  }

  it.skipIf(!have)('dissect-unaligned.E01: 4096 declared bytes whose MD5 is not the stored one', async () => {
    const r = await EwfReader.open(path.join(INTEROP, 'ewf', 'dissect-unaligned.E01'));
    try {
      expect(r.size).toBe(4096);
      const media = await readAll(r);
      expect(md5(media)).toBe('12fa506e8e270f36f47159b80db58119');
      expect(r.storedHashes.md5).toBe('4a225557e15472d956eb5fe34eed3b9d');
      expect(r.storedHashes.md5).not.toBe(md5(media));
      // Its one chunk holds the 4,097 source bytes: said, and cut to the declared media.
      expect(r.warnings.join('\n')).toMatch(/holds 4097 bytes but the media ends after 4096/);
    } finally {
      await r.close();
    }
  });
});

describe('header text', () => {
  it('a header (not header2) in code page 1252 reads as that code page: its quote and euro sign, not control characters', () => {
    const raw = Buffer.concat([Buffer.from('1\nmain\nc\te\n'), Buffer.from([0x4f, 0x92, 0x42, 0x72, 0x69, 0x65, 0x6e, 0x09, 0x80, 0x35]), Buffer.from('\n')]);
    const text = headerTextOf(zlib.deflateSync(raw), false);
    expect(parseMainCategory(text)).toEqual({ c: 'O\u2019Brien', e: '\u20ac5' });
    // UTF-8, when the bytes are valid UTF-8, is read as UTF-8.
    expect(headerTextOf(zlib.deflateSync(Buffer.from('1\nmain\nc\n\u00e9t\u00e9\n')), false)).toContain('\u00e9t\u00e9');
  });
});
