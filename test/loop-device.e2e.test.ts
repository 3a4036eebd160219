/**
 * `exhibit acquire` on real block devices (loop devices): device facts, the
 * kernel read-only flag, the write counters, and the refusals that concern
 * mounted file systems and outputs on the source disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { exhibitAsync, fileDigest, have, makeSourceFile, run, sh, tempDir, withoutNotices } from './helpers/cli.js';
import { until } from './helpers/resume.js';
import { attachLoop, detachAll, loopUnavailable, mount, unmount } from './helpers/loop.js';
import { because } from './helpers/skip.js';

const why = loopUnavailable() ?? (have('mkfs.ext4') && have('sfdisk') ? undefined : 'needs mkfs.ext4 (e2fsprogs) and sfdisk (fdisk)');
if (why) console.warn(`skipping loop-device tests: ${why}`);

const work = tempDir();
afterEach(() => detachAll());
afterAll(() => {
  detachAll();
  fs.rmSync(work, { recursive: true, force: true });
});

const base = (out: string, ev = 'EV-1') => ['--out', out, '--case', 'CASE-7', '--evidence', ev, '--examiner', 'Test Examiner'];
/** A 64 MiB disk image with an MBR and two partitions: 15 MiB at sector 2048, the rest from sector 34816. */
function twoPartitions(name: string): string {
  const img = path.join(work, name);
  fs.writeFileSync(img, '');
  fs.truncateSync(img, 64 * 1024 * 1024);
  sh('sh', ['-c', `printf 'label: dos\\nstart=2048, size=30720, type=83\\nstart=34816, type=83\\n' | sfdisk -q ${img}`]);
  return img;
}
const record = (dir: string, ev = 'EV-1'): any => YAML.parse(fs.readFileSync(path.join(dir, `${ev}.acquisition.yaml`), 'utf8'));

