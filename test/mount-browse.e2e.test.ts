/**
 * exhibit mount --browse beyond ext4: a GPT disk holding NTFS (through
 * ntfs-3g), XFS, Linux swap and FAT32, and an MBR disk whose ext4 is in a
 * logical partition (p5). Each file system exhibit can mount shows its files
 * with their contents and refuses writes; the others are listed with the
 * reason; umount leaves no mount and no loop device; the image is unchanged.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { have, isRoot, run, sh, tempDir } from './helpers/cli.js';

const TOOLS = ['sgdisk', 'sfdisk', 'mkntfs', 'mount.ntfs-3g', 'mkfs.xfs', 'mkswap', 'mkfs.vfat', 'mkfs.ext4', 'losetup'];
const sbin = (t: string) => have(t) || ['/usr/sbin', '/sbin'].some((d) => fs.existsSync(path.join(d, t)));
const why = !isRoot ? 'needs root to mount' : !fs.existsSync('/dev/fuse') ? 'this kernel has no FUSE device' : TOOLS.filter((t) => !sbin(t)).map((t) => `needs ${t}`)[0];

const work = tempDir('exhibit-browse-');
const made: string[] = [];
afterAll(() => {
  for (const dir of made) run(['umount', dir]);
  fs.rmSync(work, { recursive: true, force: true });
});

const MiB = 1024 * 1024;
const SECTOR = 512;
const content = { 'notes.txt': Buffer.from('browse test: notes\n'), 'data/blob.bin': crypto.randomBytes(200_000) };
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

/** A file's SHA-256, read 8 MiB at a time: node:crypto (SHA-NI) takes about half the CPU of sha256sum for the 400 MiB disk. */
function sha256File(file: string): string {
  const h = crypto.createHash('sha256');
  const buf = Buffer.alloc(8 * MiB);
  const fd = fs.openSync(file, 'r');
  try {
    for (let n: number; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** Put `content` into a file system: mount it read-write (by `mountArgs`), copy, unmount. */
function fill(mountArgs: string[]): void {
  const at = fs.mkdtempSync(path.join(work, 'fill-'));
  sh('mount', [...mountArgs, at]);
  try {
    for (const [name, data] of Object.entries(content)) {
      fs.mkdirSync(path.dirname(path.join(at, name)), { recursive: true });
      fs.writeFileSync(path.join(at, name), data);
    }
  } finally {
    sh('umount', [at]);
  }
}

/** A file system image of `mib` MiB made by `mk`, written into `disk` at sector `start`. */
function place(disk: string, start: number, mib: number, mk: (file: string) => void): void {
  const part = path.join(work, `part-${start}.img`);
  fs.writeFileSync(part, Buffer.alloc(0));
  fs.truncateSync(part, mib * MiB);
  mk(part);
  sh('dd', [`if=${part}`, `of=${disk}`, 'bs=1M', `seek=${(start * SECTOR) / MiB}`, 'conv=notrunc,sparse', 'status=none']);
  fs.rmSync(part);
}

function mountedUnder(dir: string): boolean {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4]?.startsWith(dir));
}

function loopsUnder(dir: string): string[] {
  const list = JSON.parse(sh('losetup', ['--list', '--json', '--output', 'NAME,BACK-FILE']) || '{"loopdevices":[]}') as { loopdevices: { name: string; 'back-file': string }[] };
  return list.loopdevices.filter((l) => (l['back-file'] ?? '').startsWith(dir + '/')).map((l) => l.name);
}

function browse(image: string, name: string): { dir: string; stdout: string; info: string } {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  made.push(dir);
  const r = run(['mount', '--browse', image, dir]);
  expect(r.code, r.stderr).toBe(0);
  return { dir, stdout: r.stdout, info: fs.readFileSync(path.join(dir, 'info.txt'), 'utf8') };
}

function expectFiles(root: string): void {
  for (const [name, data] of Object.entries(content)) expect(sha(fs.readFileSync(path.join(root, name))), name).toBe(sha(data));
  expect(() => fs.writeFileSync(path.join(root, 'notes.txt'), 'x')).toThrow(/EROFS/);
  expect(() => fs.writeFileSync(path.join(root, 'new.txt'), 'x')).toThrow(/EROFS/);
}

function release(dir: string, image: string, before: string): void {
  const u = run(['umount', dir]);
  expect(u.code, u.stderr).toBe(0);
  expect(mountedUnder(dir)).toBe(false);
  expect(loopsUnder(dir)).toEqual([]);
  expect(sha256File(image)).toBe(before);
}

describe.skipIf(why !== undefined)(`exhibit mount --browse${why ? ` (skipped: ${why})` : ''}`, () => {
  it('GPT: NTFS and XFS show their files; swap and a file system the kernel cannot mount are named with the reason', { timeout: 180_000 }, () => {
    const disk = path.join(work, 'gpt.raw');
    fs.writeFileSync(disk, Buffer.alloc(0));
    fs.truncateSync(disk, 400 * MiB);
    // 1: NTFS 32 MiB, 2: XFS 320 MiB (its smallest), 3: swap 8 MiB, 4: FAT32 36 MiB
    sh('sgdisk', ['-n', '1:2048:+32M', '-t', '1:0700', '-n', '2:0:+320M', '-t', '2:8300', '-n', '3:0:+8M', '-t', '3:8200', '-n', '4:0:+36M', '-t', '4:0700', disk]);
    const starts = sh('sgdisk', ['-p', disk])
      .split('\n')
      .map((l) => /^\s+(\d)\s+(\d+)\s+(\d+)/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[2]));
    place(disk, starts[0]!, 32, (f) => {
      sh('mkntfs', ['-q', '-F', '-Q', f]);
      fill(['-t', 'ntfs-3g', f]);
    });
    place(disk, starts[1]!, 320, (f) => {
      sh('mkfs.xfs', ['-q', f]);
      fill(['-o', 'loop', f]);
    });
    place(disk, starts[2]!, 8, (f) => void sh('mkswap', [f]));
    place(disk, starts[3]!, 36, (f) => void sh('mkfs.vfat', ['-F', '32', f]));
    const before = sha256File(disk);

    const { dir, stdout, info } = browse(disk, 'm-gpt');
    expect(stdout).toMatch(/fs\/p1: NTFS, mounted read-only \(ro,/);
    expect(stdout).toMatch(/fs\/p2: XFS, mounted read-only \(ro,norecovery,/);
    expect(stdout).toMatch(/fs\/p3: not mounted: swap space holds no files/);
    const fatMounts = spawnSync('grep', ['-qw', 'vfat', '/proc/filesystems']).status === 0;
    expect(stdout).toMatch(fatMounts ? /fs\/p4: FAT32, mounted read-only \(ro,/ : /fs\/p4: not mounted: FAT32 did not mount read-only \((?!dmesg).+\)/);
    expect(info).toMatch(/partition table: GPT/);
    expect(info).toMatch(/fs\/p3: not mounted: swap space holds no files/);
    expectFiles(path.join(dir, 'fs', 'p1'));
    expectFiles(path.join(dir, 'fs', 'p2'));
    expect(loopsUnder(dir).length).toBe(fatMounts ? 3 : 2);
    release(dir, disk, before);
  });

  it('no partition table: the ext4 that is the whole media is browsed as fs/media, and info.txt says so', { timeout: 120_000 }, () => {
    const disk = path.join(work, 'bare-ext4.raw');
    const tree = path.join(work, 'bare-tree');
    for (const [name, data] of Object.entries(content)) {
      fs.mkdirSync(path.dirname(path.join(tree, name)), { recursive: true });
      fs.writeFileSync(path.join(tree, name), data);
    }
    sh('mkfs.ext4', ['-q', '-F', '-d', tree, disk, '16M']);
    const before = sha256File(disk);
    const { dir, stdout, info } = browse(disk, 'm-bare');
    expect(stdout).toMatch(/fs\/media: ext4, mounted read-only \(ro,noload,/);
    expect(info).toMatch(/file systems \(--browse\):\n {2}fs\/media: ext4, mounted read-only/);
    expectFiles(path.join(dir, 'fs', 'media'));
    release(dir, disk, before);
  });

  it('MBR: the ext4 in a logical partition is p5, and is browsed', { timeout: 120_000 }, () => {
    const disk = path.join(work, 'logical.raw');
    fs.writeFileSync(disk, Buffer.alloc(0));
    fs.truncateSync(disk, 64 * MiB);
    const r = spawnSync('sfdisk', ['-q', disk], { input: 'label: dos\nstart=2048, size=8192, type=83\nstart=10240, type=5\nstart=12288, size=40960, type=83\n', encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const tree = path.join(work, 'tree');
    for (const [name, data] of Object.entries(content)) {
      fs.mkdirSync(path.dirname(path.join(tree, name)), { recursive: true });
      fs.writeFileSync(path.join(tree, name), data);
    }
    sh('mkfs.ext4', ['-q', '-F', '-d', tree, '-E', `offset=${12288 * SECTOR}`, disk, `${(40960 * SECTOR) / 1024}k`]);
    const before = sha256File(disk);
    const { dir, stdout, info } = browse(disk, 'm-logical');
    expect(fs.readdirSync(dir).sort()).toEqual(['fs', 'info.txt', 'media', 'p1', 'p5']);
    expect(fs.statSync(path.join(dir, 'p5')).size).toBe(40960 * SECTOR);
    expect(stdout).toMatch(/fs\/p5: ext4, mounted read-only \(ro,noload,/);
    expect(info).toMatch(/extended partition in slot 2/);
    expectFiles(path.join(dir, 'fs', 'p5'));
    release(dir, disk, before);
  });
});
