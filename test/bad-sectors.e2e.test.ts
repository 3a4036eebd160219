/**
 * Unreadable sectors, through the real kernel: a read-only loop device over
 * nbdkit whose chosen sectors fail with EIO (test/helpers/faulty-device.ts).
 * GNU ddrescue on the same device is the independent oracle.
 *
 * Granularity: with the loop device in direct-I/O mode (the fixture's
 * default), exhibit's O_DIRECT sector re-reads resolve single 512-byte
 * sectors, so the reported ranges must equal the injected ones exactly.
 */
import crypto from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { filesHold } from './helpers/bytes.js';
import { BIN, have, makeSourceFile, run, tempDir, withoutNotices } from './helpers/cli.js';
import { detachAllFaulty, faultyDeviceUnavailable, makeFaultyDevice, type FaultyDevice } from './helpers/faulty-device.js';
import { because } from './helpers/skip.js';

const why = faultyDeviceUnavailable() ?? (have('ddrescue') && have('ddrescuelog') ? undefined : 'needs ddrescue and ddrescuelog (gddrescue)');
if (why) console.warn(`skipping bad-sector tests: ${why}`);

const work = tempDir();
afterAll(async () => {
  await detachAllFaulty();
  fs.rmSync(work, { recursive: true, force: true });
});

const SS = 512;
const base = path.join(work, 'base.img');
const BAD = [
  { first: 0, count: 1 }, // the very start
  { first: 5000, count: 1 }, // a single sector
  { first: 10000, count: 64 }, // a run
  { first: 32767, count: 1 }, // the very end
];
const badSet = new Set(BAD.flatMap((b) => Array.from({ length: b.count }, (_, i) => b.first + i)));
const args = (out: string, ev = 'EV') => ['-o', out, '-c', 'CASE-3', '-e', ev, '-x', 'Examiner'];
const record = (dir: string, ev = 'EV'): any => YAML.parse(fs.readFileSync(path.join(dir, `${ev}.acquisition.yaml`), 'utf8'));

