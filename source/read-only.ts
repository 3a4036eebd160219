/**
 * Keeping the source untouched, and proving it afterwards.
 *
 * Before the first read: refuse a source with a file system mounted
 * read-write, refuse an output folder on the source's disk, set the kernel's
 * read-only flag on the device (BLKROSET, as `blockdev --setro` does), and
 * note the device's write counters. After the last read: note the flag and the
 * counters again. The proof holds when the counters did not move.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describeSystemError, errnoOf, ExhibitError } from '../core/errors.js';
import { decodeDev, devOfName, devString, readRoFlag, readWriteCounters, type WriteCounters } from './block-device.js';
import { aliasesOf } from './loop-aliases.js';
import { readMounts, type MountEntry } from './mounts.js';
import type { SourceFacts } from './source.js';

const run = promisify(execFile);

export interface DeviceState {
  device: string; // kernel name
  ro_flag: boolean | undefined;
  write_counters: WriteCounters | undefined;
}

export interface ReadOnlyProof {
  opened_read_only: true;
  method: string;
  allow_mounted: boolean;
  mounted?: MountEntry[]; // file systems of the source that were mounted (only with --allow-mounted)
  ro_flag_before?: boolean;
  ro_flag_set_by_exhibit?: boolean;
  ro_flag_after?: boolean;
  before?: DeviceState[];
  after?: DeviceState[];
  file_before?: { size: number; mtime: string };
  file_after?: { size: number; mtime: string };
  /** A loop device's file, before and after: written directly (not through the device), it moves no counter. */
  backing_before?: FileStamp;
  backing_after?: FileStamp;
  unchanged: boolean; // the verdict: no write counter moved, no file attribute changed
  limits: string;
  /** What a resumed acquisition found between its sessions (a write, or counters that restarted). */
  note?: string;
}

export interface FileStamp {
  path?: string;
  size: number;
  mtime: string;
}

/** The readings a session takes of its source as it starts (kept in the journal: a killed session has no proof). */
export interface SourceState {
  devices?: DeviceState[];
  file?: FileStamp;
  backing?: FileStamp;
}

function stampOf(p: string): FileStamp | undefined {
  try {
    const st = fs.statSync(p);
    return { path: p, size: st.size, mtime: st.mtime.toISOString() };
  } catch {
    return undefined;
  }
}


const LIMITS =
  'Shows that nothing wrote to the device through this computer while exhibit read it. ' +
  'It cannot show what the drive firmware did, and it is no substitute for a hardware write blocker.';

/**
 * Kernel names whose mounts or writes concern this source: the device, its partitions (for a disk)
 * and what is built on it, and the same bytes under other names (loop-aliases.ts): for a file, the
 * loop devices over it.
 */
function concernedDevices(facts: SourceFacts): string[] {
  const d = facts.device;
  return [...new Set([...(d ? [d.kernel_name, ...(d.is_partition ? [] : d.partitions), ...d.holders] : []), ...aliasesOf(facts, 'source')])];
}

/** Refuse a source whose file systems are mounted read-write, unless allowed; returns what is mounted. */
export function checkMounts(facts: SourceFacts, allowMounted: boolean): MountEntry[] {
  const names = concernedDevices(facts);
  if (names.length === 0) return [];
  const devs = new Set(names.map(devOfName).filter((x): x is string => !!x));
  const real = new Set(names.map((n) => `/dev/${n}`));
  const mounted = readMounts().filter((m) => devs.has(m.dev) || real.has(m.source));
  const writable = mounted.filter((m) => m.writable);
  if (writable.length > 0 && !allowMounted) {
    const list = writable.map((m) => `${m.source} on ${m.mount_point}`).join(', ');
    throw new ExhibitError('SOURCE_MOUNTED', `the source has a file system mounted read-write (${list}); acquiring it now would not be a stable copy`, {
      hints: [`unmount it first (umount ${writable[0]!.mount_point}), or pass --allow-mounted to acquire anyway (recorded)`],
    });
  }
  return mounted;
}