describe.skipIf(why !== undefined)(because('a read-only loop device as the source', why), () => {
  it('records a read-only device as already locked, and its unchanged counters', () => {
    const img = path.join(work, 'ro.img');
    makeSourceFile(img, 4 * 1024 * 1024, 10);
    const dev = attachLoop(img, { readOnly: true });
    const out = path.join(work, 'ro-out');
    const r = run(['acquire', dev, ...base(out)]);
    expect(r.code).toBe(0);
    const rec = record(out);
    expect(rec.read_only).toMatchObject({ ro_flag_before: true, ro_flag_set_by_exhibit: false, ro_flag_after: true, unchanged: true });
    expect(rec.media.hashes.sha1).toBe(fileDigest('sha1', img));
    // Whether the drive hides sectors (HPA/DCO) is recorded with it, and said in the summary: a loop device has none to hide.
    const name = path.basename(fs.realpathSync(dev));
    expect(rec.source.device.hidden_areas).toEqual({ state: 'not applicable', detail: `${name} is not an ATA drive` });
    expect(r.stdout).toContain(`hidden areas (HPA/DCO): not applicable: ${name} is not an ATA drive`);
  });

  it('records the device, sets the read-only flag, and proves no sector was written', () => {
    const img = path.join(work, 'disk.img');
    makeSourceFile(img, 16 * 1024 * 1024, 11);
    const dev = attachLoop(img); // writable, as a drive on a plain SATA port is
    const name = path.basename(dev);
    expect(fs.readFileSync(`/sys/block/${name}/ro`, 'utf8').trim()).toBe('0');
    const statBefore = fs.readFileSync(`/sys/block/${name}/stat`, 'utf8').trim().split(/\s+/);

    const out = path.join(work, 'dev-out');
    const r = run(['acquire', dev, ...base(out)]);
    expect(withoutNotices(r.stderr)).toBe('');
    expect(r.code).toBe(0);

    const rec = record(out);
    expect(rec.result).toBe('complete');
    expect(rec.media.hashes.sha256).toBe(fileDigest('sha256', img));
    expect(rec.media.hashes.md5).toBe(fileDigest('md5', img));
    expect(fs.readFileSync(path.join(out, 'EV-1.raw')).equals(fs.readFileSync(img))).toBe(true);
    expect(rec.source).toMatchObject({ kind: 'block-device', size_bytes: 16 * 1024 * 1024, logical_sector_size: 512, sector_size_assumed: false });
    expect(rec.source.device).toMatchObject({ kernel_name: name, is_partition: false, whole_disk: name, loop_backing_file: img, removable: false });
    expect(rec.source.device.dev).toBe(fs.readFileSync(`/sys/block/${name}/dev`, 'utf8').trim());
    expect(rec.read_only).toMatchObject({ opened_read_only: true, ro_flag_before: false, ro_flag_set_by_exhibit: true, ro_flag_after: true, unchanged: true });
    expect(fs.readFileSync(`/sys/block/${name}/ro`, 'utf8').trim()).toBe('1');
    const b = rec.read_only.before[0];
    const a = rec.read_only.after[0];
    expect(b.device).toBe(name);
    expect(a.write_counters).toEqual(b.write_counters);
    // The counters exhibit recorded are the kernel's own, and they did not move.
    const statAfter = fs.readFileSync(`/sys/block/${name}/stat`, 'utf8').trim().split(/\s+/);
    expect(statAfter[6]).toBe(statBefore[6]);
    expect(b.write_counters.sectors_written).toBe(Number(statAfter[6]));
  });

  it('acquires an odd-sized device as split-raw segments that concatenate to it', () => {
    const img = path.join(work, 'odd.img');
    makeSourceFile(img, 3 * 1024 * 1024 + 4096, 12);
    const dev = attachLoop(img, { readOnly: true });
    const out = path.join(work, 'dev-split');
    const r = run(['acquire', dev, ...base(out), '--format', 'split-raw', '--segment-size', '1MiB']);
    expect(r.code).toBe(0);
    const rec = record(out);
    expect(rec.image.files.map((f: { name: string }) => f.name)).toEqual(['EV-1.001', 'EV-1.002', 'EV-1.003', 'EV-1.004']);
    const joined = Buffer.concat(rec.image.files.map((f: { name: string }) => fs.readFileSync(path.join(out, f.name))));
    expect(joined.equals(fs.readFileSync(img))).toBe(true);
  });
});

