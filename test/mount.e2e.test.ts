/**
 * exhibit mount / umount through the real command and the real kernel: a disk
 * with an MBR and an ext4 partition holding known files, made here, as raw,
 * split raw, E01 (exhibit's and ewfacquire's) and zst. For each: `media`
 * equals the disk, mmls and fls read it, `--browse` shows the files with their
 * contents, every write fails with EROFS, the image files' SHA-256 are the
 * same after heavy reading, and umount leaves no mount and no loop device.
 * Also: Ctrl-C in the foreground unmounts, a killed server's mount is cleaned
 * by umount, and bad places and images are refused in one line.
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAff4 } from './helpers/aff4-builder.js';
import { BIN, have, isRoot, ROOT, run, sh, tempDir } from './helpers/cli.js';
import { expectOneLineError } from './helpers/expect.js';

const why = !isRoot
  ? 'needs root to mount'
  : !fs.existsSync('/dev/fuse')
    ? 'this kernel has no FUSE device'
    : !fs.existsSync('/dev/loop-control')
      ? 'this kernel has no loop devices'
      : ['sfdisk', 'mkfs.ext4', 'mmls', 'fls', 'losetup', 'ewfacquire'].find((t) => !have(t) && !fs.existsSync(`/usr/sbin/${t}`) && !fs.existsSync(`/sbin/${t}`));

const work = tempDir('exhibit-mount-');
const made: string[] = []; // every mount point, released in afterAll even when a test failed
afterAll(() => {
  for (const dir of made) if (mounted(dir)) run(['umount', dir]);
  fs.rmSync(work, { recursive: true, force: true });
});

const SECTOR = 512;
const P1 = 2048; // first sector of the ext4 partition
const P1_SECTORS = 16384; // its length: 8 MiB, room enough for `files`
const P2 = 20480; // first sector of the second, empty partition, which runs to the end of the disk
const DISK_MIB = 16; // small: what the tests are about is the layout and the formats, not the size
const files: Record<string, Buffer> = {
  'a.txt': Buffer.from('exhibit mount test: hello\n'),
  'big.bin': pseudoRandom(700_000),
  'sub/deep.txt': Buffer.from('a file in a folder\n'),
};

function pseudoRandom(n: number): Buffer {
  const out = Buffer.alloc(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function mounted(dir: string): boolean {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4]?.startsWith(path.resolve(dir)));
}

function loopsUnder(dir: string): string[] {
  const list = JSON.parse(sh('losetup', ['--list', '--json', '--output', 'NAME,BACK-FILE']) || '{"loopdevices":[]}') as { loopdevices: { name: string; 'back-file': string }[] };
  return list.loopdevices.filter((l) => (l['back-file'] ?? '').startsWith(path.resolve(dir) + '/')).map((l) => l.name);
}

const sha256 = (b: Buffer | string): string => crypto.createHash('sha256').update(b).digest('hex');

/** The test disk: 16 MiB, an MBR with an ext4 partition from sector 2048 holding `files`, and a second, empty partition. */
function makeDisk(): string {
  const tree = path.join(work, 'tree');
  for (const [name, data] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(tree, name)), { recursive: true });
    fs.writeFileSync(path.join(tree, name), data);
  }
  const disk = path.join(work, 'disk.raw');
  fs.writeFileSync(disk, Buffer.alloc(0));
  fs.truncateSync(disk, DISK_MIB * 1024 * 1024);
  const r = spawnSync('sfdisk', ['-q', disk], { input: `label: dos\nstart=${P1}, size=${P1_SECTORS}, type=83\nstart=${P2}, type=83\n`, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  sh('mkfs.ext4', ['-q', '-F', '-d', tree, '-E', `offset=${P1 * SECTOR}`, disk, `${(P1_SECTORS * SECTOR) / 1024}k`]);
  return disk;
}

interface Image {
  name: string;
  first: string;
  files: string[];
}

function convert(disk: string, to: string, extra: string[] = []): Image {
  const out = path.join(work, to);
  const r = run(['convert', disk, '--to', to, '-o', out, '-e', 'EV1', ...extra]);
  expect(r.code, r.stderr).toBe(0);
  const all = fs.readdirSync(out).filter((n) => !n.endsWith('.yaml') && !n.endsWith('.jsonl') && !n.endsWith('.pub'));
  const first = all.find((n) => /\.(E01|zst|001|raw)$/.test(n))!;
  return { name: to, first: path.join(out, first), files: all.map((n) => path.join(out, n)) };
}

describe.skipIf(why !== undefined)(`exhibit mount${why ? ` (skipped: ${why})` : ''}`, () => {
  let disk: string;
  const images: Image[] = [];
  beforeAll(() => {
    disk = makeDisk();
    images.push({ name: 'raw', first: disk, files: [disk] });
    images.push(convert(disk, 'split-raw', ['--segment-size', '4MiB']));
    images.push(convert(disk, 'e01', ['--segment-size', '1MiB', '--compression', 'fast']));
    images.push(convert(disk, 'zst'));
    const peer = path.join(work, 'peer');
    fs.mkdirSync(peer);
    const r = spawnSync('ewfacquire', ['-u', '-t', path.join(peer, 'PEER'), '-f', 'encase6', '-c', 'best', '-S', '8MiB', '-C', 'C-1', '-E', 'PEER', '-e', 'Peer', disk], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const peerFiles = fs.readdirSync(peer).sort().map((n) => path.join(peer, n));
    images.push({ name: 'e01 by ewfacquire', first: peerFiles[0]!, files: peerFiles });
    // An AFF4 as Evimetry lays one out (snappy chunks, bevies, block hashes), with the media's MD5 and SHA-1 on the image.
    const aff4 = path.join(work, 'aff4', 'EV1.aff4');
    fs.mkdirSync(path.dirname(aff4));
    fs.writeFileSync(aff4, buildAff4(fs.readFileSync(disk), { compression: 'snappy', chunkSize: 32768, chunksInSegment: 64, imageHashes: true }));
    images.push({ name: 'aff4', first: aff4, files: [aff4] });
  });

  it.each(['raw', 'split-raw', 'e01', 'zst', 'e01 by ewfacquire', 'aff4'])('%s: media, partitions and files are shown; nothing can be written; umount leaves nothing', { timeout: 180_000 }, (name) => {
    const diskSha = sha256(fs.readFileSync(disk));
    const img = images.find((i) => i.name === name)!;
    {
      const before = img.files.map((f) => sha256(fs.readFileSync(f)));
      const dir = path.join(work, `m-${img.name.replace(/\W+/g, '-')}`);
      fs.mkdirSync(dir);
      made.push(dir);
      const m = run(['mount', '--browse', img.first, dir]);
      expect(m.code, `${img.name}: ${m.stderr}`).toBe(0);
      expect(m.stdout).toMatch(/fs\/p1: ext4, mounted read-only \(ro,noload/);
      expect(m.stdout).toMatch(/fs\/p2: not mounted: no file system exhibit recognises/);

      // The media and each partition, byte for byte; read twice (heavy use), the second time from the cache.
      for (let pass = 0; pass < 2; pass++) expect(sha256(fs.readFileSync(path.join(dir, 'media'))), img.name).toBe(diskSha);
      const whole = fs.readFileSync(disk);
      expect(sha256(fs.readFileSync(path.join(dir, 'p1')))).toBe(sha256(whole.subarray(P1 * SECTOR, (P1 + P1_SECTORS) * SECTOR)));
      expect(fs.statSync(path.join(dir, 'p2')).size).toBe(whole.length - P2 * SECTOR);

      // The analysis tools on the mounted media.
      const mmls = sh('mmls', [path.join(dir, 'media')]);
      expect(mmls).toMatch(/0000002048\s+0000018431\s+0000016384\s+Linux \(0x83\)/);
      const fls = sh('fls', ['-r', '-p', '-o', String(P1), path.join(dir, 'media')]);
      for (const name of Object.keys(files)) expect(fls, img.name).toContain(name);

      // Browsing: the files with their contents.
      for (const [name, data] of Object.entries(files)) expect(sha256(fs.readFileSync(path.join(dir, 'fs', 'p1', name))), `${img.name} ${name}`).toBe(sha256(data));
      const info = fs.readFileSync(path.join(dir, 'info.txt'), 'utf8');
      expect(info).toMatch(/partition table: MBR/);
      expect(info).toMatch(/fs\/p1: ext4, mounted read-only/);
      if (img.name === 'e01 by ewfacquire') {
        expect(info).toMatch(/stored in the image: media md5 [0-9a-f]{32}/);
        expect(info).toMatch(/the image's own header: case C-1, evidence PEER, examiner Peer/);
      }
      else if (img.name === 'aff4') expect(info).toContain(`stored in the image: media md5 ${crypto.createHash('md5').update(whole).digest('hex')}`);
      else if (img.name !== 'raw') expect(info).toContain(`media sha256: ${diskSha}`);

      // Writing fails at every level.
      for (const target of ['media', 'p1', 'info.txt', 'new-file', 'fs/p1/a.txt', 'fs/p1/new-file']) {
        let code: string | undefined;
        try {
          fs.writeFileSync(path.join(dir, target), 'x');
        } catch (err) {
          code = (err as NodeJS.ErrnoException).code;
        }
        expect(code, `${img.name}: writing ${target}`).toBe('EROFS');
      }
      expect(() => fs.mkdirSync(path.join(dir, 'fs', 'p1', 'x'))).toThrow(/EROFS/);

      const u = run(['umount', dir]);
      expect(u.code, u.stderr).toBe(0);
      expect(u.stdout).toMatch(/detached \/dev\/loop\d+/);
      expect(mounted(dir), `${img.name}: still mounted`).toBe(false);
      expect(loopsUnder(dir), img.name).toEqual([]);
      expect(fs.readdirSync(dir)).toEqual([]);
      expect(img.files.map((f) => sha256(fs.readFileSync(f))), `${img.name}: the image files changed`).toEqual(before);
    }
  });

  it('Ctrl-C in the foreground unmounts the file systems, the loop devices and the mount', async () => {
    const dir = path.join(work, 'm-foreground');
    fs.mkdirSync(dir);
    made.push(dir);
    const child = spawn(process.execPath, [BIN, 'mount', '--foreground', '--browse', images.find((i) => i.name === 'zst')!.first, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        if (out.includes('serving until')) {
          clearInterval(t);
          resolve();
        }
      }, 20);
      child.once('exit', () => reject(new Error(`ended before serving: ${out}`)));
    });
    expect(fs.readFileSync(path.join(dir, 'fs', 'p1', 'a.txt'))).toEqual(files['a.txt']);
    expect(loopsUnder(dir)).toHaveLength(1);
    const code = await new Promise<number | null>((resolve) => {
      child.once('exit', (c) => resolve(c));
      child.kill('SIGINT');
    });
    expect(code, out).toBe(0);
    expect(out).toMatch(/unmounted /);
    expect(mounted(dir)).toBe(false);
    expect(loopsUnder(dir)).toEqual([]);
  });

  it('a mount whose serving process was killed is cleaned by umount', () => {
    const dir = path.join(work, 'm-killed');
    fs.mkdirSync(dir);
    made.push(dir);
    expect(run(['mount', '--browse', images.find((i) => i.name === 'e01')!.first, dir]).code).toBe(0);
    const server = fs
      .readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .find((p) => {
        try {
          const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
          return argv.includes('--foreground') && argv.includes(dir);
        } catch {
          return false;
        }
      });
    expect(server).toBeDefined();
    process.kill(Number(server), 'SIGKILL');
    const nap = new Int32Array(new SharedArrayBuffer(4)); // a 50 ms sleep that starts no process
    for (let i = 0; i < 100 && fs.existsSync(`/proc/${server}`); i++) Atomics.wait(nap, 0, 0, 50);
    expect(() => fs.readdirSync(dir)).toThrow(/ENOTCONN/); // the kernel's word for a FUSE mount with no server
    const u = run(['umount', dir]);
    expect(u.code, u.stderr).toBe(0);
    expect(mounted(dir)).toBe(false);
    expect(loopsUnder(dir)).toEqual([]);
  });

  it('an Ex01 libewf wrote: its media and partitions are shown as the image stores them', () => {
    const fixtures = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'ex01', 'fixtures.json'), 'utf8')) as { fixtures: { file: string; md5: string }[] };
    const fx = fixtures.fixtures.find((f) => f.file === 'sample-deflate.Ex01')!;
    const dir = path.join(work, 'm-ex01');
    fs.mkdirSync(dir);
    made.push(dir);
    const m = run(['mount', path.join(ROOT, 'test', 'fixtures', 'ex01', fx.file), dir]);
    expect(m.code, m.stderr).toBe(0);
    expect(crypto.createHash('md5').update(fs.readFileSync(path.join(dir, 'media'))).digest('hex')).toBe(fx.md5);
    expect(fs.readdirSync(dir).sort()).toEqual(['info.txt', 'media', 'p1', 'p2']);
    expect(fs.readFileSync(path.join(dir, 'info.txt'), 'utf8')).toMatch(/format: ex01/);
    expect(run(['umount', dir]).code).toBe(0);
    expect(mounted(dir)).toBe(false);
  });

  it('mounts on a folder whose name begins with "-" (mount(8) is given absolute paths), and made writable behind its back still refuses every change with EROFS', () => {
    const img = images.find((i) => i.name === 'raw')!.first;
    const before = fs.readFileSync(img);
    fs.mkdirSync(path.join(work, '-w'));
    const m = spawnSync(process.execPath, [BIN, 'mount', '--', img, '-w'], { cwd: work, encoding: 'utf8' });
    const dir = path.join(work, '-w');
    try {
      expect(m.status, m.stderr).toBe(0);
      expect(mounted(dir)).toBe(true);
      expect(spawnSync('mount', ['-i', '-o', 'remount,rw', dir], { encoding: 'utf8' }).status).toBe(0); // the kernel allows it
      const refused = (f: () => void): string | undefined => {
        try {
          f();
        } catch (err) {
          return (err as NodeJS.ErrnoException).code;
        }
        return undefined;
      };
      expect(refused(() => fs.writeFileSync(path.join(dir, 'new-file'), 'x'))).toBe('EROFS');
      expect(refused(() => fs.truncateSync(path.join(dir, 'media'), 0))).toBe('EROFS');
      expect(refused(() => fs.utimesSync(path.join(dir, 'media'), 0, 0))).toBe('EROFS');
      expect(refused(() => fs.mkdirSync(path.join(dir, 'x')))).toBe('EROFS');
    } finally {
      expect(run(['umount', dir]).code).toBe(0);
    }
    expect(fs.readFileSync(img).equals(before)).toBe(true);
  });

  it.skipIf(!have('sgdisk'))('says on the terminal what the partition table check found wrong (a GPT whose backup header is gone)', () => {
    const disk = path.join(work, 'gpt-no-backup.raw');
    fs.writeFileSync(disk, Buffer.alloc(0));
    fs.truncateSync(disk, 8 * 1024 * 1024);
    sh('sgdisk', ['-n', '1:2048:+2M', disk]);
    const fd = fs.openSync(disk, 'r+');
    fs.writeSync(fd, Buffer.alloc(512), 0, 512, 8 * 1024 * 1024 - 512); // the backup header, in the last sector
    fs.closeSync(fd);
    const dir = path.join(work, 'm-gpt-no-backup');
    fs.mkdirSync(dir);
    const m = run(['mount', disk, dir]);
    try {
      expect(m.code, m.stderr).toBe(0);
      expect(m.stderr).toMatch(/^exhibit: warning: partition table: no backup GPT header was found \(looked at sector 16383\)/m);
    } finally {
      expect(run(['umount', dir]).code).toBe(0);
    }
  });

  it('refuses, in one line, a folder that is not empty or is a mount point, an image that does not open, and a folder not mounted', () => {
    const img = images[0]!.first;
    const full = path.join(work, 'full');
    fs.mkdirSync(full);
    fs.writeFileSync(path.join(full, 'x'), 'x');
    let r = run(['mount', img, full]);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /is not empty/);

    const dir = path.join(work, 'm-twice');
    fs.mkdirSync(dir);
    made.push(dir);
    expect(run(['mount', img, dir]).code).toBe(0);
    r = run(['mount', img, dir]);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /is already a mount point \(fuse\.exhibit/);
    expect(run(['umount', dir]).code).toBe(0);

    const bad = path.join(work, 'bad.zst');
    fs.writeFileSync(bad, 'not zstd at all');
    r = run(['mount', bad, dir]);
    expect(r.code).not.toBe(0);
    expectOneLineError(r.stderr, /bad\.zst/);
    expect(mounted(dir)).toBe(false);

    r = run(['umount', dir]);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /is not mounted/);
    r = run(['mount', '--cache', '1KiB', img, dir]);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /--cache/);
  });
});