/** Every kernel name on the source's physical disk: the disk, all its partitions and what is built on them. */
function diskFamily(facts: SourceFacts): Set<string> {
  const d = facts.device;
  const names = new Set([...(d ? [d.whole_disk, d.kernel_name, ...d.partitions, ...d.holders] : []), ...aliasesOf(facts, 'disk')]);
  const queue = [...names];
  while (queue.length > 0) {
    const n = queue.shift()!;
    let holders: string[] = [];
    try {
      holders = fs.readdirSync(`/sys/class/block/${n}/holders`);
    } catch {
      /* none */
    }
    for (const h of holders) {
      if (!names.has(h)) {
        names.add(h);
        queue.push(h);
      }
    }
  }
  return names;
}

/** The block devices a path's file system lives on (st_dev, and the mount's source for btrfs-like anonymous st_dev). */
async function devicesOfPath(real: string): Promise<string[]> {
  const st = await fsp.stat(real, { bigint: true });
  const out = [devString(decodeDev(st.dev))];
  const mount = readMounts()
    .filter((m) => real === m.mount_point || real.startsWith(m.mount_point.endsWith('/') ? m.mount_point : `${m.mount_point}/`))
    .sort((a, b) => b.mount_point.length - a.mount_point.length)[0];
  if (mount) {
    out.push(mount.dev);
    if (mount.source.startsWith('/dev/')) {
      try {
        out.push(devString(decodeDev((await fsp.stat(mount.source, { bigint: true })).rdev)));
      } catch {
        /* not a device node here */
      }
    }
  }
  return out;
}

/**
 * Every kernel block device that data written to these devices ends up on:
 * the devices, the disks their partitions belong to, what they are built from
 * (device-mapper and md `slaves`), and for a loop device the devices holding
 * its backing file, all the way down.
 */
async function devicesBeneath(start: string[]): Promise<Set<string>> {
  const names = new Set<string>();
  const queue = [...start];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const dev = queue.shift()!;
    if (seen.has(dev)) continue;
    seen.add(dev);
    let dir: string;
    try {
      dir = fs.realpathSync(`/sys/dev/block/${dev}`);
    } catch {
      continue; // not a block device (tmpfs, overlay, ...)
    }
    names.add(path.basename(dir));
    if (fs.existsSync(path.join(dir, 'partition'))) names.add(path.basename(path.dirname(dir)));
    try {
      for (const slave of fs.readdirSync(path.join(dir, 'slaves'))) {
        const d = devOfName(slave);
        if (d) queue.push(d);
      }
    } catch {
      /* no slaves */
    }
    let backing: string | undefined;
    try {
      backing = fs.readFileSync(path.join(dir, 'loop', 'backing_file'), 'utf8').trim();
    } catch {
      backing = undefined;
    }
    if (backing) for (const d of await devicesOfPath(backing).catch(() => [])) queue.push(d);
  }
  return names;
}

/** The real path of `dir`, or of its nearest parent that exists (a folder still to be made). */
async function realExisting(dir: string): Promise<string> {
  let probe = path.resolve(dir);
  while (!fs.existsSync(probe)) probe = path.dirname(probe);
  return fsp.realpath(probe);
}

/** The kernel block devices that data written into `dir` (or its nearest existing parent) ends up on. */
export async function blockDevicesUnder(dir: string): Promise<string[]> {
  return [...(await devicesBeneath(await devicesOfPath(await realExisting(dir))))];
}

/** Refuse an output folder that lies on the source: its disk, any of its partitions, or a volume built on them. */
export async function checkOutputNotOnSource(facts: SourceFacts, outDir: string): Promise<void> {
  const real = await realExisting(outDir);
  if (facts.kind === 'file') {
    if (real === facts.resolved_path || real.startsWith(`${facts.resolved_path}/`)) {
      throw new ExhibitError('OUTPUT_ON_SOURCE', `the output folder ${outDir} is the source itself`);
    }
  }
  const family = diskFamily(facts);
  if (family.size === 0) return;
  const hit = (await blockDevicesUnder(real)).find((n) => family.has(n));
  if (hit) {
    const where = facts.device ? `on the source disk (/dev/${facts.device.whole_disk}, through ${hit})` : `on a file system read from the source file (through /dev/${hit})`;
    throw new ExhibitError('OUTPUT_ON_SOURCE', `the output folder ${outDir} is ${where}; exhibit never writes to evidence`, {
      hints: ['write the image to another drive'],
    });
  }
}

/** /dev/<name>, if it is the device node of that kernel device. */
function nodeFor(name: string): string | undefined {
  const node = `/dev/${name}`;
  try {
    const st = fs.statSync(node, { bigint: true });
    return st.isBlockDevice() && devString(decodeDev(st.rdev)) === devOfName(name) ? node : undefined;
  } catch {
    return undefined;
  }
}

