/**
 * A real block device with unreadable sectors, for tests of reading through
 * media errors: reads that touch a chosen sector fail with EIO from the
 * kernel, as they do on a failing drive.
 *
 * The stack, bottom up:
 *   nbdkit file plugin        serves `baseFile` over NBD (read-only)
 *   nbdkit ddrescue filter    fails every read not wholly inside a '+' (rescued)
 *                             range of a GNU ddrescue mapfile with EIO; we write
 *                             that mapfile from `badSectors`, so the bad-sector
 *                             list reaches nbdkit as a file, and no script runs
 *                             per read (C speed: ~450 MB/s, where a shell pread
 *                             script managed ~12 MB/s)
 *   nbdfuse                   exposes the NBD export as the file mnt/disk (FUSE)
 *   losetup -r                a read-only /dev/loopN over that file
 *
 * With the loop device's direct I/O on (the default here), an O_DIRECT read
 * of one 512-byte sector fails exactly when that sector is bad. Buffered reads
 * of the device fail for the whole 4 KiB page around a bad sector (the block
 * device page cache reads whole pages), as on real hardware. With loop direct
 * I/O off, even O_DIRECT reads on the device fail per 4 KiB page, because the
 * loop driver then reads its backing file through the page cache.
 *
 * Every device made here is remembered; `detachAllFaulty` (afterAll) and a
 * process 'exit' hook take down whatever a failed test left behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { have, isRoot } from './cli.js';

export interface FaultyDevice {
  device: string; // /dev/loopN, read-only
  directIo: boolean; // whether the loop driver really uses direct I/O on its backing file
  teardown: () => Promise<void>; // safe to call twice
}

export interface FaultyDeviceOptions {
  baseFile: string; // the good content; its size must be a whole number of sectors
  badSectors: Array<{ first: number; count: number }>;
  sectorSize?: 512;
  workDir: string; // a subfolder is made here for the mount point, mapfile and logs
  loopDirectIo?: boolean; // default true: sector-exact errors for O_DIRECT reads
}

// Devices still up: a synchronous teardown (for the 'exit' hook) and the full one.
const live = new Map<() => void, () => Promise<void>>();
let seq = 0;
let unavailable: string | undefined | null = null; // null: not checked yet

/** Why faulty devices cannot be made here, or undefined when they can. */
export function faultyDeviceUnavailable(): string | undefined {
  if (unavailable !== null) return unavailable;
  const why = (): string | undefined => {
    if (!isRoot) return 'needs root to attach loop devices';
    for (const cmd of ['nbdkit', 'nbdfuse', 'fusermount3', 'losetup']) {
      if (!have(cmd)) return `needs ${cmd} (apt-get install nbdkit libnbd-bin fuse3 util-linux)`;
    }
    if (!fs.existsSync('/dev/fuse')) return 'needs /dev/fuse (FUSE kernel module)';
    if (!fs.existsSync('/dev/loop-control')) return 'this kernel has no loop devices';
    if (spawnSync('nbdkit', ['--filter=ddrescue', 'null', '--dump-plugin'], { stdio: 'ignore' }).status !== 0) {
      return 'needs the nbdkit ddrescue filter (nbdkit >= 1.22)';
    }
    return undefined;
  };
  unavailable = why();
  return unavailable;
}

/** The ddrescue mapfile that marks `bad` (merged, clipped) as '-' and the rest as '+'. */
function mapfile(size: number, ss: number, bad: Array<{ first: number; count: number }>): string {
  const hex = (n: number) => `0x${n.toString(16).toUpperCase().padStart(8, '0')}`;
  // The filter skips the first non-comment line as the status line; it must be there.
  const lines = ['# exhibit faulty-device fixture', `${hex(0)}     +               1`];
  const add = (from: number, to: number, status: string) => {
    if (to > from) lines.push(`${hex(from * ss)}  ${hex((to - from) * ss)}  ${status}`);
  };
  let pos = 0; // next sector not yet written to the map
  for (const r of [...bad].sort((a, b) => a.first - b.first)) {
    if (!Number.isInteger(r.first) || !Number.isInteger(r.count) || r.first < 0 || r.count < 1 || (r.first + r.count) * ss > size) {
      throw new Error(`bad sector range ${r.first}+${r.count} is not inside the ${size}-byte base file`);
    }
    const start = Math.max(r.first, pos); // overlapping ranges merge
    add(pos, start, '+');
    add(start, r.first + r.count, '-');
    pos = Math.max(pos, r.first + r.count);
  }
  // Adjacent '+' lines never occur: the filter needs a read wholly inside ONE '+' range.
  add(pos, size / ss, '+');
  return lines.join('\n') + '\n';
}

function run(cmd: string, args: string[]): { ok: boolean; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return { ok: r.status === 0, err: (r.stderr || r.error?.message || '').trim() };
}

/** Whether `pid` is still a running nbdkit (not a zombie, and not a reused pid). */
const nbdkitAlive = (pid: number | undefined) => {
  try {
    const stat = pid === undefined ? '' : fs.readFileSync(`/proc/${pid}/stat`, 'utf8'); // "pid (comm) state ..."
    return /^\d+ \(nbdkit\) [^Z]/.test(stat);
  } catch {
    return false;
  }
};

