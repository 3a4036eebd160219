/**
 * exhibit verify through the real command: every format exhibit writes
 * verifies; damage in each is found and located (chunk, frame or file, with
 * the media range); missing and truncated segments, an edited record and an
 * edited custody log are named; the images other tools wrote give the
 * results their README expects; the verification is logged in the store.
 */
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adler32 } from '../core/adler32.js';
import { EwfReader } from '../image/ewf/reader.js';
import { ZstdReader } from '../image/zstd/reader.js';
import { fileDigest, have, makeSourceFile, ROOT, run as inProcess, type RunResult, sh, tempDir } from './helpers/cli.js';
import { expectOneLineError } from './helpers/expect.js';
import { attachLoop, detachAll, loopUnavailable } from './helpers/loop.js';
import { because, needsInterop, needsTools } from './helpers/skip.js';

const work = tempDir('exhibit-verify-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true })); // registered first, so it runs after every other teardown
const home = path.join(work, 'home');
const src = path.join(work, 'source.bin');
const SIZE = 3 * 1024 * 1024 + 512 * 5;
const run = (args: string[], env: NodeJS.ProcessEnv = {}): RunResult => inProcess(args, { env: { EXHIBIT_HOME: home, ...env } });
const json = (r: RunResult): any => JSON.parse(r.stdout);

const FORMATS: Record<string, { args: string[]; first: string }> = {
  raw: { args: [], first: 'EV.raw' },
  'split-raw': { args: ['--segment-size', '1MiB'], first: 'EV.001' },
  e01: { args: ['--segment-size', '1MiB', '--compression', 'none'], first: 'EV.E01' },
  zst: { args: ['--frame-size', '1MiB'], first: 'EV.zst' },
};
const original = (format: string) => path.join(work, 'orig', format);

beforeAll(() => {
  makeSourceFile(src, SIZE, 21);
  for (const [format, f] of Object.entries(FORMATS)) {
    const r = run(['acquire', src, '-o', original(format), '-c', 'V-1', '-e', 'EV', '-x', 'V. Examiner', '-f', format, ...f.args]);
    expect(r.code, r.stderr).toBe(0);
  }
});

/** A copy of an acquisition's folder to damage. */
function copyOf(format: string, name: string): string {
  const dir = path.join(work, 'copies', `${format}-${name}`);
  fs.cpSync(original(format), dir, { recursive: true });
  return dir;
}

function flip(file: string, offset: number): void {
  const fd = fs.openSync(file, 'r+');
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, offset);
  b[0] = b[0]! ^ 0x40;
  fs.writeSync(fd, b, 0, 1, offset);
  fs.closeSync(fd);
}

describe.each(Object.keys(FORMATS))('%s', (format) => {
  it('verifies: every hash matches the record and the custody entry, every file its SHA-256', () => {
    const r = run(['verify', path.join(original(format), FORMATS[format]!.first), '--no-record', '--json']);
    expect(r.code, r.stdout).toBe(0);
    const j = json(r);
    expect(j.verdict).toBe('verified');
    expect(j.problems).toEqual([]);
    const against = new Set(j.comparisons.map((c: { against: string }) => c.against.replace(/\d+$/, 'N')));
    expect(against).toContain('the record');
    expect(against).toContain('custody log entry N');
    expect(j.comparisons.every((c: { equal: boolean }) => c.equal)).toBe(true);
    expect(j.custody.acquisition_entry).toBeGreaterThan(0);
    for (const f of j.image.files) expect(f.sha256).toBe(f.recorded_sha256);
    // the folder and the record name the same acquisition
    expect(run(['verify', original(format), '--no-record']).code).toBe(0);
    expect(run(['verify', path.join(original(format), 'EV.acquisition.yaml'), '--no-record']).code).toBe(0);
  });

  it('a flipped byte in the media is found and located', () => {
    const dir = copyOf(format, 'flip');
    // A byte 512 KiB into the media (random data there, so the hash must change): in chunk 16 (E01,
    // 32 KiB chunks), frame 0 (zst, 1 MiB frames), segment 1 (split raw, 1 MiB segments).
    const mediaOffset = 512 * 1024 + 100;
    let file = path.join(dir, FORMATS[format]!.first);
    let at = mediaOffset;
    return (async () => {
      if (format === 'e01') {
        const r = await EwfReader.open(file);
        const loc = r.locate(16);
        await r.close();
        file = loc.file;
        at = loc.offset + 100;
      }
      if (format === 'zst') {
        const r = await ZstdReader.open(file);
        at = r.frames[0]!.offset + Math.floor(r.frames[0]!.compressed / 2);
        await r.close();
      }
      flip(file, at);
      const v = run(['verify', dir, '--no-record', '--json']);
      expect(v.code).toBe(4);
      const j = json(v);
      expect(j.verdict).toBe('failed');
      const text = j.problems.join('\n');
      // The one piece (64 MiB by default, more than this media) differs too, beside the format's own unit.
      expect(j.damage.filter((d: { unit: string }) => d.unit === 'piece')).toEqual([expect.objectContaining({ unit: 'piece', index: 0, first_byte: 0, bytes: SIZE })]);
      j.damage = j.damage.filter((d: { unit: string }) => d.unit !== 'piece');
      if (format === 'e01') {
        expect(j.damage).toEqual([expect.objectContaining({ unit: 'chunk', index: 16, first_byte: 16 * 32768, bytes: 32768, first_sector: 16 * 64, sectors: 64 })]);
        expect(text).toMatch(/EV\.E0\d: chunk 16 \(media bytes 524288 to 557055, sectors 1024 to 1087\) checksum mismatch/);
      } else if (format === 'zst') {
        expect(j.damage).toEqual([expect.objectContaining({ unit: 'frame', index: 0, first_byte: 0, bytes: 1024 * 1024 })]);
        expect(text).toMatch(/EV\.zst: frame 0 \(media bytes 0 to 1048575, sectors 0 to 2047\)/);
      } else {
        // Raw holds no checksums of its own: the file whose SHA-256 changed says where.
        expect(text).toMatch(new RegExp(`${format === 'raw' ? 'EV\\.raw' : 'EV\\.001'}: its SHA-256 is [0-9a-f]{64}, the record\\b[^;]* says? `));
      }
      expect(text).toMatch(/SHA256 of the media is [0-9a-f]{64}, the record\b[^;]* says? /);
      const human = run(['verify', dir, '--no-record']);
      expectOneLineError(human.stderr, /^exhibit: error: verification failed: /);
      expect(human.stdout).toMatch(/^FAILED: \d+ problems?$/m);
    })();
  });

  it('an edited record is found: its SHA-256 is in no custody entry', () => {
    const dir = copyOf(format, 'record');
    const rec = path.join(dir, 'EV.acquisition.yaml');
    fs.writeFileSync(rec, fs.readFileSync(rec, 'utf8').replace('examiner: V. Examiner', 'examiner: W. Examiner'));
    const v = run(['verify', dir, '--no-record', '--json']);
    expect(v.code).toBe(4);
    expect(json(v).problems.join('\n')).toMatch(/the record's SHA-256 \([0-9a-f]{64}\) is in none of the custody log's \d+ acquisition entries for EV: the record was changed after it was logged/);
  });

  it('an edited custody log line is found and the entry named', () => {
    const dir = copyOf(format, 'log');
    const log = path.join(dir, 'EV.custody.jsonl');
    const lines = fs.readFileSync(log, 'utf8').trimEnd().split('\n');
    lines[1] = lines[1]!.replace('V. Examiner', 'V. Examinor');
    fs.writeFileSync(log, `${lines.join('\n')}\n`);
    const v = run(['verify', dir, '--no-record', '--json']);
    expect(v.code).toBe(4);
    expect(json(v).problems.join('\n')).toMatch(/custody log: entry 2: /);
  });
});

