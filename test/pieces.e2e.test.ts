/**
 * Piecewise hashes through the real command: one byte changed in each format
 * (raw, split raw, E01 with its chunk checksum recomputed, zst with its frame
 * checksum and seek-table entry recomputed) fails verify with exit 4, names
 * exactly the piece holding that byte and proves every other piece intact;
 * SECURITY.md's script with sha256sum and dd says the same. Also: --pieces,
 * verify --source, convert, a changed pieces file, images with no pieces.
 */
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Compressor, Decompressor } from 'zstd-napi';
import { adler32 } from '../core/adler32.js';
import { EwfReader } from '../image/ewf/reader.js';
import { ZstdReader } from '../image/zstd/reader.js';
import { ENTRY_SIZE, FOOTER_SIZE } from '../image/zstd/layout.js';
import { have, makeSourceFile, run as inProcess, type RunResult, tempDir } from './helpers/cli.js';
import { piecesScript } from './helpers/security-script.js';
import { verifyImage } from '../verify/verify.js';

const MiB = 1024 * 1024;
const work = tempDir('exhibit-pieces-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const home = path.join(work, 'home');
const src = path.join(work, 'source.bin');
const SIZE = 7 * MiB + 3 * 512; // eight pieces of 1 MiB, the last 1536 bytes
const AT = 3 * MiB + 12345; // the byte changed: in piece 3, in random data (makeSourceFile: MiB 0, 3, 6 are random)
const run = (args: string[]): RunResult => inProcess(args, { env: { EXHIBIT_HOME: home } });
const json = (r: RunResult): any => JSON.parse(r.stdout);

const FORMATS: Record<string, { args: string[]; first: string; media: string; tool?: string }> = {
  raw: { args: [], first: 'EV.raw', media: 'cat EV.raw' },
  'split-raw': { args: ['--segment-size', '3MiB'], first: 'EV.001', media: 'cat EV.[0-9][0-9][0-9]' },
  e01: { args: ['--compression', 'none', '--segment-size', '2MiB'], first: 'EV.E01', media: 'ewfexport -q -u -f raw -t - EV.E01', tool: 'ewfexport' },
  zst: { args: ['--frame-size', '512KiB'], first: 'EV.zst', media: 'zstd -dcq EV.zst', tool: 'zstd' },
};
const original = (format: string) => path.join(work, 'orig', format);

beforeAll(() => {
  makeSourceFile(src, SIZE, 19);
  for (const [format, f] of Object.entries(FORMATS)) {
    const r = run(['acquire', src, '-o', original(format), '-c', 'PC-1', '-e', 'EV', '-x', 'P. Examiner', '-f', format, '--piece-size', '1MiB', ...f.args]);
    expect(r.code, r.stderr).toBe(0);
  }
});

function copyOf(format: string, name: string): string {
  const dir = path.join(work, 'copies', `${format}-${name}`);
  fs.cpSync(original(format), dir, { recursive: true });
  return dir;
}

function patch(file: string, at: number, bytes: Uint8Array): void {
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, bytes, 0, bytes.length, at);
  fs.closeSync(fd);
}

