/**
 * Decompression bombs and huge counts (issue 13, item 7): small hostile
 * inputs that once made exhibit decode hundreds of MiB or spend minutes.
 * Each is built here, run through exhibit's main() under /usr/bin/time, and
 * must end cleanly (a named problem, non-zero exit) within 300 MiB. Commands
 * that share an input run in turn in one process (exhibitMeasuredBatch): its
 * peak memory bounds each of them, at one Node start for the group.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import YAML from 'yaml';
import { logAcquisition, prepareCustody } from '../cli/acquire-custody.js';
import { renderRecord, type AcquisitionRecord } from '../core/record.js';
import { have, makeSourceFile, ROOT, run, tempDir } from './helpers/cli.js';
import { expectOneLineError } from './helpers/expect.js';
import { writeE01 } from './helpers/hostile-ewf.js';
import { entryOf, rleFrame, writeSeekable } from './helpers/hostile-zst.js';
import { exhibitMeasured, exhibitMeasuredBatch, noTime } from './helpers/rss.js';
import { anyOf, because, needsTools } from './helpers/skip.js';

const LIMIT_MIB = 300;
if (noTime) console.warn(`skipping hostile-size tests: ${noTime}`);
const work = tempDir('exhibit-hostile-size-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/**
 * The four commands that decode an image, each pointed at `image` (outputs go to fresh places), with
 * the exit code each gives for a damaged one: verify fails it (4), convert stops at the damaged unit
 * as a failed check of the source (4), restore stops (1), and inspect lists what it could not read
 * among its findings (0).
 */
function decodeAll(image: string, tag: string): { what: string; args: string[]; code: number }[] {
  return [
    { what: 'verify', args: ['verify', image], code: 4 },
    { what: 'inspect', args: ['inspect', image, '--json'], code: 0 },
    { what: 'convert', args: ['convert', image, '--to', 'raw', '-o', path.join(work, `conv-${tag}`), '-e', 'X'], code: 4 },
    { what: 'restore', args: ['restore', image, path.join(work, `restored-${tag}.dd`), '--no-record'], code: 1 },
  ];
}

describe.skipIf(noTime !== undefined)(because('a zstd frame that decodes to far more than the seek table says', noTime), () => {
  const image = path.join(work, 'BOMB.zst');
  const noSize = path.join(work, 'NOSIZE.zst');
  const hugeFrame = path.join(work, 'HUGEFRAME.zst');
  const decoders = decodeAll(image, 'bomb');
  // The four decoders on the bomb, then verify on the two images below: one process, whose peak bounds each.
  let batch: ReturnType<typeof exhibitMeasuredBatch>;
  beforeAll(() => {
    const bomb = rleFrame(512 * 1024 * 1024); // 16 KiB that decodes to 512 MiB
    writeSeekable(image, [bomb], [entryOf(bomb, 2 * 1024 * 1024)]);
    const f = rleFrame(512 * 1024 * 1024, null);
    writeSeekable(noSize, [f], [entryOf(f, 2 * 1024 * 1024)]);
    writeSeekable(hugeFrame, [bomb], [entryOf(bomb, 512 * 1024 * 1024)]);
    batch = exhibitMeasuredBatch([...decoders.map((d) => d.args), ['verify', noSize], ['verify', hugeFrame]]);
  });

  it.each(decoders.map((d, i) => ({ ...d, i })))('$what refuses it by name within the memory bound', ({ i, code }) => {
    const r = batch.runs[i]!;
    expect(r.code, r.stderr).toBe(code);
    expect(r.stdout + r.stderr).toMatch(/frame 0\b.*(declares|content size)/);
    expect(batch.rssMiB).toBeLessThan(LIMIT_MIB);
  });

  it('verify fails a frame whose header gives no content size once it decodes past the table\'s size, within the memory bound', () => {
    const r = batch.runs[decoders.length]!;
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout).toMatch(/NOSIZE\.zst: frame 0 \(media bytes 0 to 2097151, sectors 0 to 4095\) it does not decompress \(it decompresses to more than it declares\): damaged/);
    expect(batch.rssMiB).toBeLessThan(LIMIT_MIB);
  });

  it('a seek table that declares a frame larger than exhibit writes (512 MiB) is read in order, a few MiB at a time, within the memory bound', () => {
    const r = batch.runs[decoders.length + 1]!;
    expect(r.stdout + r.stderr).toMatch(/a frame of it holds more than 32 MiB of media, too large to decode whole, so it is read in order only/);
    expect(r.stdout + r.stderr).not.toMatch(/damaged/);
    expect(batch.rssMiB).toBeLessThan(LIMIT_MIB);
  });
});

