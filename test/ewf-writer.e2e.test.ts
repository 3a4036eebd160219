/**
 * E01 images written by `exhibit acquire --format e01`, checked with the
 * real peer tools: libewf's ewfverify and ewfinfo, sleuthkit's img_stat and
 * mmls.
 */
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildSampleDisk } from './fixtures/sample-disk.js';
import { exhibitAsync, fileDigest, have, makeSourceFile, run, tempDir, withoutNotices } from './helpers/cli.js';
import { detachAllFaulty, faultyDeviceUnavailable, makeFaultyDevice } from './helpers/faulty-device.js';
import { because, needsTools } from './helpers/skip.js';

const why = have('ewfverify') && have('ewfinfo') ? undefined : 'needs ewfverify and ewfinfo (apt-get install ewf-tools)';
if (why) console.warn(`skipping E01 interop tests: ${why}`);

const work = tempDir('exhibit-e01-');
afterAll(async () => {
  await detachAllFaulty();
  fs.rmSync(work, { recursive: true, force: true });
});

const args = (out: string, ev = 'EV') => ['-o', out, '-c', 'CASE-2026-04', '-e', ev, '-x', 'Jürgen Prüfer', '--description', 'Seized laptop disk', '--notes', 'bag 7731', '-f', 'e01'];
const record = (dir: string, ev = 'EV'): any => YAML.parse(fs.readFileSync(path.join(dir, `${ev}.acquisition.yaml`), 'utf8'));

function ewfverify(first: string): { ok: boolean; md5: string | undefined; out: string } {
  const r = spawnSync('ewfverify', ['-q', '-d', 'sha1', first], { encoding: 'utf8' });
  const out = r.stdout + r.stderr;
  return { ok: r.status === 0 && /ewfverify: SUCCESS/.test(out), md5: /MD5 hash calculated over data:\s+([0-9a-f]{32})/.exec(out)?.[1], out };
}