/** ddrescuelog's list of bad sectors of a mapfile. */
function badList(mapfile: string): number[] {
  const r = spawnSync('ddrescuelog', ['-b', String(SS), '-l-', mapfile], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout.split(/\s+/).filter(Boolean).map(Number);
}

/** The image exhibit should write: the base with each bad sector replaced by the fill. */
function expectedImage(fill: Buffer): Buffer {
  const img = fs.readFileSync(base);
  for (const s of badSet) fill.copy(img, s * SS);
  return img;
}

/** The image filled with zeros, which most tests expect, and its hashes: made once, by the first test that needs it. */
let zeroFilled: { image: Buffer; hashes: Record<'md5' | 'sha1' | 'sha256', string> } | undefined;
function zeroImage(): { image: Buffer; hashes: Record<'md5' | 'sha1' | 'sha256', string> } {
  if (!zeroFilled) {
    const image = expectedImage(Buffer.alloc(SS));
    zeroFilled = { image, hashes: { md5: hashOf('md5', image), sha1: hashOf('sha1', image), sha256: hashOf('sha256', image) } };
  }
  return zeroFilled;
}
const hashOf = (alg: string, data: Buffer): string => crypto.createHash(alg).update(data).digest('hex');

// The two devices the tests only read, each made by the first test that needs it and shared (a device
// is read-only and holds no state between reads; made per test they cost a few tenths of a second of
// CPU each): one with the sectors of BAD unreadable, one healthy. afterAll takes them down.
let badDev: Promise<FaultyDevice> | undefined;
let healthyDev: Promise<FaultyDevice> | undefined;
const badDevice = (): Promise<FaultyDevice> => (badDev ??= makeFaultyDevice({ baseFile: base, badSectors: BAD, workDir: work }));
const healthyDevice = (): Promise<FaultyDevice> => (healthyDev ??= makeFaultyDevice({ baseFile: base, badSectors: [], workDir: work }));

describe.skipIf(why !== undefined)(because('unreadable sectors', why), () => {
  if (!why) makeSourceFile(base, 16 * 1024 * 1024, 21);

  it('fills them with zeros, maps them exactly, and exits 3', async () => {
    const dev = await badDevice();
    const out = path.join(work, 'zero');
    const r = run(['acquire', dev.device, ...args(out)]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('WARNING: 67 sectors unreadable in 4 ranges, filled with zeros');

    const rec = record(out);
    expect(rec.result).toBe('complete');
    expect(dev.directIo).toBe(true);
    expect(rec.read_errors.ranges).toEqual(BAD.map((b) => ({ first_sector: b.first, sectors: b.count, error: 'EIO' })));
    expect(rec.read_errors).toMatchObject({ unreadable_sectors: 67, fill: 'zero', retries: 2 });

    // Every good sector is bit-exact; every bad one is zeros; the hashes cover the image as written.
    const { image: want, hashes } = zeroImage();
    expect(filesHold([path.join(out, 'EV.raw')], want)).toBe(true);
    for (const a of ['md5', 'sha1', 'sha256'] as const) expect(rec.media.hashes[a]).toBe(hashes[a]);

    // Zero sectors: those read as zeros and those filled are told apart.
    let zeros = 0;
    const z = Buffer.alloc(SS);
    for (let s = 0; s < want.length / SS; s++) if (want.subarray(s * SS, (s + 1) * SS).equals(z)) zeros++;
    expect(rec.media.zero_sectors).toEqual({ total: zeros, filled: 67, read_as_zero: zeros - 67 });

    // The mapfile is GNU ddrescue's, and ddrescue itself finds the same bad sectors.
    const ours = badList(path.join(out, 'EV.map'));
    expect(ours).toEqual([...badSet].sort((a, b) => a - b));
    const dd = spawnSync('ddrescue', ['-q', '-d', '-r2', '-b', String(SS), dev.device, path.join(work, 'dd.img'), path.join(work, 'dd.map')]);
    expect(dd.status).toBe(0);
    expect(badList(path.join(work, 'dd.map'))).toEqual(ours);
  });

  it('fills with a recognisable pattern when asked, and reports it in --json', async () => {
    const dev = await badDevice();
    const out = path.join(work, 'pattern');
    const r = run(['acquire', dev.device, ...args(out), '--fill', 'pattern:DEADBEEF', '--retries', '0', '--json']);
    expect(r.code).toBe(3);
    const rec = JSON.parse(r.stdout);
    expect(rec.read_errors).toMatchObject({ unreadable_sectors: 67, fill: 'pattern:deadbeef', retries: 0 });
    const fill = Buffer.alloc(SS);
    for (let i = 0; i < SS; i += 4) fill.writeUInt32BE(0xdeadbeef, i);
    expect(filesHold([path.join(out, 'EV.raw')], expectedImage(fill))).toBe(true);
    expect(rec.media.zero_sectors.filled).toBe(0);
  });

  it('stops, resumably, when a long stretch is unreadable, and resumes on the drive under a new name', async () => {
    const longRun = [{ first: 8192, count: 4096 }]; // 2 MiB unreadable in a row
    const dying = await makeFaultyDevice({ baseFile: base, badSectors: longRun, workDir: work });
    const out = path.join(work, 'dying');
    const r = run(['acquire', dying.device, ...args(out), '--max-bad-run', '1MiB', '--retries', '0']);
    await dying.teardown();
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/^exhibit: error: 1\.00 MiB in a row could not be read \(from byte 4194304\); stopped/);
    const rec = record(out);
    expect(rec.result).toBe('incomplete');
    expect(fs.existsSync(path.join(out, 'EV.journal.json'))).toBe(true);
    expect(fs.readFileSync(path.join(out, 'EV.map'), 'utf8')).toMatch(/^0x[0-9A-F]+ {2}0x[0-9A-F]+ {2}\?$/m); // the rest: not tried yet

    // The drive comes back healthy, as another loop device: resume from its new name.
    const back = await healthyDevice();
    expect(back.device).not.toBe('');
    const r2 = run(['acquire', back.device, '--resume', out, '-x', 'Second Examiner']);
    expect(r2.stderr).toMatch(/resuming at/);
    expect(r2.code, r2.stderr).toBe(0);
    const done = record(out);
    expect(done.result).toBe('complete');
    expect(done.read_errors.unreadable_sectors).toBe(0);
    const media = fs.readFileSync(base);
    expect(filesHold([path.join(out, 'EV.raw')], media)).toBe(true);
    expect(done.media.hashes.sha256).toBe(hashOf('sha256', media));
    expect(done.sessions.map((s: any) => s.examiner)).toEqual(['Examiner', 'Second Examiner']);
    expect(fs.existsSync(path.join(out, 'EV.journal.json'))).toBe(false);
  });

  it('with --skip-bad: the same image, hashes and ranges, the failing areas read last', async () => {
    const dev = await badDevice();
    const out = path.join(work, 'skip');
    const r = run(['acquire', dev.device, ...args(out), '--skip-bad', '--piece-size', '1MiB']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/first pass done; going back to the 12\.0 MiB that failed/);
    const rec = record(out);
    expect(rec.read_errors.ranges).toEqual(BAD.map((b) => ({ first_sector: b.first, sectors: b.count, error: 'EIO' })));
    expect(rec.read_errors.strategy).toMatch(/^skip-bad: failing areas skipped in the first pass \(12582912 bytes in 2 regions\)/);
    expect(rec.media.hashes_computed).toMatch(/^from the finished image/);
    const { image: want, hashes } = zeroImage();
    expect(filesHold([path.join(out, 'EV.raw')], want)).toBe(true);
    expect(rec.media.hashes.sha256).toBe(hashes.sha256);
    expect(badList(path.join(out, 'EV.map'))).toEqual([...badSet].sort((a, b) => a - b));
    // The pieces are of the finished image (rebuilt by the rehash pass), not of pass 1's placeholders.
    const MiB = 1024 * 1024;
    const pieces = fs.readFileSync(path.join(out, 'EV.pieces'), 'utf8').split('\n').filter((l) => /^\d/.test(l));
    expect(pieces).toEqual(Array.from({ length: want.length / MiB }, (_, i) => `${i * MiB} ${MiB} ${crypto.createHash('sha256').update(want.subarray(i * MiB, (i + 1) * MiB)).digest('hex')}`));
  });

  it('with --skip-bad on a healthy drive: one pass, hashes in-stream', async () => {
    const dev = await healthyDevice();
    const out = path.join(work, 'skip-healthy');
    const r = run(['acquire', dev.device, ...args(out), '--skip-bad', '-f', 'split-raw', '--segment-size', '4MiB']);
    expect(r.code).toBe(0);
    expect(withoutNotices(r.stderr)).toBe('');
    const rec = record(out);
    expect(rec.media.hashes_computed).toMatch(/^in-stream/);
    expect(rec.media.hashes.md5).toBe(hashOf('md5', fs.readFileSync(base)));
  });

  it('with --skip-bad, killed as the rescue pass starts: resuming finishes the same image', async () => {
    // Kill exhibit at the rescue pass's first write into the image (the second open of EV.raw).
    const hook = path.join(work, 'kill-at-open.mjs');
    fs.writeFileSync(
      hook,
      "import fsp from 'node:fs/promises';\nlet n = 0; const open = fsp.open;\n" +
        "fsp.open = function (p, ...rest) { if (String(p).endsWith('/EV.raw') && ++n === 2) process.kill(process.pid, 'SIGKILL'); return open.call(this, p, ...rest); };\n",
    );
    const dev = await badDevice();
    const out = path.join(work, 'skip-killed');
    const killed = await new Promise<string | null>((resolve) => {
      const c = spawn(process.execPath, ['--import', hook, BIN, 'acquire', dev.device, ...args(out), '--skip-bad'], { stdio: 'ignore' });
      c.on('exit', (_code, signal) => resolve(signal));
    });
    expect(killed).toBe('SIGKILL');
    const journal = JSON.parse(fs.readFileSync(path.join(out, 'EV.journal.json'), 'utf8'));
    expect(journal.safe_bytes).toBe(16 * 1024 * 1024);
    expect(journal.deferred).toEqual([
      { pos: 0, len: 8 * 1024 * 1024 },
      { pos: 12 * 1024 * 1024, len: 4 * 1024 * 1024 },
    ]);
    expect(record(out).result).toBe('incomplete');
    const r = run(['acquire', '--resume', out, '-x', 'Examiner']);
    expect(r.code).toBe(3);
    const rec = record(out);
    expect(rec.result).toBe('complete');
    expect(rec.read_errors.unreadable_sectors).toBe(67);
    expect(filesHold([path.join(out, 'EV.raw')], zeroImage().image)).toBe(true);
    expect(fs.existsSync(path.join(out, 'EV.journal.json'))).toBe(false);
  });

  it('fills and maps them in a zst image too, which zstd -d turns back into the filled media', async () => {
    const dev = await badDevice();
    const out = path.join(work, 'zst');
    const r = run(['acquire', dev.device, ...args(out), '-f', 'zst', '--frame-size', '1MiB']);
    expect(r.code).toBe(3);
    const rec = record(out);
    expect(rec.read_errors.ranges).toEqual(BAD.map((b) => ({ first_sector: b.first, sectors: b.count, error: 'EIO' })));
    const d = spawnSync('zstd', ['-q', '-d', '-c', path.join(out, 'EV.zst')], { maxBuffer: 64 << 20 });
    const { image: want, hashes } = zeroImage();
    expect(d.stdout.equals(want)).toBe(true);
    expect(rec.media.hashes.sha256).toBe(hashes.sha256);
  });
});