describe.skipIf(noTime !== undefined)(because('an E01 whose chunks are 1 byte', noTime), () => {
  // 9 MB: a million chunks of one 1-byte sector, each stored with its checksum, and their table.
  const image = path.join(work, 'TINY.E01');
  const decoders = decodeAll(image, 'tiny').filter((c) => c.what !== 'inspect');
  let batch: ReturnType<typeof exhibitMeasuredBatch>; // the three in one process, whose peak bounds each
  beforeAll(() => {
    writeE01(image, { sectorsPerChunk: 1, bytesPerSector: 1, media: Buffer.alloc(1_000_000, 7), table2: false });
    batch = exhibitMeasuredBatch(decoders.map((d) => d.args));
  });

  it.each(decoders.map((d, i) => ({ ...d, i })))('$what refuses its geometry by name within the memory bound', ({ i }) => {
    const r = batch.runs[i]!;
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/chunk size 1 byte.*(too small|at least)/);
    expect(batch.rssMiB).toBeLessThan(LIMIT_MIB);
  });
});

describe.skipIf(noTime !== undefined)(because('a record beside an image that holds millions of values', noTime), () => {
  // The images are sound (raw files); only their records are hostile: one of 8 MB beside big/EV.raw,
  // one of 1.6 MB beside rec/EV.raw. The four commands run in one process, whose peak bounds each.
  const big = path.join(work, 'big');
  const dir = path.join(work, 'rec');
  const head = 'record: exhibit acquisition\nresult: complete\ncase: C\nevidence: EV\n';
  const list = (n: number) => `notes: [${'0,'.repeat(n - 1)}0]\n`;
  const many = [
    { what: 'verify', args: ['verify', path.join(dir, 'EV.raw')] },
    { what: 'convert', args: ['convert', path.join(dir, 'EV.raw'), '--to', 'raw', '-o', path.join(work, 'conv-rec'), '-e', 'X'] },
    { what: 'restore', args: ['restore', path.join(dir, 'EV.raw'), path.join(work, 'restored-rec.dd')] },
  ];
  let batch: ReturnType<typeof exhibitMeasuredBatch>;
  beforeAll(() => {
    for (const d of [big, dir]) {
      fs.mkdirSync(d);
      fs.writeFileSync(path.join(d, 'EV.raw'), Buffer.alloc(64 * 1024));
    }
    fs.writeFileSync(path.join(big, 'EV.acquisition.yaml'), head + list(4_000_000));
    fs.writeFileSync(path.join(dir, 'EV.acquisition.yaml'), head + list(800_000));
    batch = exhibitMeasuredBatch([['verify', path.join(big, 'EV.acquisition.yaml')], ...many.map((m) => m.args)]);
  });

  it('a record of 8 MB (a 4-million-item list) is refused by its size', () => {
    const r = batch.runs[0]!;
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/record .*EV\.acquisition\.yaml cannot be read: it is \d+ bytes, more than/);
    expect(batch.rssMiB).toBeLessThan(LIMIT_MIB);
  });

  it.each(many.map((m, i) => ({ ...m, i })))('$what refuses a record of 1.6 MB that lists 800,000 values, within the memory bound', ({ i }) => {
    const r = batch.runs[1 + i]!;
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/record .*EV\.acquisition\.yaml cannot be read: it holds more than \d+ YAML values/);
    expect(batch.rssMiB).toBeLessThan(LIMIT_MIB);
  });
});

