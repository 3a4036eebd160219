/**
 * verify --source reads every sector of the source again, those the record
 * lists as unreadable included, and hashes what it actually reads. A record
 * cannot make sectors count as "fill" by calling them unreadable: a doctored
 * record that lists every sector as unreadable, beside an all-zero image with
 * hashes to match, must not "match" the real source. An honest drive whose bad
 * sectors are still bad matches; one whose bad sectors now read fails, and the
 * report names exactly which recorded-unreadable sectors read now.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { makeSourceFile, openDescriptorsOn, run as inProcess, type RunResult, tempDir } from './helpers/cli.js';
import { expectOneLineError } from './helpers/expect.js';
import { detachAllFaulty, faultyDeviceUnavailable, makeFaultyDevice } from './helpers/faulty-device.js';
import { attachLoop, detachAll, loopUnavailable } from './helpers/loop.js';

const work = tempDir('exhibit-verify-source-');
afterAll(async () => {
  detachAll();
  await detachAllFaulty();
  fs.rmSync(work, { recursive: true, force: true });
});
const home = path.join(work, 'home');
const run = (args: string[]): RunResult => inProcess(args, { env: { EXHIBIT_HOME: home } });
const json = (r: RunResult): any => JSON.parse(r.stdout);
const SOURCE = 'the source, read again';
const sourceComparisons = (j: any): boolean[] => j.comparisons.filter((c: { against: string }) => c.against === SOURCE).map((c: { equal: boolean }) => c.equal);
const digest = (alg: string, b: Buffer) => crypto.createHash(alg).update(b).digest('hex');

/**
 * The attack: a genuine acquisition's folder, its image replaced by zeros, its record's hashes
 * rewritten for the zeros and every sector listed as unreadable (filled with zeros), the custody
 * files removed and the record relabelled a conversion, so the image alone checks out.
 */
function forge(folder: string, sectors: number): void {
  const image = path.join(folder, 'EV.raw');
  const zeros = Buffer.alloc(fs.statSync(image).size);
  fs.writeFileSync(image, zeros);
  const recFile = path.join(folder, 'EV.acquisition.yaml');
  const rec = YAML.parse(fs.readFileSync(recFile, 'utf8'));
  rec.record = 'exhibit conversion';
  rec.media.hashes = { md5: digest('md5', zeros), sha1: digest('sha1', zeros), sha256: digest('sha256', zeros) };
  rec.image.files[0].sha256 = digest('sha256', zeros);
  rec.media.zero_sectors = { total: sectors, filled: sectors, read_as_zero: 0 };
  rec.read_errors = { ...rec.read_errors, unreadable_sectors: sectors, ranges: [{ first_sector: 0, sectors, error: 'EIO' }], fill: 'zero' };
  fs.writeFileSync(recFile, YAML.stringify(rec));
  for (const n of fs.readdirSync(folder)) if (/\.(custody\.jsonl|checkpoint|keys|map)$/.test(n)) fs.rmSync(path.join(folder, n), { recursive: true, force: true });
}

function expectForgeryCaught(v: RunResult, sectors: number): void {
  expect(v.code, v.stdout).toBe(4);
  const j = json(v);
  expect(sourceComparisons(j)).toEqual([false, false, false]);
  expect(j.source.recorded_unreadable).toMatchObject({ sectors, read_now_sectors: sectors, still_unreadable: 0 });
  expect(j.source.recorded_unreadable.read_now).toEqual([{ first_sector: 0, sectors }]);
  expect(j.problems.join('\n')).toMatch(new RegExp(`all ${sectors} sectors the record lists as unreadable read now \\(sectors 0 to ${sectors - 1}\\)`));
  expect(j.problems.join('\n')).toMatch(/SHA256 of the source read again is [0-9a-f]{64}, the record says/);
}

