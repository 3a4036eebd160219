/**
 * Seekable zstd images through the real command, checked with the zstd tool
 * itself, and the reader's answers to damage.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { Compressor } from 'zstd-napi';
import { openImage } from '../image/open.js';
import { ZstdReader } from '../image/zstd/reader.js';
import { exhibitAsync, fileDigest, have, makeSourceFile, run, tempDir } from './helpers/cli.js';
import { because } from './helpers/skip.js';
import { entryOf, writeSeekable } from './helpers/hostile-zst.js';

const why = have('zstd') ? undefined : 'needs the zstd program (apt-get install zstd)';
if (why) console.warn(`skipping zstd tests: ${why}`);

const work = tempDir('exhibit-zst-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const args = (out: string) => ['-o', out, '-c', 'CASE-5', '-e', 'EV', '-x', 'Examiner', '-f', 'zst'];
const record = (dir: string): any => YAML.parse(fs.readFileSync(path.join(dir, 'EV.acquisition.yaml'), 'utf8'));

describe.skipIf(why !== undefined)(because('seekable zstd images', why), () => {
  const src = path.join(work, 'source.bin');
  // 9 frames of 1 MiB (the last cut short): each kind of source data (random, zeros, text) three times over.
  makeSourceFile(src, 8 * 1024 * 1024 + 12345, 51);
  const out = path.join(work, 'img');
  const r = run(['acquire', src, ...args(out), '--frame-size', '1MiB', '--level', '5']);
  const image = path.join(out, 'EV.zst');

  it('zstd -t passes and zstd -d gives back the media, byte for byte', () => {
    expect(r.code, r.stderr).toBe(0);
    expect(spawnSync('zstd', ['-q', '-t', image]).status).toBe(0);
    const d = spawnSync('zstd', ['-q', '-d', '-c', image], { maxBuffer: 64 << 20 });
    expect(d.status).toBe(0);
    expect(d.stdout.equals(fs.readFileSync(src))).toBe(true);
  });

  it('reads the same frames behind a seek table without checksums (which the format allows), and verifies them', () => {
    const d = fs.readFileSync(image);
    const n = d.readUInt32LE(d.length - 9);
    const start = d.length - 9 - 12 * n - 8;
    const entries = Array.from({ length: n }, (_, i) => [d.readUInt32LE(start + 8 + 12 * i), d.readUInt32LE(start + 12 + 12 * i)] as const);
    const table = Buffer.alloc(8 * n + 9);
    entries.forEach(([c, u], i) => (table.writeUInt32LE(c, 8 * i), table.writeUInt32LE(u, 8 * i + 4)));
    table.writeUInt32LE(n, 8 * n);
    table.writeUInt8(0, 8 * n + 4); // no checksums
    table.writeUInt32LE(0x8f92eab1, 8 * n + 5);
    const head = Buffer.alloc(8);
    head.writeUInt32LE(0x184d2a5e, 0);
    head.writeUInt32LE(table.length, 4);
    const plain = path.join(work, 'no-checksums.zst');
    fs.writeFileSync(plain, Buffer.concat([d.subarray(0, start), head, table]));
    expect(spawnSync('zstd', ['-q', '-t', plain]).status).toBe(0);
    const v = run(['verify', plain, '--no-record', '--json', '--expect', `sha256:${fileDigest('sha256', src)}`]);
    expect(v.code, v.stdout).toBe(0);
  });

  it('records the format, its settings and the file SHA-256', () => {
    const rec = record(out);
    expect(rec.image).toMatchObject({ format: 'zst', zstd_level: 5, frame_size: 1024 * 1024 });
    expect(rec.image.files).toEqual([{ name: 'EV.zst', size: fs.statSync(image).size, sha256: fileDigest('sha256', image) }]);
    expect(rec.media.hashes.md5).toBe(fileDigest('md5', src));
  });

  it('stores random frames raw at the fast level, reuses one zero frame, and compresses the rest at the chosen level', async () => {
    // The source cycles 1 MiB of random bytes, zeros and text, so frame i is of kind i % 3.
    const reader = await ZstdReader.open(image);
    const bytes = fs.readFileSync(image);
    const media = fs.readFileSync(src);
    const at = (level: number, data: Buffer) => {
      const c = new Compressor();
      c.setParameters({ compressionLevel: level, checksumFlag: true, contentSizeFlag: true });
      return c.compress(data);
    };
    for (const [i, f] of reader.frames.entries()) {
      const stored = bytes.subarray(f.offset, f.offset + f.compressed);
      const data = media.subarray(f.mediaStart, f.mediaStart + f.decompressed);
      // Zero frames and text at level 5, as before; random frames at level 1: raw blocks, about their own size.
      const level = i % 3 === 0 && f.decompressed >= 64 * 1024 ? 1 : 5;
      expect(stored.equals(at(level, data)), `frame ${i}`).toBe(true);
      if (level === 1) expect(f.compressed).toBeLessThan(f.decompressed + 64);
    }
    await reader.close();
  });

  it('reads any range through the seek table, across frames', async () => {
    const reader = await ZstdReader.open(image);
    const want = fs.readFileSync(src);
    expect(reader.size).toBe(want.length);
    expect(reader.frames).toHaveLength(9);
    let x = 7;
    const room = Buffer.allocUnsafe(3 << 20); // one buffer for every read (up to 3 MiB each, 300 times)
    for (let i = 0; i < 300; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const off = x % want.length;
      const len = 1 + ((x >>> 7) % (3 << 20));
      const buf = room.subarray(0, len).fill(0x5a); // what a read leaves unwritten cannot pass for the last read's bytes
      const n = await reader.read(buf, off, len);
      expect(n).toBe(Math.min(len, want.length - off));
      expect(buf.subarray(0, n).equals(want.subarray(off, off + n))).toBe(true);
    }
    await reader.close();
  });

  it('names the frame and the media range a damaged byte spoils', async () => {
    const bad = path.join(work, 'bad.zst');
    const bytes = fs.readFileSync(image);
    const reader0 = await ZstdReader.open(image);
    const f = reader0.frames[7]!;
    await reader0.close();
    bytes[f.offset + Math.floor(f.compressed / 2)]! ^= 0x40;
    fs.writeFileSync(bad, bytes);
    const reader = await ZstdReader.open(bad);
    await expect(reader.read(Buffer.alloc(10), 7 * 1024 * 1024 + 5, 10)).rejects.toThrow(
      /frame 7 \(media bytes 7340032\.\.8388607\) in .*bad\.zst: (it does not decompress|it decompresses to|its checksum)/,
    );
    // The frames around it are sound.
    expect(await reader.read(Buffer.alloc(10), 6 * 1024 * 1024, 10)).toBe(10);
    expect(await reader.read(Buffer.alloc(10), 8 * 1024 * 1024, 10)).toBe(10);
    await reader.close();
  });

  it('says so when the seek table is missing, and the frames can still be found and read in order', async () => {
    const cut = path.join(work, 'cut.zst');
    const reader0 = await ZstdReader.open(image);
    const last = reader0.frames[reader0.frames.length - 1]!;
    await reader0.close();
    fs.writeFileSync(cut, fs.readFileSync(image).subarray(0, last.offset + last.compressed)); // the seek table removed
    await expect(ZstdReader.open(cut)).rejects.toThrow(/cut\.zst: it does not end with the seekable-format magic number; the seek table is missing or damaged/);
    const scanned = await ZstdReader.openScanning(cut, 1024 * 1024);
    expect(scanned.size).toBe(fs.statSync(src).size);
    const all = Buffer.alloc(scanned.size);
    await scanned.read(all, 0, all.length);
    expect(all.equals(fs.readFileSync(src))).toBe(true);
    await scanned.close();
    // Truncated inside a frame: also refused with the reason.
    const trunc = path.join(work, 'trunc.zst');
    fs.writeFileSync(trunc, fs.readFileSync(image).subarray(0, 1_000_000));
    await expect(ZstdReader.open(trunc)).rejects.toMatchObject({ code: 'IMAGE_INVALID' });
  });

  it('resumes after Ctrl-C to the same image', async () => {
    const big = path.join(work, 'big.bin');
    // Stopped at its first safe point (4 MiB), the acquisition still has 60 MiB to go: Ctrl-C lands well before its end.
    makeSourceFile(big, 64 * 1024 * 1024, 52);
    const o2 = path.join(work, 'resume');
    const child = exhibitAsync(['acquire', big, ...args(o2), '--sync-every', '4MiB']);
    const journal = path.join(o2, 'EV.journal.json');
    const t0 = Date.now();
    const safe = () => {
      try {
        return JSON.parse(fs.readFileSync(journal, 'utf8')).safe_bytes as number;
      } catch {
        return 0;
      }
    };
    while (safe() === 0 && Date.now() - t0 < 20_000) await new Promise((res) => setTimeout(res, 5));
    child.kill('SIGINT');
    expect(await new Promise((res) => child.on('exit', res))).toBe(130);
    const r2 = run(['acquire', '--resume', o2, '-x', 'Examiner']);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stderr).toMatch(/resuming at/);
    const d = spawnSync('zstd', ['-q', '-d', '-c', path.join(o2, 'EV.zst')], { maxBuffer: 256 << 20 });
    expect(d.stdout.equals(fs.readFileSync(big))).toBe(true);
    expect(record(o2).media.hashes.md5).toBe(fileDigest('md5', big));
  });
});

describe.skipIf(why !== undefined)(because('plain zstd files made by the zstd tool', why), () => {
  // 33 MiB and a ragged tail: more than one frame may hold when it is decoded whole (32 MiB); the
  // other files are of a small source (a frame with no content size is streamed at any size).
  const big = path.join(work, 'plain-big.bin');
  makeSourceFile(big, 33 * 1024 * 1024 + 1000, 53);
  const src = path.join(work, 'plain-source.bin');
  makeSourceFile(src, 3 * 1024 * 1024 + 1000, 54);
  const md5 = fileDigest('md5', src);
  const zstd = (name: string, zargs: string[], input: Buffer) => {
    const f = path.join(work, name);
    const z = spawnSync('zstd', ['-q', '-f', ...zargs, '-o', f], { input, maxBuffer: 64 << 20 });
    expect(z.status, String(z.stderr)).toBe(0);
    return f;
  };
  const verify = (f: string, sum = md5) => run(['verify', f, '--no-record', '--expect', `md5:${sum}`, '--json']);

  it('one frame of the whole file, one piped in with no content size, pzstd and joined outputs: each verifies, converts and reads at random', async () => {
    const bytes = fs.readFileSync(src);
    const large = fs.readFileSync(big);
    const whole = path.join(work, 'whole.zst');
    expect(spawnSync('zstd', ['-q', '-f', '-1', big, '-o', whole]).status).toBe(0); // the header gives the size: over 32 MiB
    const piped = zstd('piped.zst', [], bytes);
    const joined = path.join(work, 'joined.zst');
    fs.writeFileSync(joined, Buffer.concat([zstd('half1.zst', [], bytes.subarray(0, 1 << 20)), zstd('half2.zst', [], bytes.subarray(1 << 20))].map((h) => fs.readFileSync(h))));
    // Empty frames (what `zstd < /dev/null` writes, and pzstd at the end of larger files) hold no media: passed over.
    const withEmpty = path.join(work, 'with-empty.zst');
    const empty = fs.readFileSync(zstd('empty.zst', [], Buffer.alloc(0)));
    fs.writeFileSync(withEmpty, Buffer.concat([empty, fs.readFileSync(path.join(work, 'half1.zst')), empty, fs.readFileSync(path.join(work, 'half2.zst')), empty]));
    const files: [string, Buffer][] = [[whole, large], [piped, bytes], [joined, bytes], [withEmpty, bytes]];
    if (have('pzstd')) {
      const pz = path.join(work, 'pz.zst');
      expect(spawnSync('pzstd', ['-q', '-p', '2', src, '-o', pz]).status).toBe(0);
      files.push([pz, bytes]); // a skippable frame before each frame
    }
    for (const [f, media] of files) {
      const v = verify(f, crypto.createHash('md5').update(media).digest('hex'));
      expect(v.code, `${f}: ${v.stdout}`).toBe(0);
      const j = JSON.parse(v.stdout);
      expect(j.verdict).toBe('verified');
      expect(JSON.stringify(j.notes)).toMatch(/has no seek table at its end \(a plain zstd file/);
      if (f === piped) {
        const out = path.join(work, `${path.basename(f)}-raw`);
        const c = run(['convert', f, '--to', 'raw', '--out', out, '--examiner', 'Examiner']);
        expect(c.code, c.stderr).toBe(0);
        expect(fileDigest('md5', path.join(out, fs.readdirSync(out).find((n) => n.endsWith('.raw'))!))).toBe(md5);
      }
      // Reads forward, back and across frames give the source's bytes.
      const { reader } = await openImage(f);
      try {
        expect(reader.size).toBe(media.length);
        const n = media.length;
        for (const [at, len] of [[n - 5000, 4096], [100, 2 << 20], [(1 << 20) - 10, 20], [n - 700, 700], [0, 512]] as const) {
          const got = Buffer.alloc(len);
          expect(await reader.read(got, at, len)).toBe(len);
          expect(got.equals(media.subarray(at, at + len)), `${f} at ${at}`).toBe(true);
        }
      } finally {
        await reader.close();
      }
    }
  });

  it('a good plain file in a folder named for damage is not failed for its name', () => {
    const dir = path.join(work, 'damaged-drive');
    fs.mkdirSync(dir);
    const f = path.join(dir, 'differs.zst');
    fs.copyFileSync(path.join(work, 'piped.zst'), f);
    expect(verify(f).code).toBe(0);
  });

  it('a file compressed with a dictionary is refused as not read here (exit 2), not called damaged', () => {
    const samples = path.join(work, 'dict-samples.bin');
    fs.writeFileSync(samples, Buffer.concat(Array.from({ length: 50 }, (_, i) => Buffer.concat([crypto.randomBytes(4096), Buffer.from(`common text block ${i % 3} `.repeat(200))]))));
    const dict = path.join(work, 'dict');
    expect(spawnSync('zstd', ['-q', '-f', '--train', '-B4096', samples, '-o', dict]).status).toBe(0);
    const z = path.join(work, 'with-dict.zst');
    expect(spawnSync('zstd', ['-q', '-f', '-D', dict, samples, '-o', z]).status).toBe(0);
    const v = run(['verify', z, '--no-record']);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/frame 0 was compressed with a dictionary \(ID \d+\), which exhibit does not have/);
  });

  it('a changed byte fails the whole frame it is in, and a file cut short fails', () => {
    // The one large frame of the test above, streamed: its checksum is checked at its end, after its first pieces were given.
    const b = fs.readFileSync(path.join(work, 'whole.zst'));
    b.writeUInt8(b[b.length >> 1]! ^ 0xff, b.length >> 1);
    const bad = path.join(work, 'bad.zst');
    fs.writeFileSync(bad, b);
    const v = verify(bad, fileDigest('md5', big));
    expect(v.code).toBe(4);
    const j = JSON.parse(v.stdout);
    expect(j.verdict).toBe('failed');
    expect(j.damage).toEqual([expect.objectContaining({ unit: 'frame', index: 0, first_byte: 0, bytes: fs.statSync(big).size })]);
    // A frame with no content size that does not decompress cannot even be sized: the image does not open, and fails.
    const piped = fs.readFileSync(path.join(work, 'piped.zst'));
    piped.writeUInt8(piped[piped.length >> 1]! ^ 0xff, piped.length >> 1);
    fs.writeFileSync(bad, piped);
    const p = verify(bad);
    expect(p.code).toBe(4);
    expect(JSON.parse(p.stdout).problems.join('\n')).toMatch(/frame 0 \(at byte 0\) in .*bad\.zst: it does not decompress .*: damaged/);
    // convert reads the frame through read(), not the walk: its end and checksum are reached all the same.
    fs.writeFileSync(bad, b);
    const c = run(['convert', bad, '--to', 'raw', '--out', path.join(work, 'bad-raw'), '--examiner', 'Examiner']);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toMatch(/frame 0 \(media bytes 0\.\.\d+\) in .*bad\.zst: it does not decompress/);
    const cut = path.join(work, 'cut-plain.zst');
    fs.writeFileSync(cut, fs.readFileSync(path.join(work, 'whole.zst')).subarray(0, 1 << 20));
    expect(verify(cut).code).toBe(4);
  });

  /** A seekable file as other tools write one: `frames` (zstd frames, each ending with its checksum) and a seek table with checksums. */
  const seekableOf = (name: string, frames: Buffer[], sizes: number[]) => {
    const f = path.join(work, name);
    writeSeekable(f, frames, frames.map((fr, i) => entryOf(fr, sizes[i]!)));
    return f;
  };

  it('seekable files as zstd\'s own seekable library writes them (frames with no content size) verify, convert and read at random through their table', async () => {
    const bytes = fs.readFileSync(src);
    const step = 1 << 20;
    const parts = Array.from({ length: Math.ceil(bytes.length / step) }, (_, i) => bytes.subarray(i * step, (i + 1) * step));
    const frames = parts.map((b, i) => fs.readFileSync(zstd(`ncs-${i}.zst`, ['--no-content-size'], b)));
    const f = seekableOf('no-content-size.zst', frames, parts.map((b) => b.length));
    expect(spawnSync('zstd', ['-q', '-t', f]).status).toBe(0);
    const v = verify(f);
    expect(v.code, v.stdout).toBe(0);
    const j = JSON.parse(v.stdout);
    expect(j.verdict).toBe('verified');
    expect(JSON.stringify(j.notes)).not.toMatch(/no seek table/);
    const { reader } = await openImage(f);
    try {
      expect(reader.sequentialOnly).not.toBe(true); // the table places every frame: read at random, as a mount does
      for (const [at, len] of [[bytes.length - 5000, 4096], [step - 10, 20], [100, 3 * step]] as const) {
        const got = Buffer.alloc(len);
        expect(await reader.read(got, at, len)).toBe(len);
        expect(got.equals(bytes.subarray(at, at + len))).toBe(true);
      }
    } finally {
      await reader.close();
    }
    const out = path.join(work, 'ncs-raw');
    const c = run(['convert', f, '--to', 'raw', '--out', out, '--examiner', 'Examiner']);
    expect(c.code, c.stderr).toBe(0);
    expect(fileDigest('md5', path.join(out, fs.readdirSync(out).find((n) => n.endsWith('.raw'))!))).toBe(md5);
    // A table that gives a frame with no content size fewer bytes than it holds: that frame is damaged, named with its media range.
    const lying = seekableOf('ncs-lying.zst', frames, parts.map((b, i) => (i === 2 ? b.length - 512 : b.length)));
    const l = verify(lying);
    expect(l.code).toBe(4);
    expect(JSON.parse(l.stdout).damage).toEqual([expect.objectContaining({ unit: 'frame', index: 2, first_byte: 2 * step })]);
  });

  it('a seekable file whose table gives a frame over 32 MiB is read in order through its table and verifies; a changed byte in it fails', () => {
    const large = fs.readFileSync(big);
    const cut = 32 * 1024 * 1024 + 512; // two frames: just over the 32 MiB a frame decodes whole in memory, and the rest
    const parts = [large.subarray(0, cut), large.subarray(cut)];
    const frames = parts.map((b, i) => fs.readFileSync(zstd(`wide-${i}.zst`, ['-1'], b)));
    const f = seekableOf('wide.zst', frames, parts.map((b) => b.length));
    const sum = fileDigest('md5', big);
    const v = verify(f, sum);
    expect(v.code, v.stdout).toBe(0);
    expect(JSON.stringify(JSON.parse(v.stdout).notes)).toMatch(/holds more than 32 MiB of media, too large to decode whole, so it is read in order only/);
    const b = fs.readFileSync(f);
    b.writeUInt8(b[1000]! ^ 0xff, 1000);
    const bad = path.join(work, 'wide-bad.zst');
    fs.writeFileSync(bad, b);
    const x = verify(bad, sum);
    expect(x.code).toBe(4);
    expect(JSON.parse(x.stdout).damage).toEqual([expect.objectContaining({ unit: 'frame', index: 0, first_byte: 0, bytes: cut })]);
    // The table's checksum of a frame is compared with the frame's own in this path too.
    const t = fs.readFileSync(f);
    const tableStart = t.length - (12 * 2 + 9) - 8;
    t.writeUInt32LE((t.readUInt32LE(tableStart + 8 + 8) ^ 1) >>> 0, tableStart + 8 + 8);
    const wrongSum = path.join(work, 'wide-table-sum.zst');
    fs.writeFileSync(wrongSum, t);
    const y = verify(wrongSum, sum);
    expect(y.code).toBe(4);
    expect(JSON.parse(y.stdout).problems.join('\n')).toMatch(/frame 0 \(media bytes 0 to \d+, sectors 0 to \d+\) its checksum differs from the seek table's/);
  });

  const notRoot = process.getuid?.() !== 0 ? 'mount needs root' : undefined;
  it.skipIf(notRoot !== undefined)(because('a mount refuses a file it could only read in order, and says how to make one it can', notRoot), () => {
    const whole = zstd('whole3.zst', [], fs.readFileSync(src));
    const dir = path.join(work, 'mnt');
    fs.mkdirSync(dir);
    const m = run(['mount', whole, dir]);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/can only be read in order .* so it cannot be mounted/);
    expect(m.stderr).toMatch(/--to zst --out <dir> makes a seekable copy/);
  });
});