/** Change media byte AT as someone covering their tracks would: the format's own checksum made to fit again. */
async function editMedia(format: string, dir: string): Promise<string> {
  const first = path.join(dir, FORMATS[format]!.first);
  if (format === 'raw' || format === 'split-raw') {
    const [file, at] = format === 'raw' ? [first, AT] : [path.join(dir, 'EV.002'), AT - 3 * MiB];
    const b = Buffer.alloc(1);
    const fd = fs.openSync(file, 'r');
    fs.readSync(fd, b, 0, 1, at);
    fs.closeSync(fd);
    patch(file, at, Buffer.from([b[0]! ^ 0x5a]));
    return file;
  } else if (format === 'e01') {
    const r = await EwfReader.open(first);
    const chunk = Math.floor(AT / 32768);
    const loc = r.locate(chunk);
    await r.close();
    expect(loc.compressed).toBe(false);
    const data = Buffer.alloc(32768);
    const fd = fs.openSync(loc.file, 'r');
    fs.readSync(fd, data, 0, data.length, loc.offset);
    fs.closeSync(fd);
    data[AT % 32768]! ^= 0x5a;
    const sum = Buffer.alloc(4);
    sum.writeUInt32LE(adler32(data) >>> 0);
    patch(loc.file, loc.offset, Buffer.concat([data, sum]));
    return loc.file;
  } else {
    const r = await ZstdReader.open(first);
    const i = Math.floor(AT / (512 * 1024));
    const frame = r.frames[i]!;
    const n = r.frames.length;
    await r.close();
    const stored = Buffer.alloc(frame.compressed);
    const fd = fs.openSync(first, 'r');
    fs.readSync(fd, stored, 0, stored.length, frame.offset);
    fs.closeSync(fd);
    const content = new Decompressor().decompress(stored);
    content[AT % (512 * 1024)]! ^= 0x5a;
    const c = new Compressor();
    c.setParameters({ compressionLevel: 3, checksumFlag: true, contentSizeFlag: true });
    const again = c.compress(content);
    expect(again.length, 'random data is stored in raw blocks: the same length again').toBe(stored.length);
    patch(first, frame.offset, again);
    // The seek table keeps each frame's checksum too: make it fit as well.
    const size = fs.statSync(first).size;
    patch(first, size - FOOTER_SIZE - (n - i) * ENTRY_SIZE + 8, again.subarray(again.length - 4));
    return first;
  }
}