describe('the record and the log vouch for each other', () => {
  it('with the custody log removed, a record is unverifiable where no store holds the case, and checked against the store where one does', () => {
    const dir = copyOf('raw', 'no-log');
    fs.rmSync(path.join(dir, 'EV.custody.jsonl'));
    const alone = inProcess(['verify', dir, '--no-record', '--json'], { env: { EXHIBIT_HOME: path.join(work, 'empty-home') } });
    expect(alone.code).toBe(4);
    expect(json(alone).verdict).toBe('unverifiable');
    expect(json(alone).notes.join('\n')).toMatch(/there is no custody log beside the image \(EV\.custody\.jsonl\): the record cannot be checked/);
    const v = run(['verify', dir, '--no-record', '--json']);
    expect(v.code, v.stdout).toBe(0);
    expect(json(v).notes.join('\n')).toMatch(/there is no custody log beside the image: checked against the case store's log of case V-1/);
    const rec = path.join(dir, 'EV.acquisition.yaml');
    fs.writeFileSync(rec, fs.readFileSync(rec, 'utf8').replace('examiner: V. Examiner', 'examiner: W. Examiner'));
    const edited = run(['verify', dir, '--no-record', '--json']);
    expect(edited.code).toBe(4);
    expect(json(edited).problems.join('\n')).toMatch(/is in none of the case store's \d+ entries for EV in case V-1/);
  });

  it('a removed record is named from the custody entry that logged it, and the media still compared with that entry', () => {
    const dir = copyOf('e01', 'no-record');
    fs.rmSync(path.join(dir, 'EV.acquisition.yaml'));
    const v = run(['verify', path.join(dir, 'EV.E01'), '--json'], { EXHIBIT_HOME: path.join(work, 'home-named') }); // a store that never saw it
    expect(v.code).toBe(4);
    const j = json(v);
    expect(j.problems.join('\n')).toMatch(/the acquisition record is missing or unreadable: custody log entry \d+ logged one for EV/);
    expect(j.comparisons.some((c: { against: string; equal: boolean }) => /^custody log entry/.test(c.against) && c.equal)).toBe(true);
  });
});

describe('files of a set', () => {
  it('names files beside the image that are named as its own but are not part of it', () => {
    const dir = copyOf('e01', 'stray');
    const segs = fs.readdirSync(dir).filter((n) => /^EV\.E\d\d$/.test(n)).sort();
    const next = `EV.E${String(segs.length + 1).padStart(2, '0')}`;
    fs.copyFileSync(path.join(dir, segs[segs.length - 1]!), path.join(dir, next));
    fs.copyFileSync(path.join(dir, segs[0]!), path.join(dir, 'ev.001'));
    const v = run(['verify', dir, '--no-record', '--json']);
    const j = json(v);
    for (const name of [next, 'ev.001']) expect(j.notes.join('\n')).toContain(`${name} lies beside the image, named as one of its files, but is not part of it`);
    expect(j.notes.join('\n')).not.toMatch(/EV\.(map|pieces|checkpoint) lies beside/);
  });
  it('a ddrescue map changed to say sectors were unreadable fails: the record says otherwise', () => {
    const dir = copyOf('raw', 'map-edited');
    const map = path.join(dir, 'EV.map');
    const text = fs.readFileSync(map, 'utf8');
    expect(text).toMatch(/  \+\n$/);
    fs.writeFileSync(map, text.replace(/  \+\n$/, '  -\n'));
    const v = run(['verify', dir, '--no-record']);
    expect(v.code).toBe(4);
    expect(v.stdout).toMatch(/EV\.map does not match the record: its blocks are not the record's single read area/);
  });
  it('an E01 of a source that is not whole sectors verifies: its map is of the source, not of the zeros filling the last sector; a map written before that is taken too', () => {
    const dir = path.join(work, 'odd-e01');
    const odd = path.join(work, 'odd-source.bin');
    makeSourceFile(odd, 1024 * 1024 + 100, 29);
    expect(run(['acquire', odd, '-o', dir, '-c', 'C-ODD', '-e', 'EV', '-x', 'Test Examiner', '-f', 'e01']).code).toBe(0);
    const map = path.join(dir, 'EV.map');
    expect(fs.readFileSync(map, 'utf8')).toMatch(/^0x00000000  0x00100064  \+$/m);
    const v = run(['verify', dir, '--no-record']);
    expect(v.code, v.stdout).toBe(0);
    fs.writeFileSync(map, fs.readFileSync(map, 'utf8').replace('0x00100064  +', '0x00100200  +')); // as exhibit wrote it before: padded to the sector
    expect(run(['verify', dir, '--no-record']).code).toBe(0);
    fs.writeFileSync(map, fs.readFileSync(map, 'utf8').replace('0x00100200  +', '0x00100300  +'));
    expect(run(['verify', dir, '--no-record']).code).toBe(4);
  });
  it('a stray .000 beside a split set does not move its start: the record says where it starts', () => {
    const dir = copyOf('split-raw', 'stray-000');
    fs.writeFileSync(path.join(dir, 'EV.000'), 'not evidence');
    const v = run(['verify', dir, '--no-record', '--json']);
    expect(v.code, v.stdout).toBe(0);
    expect(json(v).notes.join('\n')).toContain('EV.000 lies beside the image, named as one of its files, but is not part of it');
  });
  it('a removed split-raw segment is named', () => {
    const dir = copyOf('split-raw', 'removed');
    fs.rmSync(path.join(dir, 'EV.002'));
    const v = run(['verify', dir, '--no-record', '--json']);
    expect(v.code).toBe(4);
    const text = json(v).problems.join('\n');
    // As for a missing E01 segment, the image does not open: the media would be cut short at the gap.
    expect(text).toMatch(/segment EV\.002 of the split image .* is missing: 2 segments \(EV\.003 to EV\.004\) lie beyond it/);
  });

  it('a truncated last segment is named', () => {
    const dir = copyOf('e01', 'truncated');
    const files = fs.readdirSync(dir).filter((n) => /^EV\.E\d\d$/.test(n)).sort();
    const last = path.join(dir, files[files.length - 1]!);
    fs.truncateSync(last, fs.statSync(last).size - 1000);
    const v = run(['verify', dir, '--no-record', '--json']);
    expect(v.code).toBe(4);
    expect(json(v).problems.join('\n')).toMatch(new RegExp(`(${files[files.length - 1]} holds \\d+ bytes, the record says \\d+ \\(truncated\\)|the image cannot be opened)`));
  });

  it('an extra segment is named', () => {
    const dir = copyOf('split-raw', 'extra');
    fs.writeFileSync(path.join(dir, 'EV.005'), Buffer.alloc(4096));
    const v = run(['verify', dir, '--no-record', '--json']);
    expect(v.code).toBe(4);
    expect(json(v).problems.join('\n')).toMatch(/EV\.005 is part of the image but not in the record \(an extra file\)/);
  });

  it('a damaged E01 table entry is found, though its table2 copy still reads the media', () => {
    const dir = copyOf('e01', 'table');
    const file = path.join(dir, 'EV.E01');
    const at = fs.readFileSync(file).indexOf(Buffer.from('table\0\0\0'));
    expect(at).toBeGreaterThan(0);
    flip(file, at + 76 + 24 + 4 * 3 + 1); // descriptor (76) + table header (24): the second byte of entry 3
    const v = run(['verify', dir, '--no-record', '--json']);
    expect(v.code).toBe(4);
    const j = json(v);
    expect(j.problems.join('\n')).toMatch(/table in .*EV\.E01 at \d+ is damaged; table2 used/);
    expect(j.damage).toEqual([]); // every chunk still reads: the media is sound
    // convert still reads it (recovery), but does not call the conversion checked.
    const c = run(['convert', path.join(dir, 'EV.E01'), '--to', 'raw', '-o', path.join(dir, 'converted')]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/NOT CHECKED against the source/);
    expect(c.stderr).toMatch(/the source's files are damaged \(see above\), so the conversion is not called checked/);
  });

  it('a remark that quotes the image is a note, whatever its words: a section typed "damaged" does not fail a sound E01', () => {
    // The segments alone: no record or custody log beside them whose file hashes would (rightly) fail the edit.
    const dir = path.join(work, 'copies', 'e01-named');
    fs.mkdirSync(dir, { recursive: true });
    const segments = fs.readdirSync(original('e01')).filter((n) => /^EV\.E\d\d$/.test(n)).sort();
    for (const n of segments) fs.copyFileSync(path.join(original('e01'), n), path.join(dir, n));
    const last = path.join(dir, segments[segments.length - 1]!);
    const bytes = fs.readFileSync(last);
    const at = bytes.indexOf(Buffer.from('digest\0\0\0\0'));
    expect(at).toBeGreaterThan(0);
    const renamed = Buffer.alloc(16);
    renamed.write('damaged');
    renamed.copy(bytes, at);
    bytes.writeUInt32LE(adler32(bytes.subarray(at, at + 72)), at + 72); // the descriptor's own checksum, made good
    fs.writeFileSync(last, bytes);
    const v = run(['verify', path.join(dir, 'EV.E01'), '--json'], { EXHIBIT_HOME: path.join(work, 'home-named') }); // a store that never saw it
    const j = json(v);
    expect(j.notes.join('\n')).toMatch(/'damaged' section in .*: unknown section type, ignored/);
    expect(j.problems).toEqual([]);
    expect(v.code, v.stdout).toBe(0);
  });

  it('an E01 the record lists whose signature was overwritten, or made to read as a later segment, is FAILED (exit 4), not a format exhibit does not read', () => {
    for (const [name, bytes] of [['signature', Buffer.from('XXXXXXXX')], ['later', Buffer.from([0x45, 0x56, 0x46, 0x09, 0x0d, 0x0a, 0xff, 0x00, 0x01, 0x02, 0x00])]] as const) {
      const dir = copyOf('e01', `head-${name}`);
      const fd = fs.openSync(path.join(dir, 'EV.E01'), 'r+');
      fs.writeSync(fd, bytes, 0, bytes.length, 0);
      fs.closeSync(fd);
      const v = run(['verify', dir, '--no-record', '--json']);
      expect(v.code, `${name}: ${v.stderr}`).toBe(4);
      expect(json(v).problems[0], name).toMatch(/^the image cannot be opened: /);
    }
  });

  it('a custody log beside the image that is a pipe or a device is a problem of the folder (FAILED, exit 4), not a stop', () => {
    const dir = copyOf('raw', 'fifo-log');
    const log = path.join(dir, 'EV.custody.jsonl');
    fs.rmSync(log);
    expect(spawnSync('mkfifo', [log]).status).toBe(0);
    const v = run(['verify', dir, '--no-record', '--json']);
    expect(v.code, v.stderr).toBe(4);
    expect(json(v).problems).toContainEqual(expect.stringMatching(/^the custody log beside the image cannot be read: .*EV\.custody\.jsonl is a named pipe \(FIFO\), not a regular file$/));
    fs.rmSync(log);
    fs.symlinkSync('/dev/zero', log);
    const z = run(['verify', dir, '--no-record', '--json']);
    expect(z.code, z.stderr).toBe(4);
    expect(json(z).problems).toContainEqual(expect.stringMatching(/^the custody log beside the image cannot be read: .*a character device/));
  });

  it('a damaged E01 section descriptor stops the image from opening, and says where', () => {
    const dir = copyOf('e01', 'section');
    flip(path.join(dir, 'EV.E01'), 13 + 20); // inside the first section descriptor, after the file header
    const v = run(['verify', dir, '--no-record', '--json']);
    expect(v.code).toBe(4);
    expect(json(v).problems[0]).toMatch(/the image cannot be opened: .*EV\.E01/);
  });
});

describe.skipIf(!have('ewfacquire'))(because('an E01 written by ewfacquire', needsTools('ewfacquire')), () => {
  it('verifies against the MD5 and SHA-1 it stores', () => {
    const target = path.join(work, 'ewfacquire', 'ewf');
    fs.mkdirSync(path.dirname(target));
    sh('ewfacquire', ['-u', '-q', '-t', target, '-c', 'deflate:best', '-d', 'sha1', '-b', '128', src]);
    const v = run(['verify', `${target}.E01`, '--no-record', '--json']);
    expect(v.code, v.stdout).toBe(0);
    const j = json(v);
    expect(j.verdict).toBe('verified');
    expect(j.comparisons.map((c: { algorithm: string }) => c.algorithm).sort()).toEqual(['md5', 'sha1']);
    expect(j.hashes.md5).toBe(fileDigest('md5', src));
    // --hash leaving out a hash the image stores says so; leaving out every one is unverifiable, and says why.
    const md5only = json(run(['verify', `${target}.E01`, '--no-record', '--json', '--hash', 'md5']));
    expect(md5only.notes).toContain('not checked (--hash): SHA1, which the hash stored in the image gives');
    const none = json(run(['verify', `${target}.E01`, '--no-record', '--json', '--hash', 'sha256']));
    expect(none.verdict).toBe('unverifiable');
    expect(none.unverifiable_reason).toMatch(/no hash computed here is one anything records \(MD5, which the hash stored in the image gives; SHA1, which the hash stored in the image gives, not computed: give it with --hash\)/);
  });

  it('checks the SHA-256 an EWF-X image stores too, and fails one whose stored SHA-256 contradicts its media (as ewfverify does)', () => {
    const target = path.join(work, 'ewfacquire-x', 'ewf');
    fs.mkdirSync(path.dirname(target));
    sh('ewfacquire', ['-u', '-q', '-f', 'ewfx', '-d', 'sha1,sha256', '-t', target, src]);
    const good = json(run(['verify', `${target}.e01`, '--no-record', '--json']));
    expect(good.verdict).toBe('verified');
    expect(good.comparisons.map((c: { algorithm: string }) => c.algorithm).sort()).toEqual(['md5', 'sha1', 'sha256']);
    // The xhash section's SHA-256 changed (its first 16 digits zeroed), the section recompressed in place.
    const file = fs.readFileSync(`${target}.e01`);
    let at = 13;
    for (;;) {
      const type = file.subarray(at, at + 16).toString('latin1').replace(/\0+$/, '');
      const next = Number(file.readBigUInt64LE(at + 16));
      const size = Number(file.readBigUInt64LE(at + 24));
      if (type === 'xhash') {
        const xml = zlib.inflateSync(file.subarray(at + 76, at + size)).toString('utf8');
        const edited = xml.replace(/(<sha256>)\s*([0-9a-f]{16})/i, (_m, tag: string) => `${tag}${'0'.repeat(16)}`);
        expect(edited).not.toBe(xml);
        const packed = zlib.deflateSync(Buffer.from(edited, 'utf8'));
        expect(packed.length).toBeLessThanOrEqual(size - 76);
        file.fill(0, at + 76, at + size);
        packed.copy(file, at + 76);
        break;
      }
      expect(next).toBeGreaterThan(at);
      at = next;
    }
    fs.writeFileSync(`${target}-bad.e01`, file);
    const bad = run(['verify', `${target}-bad.e01`, '--no-record', '--json']);
    expect(bad.code).toBe(4);
    expect(json(bad).problems.join('\n')).toMatch(/sha256/i);
  });

  it('opens one made from a source that is not whole 4096-byte sectors, and fails it as ewfverify does', () => {
    // 1 MiB and 1,536 bytes in 4096-byte sectors, 64 to a chunk: ewfacquire declares 256 sectors (four
    // whole chunks), stores the last 1,536 bytes in a fifth chunk, and stores the MD5 of all of them.
    const odd = path.join(work, 'odd-4k.bin');
    makeSourceFile(odd, 1024 * 1024 + 1536, 23);
    const target = path.join(work, 'ewfacquire-4k', 'ewf');
    fs.mkdirSync(path.dirname(target));
    sh('ewfacquire', ['-u', '-q', '-t', target, '-c', 'fast', '-P', '4096', '-b', '64', odd]);
    const whole = fs.readFileSync(odd).subarray(0, 1024 * 1024);
    const v = run(['verify', `${target}.E01`, '--no-record', '--json']);
    expect(v.code, v.stdout).toBe(4);
    const j = json(v);
    expect(j.verdict).toBe('failed');
    expect(j.hashes.md5).toBe(crypto.createHash('md5').update(whole).digest('hex'));
    expect(JSON.stringify(j)).toMatch(/holds chunk 4 after the 256 sectors/);
    expect(JSON.stringify(j)).toContain(fileDigest('md5', odd)); // the stored MD5, named beside the computed one
    // libewf's own check computes the same MD5 over the declared media and fails it too.
    if (have('ewfverify')) expect(spawnSync('ewfverify', ['-q', `${target}.E01`], { encoding: 'utf8' }).stdout).toContain(`calculated over data:\t\t${j.hashes.md5}`);
    // Converting it stops on the same mismatch, and says so.
    const c = run(['convert', `${target}.E01`, '--to', 'raw', '--out', path.join(work, 'ewfacquire-4k-raw'), '--examiner', 'Test Examiner']);
    expect(c.code).toBe(4);
    expect(c.stderr).toContain(`the source records ${fileDigest('md5', odd)}`);
  });
});

describe("split raw sets named by other tools", () => {
  it('reads .aa sets whole, and fails a set with a segment missing in the middle', () => {
    const dir = path.join(work, 'split-aa');
    fs.mkdirSync(dir);
    const part = fs.readFileSync(src).subarray(0, 3 * 1024 * 1024 + 100);
    fs.writeFileSync(path.join(dir, 'disk.img'), part);
    sh('split', ['-b', '1M', path.join(dir, 'disk.img'), path.join(dir, 'disk.img.')]);
    fs.rmSync(path.join(dir, 'disk.img'));
    const md5 = crypto.createHash('md5').update(part).digest('hex');
    const v = run(['verify', path.join(dir, 'disk.img.aa'), '--no-record', '--expect', `md5:${md5}`, '--json']);
    expect(v.code, v.stdout).toBe(0);
    expect(json(v).hashes.md5).toBe(md5);
    fs.rmSync(path.join(dir, 'disk.img.ab'));
    const gone = run(['verify', path.join(dir, 'disk.img.aa'), '--no-record', '--expect', `md5:${md5}`]);
    expect(gone.code).toBe(4);
    expect(gone.stdout).toMatch(/segment disk\.img\.ab of the split image .* is missing: 2 segments \(disk\.img\.ac to disk\.img\.ad\) lie beyond it/);
    const c = run(['convert', path.join(dir, 'disk.img.aa'), '--to', 'raw', '--out', path.join(dir, 'out'), '--examiner', 'Test Examiner']);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toMatch(/^exhibit: error: the source image is damaged: segment disk\.img\.ab .* is missing/m);
  });
});

describe('a raw image whose name ends in a number', () => {
  it('is read as one raw file when no other part of a split image lies beside it, and says so', () => {
    const dir = path.join(work, 'numbered');
    fs.mkdirSync(dir);
    fs.copyFileSync(src, path.join(dir, 'server.2024'));
    const v = json(run(['verify', path.join(dir, 'server.2024'), '--no-record', '--json', '--expect', `sha256:${fileDigest('sha256', src)}`]));
    expect(v.verdict).toBe('verified');
    expect(v.notes.join('\n')).toMatch(/server\.2024 is read as one raw file: its name ends in a number, but no other part of a split image lies beside it/);
  });
});

describe('split raw sets cut unevenly by other tools', () => {
  it('gives each file its own SHA-256 when the pieces differ in size (split -n) or the last is empty', () => {
    const dir = path.join(work, 'split-n');
    fs.mkdirSync(dir);
    const whole = fs.readFileSync(src).subarray(0, 2829202); // not a multiple of 3: split -n 3 makes the last file one byte longer
    fs.writeFileSync(path.join(dir, 'disk'), whole);
    sh('split', ['-n', '3', path.join(dir, 'disk'), path.join(dir, 'disk.')]);
    fs.rmSync(path.join(dir, 'disk'));
    fs.writeFileSync(path.join(dir, 'disk.ad'), ''); // as ewfexport -S leaves one
    const v = json(run(['verify', path.join(dir, 'disk.aa'), '--no-record', '--expect', `sha256:${crypto.createHash('sha256').update(whole).digest('hex')}`, '--json']));
    expect(v.verdict).toBe('verified');
    const files = v.image.files as { name: string; size: number; sha256: string }[];
    expect(files.map((f) => f.name)).toEqual(['disk.aa', 'disk.ab', 'disk.ac', 'disk.ad']);
    expect(new Set(files.slice(0, 3).map((f) => f.size)).size).toBe(2); // not all of one size
    for (const f of files) expect(f.sha256, f.name).toBe(fileDigest('sha256', path.join(dir, f.name)));
    expect(v.notes.join('\n')).not.toMatch(/split tools write every segment but the last at one size/);
  });

  it('reads one-character suffixes (split -a 1) as a set, refuses a later letter-named file given alone, and says when a segment is of another size', () => {
    const dir = path.join(work, 'split-a1');
    fs.mkdirSync(dir);
    const whole = fs.readFileSync(src);
    const sha256 = crypto.createHash('sha256').update(whole).digest('hex');
    sh('split', ['-b', '1M', '-a', '1', src, path.join(dir, 'img.')]);
    const v = json(run(['verify', path.join(dir, 'img.a'), '--no-record', '--expect', `sha256:${sha256}`, '--json']));
    expect(v.verdict).toBe('verified');
    expect(v.image.files.map((f: { name: string }) => f.name)).toEqual(['img.a', 'img.b', 'img.c', 'img.d']);
    const later = run(['verify', path.join(dir, 'img.b'), '--no-record']);
    expect(later.code).toBe(2);
    expectOneLineError(later.stderr, /img\.b is not the first segment: name img\.a/);
    // A segment cut short shifts every byte after it: the set is read as it is, and that is said.
    fs.truncateSync(path.join(dir, 'img.b'), 700_000);
    const cut = json(run(['verify', path.join(dir, 'img.a'), '--no-record', '--expect', `sha256:${sha256}`, '--json']));
    expect(cut.verdict).toBe('failed');
    expect(JSON.stringify(cut)).toMatch(/segment img\.b is 700000 bytes where img\.a is 1048576: split tools write every segment but the last at one size/);
    // A segment that is a link to nothing is named as such.
    fs.rmSync(path.join(dir, 'img.c'));
    fs.symlinkSync(path.join(dir, 'gone'), path.join(dir, 'img.c'));
    const link = run(['verify', path.join(dir, 'img.a'), '--no-record']);
    expect(link.stdout + link.stderr).toMatch(/img\.c is a link to .*gone, which does not exist/);
  });
});

describe('raw media that begins as an image does', () => {
  it('a raw acquisition of a zst or E01 file verifies as the raw media its record says it is', () => {
    for (const [format, first] of [['zst', 'EV.zst'], ['e01', 'EV.E01']] as const) {
      const out = path.join(work, `raw-of-${format}`);
      const a = run(['acquire', path.join(original(format), first), '-o', out, '-c', 'V-1', '-e', `EVR-${format}`, '-x', 'V. Examiner']);
      expect(a.code, a.stderr).toBe(0);
      const v = run(['verify', out, '--no-record', '--json']);
      expect(v.code, v.stdout).toBe(0);
      const j = json(v);
      expect(j.verdict).toBe('verified');
      expect(j.hashes.sha256).toBe(fileDigest('sha256', path.join(original(format), first)));
      expect(j.notes.join('\n')).toMatch(/begins as .* does, but the acquisition record beside it says it was acquired as a raw image: it was read as that/);
    }
  });
  it('--raw reads a copy that begins as an E01 does as raw media, one file or split; never a file its record lists as an E01', () => {
    const e01 = fs.readFileSync(path.join(original('e01'), 'EV.E01'));
    const sha256 = crypto.createHash('sha256').update(e01).digest('hex');
    const dir = path.join(work, 'forced-raw');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'drive.dd'), e01);
    const half = Math.ceil(e01.length / 2 / 512) * 512;
    fs.writeFileSync(path.join(dir, 'drive.001'), e01.subarray(0, half));
    fs.writeFileSync(path.join(dir, 'drive.002'), e01.subarray(half));
    // Without --raw the content decides: the first of several E01 segments, the others missing.
    const asE01 = run(['verify', path.join(dir, 'drive.dd'), '--no-record']);
    expect(asE01.code).not.toBe(0);
    expect(asE01.stdout + asE01.stderr).toMatch(/E01/);
    for (const first of ['drive.dd', 'drive.001']) {
      const v = run(['verify', path.join(dir, first), '--raw', '--no-record', '--expect', `sha256:${sha256}`, '--json']);
      expect(v.code, v.stderr).toBe(0);
      const j = json(v);
      expect(j.verdict).toBe('verified');
      expect(j.image.format).toBe(first.endsWith('.001') ? 'split-raw' : 'raw');
      expect(j.hashes.sha256).toBe(sha256);
      expect(j.notes.join('\n')).toMatch(/begins as an E01 image does; it was read as a (split )?raw image, as --raw asks/);
    }
    const i = run(['inspect', path.join(dir, 'drive.dd'), '--raw', '--json']);
    expect(i.code, i.stderr).toBe(0);
    expect(json(i).format).toBe('raw');
    const out = path.join(dir, 'converted');
    const c = run(['convert', path.join(dir, 'drive.001'), '--raw', '--to', 'raw', '--out', out, '--evidence', 'DRIVE']);
    expect(c.code, c.stderr).toBe(0);
    expect(fileDigest('sha256', path.join(out, 'DRIVE.raw'))).toBe(sha256);
    // An E01 its record lists is that image's file, not raw media: --raw is refused, and nothing is read;
    // a later segment too (its name gives the evidence name only without its extension).
    const r = run(['verify', path.join(original('e01'), 'EV.E01'), '--raw', '--no-record']);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /EV\.E01 is a file of an E01 image, as the acquisition record beside it says: --raw reads raw media only/);
    const later = run(['inspect', path.join(original('e01'), 'EV.E02'), '--raw']);
    expect(later.code).toBe(2);
    expectOneLineError(later.stderr, /EV\.E02 is a file of an E01 image, as the acquisition record beside it says/);
    // A stray file named as the first of a letter-named set does not stop a raw image of its own name.
    const stray = path.join(dir, 'stray');
    fs.mkdirSync(stray);
    fs.copyFileSync(src, path.join(stray, 'EV.raw'));
    fs.writeFileSync(path.join(stray, 'EV.aaa'), Buffer.alloc(4096));
    expect(run(['verify', path.join(stray, 'EV.raw'), '--no-record', '--expect', `sha256:${fileDigest('sha256', src)}`]).code).toBe(0);
  });
});

describe('what nothing records', () => {
  it('an image without record, stored hash or custody log is unverifiable, not verified', () => {
    const dir = path.join(work, 'bare');
    fs.mkdirSync(dir);
    fs.copyFileSync(src, path.join(dir, 'disk.raw'));
    const v = run(['verify', path.join(dir, 'disk.raw'), '--no-record']);
    expect(v.code).toBe(4);
    expect(v.stdout).toMatch(/^UNVERIFIABLE: nothing records what this image should hold$/m);
    expectOneLineError(v.stderr, /unverifiable/);
  });
});

describe('custody', () => {
  it('a log padded with thousands of junk lines fails quickly, listing the first problems and counting the rest', () => {
    const dir = copyOf('raw', 'junk-log');
    fs.appendFileSync(path.join(dir, 'EV.custody.jsonl'), '{}\n'.repeat(12_000));
    const v = run(['verify', dir, '--no-record', '--json']);
    expect(v.code).toBe(4);
    const j = json(v);
    const shown = j.problems.filter((p: string) => p.startsWith('custody log:'));
    expect(shown.length).toBe(101);
    expect(shown[100]).toBe(`custody log: and ${j.custody.problems.length - 100} more like these (listed in --json under custody.problems)`);
    // The check itself lists 10,000 entry problems and counts the rest in one line.
    expect(j.custody.problems.length).toBeLessThan(10_010);
    expect(j.custody.problems).toContainEqual(expect.stringMatching(/^and 20\d\d more problems in later entries \(the first 10000 are listed\)$/));
  });
  it('checks the log with the keys given, and fails with keys that did not sign it', () => {
    const key = path.join(work, 'v.pem');
    fs.writeFileSync(key, run(['key', 'export', 'V. Examiner']).stdout);
    expect(run(['verify', original('raw'), '--no-record', '--key', key]).code).toBe(0);
    const other = path.join(work, 'other.pem');
    expect(run(['key', 'create', '-x', 'Other Person']).code).toBe(0);
    fs.writeFileSync(other, run(['key', 'export', 'Other Person']).stdout);
    const v = run(['verify', original('raw'), '--no-record', '--key', other, '--json']);
    expect(v.code).toBe(4);
    expect(json(v).problems.join('\n')).toMatch(/entry 1: registers key [0-9a-f]{16} of V\. Examiner, which is not among the keys given to check with/);
  });

  it('logs the verification in the case store, signed; --no-record leaves the store alone', () => {
    const before = json(run(['custody', 'log', 'V-1', '--json'])).entries;
    const v = run(['verify', original('zst'), '-x', 'V. Examiner']);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stderr).toMatch(/logged in case V-1's custody log as entry \d+, signed by V\. Examiner/);
    const log = json(run(['custody', 'log', 'V-1', '--json']));
    expect(log.entries).toBe(before + 1);
    const last = log.log[log.log.length - 1];
    expect(last).toMatchObject({ kind: 'verification.performed', actor: { name: 'V. Examiner' }, payload: { evidence: 'EV', result: 'verified', problems: 0 } });
    expect(json(run(['case', 'show', 'V-1', '--json'])).verifications).toEqual([expect.objectContaining({ evidence: 'EV', result: 'verified', examiner: 'V. Examiner' })]);
    expect(run(['verify', original('zst'), '--no-record', '-x', 'V. Examiner']).code).toBe(0);
    expect(json(run(['custody', 'log', 'V-1', '--json'])).entries).toBe(before + 1);
  });
});

const interop = path.resolve(ROOT, '..', 'shared', 'fixtures', 'interop');
describe.skipIf(!fs.existsSync(interop))(because('images written by other tools', needsInterop()), () => {
  it.each([
    ['ewf/dfvfs-ext2.E01', '196066add11fb71c4c49cf1bb50d6d24'],
    ['ewf/dfvfs-ext2-split.E01', '196066add11fb71c4c49cf1bb50d6d24'],
    ['ewf/plaso-image.E01', 'd73c51f10c7ee6a681b7b619ccc6f1c4'],
    ['ewf/plaso-image-split.E01', '38ea5af8a80e16e46c095c9110242fc0'],
    ['ewf/sleuthkit-image.E01', '3ebb0b7dcd6b5fcd59a0020625d70994'],
    ['ewf/keramics-ext2.E01', 'b1760d0b35a512ef56970df4e6f8c5d6'],
  ])('%s verifies against the MD5 it stores', (file, md5) => {
    const v = run(['verify', path.join(interop, file), '--no-record', '--json']);
    expect(v.code, v.stdout).toBe(0);
    expect(json(v)).toMatchObject({ verdict: 'verified', hashes: { md5 } });
  });

  it('the split raw counted from .000 reads as one image with the same media', () => {
    const v = run(['verify', path.join(interop, 'raw/dfvfs-ext2-splitraw.000'), '--no-record', '--hash', 'md5', '--json']);
    expect(v.code).toBe(4); // nothing records its hash: unverifiable
    expect(json(v)).toMatchObject({ verdict: 'unverifiable', hashes: { md5: '196066add11fb71c4c49cf1bb50d6d24' } });
  });

  it('dissect-unaligned.E01 does not verify: its stored hash is not that of its declared media', () => {
    const v = run(['verify', path.join(interop, 'ewf/dissect-unaligned.E01'), '--no-record', '--json']);
    expect(v.code).toBe(4);
    expect(json(v).problems.join('\n')).toMatch(/MD5 of the media is 12fa506e8e270f36f47159b80db58119, the hash stored in the image says 4a225557e15472d956eb5fe34eed3b9d/);
  });
});

const noLoop = loopUnavailable();
describe.skipIf(noLoop !== undefined)(`--source: the source read again${noLoop ? ` (skipped: ${noLoop})` : ''}`, () => {
  it('matches for the original loop device, read-only with the proof, and differs for a changed copy', () => {
    const disk = path.join(work, 'disk.img');
    makeSourceFile(disk, 4 * 1024 * 1024, 44);
    try {
      const dev = attachLoop(disk);
      const out = path.join(work, 'loop-acq');
      const a = run(['acquire', dev, '-o', out, '-c', 'V-2', '-e', 'DISK', '-x', 'V. Examiner']);
      expect(a.code, a.stderr).toBe(0);
      const same = run(['verify', out, '--source', dev, '--no-record', '--json']);
      expect(same.code, same.stdout).toBe(0);
      const j = json(same);
      expect(j.source).toMatchObject({ path: dev, read_only_unchanged: true, unreadable_now: [] });
      expect(j.comparisons.filter((c: { against: string }) => c.against === 'the source, read again').map((c: { equal: boolean }) => c.equal)).toEqual([true, true, true]);
      detachAll();
      const changed = path.join(work, 'disk-changed.img');
      fs.copyFileSync(disk, changed);
      flip(changed, 3 * 1024 * 1024 + 7);
      const dev2 = attachLoop(changed);
      const diff = run(['verify', out, '--source', dev2, '--no-record', '--json']);
      expect(diff.code).toBe(4);
      expect(json(diff).problems.join('\n')).toMatch(/SHA256 of the source read again is [0-9a-f]{64}, the record says/);
    } finally {
      detachAll();
    }
  });
});

describe('--source with a file', () => {
  it('a source of another size is named', () => {
    const other = path.join(work, 'short.bin');
    makeSourceFile(other, 1024 * 1024, 1);
    const v = run(['verify', original('raw'), '--source', other, '--no-record']);
    expect(v.code).toBe(4);
    expectOneLineError(v.stderr, /the source .*short\.bin holds 1048576 bytes; the record says the acquired one held 3148288/);
  });
  it('refuses the image itself as its source, by any name (it would prove nothing but itself)', () => {
    const link = path.join(work, 'same-image.raw');
    fs.linkSync(path.join(original('raw'), 'EV.raw'), link);
    for (const s of [path.join(original('raw'), 'EV.raw'), link]) {
      const v = run(['verify', original('raw'), '--source', s, '--no-record']);
      expect(v.code).toBe(2);
      expectOneLineError(v.stderr, /is EV\.raw, a file of the image itself: it would compare the image with itself/);
      expect(v.stdout).not.toMatch(/^VERIFIED/m);
    }
  });
  it('refuses --expect with --pieces (the pieces do not give the whole media hash)', () => {
    const v = run(['verify', original('raw'), '--pieces', '0', '--expect', `md5:${'0'.repeat(32)}`, '--no-record']);
    expect(v.code).toBe(2);
    expectOneLineError(v.stderr, /--expect gives hashes of the whole media, which --pieces does not read/);
  });
});