describe.skipIf(noTime !== undefined)(because('report text with a 20 KB word', noTime), () => {
  const word = 'W'.repeat(20_000);
  const X = 'T. Examiner';

  it('a template whose title is 20 KB is refused, naming the field', () => {
    expect(run(['case', 'open', 'RT-1', '-x', X]).code).toBe(0);
    const template = path.join(work, 'long-title.yaml');
    const text = fs.readFileSync(path.join(ROOT, 'templates', 'custody-report.yaml'), 'utf8').replace(/^title: .*$/m, `title: "${word}"`);
    fs.writeFileSync(template, text);
    const r = exhibitMeasured(['report', 'RT-1', '--out', path.join(work, 'long-title.pdf'), '--template', template, '-x', X]);
    expect(r.code, r.stderr).toBe(2);
    expectOneLineError(r.stderr, /template .*long-title\.yaml, line \d+: title is 20000 characters long, more than \d+/);
    expect(fs.existsSync(path.join(work, 'long-title.pdf'))).toBe(false);
    expect(r.rssMiB).toBeLessThan(LIMIT_MIB);
  });

  it('a case whose title is one 20 KB word gets its report, laid out within the memory bound', () => {
    const open = run(['case', 'open', 'RT-2', '--title', word, '-x', X]);
    if (open.code === 2) return; // exhibit refuses a title this long when the case is opened: nothing to lay out
    expect(open.code, open.stderr).toBe(0);
    const out = path.join(work, 'long-case-title.pdf');
    const r = exhibitMeasured(['report', 'RT-2', '--out', out, '-x', X]);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.statSync(out).size).toBeGreaterThan(0);
    expect(r.rssMiB).toBeLessThan(LIMIT_MIB);
  });
});

describe.skipIf(noTime !== undefined || !have('pdftotext'))(because('a report on an acquisition with 5,000 unreadable ranges', anyOf(noTime, needsTools('pdftotext'))), () => {
  it('lists the first 2,000 in the appendix and says where the rest are', async () => {
    const X = 'A. Examiner';
    const src = path.join(work, 'ranges-src.bin');
    makeSourceFile(src, 256 * 1024, 3);
    const a = run(['acquire', src, '-o', path.join(work, 'ranges-a'), '-c', 'RA-1', '-e', 'EV-1', '-x', X, '-f', 'raw']);
    expect(a.code, a.stderr).toBe(0);
    // A second record, as an acquisition of a failing drive would write it, logged like one.
    const rec = YAML.parse(fs.readFileSync(path.join(work, 'ranges-a', 'EV-1.acquisition.yaml'), 'utf8')) as AcquisitionRecord;
    const dir = path.join(work, 'ranges-b');
    fs.mkdirSync(dir);
    fs.copyFileSync(path.join(work, 'ranges-a', 'EV-1.raw'), path.join(dir, 'EV-2.raw'));
    rec.evidence = 'EV-2';
    rec.image.files = [{ ...rec.image.files[0]!, name: 'EV-2.raw' }];
    rec.read_errors.ranges = Array.from({ length: 5000 }, (_, i) => ({ first_sector: 3 * i, sectors: 1, error: 'EIO' }));
    rec.read_errors.unreadable_sectors = 5000;
    const recordPath = path.join(dir, 'EV-2.acquisition.yaml');
    fs.writeFileSync(recordPath, renderRecord(rec));
    const ctx = prepareCustody(X, 'RA-1', undefined);
    try {
      await logAcquisition(ctx, rec, recordPath);
    } finally {
      ctx.store.close();
    }
    const out = path.join(work, 'ranges.pdf');
    const r = exhibitMeasured(['report', 'RA-1', '--out', out, '-x', X]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.rssMiB).toBeLessThan(LIMIT_MIB);
    const text = spawnSync('pdftotext', ['-raw', out, '-'], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout.replace(/\s+/g, ' ');
    expect(text).toMatch(/The first 2000 of the 5000 unreadable ranges are listed in the appendix; all of them are in the attached record EV-2\.acquisition\.yaml/);
    expect(text).toMatch(/EV-2 3000 more in EV-2\.acquisition\.yaml/);
    expect(text).toMatch(/EV-2 5997 1 EIO/); // the 2000th range
    expect(text).not.toMatch(/EV-2 6000 1 EIO/); // the 2001st is not listed
  });
});

describe('a zero-length seek table entry', () => {
  // Memory is not the point here: exhibit runs in-process.
  it('is an invalid image that names the frame, not a buffer error', () => {
    const img = path.join(work, 'ZERO.zst');
    const good = rleFrame(4096);
    writeSeekable(img, [good], [entryOf(good, 4096), { compressed: 0, decompressed: 0, checksum: 0 }]);
    for (const args of [['verify', img], ['inspect', img, '--json']]) {
      const r = run(args);
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stdout + r.stderr).not.toMatch(/outside buffer bounds|RangeError/);
      expect(r.stdout + r.stderr).toMatch(/frame 1\b/);
    }
  });
});