function deviceStates(names: string[]): DeviceState[] {
  return names.map((n) => ({ device: n, ro_flag: readRoFlag(n), write_counters: readWriteCounters(n) }));
}

async function setRoFlag(devPath: string): Promise<void> {
  try {
    await run('blockdev', ['--setro', devPath]);
  } catch (err) {
    const e = err as { code?: unknown; stderr?: string };
    if (errnoOf(err) === 'ENOENT' && e.code === 'ENOENT') {
      throw new ExhibitError('SOURCE_UNREADABLE', 'cannot set the read-only flag: the blockdev program (util-linux) is missing', { cause: err });
    }
    const why = (e.stderr ?? '').trim() || describeSystemError(err);
    throw new ExhibitError('SOURCE_PERMISSION', `cannot set the kernel read-only flag on ${devPath}: ${why}`, {
      cause: err,
      hints: ['run exhibit as root so it can lock the device read-only before reading'],
    });
  }
}

export interface ProofSession {
  /** The readings taken as the session began. */
  start: SourceState;
  finish(): Promise<ReadOnlyProof>;
}

/**
 * Lock the source and take the "before" readings. `finish` takes the "after"
 * readings and returns the proof; it never throws for a moved counter (the
 * caller decides), so the proof is always recorded.
 */
export async function beginReadOnlyProof(facts: SourceFacts, handle: fsp.FileHandle, allowMounted: boolean, mounted: MountEntry[]): Promise<ProofSession> {
  if (facts.kind === 'file') {
    const f0 = await handle.stat();
    const before = { size: f0.size, mtime: f0.mtime.toISOString() };
    return {
      start: { file: { path: facts.resolved_path, ...before } },
      async finish() {
        const f1 = await handle.stat();
        const after = { size: f1.size, mtime: f1.mtime.toISOString() };
        return {
          opened_read_only: true,
          method: `file opened O_RDONLY${facts.file?.atime_preserved ? '|O_NOATIME' : ''}; size and modification time compared before and after`,
          allow_mounted: allowMounted,
          file_before: before,
          file_after: after,
          unchanged: before.size === after.size && before.mtime === after.mtime,
          limits: 'A file has no write counter: this shows only that its size and modification time did not change.',
        };
      },
    };
  }
  const d = facts.device!;
  const names = concernedDevices(facts);
  const roBefore = readRoFlag(d.kernel_name);
  const toLock = [d.kernel_name, ...(d.is_partition ? [] : d.partitions)];
  for (const n of toLock) {
    const devPath = nodeFor(n) ?? (n === d.kernel_name ? facts.path : undefined);
    if (devPath && readRoFlag(n) !== true) await setRoFlag(devPath);
  }
  const before = deviceStates(names);
  const backingFile = d.loop_backing_file?.replace(/ \(deleted\)$/, '');
  const backingBefore = backingFile ? stampOf(backingFile) : undefined;
  return {
    start: { devices: before, ...(backingBefore ? { backing: backingBefore } : {}) },
    async finish() {
      const after = deviceStates(names);
      const backingAfter = backingFile ? stampOf(backingFile) : undefined;
      const moved =
        before.some((b, i) => {
          const a = after[i]!;
          if (!b.write_counters || !a.write_counters) return true; // cannot prove what we cannot read
          return a.write_counters.sectors_written !== b.write_counters.sectors_written || a.write_counters.write_requests !== b.write_counters.write_requests;
        }) || (backingBefore !== undefined && (backingAfter?.size !== backingBefore.size || backingAfter.mtime !== backingBefore.mtime));
      const proof: ReadOnlyProof = {
        opened_read_only: true,
        method: 'device opened O_RDONLY; kernel read-only flag set (BLKROSET) on the device and its partitions; write counters of /sys/class/block/<dev>/stat compared before and after',
        allow_mounted: allowMounted,
        ro_flag_before: roBefore ?? false,
        ro_flag_set_by_exhibit: roBefore !== true,
        ro_flag_after: readRoFlag(d.kernel_name) ?? false,
        before,
        after,
        ...(backingBefore ? { backing_before: backingBefore } : {}),
        ...(backingAfter ? { backing_after: backingAfter } : {}),
        unchanged: !moved,
        limits: LIMITS,
      };
      if (mounted.length > 0) proof.mounted = mounted;
      return proof;
    },
  };
}

