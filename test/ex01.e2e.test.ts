/**
 * Ex01 (EWF2) through every command that reads an image: verify, convert,
 * restore and inspect, on images libewf's ewfacquire wrote
 * (test/fixtures/ex01, with the hashes of their sources in fixtures.json),
 * and on copies damaged, extended or made hostile by test/helpers/ex01-edit.ts.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adler32 } from '../core/adler32.js';
import type { Ex01Fixture } from './fixtures/ex01/make.js';
import { buildSampleDisk } from './fixtures/sample-disk.js';
import { buildEx01 } from './helpers/ex01-build.js';
import { addManySections, errorTable, insertBeforeLast, reseal, rewriteTableHeader, sections } from './helpers/ex01-edit.js';
import { expectOneLineError } from './helpers/expect.js';
import { have, ROOT, run, tempDir } from './helpers/cli.js';
import { exhibitMeasured, noTime } from './helpers/rss.js';

const work = tempDir('exhibit-ex01-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'ex01');
const { fixtures } = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'fixtures.json'), 'utf8')) as { fixtures: Ex01Fixture[] };
const fixture = (name: string): Ex01Fixture => fixtures.find((f) => f.file === `${name}.Ex01`)!;
const env = { EXHIBIT_HOME: path.join(work, 'home') };
const json = (r: { stdout: string }) => JSON.parse(r.stdout);
const md5 = (file: string) => crypto.createHash('md5').update(fs.readFileSync(file)).digest('hex');

/** A copy of a fixture's files in a folder of its own; returns the first segment's path. */
function copy(name: string, as = name): string {
  const dir = fs.mkdtempSync(path.join(work, `${as}-`));
  for (const f of fixture(name).files) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f.replace(name, as)));
  return path.join(dir, `${as}.Ex01`);
}

