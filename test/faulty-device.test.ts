/**
 * The faulty-device fixture itself: a real /dev/loopN whose chosen sectors
 * fail with EIO through the kernel. Checks that bad sectors fail and good ones
 * read the base file, measures how far an error spreads around one bad sector
 * (O_DIRECT or buffered, loop direct I/O on or off), that ddrescue maps exactly
 * the bad sectors, and that teardown leaves nothing behind.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { have, tempDir } from './helpers/cli.js';
import { detachAllFaulty, faultyDeviceUnavailable, makeFaultyDevice, type FaultyDevice } from './helpers/faulty-device.js';
import { because } from './helpers/skip.js';

const why = faultyDeviceUnavailable();
if (why) console.warn(`skipping faulty-device tests: ${why}`);
const noDdrescue = have('ddrescue') && have('ddrescuelog') ? undefined : 'needs ddrescue and ddrescuelog (gddrescue)';
if (!why && noDdrescue) console.warn(`skipping the ddrescue check: ${noDdrescue}`);

const SS = 512;
const SIZE = 16 * 1024 * 1024;
const SECTORS = SIZE / SS; // 32768
const BAD = [
  { first: 0, count: 1 }, // the very start
  { first: 5000, count: 1 }, // a single sector (5000 = 625 * 8: the first sector of a 4 KiB page)
  { first: 10000, count: 64 }, // a run
  { first: SECTORS - 1, count: 1 }, // the last sector
];
const badList = BAD.flatMap((r) => Array.from({ length: r.count }, (_, i) => r.first + i));

const work = tempDir('exhibit-faulty-');
const baseFile = path.join(work, 'base.img');
let base: Buffer;
let dev: FaultyDevice;

/** Deterministic content where every sector differs: its number, then xorshift bytes. */
function writeBase(file: string): Buffer {
  const buf = Buffer.alloc(SIZE);
  let x = 0x9e3779b9;
  for (let i = 0; i < SIZE; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf[i] = x & 0xff;
  }
  for (let s = 0; s < SECTORS; s++) buf.write(`sector ${s}\n`, s * SS, 'latin1');
  fs.writeFileSync(file, buf);
  return buf;
}

/** One 512-byte sector read with dd, O_DIRECT or buffered. */
function ddSector(device: string, s: number, direct: boolean): { ok: boolean; data: Buffer; err: string } {
  const args = [`if=${device}`, 'bs=512', `skip=${s}`, 'count=1', 'status=none', ...(direct ? ['iflag=direct'] : [])];
  const r = spawnSync('dd', args, { timeout: 20_000 });
  return { ok: r.status === 0, data: r.stdout, err: r.stderr.toString() };
}