/** What the source was like when an earlier session last saw it: its end readings, or (killed) its start readings. */
function lastSeen(session: { read_only?: unknown; source_at_start?: SourceState }): SourceState | undefined {
  const p = session.read_only as Partial<ReadOnlyProof> | undefined;
  const path = session.source_at_start?.file?.path; // the proof's own readings do not name the file
  if (p && (p.after || p.file_after)) return { ...(p.after ? { devices: p.after } : {}), ...(p.file_after ? { file: { ...(path ? { path } : {}), ...p.file_after } } : {}), ...(p.backing_after ? { backing: p.backing_after } : {}) };
  return session.source_at_start;
}

const differs = (a: FileStamp, b: FileStamp) => a.size !== b.size || a.mtime !== b.mtime;

/**
 * What says the source was written since the earlier sessions of a resumed acquisition (`earlier`, in
 * order, as the journal keeps them), from this session's start readings (`now`); `unknown` when
 * nothing can be told. A session that found the source changed keeps it changed for every later one.
 * A file's (or a loop device's file's) size or modification time that changed moved. A device's write
 * counters that went up moved; counters that went down restarted (the drive was attached again),
 * and tell nothing. A loop device is judged by its file alone: the kernel may keep a loop device's
 * counters when it is attached to another file in between.
 */
export function writtenBetween(earlier: readonly { read_only?: unknown; source_at_start?: SourceState }[], now: SourceState): { moved?: string; unknown?: string } {
  const changed = earlier.findIndex((s) => (s.read_only as Partial<ReadOnlyProof> | undefined)?.unchanged === false);
  if (changed >= 0) return { moved: `session ${changed + 1} found it changed (${(earlier[changed]!.read_only as Partial<ReadOnlyProof>).note ?? 'its write counters or file attributes moved while it read'})` };
  const seen = [...earlier].reverse().map(lastSeen).find((x) => x !== undefined);
  if (!seen) return earlier.length > 0 ? { unknown: 'no earlier session left readings of the source to compare with: whether it was written between sessions cannot be told' } : {};
  // Another file given as the source (the same drive's copy elsewhere, or another drive): the comparison with the partial image judges it.
  if (now.file && seen.file && now.file.path !== undefined && seen.file.path !== undefined && now.file.path !== seen.file.path) return { unknown: 'the source is another file than when last seen: whether it was written in between cannot be told from it' };
  if (now.file && seen.file) return differs(seen.file, now.file) ? { moved: `its size or modification time changed between sessions (${seen.file.size} bytes, ${seen.file.mtime} when last seen; ${now.file.size} bytes, ${now.file.mtime} now)` } : {};
  if (now.backing || seen.backing) {
    // Another file behind the loop device (the drive came back through another mount): nothing to compare.
    if (!now.backing || !seen.backing || now.backing.path !== seen.backing.path) return { unknown: 'the loop device reads another file than when last seen: whether the source was written in between cannot be told from it' };
    return differs(seen.backing, now.backing) ? { moved: `the loop device's file ${now.backing.path ?? ''} changed between sessions (${seen.backing.size} bytes, ${seen.backing.mtime} when last seen; ${now.backing.size} bytes, ${now.backing.mtime} now)` } : {};
  }
  const compared = (now.devices ?? []).filter((b) => seen.devices?.some((x) => x?.device === b.device));
  if ((now.devices ?? []).length > 0 && compared.length === 0) return { unknown: 'the drive is under another name than when last seen: its write counters cannot be compared between sessions' };
  for (const b of compared) {
    const a = seen.devices?.find((x) => x?.device === b.device);
    if (!a?.write_counters || !b.write_counters) continue;
    const [wa, wb] = [a.write_counters, b.write_counters];
    if (wb.sectors_written < wa.sectors_written || wb.write_requests < wa.write_requests) return { unknown: `the write counters of ${b.device} restarted between sessions (it was attached again): whether it was written in between cannot be told from them` };
    if (wb.sectors_written !== wa.sectors_written || wb.write_requests !== wa.write_requests) {
      return { moved: `${b.device} was written between sessions: ${wb.write_requests - wa.write_requests} write requests, ${wb.sectors_written - wa.sectors_written} sectors since it was last seen` };
    }
  }
  return {};
}