describe.skipIf(why !== undefined)(because('mounted sources and outputs on the source disk', why), () => {
  it('refuses a source with a read-write mounted file system, unless --allow-mounted', () => {
    const img = path.join(work, 'fs.img');
    fs.writeFileSync(img, '');
    fs.truncateSync(img, 32 * 1024 * 1024);
    sh('mkfs.ext4', ['-q', '-F', img]);
    const dev = attachLoop(img);
    const mnt = path.join(work, 'mnt');
    fs.mkdirSync(mnt, { recursive: true });
    mount(dev, mnt);
    const out = path.join(work, 'mounted-out');
    let r = run(['acquire', dev, ...base(out)]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/^exhibit: error: the source has a file system mounted read-write \(.* on .*mnt\)/);
    expect(r.stderr).toMatch(/exhibit: hint: unmount it first/);
    expect(fs.existsSync(out)).toBe(false);

    // Allowed, but the output is inside that file system: refused as on the source.
    r = run(['acquire', dev, ...base(path.join(mnt, 'out')), '--allow-mounted']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/is on the source disk/);
    expect(fs.existsSync(path.join(mnt, 'out'))).toBe(false);

    // Allowed and written elsewhere: done, and the mount is recorded.
    r = run(['acquire', dev, ...base(out), '--allow-mounted', '--hash', 'sha256']);
    unmount(mnt);
    const rec = record(out);
    // A mounted ext4 may write its journal meanwhile: then the proof must fail loudly, never pass quietly.
    if (r.code === 0) {
      expect(rec.result).toBe('complete');
      expect(rec.read_only.unchanged).toBe(true);
    } else {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^exhibit: error: the source changed while it was read/);
      expect(rec).toMatchObject({ result: 'incomplete', read_only: { unchanged: false } });
    }
    expect(rec.read_only.allow_mounted).toBe(true);
    expect(rec.read_only.mounted[0]).toMatchObject({ writable: true });
  });

  it('refuses an output on another partition of the same disk, and a disk whose partition is mounted', () => {
    const img = twoPartitions('parts.img');
    const dev = attachLoop(img, { partscan: true });
    const p1 = `${dev}p1`;
    const p2 = `${dev}p2`;
    for (let i = 0; i < 50 && !fs.existsSync(p2); i++) sh('sleep', ['0.1']);
    // Without lazy initialisation: a kernel thread would otherwise go on writing p2's inode tables after the mount,
    // and those writes reach the disk's backing file, whose time stamp the partition's acquisition watches too.
    sh('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', p2]);
    const mnt = path.join(work, 'mnt2');
    fs.mkdirSync(mnt, { recursive: true });
    mount(p2, mnt);

    const out = path.join(mnt, 'evidence');
    let r = run(['acquire', p1, ...base(out)]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/^exhibit: error: the output folder .* is on the source disk/);
    expect(fs.existsSync(out)).toBe(false);

    r = run(['acquire', dev, ...base(path.join(work, 'whole-out'))]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/mounted read-write/);

    // The partition on its own, written elsewhere: its own facts are recorded.
    r = run(['acquire', p1, ...base(path.join(work, 'p1-out'))]);
    expect(r.code, r.stderr).toBe(0);
    const rec = record(path.join(work, 'p1-out'));
    expect(rec.source.device).toMatchObject({ kernel_name: path.basename(p1), is_partition: true, whole_disk: path.basename(dev) });
    expect(rec.source.size_bytes).toBe(30720 * 512);
    expect(rec.read_only.unchanged).toBe(true);
    unmount(mnt);

    // Restoring onto the whole disk would write the partition acquire left locked read-only: refused,
    // even by a machine whose store never saw the acquisition.
    const small = path.join(work, 'small.bin');
    makeSourceFile(small, 1024 * 1024, 5);
    const fresh = { env: { EXHIBIT_HOME: path.join(work, 'fresh-home') } };
    expect(run(['acquire', small, ...base(path.join(work, 'small-out'), 'EV-S')], fresh).code).toBe(0);
    r = run(['restore', path.join(work, 'small-out', 'EV-S.raw'), dev, '--yes', '--no-record'], fresh);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`the target ${dev} holds ${path.basename(p1)}, which is locked read-only`));
  });

  it('sees the same bytes under another name: a second loop device over the image, or the image file itself', () => {
    // One disk image with two partitions, attached twice: loop A is the source, loop B the same bytes.
    const img = twoPartitions('twice.img');
    const a = attachLoop(img, { partscan: true });
    const b = attachLoop(img, { partscan: true });
    for (let i = 0; i < 50 && !(fs.existsSync(`${a}p2`) && fs.existsSync(`${b}p2`)); i++) sh('sleep', ['0.1']);
    sh('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', `${b}p2`]); // no late writes to the shared backing file
    const mnt = path.join(work, 'mnt-alias');
    fs.mkdirSync(mnt, { recursive: true });
    mount(`${b}p2`, mnt);
    const before = fileDigest('sha256', `${a}p1`);

    // An output on the file system mounted through B is on the source A.
    let r = run(['acquire', `${a}p1`, ...base(path.join(mnt, 'out'))]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/^exhibit: error: the output folder .* is on the source disk .*through .*p2\)/);
    expect(fs.existsSync(path.join(mnt, 'out'))).toBe(false);
    // The whole disk A, and the image file, hold B's partition 2, mounted read-write.
    for (const src of [a, img]) {
      r = run(['acquire', src, ...base(path.join(work, `alias-out-${path.basename(src)}`))]);
      expect(r.code, src).toBe(1);
      expect(r.stderr.split('\n')[0], src).toMatch(new RegExp(`^exhibit: error: the source has a file system mounted read-write \\(${b}p2 on `));
    }
    // A's partition 1 is not B's partition 2: it is acquired, and its proof holds.
    r = run(['acquire', `${a}p1`, ...base(path.join(work, 'alias-p1'))]);
    expect(r.code, r.stderr).toBe(0);
    expect(record(path.join(work, 'alias-p1')).read_only.unchanged).toBe(true);
    // A restore onto B's whole disk is refused: its partition 2 is mounted.
    r = run(['restore', path.join(work, 'alias-p1', 'EV-1.raw'), b, '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/the target has a file system mounted/);
    unmount(mnt);
    expect(fileDigest('sha256', `${a}p1`)).toBe(before);
  });
});

