/**
 * exhibit restore through the real command: every format into a new file and
 * onto a loop device, read back and checked; each refusal (no --yes, too
 * small, mounted, locked read-only, the source of an acquisition, an existing
 * file), the excess left or wiped, and the custody entry.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { fileDigest, makeSourceFile, run as inProcess, type RunResult, tempDir } from './helpers/cli.js';
import { expectOneLineError } from './helpers/expect.js';
import { attachLoop, detachAll, loopUnavailable, mount, unmount } from './helpers/loop.js';

const work = tempDir('exhibit-restore-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true })); // registered first, so it runs after every other teardown
const src = path.join(work, 'source.bin');
const SIZE = 3 * 1024 * 1024 + 512 * 3;
const run = (args: string[]): RunResult => inProcess(args);
const json = (r: RunResult): any => JSON.parse(r.stdout);
const FORMATS: Record<string, string> = { raw: 'EV.raw', 'split-raw': 'EV.001', e01: 'EV.E01', zst: 'EV.zst' };
const image = (format: string) => path.join(work, format, FORMATS[format]!);
const head = (file: string, n: number) => {
  const fd = fs.openSync(file, 'r');
  const b = Buffer.alloc(n);
  fs.readSync(fd, b, 0, n, 0);
  fs.closeSync(fd);
  return b;
};

beforeAll(() => {
  makeSourceFile(src, SIZE, 61);
  for (const format of Object.keys(FORMATS)) {
    const r = run(['acquire', src, '-o', path.join(work, format), '-c', 'RS-1', '-e', 'EV', '-x', 'R. Examiner', '-f', format, ...(format === 'split-raw' ? ['--segment-size', '1MiB'] : [])]);
    expect(r.code, r.stderr).toBe(0);
  }
});

describe.each(Object.keys(FORMATS))('%s into a new file', (format) => {
  it('writes the media, reads it back, and matches the record', () => {
    const target = path.join(work, `restored-${format}.dd`);
    const r = run(['restore', image(format), target, '--json', '-x', 'R. Examiner']);
    expect(r.code, r.stderr).toBe(0);
    const j = json(r);
    expect(j.problems).toEqual([]);
    expect(j.reference.against).toBe('the record');
    expect(j.readBack).toEqual(j.written);
    expect(fs.readFileSync(target).equals(fs.readFileSync(src))).toBe(true);
    expect(j.logged.entry).toBeGreaterThan(0);
  });
});

describe('an E01 of an odd-sized source', () => {
  it('restores exactly the source bytes, though the image holds them padded to a whole sector', () => {
    const odd = path.join(work, 'odd.bin');
    makeSourceFile(odd, 1024 * 1024 + 100, 62);
    expect(run(['acquire', odd, '-o', path.join(work, 'odd'), '-c', 'RS-1', '-e', 'ODD', '-x', 'R. Examiner', '-f', 'e01']).code).toBe(0);
    const target = path.join(work, 'odd.dd');
    const r = run(['restore', path.join(work, 'odd', 'ODD.E01'), target, '--no-record']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(fs.readFileSync(target).equals(fs.readFileSync(odd))).toBe(true);
    // The hashes it prints are the target's bytes; those with the image's 412 zero bytes of padding are the record's.
    const rec = YAML.parse(fs.readFileSync(path.join(work, 'odd', 'ODD.acquisition.yaml'), 'utf8'));
    expect(r.stdout).toMatch(new RegExp(`^ {2}md5 {5}${fileDigest('md5', odd)} {2}read back as written$`, 'm'));
    expect(r.stdout).toContain("with the 412 zero bytes the image holds after the source's last byte (not written to the target):");
    expect(r.stdout).toMatch(new RegExp(`^ {2}md5 {5}${rec.media.hashes.md5} {2}matches the record$`, 'm'));
    const j = JSON.parse(run(['restore', path.join(work, 'odd', 'ODD.E01'), path.join(work, 'odd2.dd'), '--no-record', '--json']).stdout);
    expect(j.readBack.sha256).toBe(fileDigest('sha256', odd));
    expect(j.withPadding).toEqual({ bytes: 412, hashes: rec.media.hashes });
  });
});

describe('refusals that need no device', () => {
  it('speaks of a folder or a character device given as the target as the target', () => {
    const folder = path.join(work, 'a-folder');
    fs.mkdirSync(folder);
    const r = run(['restore', image('raw'), folder, '--no-record']);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /the target .*a-folder is a folder: give a drive, a partition, or the name of a new file/);
    const n = run(['restore', image('raw'), '/dev/null', '--no-record', '--yes']);
    expect(n.code).toBe(2);
    expectOneLineError(n.stderr, /the target \/dev\/null is neither a block device nor a regular file/);
  });

  it('never overwrites an existing file', () => {
    const target = path.join(work, 'exists.dd');
    fs.writeFileSync(target, 'keep me');
    const r = run(['restore', image('raw'), target]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /exists; exhibit writes into a new file, and never overwrites one/);
    expect(fs.readFileSync(target, 'utf8')).toBe('keep me');
  });

  it('never creates a file under /dev for a drive that is not there', () => {
    const r = run(['restore', image('raw'), '/dev/exhibit-no-such-drive', '--yes']);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /does not exist: is the drive connected\?/);
    expect(fs.existsSync('/dev/exhibit-no-such-drive')).toBe(false);
  });

  it('never writes onto the file an acquisition came from', () => {
    const r = run(['restore', image('raw'), src]);
    expect(r.code).not.toBe(0);
    expect(fs.readFileSync(src).length).toBe(SIZE);
  });
});

const noLoop = loopUnavailable();
describe.skipIf(noLoop !== undefined)(`onto a device${noLoop ? ` (skipped: ${noLoop})` : ''}`, () => {
  afterEach(() => detachAll());

  it('says what would be destroyed and stops without --yes; with it, writes, reads back, and leaves or wipes the excess', () => {
    const disk = path.join(work, 'target-8m.img');
    fs.writeFileSync(disk, Buffer.alloc(8 * 1024 * 1024, 0xaa));
    const dev = attachLoop(disk);
    const no = run(['restore', image('e01'), dev]);
    expect(no.code).toBe(2);
    expectOneLineError(no.stderr, new RegExp(`restoring would overwrite ${dev}: 8\\.00 MiB`));
    expect(head(disk, 16).equals(Buffer.alloc(16, 0xaa))).toBe(true);

    const yes = run(['restore', image('e01'), dev, '--yes', '--json', '--no-record']);
    expect(yes.code, yes.stderr).toBe(0);
    expect(json(yes)).toMatchObject({ targetKind: 'block-device', excessBytes: 8 * 1024 * 1024 - SIZE, wiped: false, problems: [] });
    detachAll();
    const after = fs.readFileSync(disk);
    expect(after.subarray(0, SIZE).equals(fs.readFileSync(src))).toBe(true);
    expect(after.subarray(SIZE).equals(Buffer.alloc(8 * 1024 * 1024 - SIZE, 0xaa))).toBe(true);

    const dev2 = attachLoop(disk);
    const wipe = run(['restore', image('zst'), dev2, '--yes', '--wipe-excess', '--no-record']);
    expect(wipe.code, wipe.stderr).toBe(0);
    expect(wipe.stdout).toMatch(/filled with zeros/);
    detachAll();
    expect(fs.readFileSync(disk).subarray(SIZE).equals(Buffer.alloc(8 * 1024 * 1024 - SIZE))).toBe(true);
  });

  it('refuses a target smaller than the media', () => {
    const small = path.join(work, 'small.img');
    fs.writeFileSync(small, Buffer.alloc(1024 * 1024));
    const dev = attachLoop(small);
    const r = run(['restore', image('raw'), dev, '--yes']);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /holds 1\.00 MiB, less than the 3\.00 MiB of media/);
  });

  it('refuses a mounted target', () => {
    const fsImg = path.join(work, 'ext4.img');
    fs.writeFileSync(fsImg, Buffer.alloc(16 * 1024 * 1024));
    spawnSync('mkfs.ext4', ['-q', '-F', fsImg]);
    const dev = attachLoop(fsImg);
    const mnt = path.join(work, 'mnt');
    fs.mkdirSync(mnt, { recursive: true });
    mount(dev, mnt);
    try {
      const r = run(['restore', image('raw'), dev, '--yes']);
      expect(r.code).toBe(2);
      expectOneLineError(r.stderr, /the target has a file system mounted/);
    } finally {
      unmount(mnt);
    }
  });

  it('refuses the drive an acquisition came from: locked read-only, and even when unlocked', () => {
    const evidence = path.join(work, 'evidence-disk.img');
    makeSourceFile(evidence, 4 * 1024 * 1024, 9);
    const before = fs.readFileSync(evidence);
    const dev = attachLoop(evidence);
    expect(run(['acquire', dev, '-o', path.join(work, 'from-loop'), '-c', 'RS-1', '-e', 'DISK', '-x', 'R. Examiner']).code).toBe(0);
    const locked = run(['restore', image('raw'), dev, '--yes']);
    expect(locked.code).toBe(2);
    expectOneLineError(locked.stderr, /is locked read-only \(as exhibit leaves a drive it acquired\)/);
    spawnSync('blockdev', ['--setrw', dev]);
    const unlocked = run(['restore', image('raw'), dev, '--yes']);
    expect(unlocked.code).toBe(2);
    expectOneLineError(unlocked.stderr, /is the source of DISK in case RS-1: exhibit never writes to evidence/);
    detachAll();
    expect(fs.readFileSync(evidence).equals(before)).toBe(true);
  });
});

describe('custody', () => {
  it('logs the restore in the case store', () => {
    const log = json(run(['custody', 'log', 'RS-1', '--json']));
    const restored = log.log.filter((e: { kind: string }) => e.kind === 'image.restored');
    expect(restored.length).toBeGreaterThanOrEqual(4);
    expect(restored[0].payload).toMatchObject({ evidence: 'EV', result: 'restored and checked', target_kind: 'file' });
  });
});