describe('a record that lists every sector as unreadable', () => {
  it('does not make an all-zero image match the real source (a file)', () => {
    const src = path.join(work, 'file-source.bin');
    makeSourceFile(src, 2 * 1024 * 1024, 7);
    const out = path.join(work, 'file-acq');
    expect(run(['acquire', src, '-o', out, '-c', 'S-1', '-e', 'EV', '-x', 'S. Examiner']).code).toBe(0);
    forge(out, 4096);
    const v = run(['verify', out, '--source', src, '--no-record', '--json']);
    expectForgeryCaught(v, 4096);
    const text = run(['verify', out, '--source', src, '--no-record']);
    expect(text.code).toBe(4);
    expect(text.stdout).toMatch(/DIFFERS FROM the record/);
    expectOneLineError(text.stderr, /verification failed: /);
  });

  it('a list of unreadable sectors no acquisition can have written is refused, named', () => {
    const out = path.join(work, 'file-acq-beyond');
    fs.cpSync(path.join(work, 'file-acq'), out, { recursive: true });
    const recFile = path.join(out, 'EV.acquisition.yaml');
    const rec = YAML.parse(fs.readFileSync(recFile, 'utf8'));
    rec.read_errors.ranges = [{ first_sector: 4000, sectors: 200, error: 'EIO' }];
    fs.writeFileSync(recFile, YAML.stringify(rec));
    const v = run(['verify', out, '--source', path.join(work, 'file-source.bin'), '--no-record']);
    expect(v.code).toBe(4);
    expectOneLineError(v.stderr, /the record's list of unreadable sectors is damaged: entry 1 \(sectors 4000 to 4199\) lies beyond the 4096 sectors of the media/);
  });

  const noLoop = loopUnavailable();
  it.skipIf(noLoop !== undefined)(`does not make an all-zero image match the real source (a loop device)${noLoop ? ` (skipped: ${noLoop})` : ''}`, () => {
    const disk = path.join(work, 'disk.img');
    makeSourceFile(disk, 3 * 1024 * 1024, 8);
    try {
      const dev = attachLoop(disk, { readOnly: true });
      const out = path.join(work, 'loop-acq');
      const a = run(['acquire', dev, '-o', out, '-c', 'S-2', '-e', 'EV', '-x', 'S. Examiner']);
      expect(a.code, a.stderr).toBe(0);
      forge(out, 6144);
      expectForgeryCaught(run(['verify', out, '--source', dev, '--no-record', '--json']), 6144);
    } finally {
      detachAll();
    }
  });
});

const noFaulty = faultyDeviceUnavailable();
describe.skipIf(noFaulty !== undefined)(`a drive with real bad sectors${noFaulty ? ` (skipped: ${noFaulty})` : ''}`, () => {
  const base = path.join(work, 'base.img');
  // makeSourceFile: 1 MiB pieces of random data, zeros and text in turn.
  const BAD = [
    { first: 0, count: 1 }, // random data
    { first: 2100, count: 3 }, // zeros (MiB 1): reading them now gives the fill
    { first: 4500, count: 2 }, // text (MiB 2)
  ];
  const out = path.join(work, 'faulty-acq');
  const args = ['-o', out, '-c', 'S-3', '-e', 'EV', '-x', 'S. Examiner'];

  beforeAll(async () => {
    makeSourceFile(base, 4 * 1024 * 1024, 9);
    const dev = await makeFaultyDevice({ baseFile: base, badSectors: BAD, workDir: work });
    try {
      expect(run(['acquire', dev.device, ...args]).code).toBe(3);
    } finally {
      await dev.teardown();
    }
  });

  it('matches while they are still bad: they are filled as at acquisition', async () => {
    const dev = await makeFaultyDevice({ baseFile: base, badSectors: BAD, workDir: work });
    try {
      const v = run(['verify', out, '--source', dev.device, '--no-record', '--json']);
      expect(v.code, v.stdout).toBe(0);
      expect(openDescriptorsOn(dev.device), 'verify closed every handle it opened on the drive').toEqual([]);
      const j = json(v);
      expect(sourceComparisons(j)).toEqual([true, true, true]);
      expect(j.source.recorded_unreadable).toMatchObject({ sectors: 6, still_unreadable: 6, read_now_sectors: 0, read_now: [] });
      expect(j.source.unreadable_now).toEqual(BAD.map((b) => ({ first_sector: b.first, sectors: b.count, error: 'EIO' })));
    } finally {
      await dev.teardown();
    }
  });

  it('fails once they read, and names exactly which read now and which hold other bytes than the fill', async () => {
    const healthy = await makeFaultyDevice({ baseFile: base, badSectors: [], workDir: work });
    try {
      const v = run(['verify', out, '--source', healthy.device, '--no-record', '--json']);
      expect(v.code, v.stdout).toBe(4);
      const j = json(v);
      expect(sourceComparisons(j)).toEqual([false, false, false]);
      const want = BAD.map((b) => ({ first_sector: b.first, sectors: b.count }));
      expect(j.source.recorded_unreadable).toEqual({
        sectors: 6,
        still_unreadable: 0,
        read_now_sectors: 6,
        read_now: want,
        differ_from_fill_sectors: 3,
        differ_from_fill: [want[0], want[2]],
      });
      expect(j.source.unreadable_now).toEqual([]);
      expect(j.problems[0]).toBe(
        'all 6 sectors the record lists as unreadable read now (sectors 0, 2100 to 2102, 4500 to 4501); 3 of them hold other bytes than the fill the record says the image holds there (sectors 0, 4500 to 4501)',
      );
      // What the source holds now is hashed: the base file itself.
      const sha = json(v).comparisons.find((c: { against: string; algorithm: string }) => c.against === SOURCE && c.algorithm === 'sha256').computed;
      expect(sha).toBe(digest('sha256', fs.readFileSync(base)));
    } finally {
      await healthy.teardown();
    }
  });
});