function ewfinfo(first: string): string {
  const r = spawnSync('ewfinfo', [first], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout;
}

describe.skipIf(why !== undefined)(because('E01 written by exhibit, read by libewf and sleuthkit', why), () => {
  const src = path.join(work, 'source.bin');
  makeSourceFile(src, 12 * 1024 * 1024, 31);
  const md5 = fileDigest('md5', src);
  // For the four compressions: 4 MiB holds each kind of chunk (random, zeros, text) and costs a third.
  const src4 = path.join(work, 'source4.bin');
  makeSourceFile(src4, 4 * 1024 * 1024, 31);
  const md5of4 = fileDigest('md5', src4);

  for (const compression of ['none', 'empty-block', 'fast', 'best']) {
    it(`passes ewfverify with --compression ${compression}, and ewfinfo shows the case`, () => {
      const out = path.join(work, `c-${compression}`);
      const r = run(['acquire', src4, ...args(out), '--compression', compression, '--hash', 'md5,sha1,sha256']);
      expect(withoutNotices(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      const v = ewfverify(path.join(out, 'EV.E01'));
      expect(v.ok, v.out).toBe(true);
      expect(v.md5).toBe(md5of4);
      const info = ewfinfo(path.join(out, 'EV.E01'));
      expect(info).toMatch(/Case number:\s+CASE-2026-04/);
      expect(info).toMatch(/Evidence number:\s+EV/);
      expect(info).toMatch(/Examiner name:\s+Jürgen Prüfer/);
      expect(info).toMatch(/Description:\s+Seized laptop disk/);
      expect(info).toMatch(/Notes:\s+bag 7731/);
      expect(info).toMatch(/File format:\s+EnCase 6/);
      expect(info).toMatch(/Media size:\s+4\.0 MiB \(4194304 bytes\)/);
      const rec = record(out);
      expect(rec.image).toMatchObject({ format: 'e01', compression, chunk_sectors: 64 });
      expect(rec.media.hashes.md5).toBe(md5of4);
      for (const f of rec.image.files) expect(f.sha256).toBe(fileDigest('sha256', path.join(out, f.name)));
    });
  }

  it('writes several segments that verify as one image', () => {
    const out = path.join(work, 'segments');
    const r = run(['acquire', src, ...args(out), '--compression', 'none', '--segment-size', '1MiB', '--chunk-sectors', '16']);
    expect(r.code).toBe(0);
    const rec = record(out);
    expect(rec.image.files.length).toBeGreaterThan(10);
    expect(rec.image.files[0].name).toBe('EV.E01');
    for (const f of rec.image.files) {
      expect(f.size).toBeLessThanOrEqual(1024 * 1024);
      expect(f.sha256).toBe(fileDigest('sha256', path.join(out, f.name)));
    }
    const v = ewfverify(path.join(out, 'EV.E01'));
    expect(v.ok, v.out).toBe(true);
    expect(v.md5).toBe(md5);
  });

  it('pads a source that is not a whole number of sectors, and says so', () => {
    const odd = path.join(work, 'odd.bin');
    makeSourceFile(odd, 3 * 1024 * 1024 + 1001, 32);
    const out = path.join(work, 'odd');
    expect(run(['acquire', odd, ...args(out)]).code).toBe(0);
    const padded = Buffer.concat([fs.readFileSync(odd), Buffer.alloc(512 - (1001 % 512))]);
    const want = crypto.createHash('md5').update(padded).digest('hex');
    const v = ewfverify(path.join(out, 'EV.E01'));
    expect(v.ok, v.out).toBe(true);
    expect(v.md5).toBe(want);
    const rec = record(out);
    expect(rec.media).toMatchObject({ size_bytes: 3 * 1024 * 1024 + 1001, padding_bytes: 512 - (1001 % 512) });
    expect(rec.media.hashes.md5).toBe(want);
  });

  it('is read by sleuthkit: img_stat and mmls on the demo disk', async (ctx) => {
    if (!have('img_stat') || !have('mmls')) ctx.skip(true, needsTools('img_stat', 'mmls'));
    const disk = path.join(work, 'sample.img');
    const built = await buildSampleDisk(disk);
    const out = path.join(work, 'demo');
    expect(run(['acquire', disk, ...args(out)]).code).toBe(0);
    const stat = spawnSync('img_stat', ['-i', 'ewf', path.join(out, 'EV.E01')], { encoding: 'utf8' });
    expect(stat.stdout).toMatch(new RegExp(`MD5 hash of data:\\s+${built.md5}`));
    expect(stat.stdout).toMatch(/Size of data in bytes:\s+33554432/);
    const mmls = spawnSync('mmls', ['-i', 'ewf', path.join(out, 'EV.E01')], { encoding: 'utf8' });
    expect(mmls.stdout).toMatch(/DOS Partition Table/);
    expect(mmls.stdout).toMatch(/0000002048\s+0000032767\s+0000030720\s+Linux \(0x83\)/);
    expect(mmls.stdout).toMatch(/0000032768\s+0000065535\s+0000032768\s+NTFS \/ exFAT \(0x07\)/);
  });

  it('never overwrites an existing E01 segment', () => {
    const out = path.join(work, 'exists');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'EV.E03'), 'older image');
    const r = run(['acquire', src, ...args(out)]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/EV\.E03 already exists/);
    expect(fs.readdirSync(out)).toEqual(['EV.E03']);
  });

  it.skipIf(faultyDeviceUnavailable() !== undefined)(because('lists unreadable sectors in error2, which ewfinfo reports', faultyDeviceUnavailable()), async () => {
    const base = path.join(work, 'bad-base.img');
    makeSourceFile(base, 8 * 1024 * 1024, 33);
    const bad = [
      { first: 0, count: 1 },
      { first: 777, count: 9 },
      { first: 16383, count: 1 },
    ];
    const dev = await makeFaultyDevice({ baseFile: base, badSectors: bad, workDir: work });
    const out = path.join(work, 'bad');
    const r = run(['acquire', dev.device, ...args(out)]);
    await dev.teardown();
    expect(r.code).toBe(3);
    const v = ewfverify(path.join(out, 'EV.E01'));
    expect(v.ok, v.out).toBe(true);
    const info = ewfinfo(path.join(out, 'EV.E01'));
    expect(info).toMatch(/Read errors during acquiry\s+total number: 3/);
    expect(info).toMatch(/at sector\(s\): 0 - 0 number: 1/);
    expect(info).toMatch(/at sector\(s\): 777 - 785 number: 9/);
    expect(info).toMatch(/at sector\(s\): 16383 - 16383 number: 1/);
    expect(info).toMatch(/Is physical:\s+yes/);
  });

  describe('an interrupted E01 acquisition resumes to the same image', () => {
    const big = path.join(work, 'resume-src.bin');
    makeSourceFile(big, 48 * 1024 * 1024, 34);
    const want = fileDigest('md5', big);
    const opts = ['--segment-size', '8MiB', '--sync-every', '4MiB', '--hash', 'md5,sha1']; // about 17 MiB of E01 in three segments
    // The kill rounds: the same shape a quarter the size (about 4.3 MiB of E01 in three segments, a safe
    // point every 1 MiB of media: as many safe points per segment), so each of their five acquisitions,
    // four resumes and five ewfverify runs costs about a quarter. (Ctrl-C keeps the 48 MiB: exhibit
    // finishes the writes in flight when it stops, and on 12 MiB those can be all the rest.)
    const small = path.join(work, 'resume-src-small.bin');
    makeSourceFile(small, 12 * 1024 * 1024, 34);
    const wantSmall = fileDigest('md5', small);
    const optsSmall = ['--segment-size', '2MiB', '--sync-every', '1MiB', '--hash', 'md5,sha1'];

    /** The bytes of the E01 files in `dir` now (sizes only: cheap enough to poll). */
    const e01Bytes = (dir: string): number =>
      fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => /^EV\.E\d\d$/.test(n)).reduce((sum, n) => sum + (fs.statSync(path.join(dir, n), { throwIfNoEntry: false })?.size ?? 0), 0) : 0;

    /** Run `args`; send `signal` once the E01 files in `dir` hold `bytes` (placed by progress, whatever the machine's speed). */
    async function runUntil(args: string[], dir: string, bytes: number, signal: NodeJS.Signals): Promise<number | null> {
      const child = exhibitAsync(args);
      const timer = setInterval(() => {
        if (e01Bytes(dir) >= bytes && child.exitCode === null) child.kill(signal);
      }, 2);
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      clearInterval(timer);
      return code;
    }

    function expectComplete(out: string, md5 = want): void {
      const v = ewfverify(path.join(out, 'EV.E01'));
      expect(v.ok, v.out).toBe(true);
      expect(v.md5).toBe(md5);
      const rec = record(out);
      expect(rec.result).toBe('complete');
      expect(rec.media.hashes.md5).toBe(md5);
      for (const f of rec.image.files) expect(f.sha256).toBe(fileDigest('sha256', path.join(out, f.name)));
      expect(fs.existsSync(path.join(out, 'EV.journal.json'))).toBe(false);
    }

    it('after Ctrl-C', async () => {
      const out = path.join(work, 'resume-int');
      const child = exhibitAsync(['acquire', big, ...args(out), ...opts]);
      const journal = path.join(out, 'EV.journal.json');
      const safe = () => {
        try {
          return JSON.parse(fs.readFileSync(journal, 'utf8')).safe_bytes as number;
        } catch {
          return 0;
        }
      };
      const t0 = Date.now();
      while (safe() === 0 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 5));
      child.kill('SIGINT'); // after the first safe point, well before the end
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      expect(code).toBe(130);
      const j = JSON.parse(fs.readFileSync(path.join(out, 'EV.journal.json'), 'utf8'));
      expect(j.safe_bytes).toBeGreaterThan(0);
      expect(j.writer_state.chunks * 32768).toBe(j.safe_bytes);
      const r = run(['acquire', '--resume', out, '-x', 'Second Examiner']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/resuming at/);
      expectComplete(out);
    });

    it('after kill -9 at seeded random moments, some across a segment boundary', async () => {
      let x = 20261122;
      const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
      // The whole image's size, from an uninterrupted run: round k is killed once the k-th quarter of it is written.
      const whole = path.join(work, 'resume-whole');
      expect(run(['acquire', small, ...args(whole), ...optsSmall]).code).toBe(0);
      const total = e01Bytes(whole);
      expect(record(whole).image.files.map((f: { name: string }) => f.name)).toEqual(['EV.E01', 'EV.E02', 'EV.E03']); // so some kills fall across a segment boundary
      for (let round = 0; round < 4; round++) {
        const out = path.join(work, `resume-kill-${round}`);
        const first = ['acquire', small, ...args(out), ...optsSmall];
        const code = await runUntil(first, out, Math.round(((round + rnd()) / 4) * total), 'SIGKILL');
        if (code === 0) {
          expectComplete(out, wantSmall);
          continue;
        }
        const journal = fs.existsSync(path.join(out, 'EV.journal.json'));
        const recordBefore = fs.existsSync(path.join(out, 'EV.acquisition.yaml')) ? fs.readFileSync(path.join(out, 'EV.acquisition.yaml'), 'utf8') : '';
        const again = journal ? ['acquire', '--resume', out, '-x', 'Second Examiner'] : first;
        let r = run(again);
        if (journal && r.code === 2 && /the record credits .*, not Second Examiner: only one of them logs it/.test(r.stderr)) {
          // Killed after its final record, before logging it: only an examiner the record credits logs it.
          r = run(['acquire', '--resume', out, '-x', YAML.parse(recordBefore).examiner]);
        }
        const recordText = fs.existsSync(path.join(out, 'EV.acquisition.yaml')) ? fs.readFileSync(path.join(out, 'EV.acquisition.yaml'), 'utf8') : '';
        if (!journal && /^result: complete$/m.test(recordBefore)) {
          // Killed after the journal was removed, before its lock was: the acquisition is complete. The
          // same command again takes the dead run's lock over, refuses to overwrite, and lets the lock go.
          expect(r.code).toBe(1);
          expect(r.stderr).toMatch(/already exists; exhibit never overwrites/);
          expect(fs.existsSync(path.join(out, 'EV.lock'))).toBe(false);
        } else if (journal && /the acquisition had already finished/.test(r.stderr)) {
          // Killed after the final record, before the journal went (while the result was being logged):
          // the next run finishes the logging, removes the stale journal, and says so (done, exit 0).
          expect(r.code, r.stderr).toBe(0);
          expect(recordText).toMatch(/^result: complete$/m);
          expect(fs.existsSync(path.join(out, 'EV.journal.json'))).toBe(false);
          expect(fs.existsSync(path.join(out, 'EV.custody.jsonl'))).toBe(true);
        } else expect(r.code, `round ${round}: ${r.stderr}`).toBe(0);
        expectComplete(out, wantSmall);
      }
    }, 240_000); // four acquisitions and their resumes: past 60 s on a busy machine
  });
});