/** Which of sectors [from, to) fail to read. */
function failing(device: string, from: number, to: number, direct: boolean): number[] {
  const out: number[] = [];
  for (let s = from; s < to; s++) if (!ddSector(device, s, direct).ok) out.push(s);
  return out;
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

/** Loop devices, FUSE mounts and nbdkit processes of this test still around. */
function leftovers(): string[] {
  const loops = spawnSync('losetup', ['-a'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(work));
  const mounts = fs.readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(work));
  const procs = spawnSync('pgrep', ['-a', '-f', work], { encoding: 'utf8' }).stdout.split('\n').filter((l) => /nbdkit|nbdfuse/.test(l));
  return [...loops, ...mounts, ...procs];
}

describe.skipIf(why !== undefined)(because('a faulty device (nbdkit ddrescue filter + nbdfuse + loop)', why), () => {
  beforeAll(async () => {
    base = writeBase(baseFile);
    const t0 = process.hrtime.bigint();
    dev = await makeFaultyDevice({ baseFile, badSectors: BAD, workDir: work });
    console.log(`faulty device ${dev.device} (loop direct I/O ${dev.directIo ? 'on' : 'off'}) set up in ${ms(t0).toFixed(0)} ms`);
  });

  afterAll(async () => {
    await detachAllFaulty();
    const left = leftovers();
    fs.rmSync(work, { recursive: true, force: true });
    expect(left).toEqual([]);
  });

  it('fails every bad sector with EIO and reads good sectors as the base file (O_DIRECT, 512 bytes)', () => {
    expect(fs.readFileSync(`/sys/block/${path.basename(dev.device)}/ro`, 'utf8').trim()).toBe('1');
    for (const s of badList) {
      const r = ddSector(dev.device, s, true);
      expect(r.ok, `sector ${s} should fail`).toBe(false);
      expect(r.err).toMatch(/Input\/output error/);
    }
    const good = [1, 2, 7, 8, 4095, 4999, 5001, 5007, 5008, 9999, 10064, 10071, 20000, SECTORS - 2];
    for (const s of good) {
      const r = ddSector(dev.device, s, true);
      expect(r.ok, `sector ${s}: ${r.err}`).toBe(true);
      expect(r.data.equals(base.subarray(s * SS, (s + 1) * SS)), `sector ${s} content`).toBe(true);
    }
  });

  it('measures how far one bad sector spreads (sector 5000)', async () => {
    const from = 4984; // three 4 KiB pages either side: 4984..4991, 4992..4999, 5000..5007, 5008..5015, 5016..5023
    const to = 5024;
    const direct = failing(dev.device, from, to, true);
    const buffered = failing(dev.device, from, to, false);
    console.log(`loop dio ${dev.directIo ? 'on' : 'off'}: O_DIRECT 512-byte reads fail at [${direct}], buffered at [${buffered}]`);
    expect(direct).toEqual([5000]); // exactly the bad sector
    expect(buffered).toEqual([5000, 5001, 5002, 5003, 5004, 5005, 5006, 5007]); // its 4 KiB page

    // With loop direct I/O off, the loop driver reads the FUSE file through the page cache.
    const off = await makeFaultyDevice({ baseFile, badSectors: BAD, workDir: work, loopDirectIo: false });
    try {
      expect(off.directIo).toBe(false);
      const d2 = failing(off.device, from, to, true);
      const b2 = failing(off.device, from, to, false);
      console.log(`loop dio off: O_DIRECT 512-byte reads fail at [${d2}], buffered at [${b2}]`);
      expect(d2).toEqual([5000, 5001, 5002, 5003, 5004, 5005, 5006, 5007]);
      expect(b2).toEqual(d2);
    } finally {
      await off.teardown();
      await off.teardown(); // twice is harmless
    }
  });

  it('reads with O_DIRECT from node only into 512-aligned memory; then errors are per sector', () => {
    const fd = fs.openSync(dev.device, fs.constants.O_RDONLY | fs.constants.O_DIRECT);
    try {
      // Buffer.alloc is NOT reliably aligned (large ones sit 16 bytes past a page): count plain failures.
      let einval = 0;
      for (let i = 0; i < 50; i++) {
        try {
          fs.readSync(fd, Buffer.alloc(65536), 0, 65536, 1 << 20);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EINVAL') einval++;
        }
      }
      console.log(`O_DIRECT 64 KiB reads into Buffer.alloc(65536): ${einval}/50 failed with EINVAL (misaligned)`);
      // Find the 512-aligned start of a bigger buffer by probing: a 4 KiB read succeeds only there.
      const raw = Buffer.alloc(65536 + 4096);
      let buf: Buffer | undefined;
      for (let off = 0; off < 4096 && !buf; off += 16) {
        try {
          fs.readSync(fd, raw.subarray(off), 0, 4096, 1 << 20);
          buf = raw.subarray(off, off + 65536);
        } catch {}
      }
      expect(buf, 'no aligned offset found').toBeDefined();
      const read = (s: number, n = 1) => {
        try {
          fs.readSync(fd, buf!, 0, n * SS, s * SS);
          return 'ok';
        } catch (e) {
          return (e as NodeJS.ErrnoException).code;
        }
      };
      expect([4999, 5000, 5001].map((s) => read(s))).toEqual(['ok', 'EIO', 'ok']);
      expect(buf!.subarray(0, SS).equals(base.subarray(5001 * SS, 5002 * SS))).toBe(true);
      expect(read(4992, 128)).toBe('EIO'); // a 64 KiB piece that contains sector 5000
      expect(read(5001, 128)).toBe('ok'); // the 64 KiB just after it
    } finally {
      fs.closeSync(fd);
    }
  });

  it.skipIf(noDdrescue !== undefined)(because('ddrescue -d -r2 maps exactly the bad sectors', noDdrescue), () => {
    const img = path.join(work, 'out.img');
    const map = path.join(work, 'out.map');
    const t0 = process.hrtime.bigint();
    const r = spawnSync('ddrescue', ['-d', '-r2', dev.device, img, map], { encoding: 'utf8', timeout: 120_000 });
    console.log(`ddrescue -d -r2 took ${ms(t0).toFixed(0)} ms`);
    expect(r.status, r.stderr).toBe(0);
    const listed = spawnSync('ddrescuelog', ['-l-', map], { encoding: 'utf8' }).stdout.trim().split(/\s+/).map(Number);
    expect(listed).toEqual(badList);
    // The good sectors were copied; ddrescue leaves the bad ones as holes (zeros) in a new
    // file, and never writes a bad LAST sector, so the copy ends one sector short.
    const got = fs.readFileSync(img);
    expect(got.length).toBe(SIZE - SS);
    const expected = Buffer.from(base.subarray(0, SIZE - SS));
    for (const s of badList) if (s < SECTORS - 1) expected.fill(0, s * SS, (s + 1) * SS);
    expect(got.equals(expected)).toBe(true);
  });

  it('serves a healthy device fast, and tears down clean', async () => {
    const before = leftovers(); // the main device's loop, mount and processes
    const t0 = process.hrtime.bigint();
    const ok = await makeFaultyDevice({ baseFile, badSectors: [], workDir: work });
    const setup = ms(t0);
    const out = path.join(work, 'healthy.img');
    const t1 = process.hrtime.bigint();
    const r = spawnSync('dd', [`if=${ok.device}`, `of=${out}`, 'bs=1M', 'iflag=direct', 'status=none']);
    const read = ms(t1);
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(fs.readFileSync(out).equals(base)).toBe(true);
    const t2 = process.hrtime.bigint();
    await ok.teardown();
    const down = ms(t2);
    console.log(`healthy device: setup ${setup.toFixed(0)} ms, 16 MiB dd bs=1M iflag=direct in ${read.toFixed(0)} ms (${(16 / (read / 1000)).toFixed(0)} MiB/s), teardown ${down.toFixed(0)} ms`);
    expect(fs.existsSync(`/sys/block/${path.basename(ok.device)}/loop`)).toBe(false);
    await ok.teardown();
    expect(leftovers()).toEqual(before);
  });

  it('refuses bad sectors outside the base file and cleans up after itself', async () => {
    await expect(makeFaultyDevice({ baseFile, badSectors: [{ first: SECTORS, count: 1 }], workDir: work })).rejects.toThrow(/not inside/);
    expect(fs.readdirSync(work).filter((n) => n.startsWith('faulty-')).length).toBe(1); // only the main device's folder
  });
});