export async function makeFaultyDevice(opts: FaultyDeviceOptions): Promise<FaultyDevice> {
  const why = faultyDeviceUnavailable();
  if (why) throw new Error(`cannot make a faulty device: ${why}`);
  const ss = opts.sectorSize ?? 512;
  const size = fs.statSync(opts.baseFile).size;
  if (size === 0 || size % ss !== 0) throw new Error(`${opts.baseFile}: size ${size} is not a whole number of ${ss}-byte sectors`);

  const mapText = mapfile(size, ss, opts.badSectors); // throws on a bad range, before anything exists
  const dir = fs.mkdtempSync(path.join(opts.workDir, `faulty-${++seq}-`));
  const mnt = path.join(dir, 'mnt');
  const file = path.join(mnt, 'disk');
  const map = path.join(dir, 'bad.map');
  const fusePid = path.join(dir, 'nbdfuse.pid'); // written by nbdfuse once it serves
  const kitPid = path.join(dir, 'nbdkit.pid');
  const log = path.join(dir, 'nbdfuse.log');
  fs.mkdirSync(mnt);
  fs.writeFileSync(map, mapText);

  let device: string | undefined;
  let child: ChildProcess | undefined;
  let kit: number | undefined;
  const readPid = (f: string) => (fs.existsSync(f) ? Number(fs.readFileSync(f, 'utf8').trim()) || undefined : undefined);
  const mounted = () => fs.readFileSync('/proc/self/mounts', 'utf8').includes(` ${mnt} `);

  // Order matters: the loop device holds the FUSE file open, so it goes first;
  // unmounting makes nbdfuse exit, and nbdkit (--exit-with-parent) with it.
  const unmount = () => {
    if (device) run('losetup', ['-d', device]);
    device = undefined;
    // The loop release can lag a moment behind `losetup -d`: retry, then detach lazily.
    for (let i = 0; i < 50 && mounted(); i++) {
      if (run('fusermount3', ['-u', mnt]).ok) break;
      spawnSync('sleep', ['0.1']);
    }
    if (mounted()) run('fusermount3', ['-u', '-z', mnt]);
  };
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const killAll = () => {
    if (running()) child!.kill('SIGKILL');
    kit ??= readPid(kitPid);
    if (nbdkitAlive(kit)) process.kill(kit!, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const teardownSync = () => {
    live.delete(teardownSync);
    unmount();
    killAll();
  };
  const teardown = async () => {
    if (!live.has(teardownSync)) return; // already down
    live.delete(teardownSync);
    unmount();
    // Give nbdfuse and nbdkit 2 s to exit on their own (node reaps nbdfuse: no zombie).
    kit ??= readPid(kitPid);
    for (let i = 0; i < 200 && (running() || nbdkitAlive(kit)); i++) await sleep(10);
    killAll();
  };
  live.set(teardownSync, teardown);

  try {
    const out = fs.openSync(log, 'w');
    child = spawn(
      'nbdfuse',
      ['-r', '-P', fusePid, file, '--command',
        'nbdkit', '-s', '-r', '--exit-with-parent', '-P', kitPid, '--filter=ddrescue', 'file', opts.baseFile, `ddrescue-mapfile=${map}`],
      { stdio: ['ignore', out, out] },
    );
    fs.closeSync(out);
    let spawnError: Error | undefined;
    child.on('error', (e) => (spawnError = e));
    // Ready when nbdfuse wrote its pid file and the virtual file has the full size.
    const ready = () => {
      try {
        return readPid(fusePid) !== undefined && fs.statSync(file).size === size;
      } catch {
        return false; // not there yet (ENOENT), or the mount is still coming up (ENOTCONN)
      }
    };
    const t0 = Date.now();
    while (!ready()) {
      if (spawnError) throw spawnError;
      if (child.exitCode !== null) throw new Error(`nbdfuse exited (${child.exitCode}): ${fs.readFileSync(log, 'utf8')}`);
      if (Date.now() - t0 > 10_000) throw new Error(`nbdfuse did not come up in 10 s: ${fs.readFileSync(log, 'utf8')}`);
      await sleep(10);
    }
    kit = readPid(kitPid);

    const dio = opts.loopDirectIo ?? true;
    const r = spawnSync('losetup', ['-f', '--show', '-r', `--direct-io=${dio ? 'on' : 'off'}`, file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`losetup failed: ${r.stderr}`);
    device = r.stdout.trim();
    const sys = `/sys/block/${path.basename(device)}`;
    // losetup has configured it when it returns; check the kernel agrees on size.
    const sectors = Number(fs.readFileSync(`${sys}/size`, 'utf8').trim());
    if (sectors * 512 !== size) throw new Error(`${device} has ${sectors} sectors, expected ${size / 512}`);
    const directIo = fs.readFileSync(`${sys}/loop/dio`, 'utf8').trim() === '1';
    return { device, directIo, teardown };
  } catch (err) {
    await teardown();
    throw err;
  }
}

/** Take down every faulty device still up (for afterAll hooks). */
export async function detachAllFaulty(): Promise<void> {
  for (const t of [...live.values()]) await t();
}

// A test run that dies without its afterAll must not leave mounts and loop devices.
process.once('exit', () => {
  for (const t of [...live.keys()]) t();
});