describe.skipIf(why !== undefined)(because('a loop device stacked on a partition\'s device node', why), () => {
  it('is the same bytes as that partition: its mount, an output on it, and a restore through a loop over the disk are all seen', () => {
    const img = twoPartitions('stacked.img');
    const dev = attachLoop(img, { partscan: true });
    for (let i = 0; i < 50 && !fs.existsSync(`${dev}p2`); i++) sh('sleep', ['0.1']);
    const over = attachLoop(`${dev}p2`); // losetup over the node /dev/loopNp2
    sh('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', over]);
    const mnt = path.join(work, 'mnt-stacked');
    fs.mkdirSync(mnt, { recursive: true });
    mount(over, mnt);
    // The whole disk holds p2, mounted read-write through the stacked loop device.
    let r = run(['acquire', dev, ...base(path.join(work, 'stacked-whole'))]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`^exhibit: error: the source has a file system mounted read-write \\(${over} on `));
    // An output on that file system is on the source disk of p1.
    r = run(['acquire', `${dev}p1`, ...base(path.join(mnt, 'out'))]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/^exhibit: error: the output folder .* is on the source disk/);
    expect(fs.existsSync(path.join(mnt, 'out'))).toBe(false);
    // A restore onto a loop device over the disk's node is refused: the disk's p2 is mounted (through the stacked loop).
    const small = path.join(work, 'stacked-small.bin');
    makeSourceFile(small, 1024 * 1024, 8);
    expect(run(['acquire', small, ...base(path.join(work, 'stacked-small'), 'EV-T')]).code).toBe(0);
    const outer = attachLoop(dev);
    r = run(['restore', path.join(work, 'stacked-small', 'EV-T.raw'), outer, '--yes', '--no-record']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/the target has a file system mounted/);
    unmount(mnt);
  });
});

describe.skipIf(why !== undefined)(because('a device written between the sessions of an acquisition', why), () => {
  it('fails the resumed acquisition, naming the writes its counters show since the last session', async () => {
    const img = path.join(work, 'between.img');
    makeSourceFile(img, 64 * 1024 * 1024, 17);
    const dev = attachLoop(img);
    const out = path.join(work, 'between-out');
    const child = exhibitAsync(['acquire', dev, ...base(out), '--sync-every', '4MiB']);
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    await until('8 MiB of image', () => fs.existsSync(path.join(out, 'EV-1.raw')) && fs.statSync(path.join(out, 'EV-1.raw')).size >= 8 * 1024 * 1024);
    child.kill('SIGINT');
    expect(await closed).toBe(130);
    // Someone makes the drive writable again and writes 8 bytes past what the partial image holds.
    sh('blockdev', ['--setrw', dev]);
    sh('dd', ['if=/dev/zero', `of=${dev}`, 'bs=512', 'count=1', `seek=${(60 * 1024 * 1024) / 512}`, 'conv=fsync,notrunc', 'status=none']);
    const r = run(['acquire', '--resume', out, '--examiner', 'Test Examiner']);
    expect(r.code, r.stderr).not.toBe(0);
    // A loop device is judged by its file: the kernel may keep its counters across files attached in between.
    expect(r.stderr).toMatch(/the source changed since an earlier session read it: the loop device's file .*between\.img changed between sessions/);
    expect(record(out).result).toBe('incomplete');
    detachAll();
  });
});