function script(dir: string, media: string): { code: number | null; out: string } {
  const r = spawnSync('sh', ['-c', piecesScript()], { cwd: dir, env: { ...process.env, E: 'EV', MEDIA: media }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe.each(Object.keys(FORMATS))('%s', (format) => {
  it('acquires a pieces file whose SHA-256 the record and the signed entry hold, and verify checks every piece', () => {
    const dir = original(format);
    const rec = fs.readFileSync(path.join(dir, 'EV.acquisition.yaml'), 'utf8');
    expect(rec).toMatch(/pieces:\n\s+file: EV\.pieces\n\s+piece_size: 1048576\n\s+count: 8\n\s+sha256: [0-9a-f]{64}/);
    const v = run(['verify', dir, '--no-record', '--json']);
    expect(v.code, v.stdout).toBe(0);
    const j = json(v);
    // The media's SHA-256 equals the signed entry's, which lists this pieces file: that proves every piece without hashing each.
    expect(j.pieces).toEqual({ file: 'EV.pieces', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), piece_size: MiB, count: 8, checked: 8, intact: 8, damaged: 0, proven_by: expect.stringMatching(/^the media's SHA-256, equal to what custody log entry \d+ says, which lists this pieces file$/) });
    expect(j.intact_bytes).toBe(SIZE);
    // --every-piece hashes each piece all the same, and finds them intact.
    const each = run(['verify', dir, '--no-record', '--json', '--every-piece']);
    expect(each.code, each.stdout).toBe(0);
    expect(json(each).pieces).toEqual({ file: 'EV.pieces', sha256: j.pieces.sha256, piece_size: MiB, count: 8, checked: 8, intact: 8, damaged: 0 });
    // The verification logged in the case says how the pieces were checked.
    expect(run(['verify', dir, '-x', 'P. Examiner']).code).toBe(0);
    const logged = json(run(['custody', 'log', 'PC-1', '--json'])).log.filter((e: { kind: string }) => e.kind === 'verification.performed').at(-1);
    expect(logged.payload.pieces).toEqual({ checked: 8, of: 8, intact: 8, damaged: 0, proven_by: j.pieces.proven_by });
    if (format === 'raw' && have('pdftotext')) {
      // ... and the custody report's table of verifications says so too (one format is enough: the report reads the entry).
      const pdf = path.join(work, `report-${format}.pdf`);
      expect(run(['report', 'PC-1', '--out', pdf, '-x', 'P. Examiner']).code).toBe(0);
      const text = spawnSync('pdftotext', ['-raw', pdf, '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
      expect(text).toContain('pieces: 8 of 8 intact, all proven by the SHA-256 the acquisition signed');
    }
    const against = j.comparisons.filter((c: { subject?: string }) => c.subject === 'the pieces file EV.pieces').map((c: { against: string; equal: boolean; anchor: boolean }) => [c.against.replace(/\d+/g, 'N'), c.equal, c.anchor]);
    expect(against).toContainEqual(['the record', true, false]);
    expect(against).toContainEqual(['custody log entry N', true, true]);
  });

  it('one byte changed, the format\'s own checksum made to fit: exit 4, exactly piece 3 named, the other seven intact', async () => {
    const dir = copyOf(format, 'edit');
    const changed = await editMedia(format, dir);
    const v = run(['verify', dir, '--no-record', '--json']);
    expect(v.code).toBe(4);
    const j = json(v);
    expect(j.verdict).toBe('failed');
    // Named by the file the change is in (an E01's segment too, not its first file).
    expect([j.damage[0].file, j.damage[0].last_file ?? j.damage[0].file].map((f: string) => path.basename(f))).toContain(path.basename(changed));
    if (format === 'e01') expect(path.basename(changed)).not.toBe('EV.E01');
    // Only the piece: the chunk or frame checksum was recomputed, so the format's own units all pass.
    expect(j.damage).toEqual([{ file: expect.any(String), ...(format === 'e01' ? { last_file: expect.stringMatching(/EV\.E03$/) } : {}), unit: 'piece', index: 3, first_byte: 3 * MiB, bytes: MiB, first_sector: 6144, sectors: 2048, problem: expect.stringMatching(/^differs from the pieces file: its SHA-256 is [0-9a-f]{64}, the pieces file says [0-9a-f]{64}$/) }]);
    expect(j.pieces).toMatchObject({ count: 8, checked: 8, intact: 7, damaged: 1 });
    expect(j.intact_bytes).toBe(SIZE - MiB);
    expect(j.problems.join('\n')).toMatch(/piece 3 \(media bytes 3145728 to 4194303, sectors 6144 to 8191\) differs from the pieces file/);
    const human = run(['verify', dir, '--no-record']);
    expect(human.code).toBe(4);
    expect(human.stdout).toMatch(/checked 8 pieces of 1\.00 MiB: 7 intact \(6\.00 MiB of media proven\), 1 damaged: piece 3$/m);

    // --pieces: the piece asked for fails alone; the others, asked for, verify.
    const one = run(['verify', dir, '--no-record', '--pieces', '3', '--json']);
    expect(one.code).toBe(4);
    expect(json(one).damage.map((d: { index: number }) => d.index)).toEqual([3]);
    const rest = run(['verify', dir, '--no-record', '--pieces', '0-2,4-7']);
    expect(rest.code, rest.stdout).toBe(0);
    expect(rest.stdout).toMatch(/^VERIFIED \(part\): the 7 pieces checked match the signed pieces file; the rest of the media was not read$/m);
    // On a machine whose store does not know the signer, the headline says the keys came with the image, as a whole verification's does.
    const elsewhere = inProcess(['verify', dir, '--no-record', '--pieces', '0-2,4-7'], { env: { EXHIBIT_HOME: path.join(work, `elsewhere-${format}`) } });
    expect(elsewhere.code).toBe(0);
    expect(elsewhere.stdout).toMatch(/^VERIFIED \(part\): .*; but the pieces file is signed only by keys that came with the image/m);

    // SECURITY.md's script, with sha256sum and dd only, says the same.
    const tool = FORMATS[format]!.tool;
    if (tool && !have(tool)) return console.warn(`skipped the shell check of ${format}: ${tool} is not installed`);
    const good = script(original(format), FORMATS[format]!.media);
    expect(good.code, good.out).toBe(0);
    expect(good.out).toMatch(/pieces EV\.pieces: all 8 pieces of the 7341568 bytes of media check/);
    const bad = script(dir, FORMATS[format]!.media);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/^piece 3 \(media bytes 3145728 to 4194303\): SHA-256 [0-9a-f]{64}, the pieces file says [0-9a-f]{64}$/m);
    expect(bad.out).toMatch(/^1 of 8 pieces differ; the other 7 are intact$/m);
  });
});

describe('media, pieces file and record all forged to agree, the signed entry left as it was', () => {
  it('fails, comparing the media and the pieces file with the signed entry of the evidence, and proves no piece', () => {
    const dir = copyOf('raw', 'forged-all');
    const file = path.join(dir, 'EV.raw');
    const before = fs.readFileSync(file);
    const after = Buffer.from(before);
    after[AT]! ^= 0x5a;
    fs.writeFileSync(file, after);
    const sha = (alg: string, b: Buffer | string) => crypto.createHash(alg).update(b).digest('hex');
    let pieces = fs.readFileSync(path.join(dir, 'EV.pieces'), 'utf8');
    const piecesBefore = pieces;
    pieces = pieces.replace(sha('sha256', before.subarray(3 * MiB, 4 * MiB)), sha('sha256', after.subarray(3 * MiB, 4 * MiB)));
    fs.writeFileSync(path.join(dir, 'EV.pieces'), pieces);
    let record = fs.readFileSync(path.join(dir, 'EV.acquisition.yaml'), 'utf8');
    for (const alg of ['md5', 'sha1', 'sha256']) record = record.replaceAll(sha(alg, before), sha(alg, after));
    record = record.replace(sha('sha256', piecesBefore), sha('sha256', pieces));
    fs.writeFileSync(path.join(dir, 'EV.acquisition.yaml'), record);
    const v = inProcess(['verify', dir, '--no-record'], { env: { EXHIBIT_HOME: path.join(work, 'forged-all-elsewhere') } });
    expect(v.code).toBe(4);
    expect(v.stdout).toMatch(/the record was changed after it was logged/);
    expect(v.stdout).toMatch(new RegExp(`SHA256 of the media is ${sha('sha256', after)}, custody log entry \\d+ says ${sha('sha256', before)}`));
    expect(v.stdout).toMatch(/the pieces file EV\.pieces was changed: its SHA-256 is [0-9a-f]{64}, custody log entry \d+ says/);
    expect(v.stdout).not.toMatch(/proven/);
  });
});

describe('pieces no signed entry lists', () => {
  it('are hashed in the one pass that hashes the media: the record beside the image cannot prove them, so no second pass is made', async () => {
    // The signed entry is gone with the custody log: only the record (anyone's to write) lists the pieces file.
    const dir = copyOf('raw', 'record-only');
    for (const n of fs.readdirSync(dir)) if (n.includes('custody')) fs.rmSync(path.join(dir, n));
    const passes: string[] = [];
    const r = await verifyImage({ target: dir, onPass: (what) => (passes.push(what), () => undefined) });
    expect(r.pieces).toEqual({ file: 'EV.pieces', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), piece_size: MiB, count: 8, checked: 8, intact: 8, damaged: 0 });
    expect(passes, 'a second pass over the media').not.toContain('locating the change, piece by piece');
    // A byte changed there is still located, in that same pass.
    await editMedia('raw', dir);
    const passesEdited: string[] = [];
    const e = await verifyImage({ target: dir, onPass: (what) => (passesEdited.push(what), () => undefined) });
    expect(e.damage.map((d) => [d.unit, d.index])).toEqual([['piece', 3]]);
    expect(passesEdited).not.toContain('locating the change, piece by piece');
  });
});

describe('the pieces file itself', () => {
  it('a changed line is caught by its SHA-256, in verify and in the shell check', () => {
    const dir = copyOf('raw', 'pieces-edit');
    const p = path.join(dir, 'EV.pieces');
    const lines = fs.readFileSync(p, 'utf8').split('\n');
    lines[8] = lines[8]!.replace(/[0-9a-f]{64}$/, '0'.repeat(64));
    fs.writeFileSync(p, lines.join('\n'));
    const v = run(['verify', dir, '--no-record', '--json']);
    expect(v.code).toBe(4);
    expect(json(v).problems.join('\n')).toMatch(/the pieces file EV\.pieces was changed: its SHA-256 is [0-9a-f]{64}, the record says [0-9a-f]{64}/);
    const s = script(dir, 'cat EV.raw');
    expect(s.code).toBe(1);
    expect(s.out).toMatch(/EV\.pieces: its SHA-256 [0-9a-f]{64} is in no entry of the custody log/);
  });

  it('a missing pieces file that the record lists fails the verification', () => {
    const dir = copyOf('zst', 'pieces-gone');
    fs.rmSync(path.join(dir, 'EV.pieces'));
    const v = run(['verify', dir, '--no-record', '--json']);
    expect(v.code).toBe(4);
    expect(json(v).problems).toContain('the pieces file EV.pieces is missing (custody log entry ' + json(v).custody.acquisition_entry + ' lists it)');
  });

  it('--piece-size must be a whole number of sectors within its range (exit 2)', () => {
    for (const bad of ['1000000', '512KiB', '2TiB']) {
      const r = run(['acquire', src, '-o', path.join(work, `bad-${bad}`), '-c', 'PC-1', '-e', 'EV', '-x', 'P. Examiner', '--piece-size', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--piece-size must be a size from 1 MiB to 1 TiB in whole blocks of 512 bytes/);
    }
  });
});

describe('the source read again, and convert', () => {
  it('verify --source names the piece of the source that changed since it was acquired', () => {
    const changed = path.join(work, 'source-changed.bin');
    fs.copyFileSync(src, changed);
    patch(changed, 6 * MiB + 7, Buffer.from('changed'));
    const dir = copyOf('raw', 'source');
    const v = run(['verify', dir, '--no-record', '--source', changed, '--json']);
    expect(v.code).toBe(4);
    const j = json(v);
    expect(j.source.pieces).toEqual({ count: 8, same: 7, differ: [{ index: 6, first_byte: 6 * MiB, bytes: MiB, first_sector: 12288, sectors: 2048 }] });
    expect(j.problems.join('\n')).toMatch(/the source differs from the image as acquired in 1 of its 8 pieces: piece 6 \(media bytes 6291456 to 7340031, sectors 12288 to 14335\); the other 7 are the same/);
    const same = run(['verify', dir, '--no-record', '--source', src, '--json']);
    expect(same.code, same.stdout).toBe(0);
    expect(json(same).source.pieces).toEqual({ count: 8, same: 8, differ: [] });
  });

  it('convert checks the pieces and gives the new image the same pieces; an edited source is refused naming its piece', async () => {
    const out = path.join(work, 'converted');
    const r = run(['convert', path.join(original('raw'), 'EV.raw'), '--to', 'zst', '-o', out, '-x', 'P. Examiner']);
    expect(r.code, r.stderr).toBe(0);
    const body = (f: string) => fs.readFileSync(f, 'utf8').split('\n').filter((l) => /^\d/.test(l));
    expect(body(path.join(out, 'EV.pieces'))).toEqual(body(path.join(original('raw'), 'EV.pieces')));
    expect(run(['verify', out, '--no-record']).code).toBe(0);

    // Without the source's pieces file the media hashes are still compared; convert says the pieces were not.
    const bare = copyOf('raw', 'no-pieces');
    fs.rmSync(path.join(bare, 'EV.pieces'));
    const w = run(['convert', path.join(bare, 'EV.raw'), '--to', 'raw', '-o', path.join(work, 'converted-bare'), '-x', 'P. Examiner']);
    expect(w.code, w.stderr).toBe(0);
    expect(w.stderr).toMatch(/warning: the source's pieces file .*EV\.pieces is missing \(its record lists it\): its pieces are not compared, only the media hashes/);
    expect(body(path.join(work, 'converted-bare', 'EV.pieces'))).toEqual(body(path.join(original('raw'), 'EV.pieces')));

    const dir = copyOf('split-raw', 'convert');
    await editMedia('split-raw', dir);
    const bad = run(['convert', path.join(dir, 'EV.001'), '--to', 'raw', '-o', path.join(work, 'converted-bad'), '-x', 'P. Examiner']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/the source image does not hold what was acquired; it differs in piece 3 \(media bytes 3145728 to 4194303, sectors 6144 to 8191\)/);
  });
});

describe('images with no pieces file of exhibit\'s', () => {
  it('another tool\'s E01: verify says there is none, and --pieces is a usage error', () => {
    if (!have('ewfacquire')) return console.warn('skipped: ewfacquire is not installed');
    const dir = path.join(work, 'ewfacquire');
    fs.mkdirSync(dir);
    const a = spawnSync('ewfacquire', ['-u', '-q', '-t', path.join(dir, 'other'), '-c', 'none', src], { encoding: 'utf8' });
    expect(a.status, a.stderr).toBe(0);
    const v = run(['verify', path.join(dir, 'other.E01'), '--no-record', '--json']);
    expect(v.code, v.stdout).toBe(0);
    expect(json(v).notes.join('\n')).toMatch(/there is no pieces file of exhibit's for this image: no acquisition record or custody entry of exhibit's lists one for this e01 image/);
    expect(json(v).pieces).toBeUndefined();
    const p = run(['verify', path.join(dir, 'other.E01'), '--no-record', '--pieces', '0']);
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/--pieces needs the image's pieces file, and there is none/);
  });
});
