/**
 * restore and clone never write to evidence the case store knows, however it
 * is reached: a loop device over the very image being restored, over another
 * acquired image (by its logged path, through a hard link elsewhere, or with
 * its folder moved), or an acquired drive whose record folder has moved.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exhibitAsync, makeSourceFile, run as inProcess, type RunResult, tempDir } from './helpers/cli.js';
import { until } from './helpers/resume.js';
import { expectOneLineError } from './helpers/expect.js';
import { attachLoop, detachAll, loopUnavailable, mount, unmount } from './helpers/loop.js';

const work = tempDir('exhibit-restore-evidence-');
afterAll(() => {
  detachAll();
  fs.rmSync(work, { recursive: true, force: true });
});
const run = (args: string[]): RunResult => inProcess(args);
const SIZE = 2 * 1024 * 1024;
const acq = (name: string) => path.join(work, name);
const image = (name: string, ev: string) => path.join(acq(name), `${ev}.raw`);
const snapshot = (file: string) => ({ bytes: fs.readFileSync(file), mtime: fs.statSync(file).mtimeMs });
const expectUntouched = (file: string, was: { bytes: Buffer; mtime: number }) => {
  expect(fs.readFileSync(file).equals(was.bytes)).toBe(true);
  expect(fs.statSync(file).mtimeMs).toBe(was.mtime);
};

const noLoop = loopUnavailable();
describe.skipIf(noLoop !== undefined)(`a target that is evidence the store knows${noLoop ? ` (skipped: ${noLoop})` : ''}`, () => {
  beforeAll(() => {
    const a = path.join(work, 'a.bin');
    const b = path.join(work, 'b.bin');
    makeSourceFile(a, SIZE, 71);
    makeSourceFile(b, SIZE, 72);
    expect(run(['acquire', a, '-o', acq('acq-a'), '-c', 'RE-1', '-e', 'EV-A', '-x', 'R. Examiner']).code).toBe(0);
    expect(run(['acquire', b, '-o', acq('acq-b'), '-c', 'RE-2', '-e', 'EV-B', '-x', 'R. Examiner']).code).toBe(0);
  });
  afterEach(() => detachAll());

  it('refuses a loop device over the very image being restored', () => {
    const was = snapshot(image('acq-a', 'EV-A'));
    const dev = attachLoop(image('acq-a', 'EV-A'));
    const r = run(['restore', image('acq-a', 'EV-A'), dev, '--yes', '--no-record']);
    expect(r.code, r.stdout).toBe(2);
    expectOneLineError(r.stderr, new RegExp(`the target ${dev} is backed by .*acq-a/EV-A\\.raw, a file of the image being restored: exhibit never writes to evidence`));
    detachAll();
    expectUntouched(image('acq-a', 'EV-A'), was);
  });

  it('refuses a second loop device over a drive an acquisition is reading (not yet logged: its job names it)', async () => {
    const c = path.join(work, 'c.bin');
    makeSourceFile(c, 64 * 1024 * 1024, 73);
    const was = snapshot(c);
    const reading = attachLoop(c);
    const out = acq('acq-c');
    const child = exhibitAsync(['acquire', reading, '-o', out, '-c', 'RE-3', '-e', 'EV-C', '-x', 'R. Examiner', '--sync-every', '4MiB']);
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await until('8 MiB of image', () => fs.existsSync(path.join(out, 'EV-C.raw')) && fs.statSync(path.join(out, 'EV-C.raw')).size >= 8 * 1024 * 1024);
      child.kill('SIGSTOP'); // held mid-way: the acquisition is under way and nothing of it is logged yet
      const other = attachLoop(c); // the same drive under another kernel name
      const r = run(['restore', image('acq-a', 'EV-A'), other, '--yes', '--no-record']);
      expect(r.code, r.stdout).toBe(2);
      expectOneLineError(r.stderr, new RegExp(`the target ${other} is the source of EV-C in case RE-3, which an acquisition is reading now \\(.*\\): exhibit never writes to evidence`));
      const k = run(['clone', path.join(work, 'a.bin'), other, '--yes', '--record', path.join(work, 'clone-c.yaml'), '-x', 'R. Examiner']);
      expect(k.code, k.stdout).toBe(2);
      expectOneLineError(k.stderr, /which an acquisition is reading now/);
    } finally {
      child.kill('SIGCONT');
    }
    expect(await closed).toBe(0);
    detachAll();
    expectUntouched(c, was);
    // Finished, its job no longer stands for a drive: the loop device, attached again over a blank file, is no evidence.
    const blank = path.join(work, 'blank.bin');
    fs.writeFileSync(blank, '');
    fs.truncateSync(blank, 4 * 1024 * 1024);
    const again = attachLoop(blank);
    const r = run(['restore', image('acq-a', 'EV-A'), again, '--yes', '--no-record']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('refuses a loop device over another acquired image, naming its case and evidence item', () => {
    const was = snapshot(image('acq-b', 'EV-B'));
    const dev = attachLoop(image('acq-b', 'EV-B'));
    const r = run(['restore', image('acq-a', 'EV-A'), dev, '--yes', '--no-record']);
    expect(r.code, r.stdout).toBe(2);
    expectOneLineError(r.stderr, new RegExp(`the target ${dev} is backed by .*acq-b/EV-B\\.raw, an image file of EV-B in case RE-2: exhibit never writes to evidence`));
    const c = run(['clone', path.join(work, 'a.bin'), dev, '--yes', '--record', path.join(work, 'clone-b.yaml'), '-x', 'R. Examiner']);
    expect(c.code, c.stdout).toBe(2);
    expectOneLineError(c.stderr, /an image file of EV-B in case RE-2: exhibit never writes to evidence/);
    detachAll();
    expectUntouched(image('acq-b', 'EV-B'), was);
  });

  it("refuses the files beside an image (its custody log copy) through a loop device, and a new file under the item's name in its folder", () => {
    const log = path.join(acq('acq-b'), 'EV-B.custody.jsonl');
    const was = snapshot(log);
    const dev = attachLoop(log);
    const r = run(['restore', image('acq-a', 'EV-A'), dev, '--yes', '--no-record']);
    expect(r.code, r.stdout).toBe(2);
    expectOneLineError(r.stderr, /EV-B\.custody\.jsonl, a file of evidence EV-B \(beside its record\): exhibit never writes to evidence|holds .*, less than the 2\.00 MiB of media/);
    detachAll();
    expectUntouched(log, was);
    // One large enough to hold the media: refused as evidence.
    const big = path.join(acq('acq-b'), 'EV-B.pieces');
    const pieces = fs.readFileSync(big);
    fs.appendFileSync(big, Buffer.alloc(SIZE));
    const bigDev = attachLoop(big);
    const r2 = run(['restore', image('acq-a', 'EV-A'), bigDev, '--yes', '--no-record']);
    expect(r2.code, r2.stdout).toBe(2);
    expectOneLineError(r2.stderr, /EV-B\.pieces, a file of evidence EV-B \(beside its record\): exhibit never writes to evidence/);
    detachAll();
    fs.writeFileSync(big, pieces);
    // A new file named as the next segment an acquisition would write, or as its map, in its folder.
    for (const name of ['EV-B.012', 'EV-B.map2']) {
      const n = run(['restore', image('acq-a', 'EV-A'), path.join(acq('acq-b'), name), '--no-record']);
      expect(n.code, name).toBe(2);
      expectOneLineError(n.stderr, new RegExp(`would be a file of evidence EV-B \\(beside its record\\): exhibit never writes to evidence`));
      expect(fs.existsSync(path.join(acq('acq-b'), name))).toBe(false);
    }
  });

  it('refuses it through a hard link in another folder (same file, other name)', () => {
    const was = snapshot(image('acq-b', 'EV-B'));
    const elsewhere = path.join(work, 'elsewhere');
    fs.mkdirSync(elsewhere);
    const link = path.join(elsewhere, 'scratch-disk.img');
    fs.linkSync(image('acq-b', 'EV-B'), link);
    const dev = attachLoop(link);
    const r = run(['restore', image('acq-a', 'EV-A'), dev, '--yes', '--no-record']);
    expect(r.code, r.stdout).toBe(2);
    expectOneLineError(r.stderr, /is backed by .*scratch-disk\.img, an image file of EV-B in case RE-2/);
    detachAll();
    expectUntouched(image('acq-b', 'EV-B'), was);
  });

  it('refuses it once its folder has moved, by the record beside it', () => {
    const moved = path.join(work, 'moved-b');
    fs.renameSync(acq('acq-b'), moved);
    try {
      const file = path.join(moved, 'EV-B.raw');
      const was = snapshot(file);
      const dev = attachLoop(file);
      const r = run(['restore', image('acq-a', 'EV-A'), dev, '--yes', '--no-record']);
      expect(r.code, r.stdout).toBe(2);
      expectOneLineError(r.stderr, /is backed by .*moved-b\/EV-B\.raw, an image file of EV-B in case RE-2/);
      detachAll();
      expectUntouched(file, was);
    } finally {
      fs.renameSync(moved, acq('acq-b'));
    }
  });

  it('refuses a drive that was acquired after its record folder has moved (restore and clone)', () => {
    const disk = path.join(work, 'evidence-disk.img');
    makeSourceFile(disk, SIZE + 1024 * 1024, 73);
    const before = fs.readFileSync(disk);
    const dev = attachLoop(disk);
    expect(run(['acquire', dev, '-o', acq('acq-disk'), '-c', 'RE-3', '-e', 'DISK', '-x', 'R. Examiner']).code).toBe(0);
    fs.renameSync(acq('acq-disk'), path.join(work, 'archive-disk'));
    spawnSync('blockdev', ['--setrw', dev]); // as the hint for a locked drive says
    const r = run(['restore', image('acq-a', 'EV-A'), dev, '--yes', '--no-record']);
    expect(r.code, r.stdout).toBe(2);
    expectOneLineError(r.stderr, new RegExp(`the target ${dev} is the source of DISK in case RE-3: exhibit never writes to evidence`));
    const c = run(['clone', path.join(work, 'a.bin'), dev, '--yes', '--record', path.join(work, 'clone-disk.yaml'), '-x', 'R. Examiner']);
    expect(c.code, c.stdout).toBe(2);
    expectOneLineError(c.stderr, /is the source of DISK in case RE-3: exhibit never writes to evidence/);
    detachAll();
    expect(fs.readFileSync(disk).equals(before)).toBe(true);
  });

  it('refuses a new file in a file system of an acquired drive, mounted through another loop device (restore and clone)', () => {
    // The evidence: a file holding an ext4 file system, acquired. Mounted again through a loop device of its own.
    const disk = path.join(work, 'fs-evidence.img');
    fs.writeFileSync(disk, '');
    fs.truncateSync(disk, 8 * 1024 * 1024);
    expect(spawnSync('mkfs.ext4', ['-q', '-F', disk]).status).toBe(0);
    expect(run(['acquire', disk, '-o', acq('acq-fs'), '-c', 'RE-4', '-e', 'EV-FS', '-x', 'R. Examiner']).code).toBe(0);
    const dev = attachLoop(disk);
    const mnt = path.join(work, 'mnt-evidence');
    fs.mkdirSync(mnt, { recursive: true });
    mount(dev, mnt);
    try {
      const r = run(['restore', image('acq-a', 'EV-A'), path.join(mnt, 'restored.raw'), '--no-record']);
      expect(r.code, r.stdout).toBe(2);
      expectOneLineError(r.stderr, new RegExp(`the target .*restored\\.raw \\(on ${dev}\\) is the source of EV-FS in case RE-4: exhibit never writes to evidence`));
      const c = run(['clone', path.join(work, 'a.bin'), path.join(mnt, 'cloned.raw'), '--record', path.join(work, 'clone-fs.yaml'), '-x', 'R. Examiner']);
      expect(c.code, c.stdout).toBe(2);
      expectOneLineError(c.stderr, /\(on \/dev\/loop\d+\) is the source of EV-FS in case RE-4: exhibit never writes to evidence/);
      expect(fs.readdirSync(mnt).filter((n) => n !== 'lost+found')).toEqual([]);
    } finally {
      unmount(mnt);
    }
  });
});
