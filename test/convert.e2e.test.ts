/** `exhibit convert` end to end: round trips, foreign images, damage, refusals. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { fileDigest, makeSourceFile, ROOT, run, tempDir } from './helpers/cli.js';
import { because, needsInterop, needsTools } from './helpers/skip.js';

const why = needsTools('ewfacquire', 'zstd');
if (why) console.warn(`skipping convert tests: ${why}`);
const work = tempDir('exhibit-convert-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const record = (file: string): any => YAML.parse(fs.readFileSync(file, 'utf8'));

describe.skipIf(why !== undefined)(because('exhibit convert', why), () => {
  const src = path.join(work, 'disk.bin');
  makeSourceFile(src, 9 * 1024 * 1024, 61);
  const sums = { md5: fileDigest('md5', src), sha1: fileDigest('sha1', src), sha256: fileDigest('sha256', src) };

  it('round-trips raw -> e01 -> zst -> split-raw -> raw byte for byte, carrying the case facts', () => {
    const a = run(['acquire', src, '-o', path.join(work, 'raw'), '-c', 'CASE-12', '-e', 'HDD1', '-x', 'Ana Núñez', '--description', 'desk drive', '--notes', 'seal 9']);
    expect(a.code, a.stderr).toBe(0);
    const steps: [string, string, string[]][] = [
      ['raw/HDD1.raw', 'e01', []],
      ['e01/HDD1.E01', 'zst', ['--level', '1']],
      ['zst/HDD1.zst', 'split-raw', ['--segment-size', '2MiB']],
      ['split-raw/HDD1.001', 'raw', []],
    ];
    for (const [from, to, extra] of steps) {
      const out = path.join(work, to === 'raw' ? 'raw2' : to);
      const r = run(['convert', path.join(work, from), '--to', to, '-o', out, '-x', 'Converter', ...extra]);
      expect(r.code, `${from} -> ${to}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/every recorded hash of the source matches/);
      const rec = record(path.join(out, 'HDD1.acquisition.yaml'));
      expect(rec).toMatchObject({ record: 'exhibit conversion', result: 'complete', case: 'CASE-12', evidence: 'HDD1', examiner: 'Ana Núñez', description: 'desk drive', notes: 'seal 9' });
      expect(rec.media.hashes).toEqual(sums);
      expect(rec.converted_from.verified).toBe(true);
      // SHA-256, the strongest recorded hash, proves the media; E01 also stores MD5 and SHA-1, so those are computed for it.
      const compared = rec.converted_from.hashes_compared.map((c: any) => c.algorithm);
      expect(compared).toEqual(to === 'e01' ? ['md5', 'sha1', 'sha256'] : ['sha256']);
      for (const f of rec.image.files) expect(f.sha256).toBe(fileDigest('sha256', path.join(out, f.name)));
    }
    expect(fs.readFileSync(path.join(work, 'raw2', 'HDD1.raw')).equals(fs.readFileSync(src))).toBe(true);
    const info = spawnSync('ewfinfo', [path.join(work, 'e01', 'HDD1.E01')], { encoding: 'utf8' }).stdout;
    expect(info).toMatch(/Case number:\s+CASE-12/);
    expect(info).toMatch(/Examiner name:\s+Ana Núñez/);
    expect(spawnSync('ewfverify', ['-q', path.join(work, 'e01', 'HDD1.E01')]).status).toBe(0);
  });

  it('converts an E01 that ewfacquire wrote, confirming the MD5 it stores', () => {
    const target = path.join(work, 'ewfacq');
    const r0 = spawnSync('ewfacquire', ['-u', '-t', target, '-f', 'encase6', '-c', 'best', '-C', 'C-77', '-E', 'EV77', '-e', 'Peer Examiner', '-D', 'from ewfacquire', src], { encoding: 'utf8' });
    expect(r0.status, r0.stdout + r0.stderr).toBe(0);
    const out = path.join(work, 'from-ewfacquire');
    const r = run(['convert', `${target}.E01`, '--to', 'zst', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const rec = record(path.join(out, 'EV77.acquisition.yaml'));
    expect(rec).toMatchObject({ case: 'C-77', evidence: 'EV77', examiner: 'Peer Examiner', description: 'from ewfacquire' });
    expect(rec.converted_from.hashes_compared.map((c: any) => c.algorithm)).toEqual(['md5']);
    expect(rec.converted_from.verified).toBe(true);
    const d = spawnSync('zstd', ['-q', '-d', '-c', path.join(out, 'EV77.zst')], { maxBuffer: 32 << 20 });
    expect(d.stdout.equals(fs.readFileSync(src))).toBe(true);
    expect(rec.read_errors.strategy).toBe('as the source image lists them'); // an E01 keeps its own list (error2)
  });

  it('converts an E01 of 520-byte sectors and one of optical media as ewfacquire wrote them: whole sectors a read, pieces of whole sectors, the media type kept', () => {
    const s520 = path.join(work, 's520.bin');
    makeSourceFile(s520, 133_120 * 12, 52); // whole 520-byte sectors, and whole 2048-byte ones (optical media)
    const md5 = fileDigest('md5', s520);
    for (const [name, args] of [['p520', ['-P', '520', '-b', '16']], ['optical', ['-m', 'optical']]] as const) {
      const target = path.join(work, name);
      const r0 = spawnSync('ewfacquire', ['-u', '-q', '-c', 'fast', ...args, '-t', target, s520], { encoding: 'utf8' });
      expect(r0.status, r0.stdout + r0.stderr).toBe(0);
      for (const to of ['raw', 'e01', 'zst']) {
        const out = path.join(work, `${name}-to-${to}`);
        const r = run(['convert', `${target}.E01`, '--to', to, '-o', out, '-e', 'X']);
        expect(r.code, `${name} to ${to}: ${r.stderr}`).toBe(0);
        const v = run(['verify', out, '--no-record', '--expect', `md5:${md5}`]);
        expect(v.code, `${name} to ${to}: ${v.stdout}${v.stderr}`).toBe(0);
      }
      const info = spawnSync('ewfinfo', [path.join(work, `${name}-to-e01`, 'X.E01')], { encoding: 'utf8' }).stdout;
      if (name === 'optical') expect(info).toMatch(/Media type:\s+optical disk/);
      else expect(info).toMatch(/Bytes per sector:\s+520/);
    }
  });

  it('a raw image with no record beside it does not vouch for its sectors: its unreadable sectors are unknown, not none', () => {
    const dir = path.join(work, 'bare-raw');
    fs.mkdirSync(dir);
    fs.copyFileSync(src, path.join(dir, 'disk.dd'));
    const out = path.join(work, 'from-bare-raw');
    const r = run(['convert', path.join(dir, 'disk.dd'), '--to', 'zst', '-o', out, '-e', 'BARE']);
    expect(r.code, r.stderr).toBe(0);
    const rec = record(path.join(out, 'BARE.acquisition.yaml'));
    expect(rec.read_errors.strategy).toBe('unknown: the source image keeps no list of unreadable sectors');
    expect(rec.read_errors.note).toMatch(/cannot say which sectors, if any, were unreadable when it was made: none are listed, which does not mean none were/);
  });

  const interop = path.resolve(ROOT, '../shared/fixtures/interop/ewf');
  it.skipIf(!fs.existsSync(interop))(because('converts the interop images with their stored hashes confirmed, and refuses the one that does not hold', needsInterop()), () => {
    const good: [string, string][] = [
      ['dfvfs-ext2.E01', '196066add11fb71c4c49cf1bb50d6d24'],
      ['dfvfs-ext2-split.E01', '196066add11fb71c4c49cf1bb50d6d24'],
      ['plaso-image.E01', 'd73c51f10c7ee6a681b7b619ccc6f1c4'],
      ['plaso-image-split.E01', '38ea5af8a80e16e46c095c9110242fc0'],
      ['sleuthkit-image.E01', '3ebb0b7dcd6b5fcd59a0020625d70994'],
      ['keramics-ext2.E01', 'b1760d0b35a512ef56970df4e6f8c5d6'],
    ];
    for (const [name, md5] of good) {
      const out = path.join(work, `interop-${name}`);
      const r = run(['convert', path.join(interop, name), '--to', 'raw', '-o', out, '-e', 'X']);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      expect(fileDigest('md5', path.join(out, 'X.raw'))).toBe(md5);
    }
    const out = path.join(work, 'interop-unaligned');
    const r = run(['convert', path.join(interop, 'dissect-unaligned.E01'), '--to', 'raw', '-o', out, '-e', 'X']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^exhibit: error: the converted media's MD5 is 12fa506e8e270f36f47159b80db58119, but the source records 4a225557e15472d956eb5fe34eed3b9d/);
    expect(record(path.join(out, 'X.acquisition.yaml')).result).toBe('incomplete');
  });

  it('refuses to call a changed image good: exit 4, and the record says incomplete', () => {
    const dir = path.join(work, 'tamper');
    expect(run(['acquire', src, '-o', dir, '-c', 'C', '-e', 'T', '-x', 'X']).code).toBe(0);
    const img = path.join(dir, 'T.raw');
    const fd = fs.openSync(img, 'r+');
    fs.writeSync(fd, Buffer.from([0x42]), 0, 1, 4096);
    fs.closeSync(fd);
    const out = path.join(work, 'tamper-out');
    const r = run(['convert', img, '--to', 'zst', '-o', out]);
    expect(r.code).toBe(4);
    expect(r.stderr.split('\n')[0]).toMatch(/^exhibit: error: the converted media's SHA256 is [0-9a-f]{64}, but the source records/);
    expect(record(path.join(out, 'T.acquisition.yaml')).result).toBe('incomplete');
  });

  it('recovers a zst image whose seek table is gone, saying so', () => {
    const zst = path.join(work, 'zst', 'HDD1.zst');
    const cutDir = path.join(work, 'cut');
    fs.mkdirSync(cutDir, { recursive: true });
    const bytes = fs.readFileSync(zst);
    const frames = Math.ceil(fs.statSync(src).size / (2 * 1024 * 1024));
    fs.writeFileSync(path.join(cutDir, 'HDD1.zst'), bytes.subarray(0, bytes.length - (8 + frames * 12 + 9)));
    fs.copyFileSync(path.join(work, 'zst', 'HDD1.acquisition.yaml'), path.join(cutDir, 'HDD1.acquisition.yaml'));
    const out = path.join(work, 'recovered');
    const r = run(['convert', path.join(cutDir, 'HDD1.zst'), '--to', 'raw', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/has no seek table at its end \(a plain zstd file, or a seekable one whose table was cut off\): its 5 frames are decompressed in order/);
    expect(fs.readFileSync(path.join(out, 'HDD1.raw')).equals(fs.readFileSync(src))).toBe(true);
  });

  it('refuses an existing output, an output on the input, and odd-sized media to E01', () => {
    let r = run(['convert', path.join(work, 'raw', 'HDD1.raw'), '--to', 'zst', '-o', path.join(work, 'zst')]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/HDD1\.zst already exists|would replace/);
    r = run(['convert', path.join(work, 'raw', 'HDD1.raw'), '--to', 'raw', '-o', path.join(work, 'raw')]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/would replace the image being converted/);
    const odd = path.join(work, 'odd.bin');
    makeSourceFile(odd, 100_001, 62);
    r = run(['convert', odd, '--to', 'e01', '-o', path.join(work, 'odd-e01')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a whole number of 512-byte sectors; E01 would have to pad it/);
    expect(fs.existsSync(path.join(work, 'odd-e01'))).toBe(false);
  });
});

describe.skipIf(why !== undefined)(because('a cut-short zstd source', why), () => {
  it('is not converted as complete: exit 4, the record incomplete, the output left .partial', () => {
    const dir = path.join(work, 'cut-zstd');
    fs.mkdirSync(dir);
    const src = path.join(dir, 'disk.bin');
    makeSourceFile(src, 3 * 1024 * 1024, 41);
    // Two frames (zstd compresses each file into a frame of its own), the second cut short: its bytes are lost.
    const frames = [0, 1].map(() => spawnSync('zstd', ['-q', '-c', src], { maxBuffer: 64 << 20 }).stdout as Buffer).map((b, i) => (i === 0 ? b : b.subarray(0, b.length - 300)));
    const cut = path.join(dir, 'cut.zst');
    fs.writeFileSync(cut, Buffer.concat(frames));
    const out = path.join(dir, 'out');
    const r = run(['convert', cut, '--to', 'raw', '-o', out]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/^exhibit: error: the source image is damaged \(no whole zstd frame at byte \d+ .*\): nothing it records shows that the \d+ bytes read are its whole media$/m);
    const rec = record(path.join(out, 'cut.acquisition.yaml'));
    expect(rec.result).toBe('incomplete');
    expect(fs.readdirSync(out).sort()).toEqual(['cut.acquisition.yaml', 'cut.raw.partial']);
  });
});