describe('images libewf wrote (-f encase7-v2)', () => {
  it.each(fixtures.map((f) => f.file))('%s verifies against the MD5 and SHA-1 it stores, which are its source\'s', (file) => {
    const f = fixtures.find((x) => x.file === file)!;
    const v = run(['verify', path.join(FIXTURES, file), '--no-record', '--json'], { env });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(json(v)).toMatchObject({ verdict: 'verified', hashes: { md5: f.md5, sha1: f.sha1 } });
  });

  it.each(['sample-deflate', 'sample-bzip2', 'random-split'])('%s converts to raw with its source\'s MD5, carrying the case data into the record', (name) => {
    const f = fixture(name);
    const out = path.join(work, `convert-${name}`);
    const r = run(['convert', path.join(FIXTURES, f.file), '--to', 'raw', '-o', out, '-e', 'X', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(md5(path.join(out, 'X.raw'))).toBe(f.md5);
    expect(fs.statSync(path.join(out, 'X.raw')).size).toBe(f.media_bytes);
    expect(json(r)).toMatchObject({ case: f.facts.case, examiner: f.facts.examiner, description: f.facts.description, notes: f.facts.notes });
  });

  it('restores into a new file that reads back as its source', () => {
    const f = fixture('random-split');
    const target = path.join(work, 'restored.raw');
    const r = run(['restore', path.join(FIXTURES, f.file), target], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/RESTORED and checked/);
    expect(md5(target)).toBe(f.md5);
  });

  it.skipIf(!have('mmls'))('inspect shows the partitions mmls finds on the raw source', async () => {
    const raw = path.join(work, 'sample.raw');
    const disk = await buildSampleDisk(raw, { size: 4 * 1024 * 1024 });
    expect(disk.md5).toBe(fixture('sample-deflate').md5); // the fixture's source, made again
    const m = spawnSync('mmls', [raw], { encoding: 'utf8' });
    expect(m.status, m.stderr).toBe(0);
    const theirs = m.stdout
      .split('\n')
      .map((l) => /^\d+:\s+\d+(?::\d+)?\s+(\d+)\s+\d+\s+(\d+)\s+(.*)$/.exec(l))
      .filter((x): x is RegExpExecArray => x !== null && !/Unallocated|Primary Table|Extended/i.test(x[3]!))
      .map((x) => `${Number(x[1])}+${Number(x[2])}`)
      .sort();
    for (const name of ['sample-deflate', 'sample-bzip2']) {
      const r = run(['inspect', path.join(FIXTURES, `${name}.Ex01`), '--json'], { env });
      expect(r.code, r.stderr).toBe(0);
      const ours = json(r).table.partitions.map((p: { firstSector: number; sectors: number }) => `${p.firstSector}+${p.sectors}`).sort();
      expect(ours).toEqual(theirs);
      expect(ours).toHaveLength(2);
    }
  });
});

describe('identified by content', () => {
  it('an Ex01 under a name that says raw is read as an Ex01, and the name is reported', () => {
    const first = copy('small-deflate');
    const raw = path.join(path.dirname(first), 'EV.raw');
    fs.renameSync(first, raw);
    const v = run(['verify', raw, '--no-record', '--json'], { env });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(json(v)).toMatchObject({ verdict: 'verified', hashes: { md5: fixture('small-deflate').md5 } });
    expect(v.stderr + v.stdout).toMatch(/EV\.raw holds an Ex01 image, not a raw image as its name says/);
  });
});

describe.skipIf(!have('bzip2'))(`an Ex01 made by hand (what ewfacquire does not write from a file)${have('bzip2') ? '' : ' (skipped: needs the bzip2 command)'}`, () => {
  it("carries the drive's model and serial and the case data into the record, and reads bzip2 chunks stored as bare blocks", () => {
    const media = Buffer.concat([crypto.randomBytes(40 * 1024), Buffer.alloc(40 * 1024), Buffer.from('bag 7731 '.repeat(2000)).subarray(0, 16 * 1024)]);
    const want = crypto.createHash('md5').update(media).digest('hex');
    const device = { md: 'WDC WD10EZEX-08WN4A0', sn: 'WD-WCC6Y0ABCDEF', dt: 'r', ph: '1' };
    const caseData = { cn: '2026-B', en: 'EV-B', ex: 'B. Builder', nm: 'built by hand', nt: 'line one\x01line two' };
    for (const [method, bare] of [['deflate', false], ['bzip2', false], ['bzip2', true]] as const) {
      const file = path.join(work, `built-${method}-${bare}.Ex01`);
      buildEx01(file, { media, sectorsPerChunk: 16, method, bareBzip2: bare, device, caseData });
      const v = run(['verify', file, '--no-record', '--json'], { env });
      expect(v.code, `${method} ${bare}: ${v.stdout}${v.stderr}`).toBe(0);
      expect(json(v)).toMatchObject({ verdict: 'verified', hashes: { md5: want } });
      const out = path.join(work, `built-convert-${method}-${bare}`);
      const c = run(['convert', file, '--to', 'raw', '-o', out, '--json'], { env });
      expect(c.code, c.stderr).toBe(0);
      expect(json(c)).toMatchObject({ case: '2026-B', evidence: 'EV-B', examiner: 'B. Builder', description: 'built by hand', notes: 'line one\nline two', source: { kind: 'image', model: device.md, serial: device.sn } });
      expect(md5(path.join(out, 'EV-B.raw'))).toBe(want);
    }
  });
});

describe('damage, located by chunk', () => {
  it('a flipped byte in a chunk of the second segment is named with its media bytes and sectors, and the rest is still checked', () => {
    const first = copy('random-split');
    const second = first.replace(/01$/, '02');
    const data = sections(second).find((s) => s.type === 3)!;
    const b = fs.readFileSync(second);
    b[data.start + 5000]! ^= 0x10;
    fs.writeFileSync(second, b);
    const v = run(['verify', first, '--no-record', '--json'], { env });
    expect(v.code).toBe(4);
    const problems = json(v).problems.join('\n');
    expect(problems).toMatch(/random-split\.Ex02: chunk \d+ \(media bytes \d+ to \d+, sectors \d+ to \d+\) (checksum mismatch|zlib stream is damaged)/);
    expect(problems.match(/chunk \d+ \(/g)).toHaveLength(1);
    expect(json(v).units).toMatchObject({ kind: 'chunk', count: 72 });
    expect(json(v).verdict).toBe('failed');
  });

  it('a damaged sector table names every chunk it lists as unreadable, and the others are still checked', () => {
    const first = copy('small-deflate');
    const table = sections(first).find((s) => s.type === 4)!;
    const b = fs.readFileSync(first);
    b[table.start + 40]! ^= 0x01; // inside the entries: their checksum no longer holds
    reseal(b, table.descriptor);
    fs.writeFileSync(first, b);
    const v = run(['verify', first, '--no-record', '--json'], { env });
    expect(v.code).toBe(4);
    expect(json(v).problems.join('\n')).toMatch(/small-deflate\.Ex01: chunk 0 \(media bytes 0 to 8191, sectors 0 to 15\) listed by a damaged sector table \(sector table section in .* at \d+; its entry checksum does not match\)/);
    expect(json(v).problems.join('\n')).toMatch(/chunk 23 \(media bytes 188416 to 196607, sectors 368 to 383\) listed by a damaged sector table/);
  });

  it('a table whose entries share stored bytes (a small file claiming a larger media) is damaged, and its chunks are named', () => {
    const first = copy('small-deflate');
    const table = sections(first).find((s) => s.type === 4)!;
    const b = fs.readFileSync(first);
    const entries = table.start + 32;
    const count = b.readUInt32LE(table.start + 8);
    b.writeBigUInt64LE(b.readBigUInt64LE(entries), entries + 16); // chunk 1 placed on chunk 0's bytes
    b.writeUInt32LE(adler32(b, 1, entries, entries + 16 * count), entries + 16 * count);
    reseal(b, table.descriptor);
    fs.writeFileSync(first, b);
    const v = run(['verify', first, '--no-record', '--json'], { env });
    expect(v.code).toBe(4);
    expect(json(v).problems.join('\n')).toMatch(/chunk 1 \(media bytes 8192 to 16383, sectors 16 to 31\) listed by a damaged sector table .*entry 1 places chunk 1 at offset \d+, inside the chunk before it/);
  });

  it('a missing segment is named', () => {
    const first = copy('random-split');
    fs.rmSync(first.replace(/01$/, '02'));
    const v = run(['verify', first, '--no-record'], { env });
    expect(v.code).toBe(4);
    expectOneLineError(v.stderr, /segment 2 is missing/);
  });

  it('the error table becomes unreadable ranges: counted by verify, carried into a converted record', () => {
    const first = copy('sample-deflate');
    insertBeforeLast(first, 5, errorTable([[2048, 8], [6000, 3]]));
    const v = run(['verify', first, '--no-record', '--json'], { env });
    expect(v.code, v.stdout).toBe(0);
    expect(json(v).notes.join('\n')).toMatch(/11 sectors could not be read at acquisition/);
    const out = path.join(work, 'convert-errors');
    const c = run(['convert', first, '--to', 'raw', '-o', out, '-e', 'X', '--json'], { env });
    expect(c.code, c.stderr).toBe(0);
    expect(json(c).read_errors.ranges).toMatchObject([{ first_sector: 2048, sectors: 8 }, { first_sector: 6000, sectors: 3 }]);
  });
});

describe('refused by name (exit 2)', () => {
  it('an encrypted Ex01: a section flagged encrypted, or an encryption keys section', () => {
    const a = copy('small-deflate');
    const b = fs.readFileSync(a);
    const device = sections(a)[0]!;
    b.writeUInt32LE(b.readUInt32LE(device.descriptor + 4) | 2, device.descriptor + 4);
    reseal(b, device.descriptor);
    fs.writeFileSync(a, b);
    const c = copy('small-deflate', 'keys');
    insertBeforeLast(c, 0x0b, Buffer.alloc(64, 7));
    for (const file of [a, c]) {
      for (const cmd of [['verify', file, '--no-record'], ['inspect', file], ['convert', file, '--to', 'raw', '-o', path.join(work, `enc-${path.basename(file)}`)]]) {
        const r = run(cmd, { env });
        expect(r.code, `${cmd.join(' ')}: ${r.stderr}`).toBe(2);
        expectOneLineError(r.stderr, /is an encrypted Ex01 image, which exhibit does not read/);
      }
    }
  });

  it('an Lx01 logical evidence file, and a later segment given first', () => {
    const lx = copy('small-deflate', 'logical');
    const b = fs.readFileSync(lx);
    b.write('LEF2', 0, 'latin1');
    const lx01 = lx.replace(/Ex01$/, 'Lx01');
    fs.writeFileSync(lx01, b);
    const r = run(['verify', lx01, '--no-record'], { env });
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /logical evidence file \(Lx01\)/);
    const s = run(['verify', path.join(FIXTURES, 'random-split.Ex02'), '--no-record'], { env });
    expect(s.code).toBe(2);
    expectOneLineError(s.stderr, /is segment 2 of an Ex01 image, not its first/);
  });
});

describe.skipIf(noTime !== undefined)(`hostile tables: a clear error within 256 MiB${noTime ? ` (skipped: ${noTime})` : ''}`, () => {
  const cases: [string, (file: string) => void, RegExp][] = [
    ['a table declaring 2^32-1 entries', (f) => rewriteTableHeader(f, sections(f).find((s) => s.type === 4)!, 0n, 0xffffffff), /the sector tables list 4294967295 chunks, but the media needs 24/],
    ['a table starting at chunk 2^63', (f) => rewriteTableHeader(f, sections(f).find((s) => s.type === 4)!, 1n << 63n, 24), /first chunk \d+ out of range/],
    [
      'a descriptor pointing back at itself',
      (f) => {
        const b = fs.readFileSync(f);
        const last = b.length - 64;
        b.writeBigUInt64LE(BigInt(last), last + 8);
        reseal(b, last);
        fs.writeFileSync(f, b);
      },
      /previous section offset \d+ does not lie before it/,
    ],
    [
      'a section claiming 2^50 bytes of data',
      (f) => {
        const b = fs.readFileSync(f);
        const t = sections(f).find((s) => s.type === 4)!;
        b.writeBigUInt64LE(1n << 50n, t.descriptor + 16);
        reseal(b, t.descriptor);
        fs.writeFileSync(f, b);
      },
      /data size \d+ is larger than the room before its descriptor/,
    ],
  ];
  it.each(cases)('%s', (_what, edit, message) => {
    const file = copy('small-deflate');
    edit(file);
    const r = exhibitMeasured(['verify', file, '--no-record'], { env });
    expect(r.rssMiB).toBeLessThan(256);
    expect(r.code).toBe(4);
    expectOneLineError(r.stderr, message);
  });

  it('93,000 small sections making a 10 MiB file are walked within 256 MiB (in reads of 1 MiB), and the image still verifies', () => {
    const file = copy('small-deflate');
    addManySections(file, 93_000, 0x10);
    expect(fs.statSync(file).size).toBeGreaterThan(10_000_000);
    const r = exhibitMeasured(['verify', file, '--no-record'], { env });
    expect(r.rssMiB).toBeLessThan(256);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^VERIFIED/m);
  });
});
