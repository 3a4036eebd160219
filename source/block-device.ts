/**
 * What Linux says about a block device, read from sysfs (and udev's database
 * when present). Works for whole disks and partitions; partitions take their
 * sector sizes and identity from the disk they belong to.
 */
import type { HiddenAreas } from './hidden-areas.js';
import fs from 'node:fs';
import path from 'node:path';

export interface DeviceNumber {
  major: number;
  minor: number;
}

export interface BlockDeviceFacts {
  kernel_name: string; // sdb, sdb1, loop3, nvme0n1
  dev: string; // major:minor
  is_partition: boolean;
  whole_disk: string; // kernel name of the disk holding it (itself for a disk)
  size_bytes: number;
  logical_sector_size: number;
  physical_sector_size: number;
  vendor?: string;
  model?: string;
  serial?: string;
  wwid?: string;
  removable: boolean;
  rotational?: boolean;
  loop_backing_file?: string;
  partitions: string[]; // kernel names of the disk's partitions
  holders: string[]; // devices built on top (device-mapper, md), recursively
  /** Sectors the drive hides from the host (HPA, DCO), asked when it is acquired (source/hidden-areas.ts). */
  hidden_areas?: HiddenAreas;
}

export function decodeDev(dev: bigint): DeviceNumber {
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  return { major, minor };
}

export function devString(d: DeviceNumber): string {
  return `${d.major}:${d.minor}`;
}

function readText(p: string): string | undefined {
  try {
    const t = fs.readFileSync(p, 'utf8').replace(/\0/g, '').trim();
    return t.length > 0 ? t : undefined;
  } catch {
    return undefined;
  }
}

function readNumber(p: string): number | undefined {
  const t = readText(p);
  if (t === undefined) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** The sysfs folder of the device with this number, e.g. /sys/devices/.../block/sdb/sdb1. */
export function sysfsDir(dev: DeviceNumber): string {
  return fs.realpathSync(`/sys/dev/block/${devString(dev)}`);
}

/** Unit serial number from SCSI VPD page 0x80: 4 header bytes, then the ASCII serial. */
function vpdSerial(diskDir: string): string | undefined {
  try {
    const b = fs.readFileSync(path.join(diskDir, 'device', 'vpd_pg80'));
    if (b.length < 4) return undefined;
    const len = b.readUInt16BE(2);
    const s = b.subarray(4, 4 + len).toString('latin1').replace(/\0/g, '').trim();
    return s.length > 0 ? s : undefined;
  } catch {
    return undefined;
  }
}

function udevProperty(dev: string, key: string): string | undefined {
  const t = readText(`/run/udev/data/b${dev}`);
  if (!t) return undefined;
  for (const line of t.split('\n')) if (line.startsWith(`E:${key}=`)) return line.slice(key.length + 3).trim() || undefined;
  return undefined;
}

function holdersOf(dir: string, seen = new Set<string>()): string[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(path.join(dir, 'holders'));
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names) {
    if (seen.has(n)) continue;
    seen.add(n);
    out.push(n);
    try {
      for (const h of holdersOf(fs.realpathSync(`/sys/class/block/${n}`), seen)) out.push(h);
    } catch {
      /* holder vanished */
    }
  }
  return out;
}

/** The device number of a kernel block device name (sdb1 -> 8:17). */
export function devOfName(name: string): string | undefined {
  return readText(`/sys/class/block/${name}/dev`);
}

export function probeBlockDevice(dev: DeviceNumber): BlockDeviceFacts {
  const dir = sysfsDir(dev);
  const name = path.basename(dir);
  const isPartition = fs.existsSync(path.join(dir, 'partition'));
  const diskDir = isPartition ? path.dirname(dir) : dir;
  const disk = path.basename(diskDir);
  const devStr = devString(dev);
  const diskDev = readText(path.join(diskDir, 'dev')) ?? devStr;
  const partitions = fs
    .readdirSync(diskDir)
    .filter((n) => n.startsWith(disk) && fs.existsSync(path.join(diskDir, n, 'partition')))
    .sort();
  const holders = [...new Set([...holdersOf(dir), ...(isPartition ? [] : partitions.flatMap((p) => holdersOf(path.join(diskDir, p))))])];
  const facts: BlockDeviceFacts = {
    kernel_name: name,
    dev: devStr,
    is_partition: isPartition,
    whole_disk: disk,
    size_bytes: (readNumber(path.join(dir, 'size')) ?? 0) * 512, // sysfs counts 512-byte units whatever the sector size
    logical_sector_size: readNumber(path.join(diskDir, 'queue', 'logical_block_size')) ?? 512,
    physical_sector_size: readNumber(path.join(diskDir, 'queue', 'physical_block_size')) ?? 512,
    removable: readText(path.join(diskDir, 'removable')) === '1',
    partitions,
    holders,
  };
  const rot = readText(path.join(diskDir, 'queue', 'rotational'));
  if (rot !== undefined) facts.rotational = rot === '1';
  const vendor = readText(path.join(diskDir, 'device', 'vendor')) ?? udevProperty(diskDev, 'ID_VENDOR');
  const model = readText(path.join(diskDir, 'device', 'model')) ?? udevProperty(diskDev, 'ID_MODEL');
  const serial =
    readText(path.join(diskDir, 'device', 'serial')) ??
    readText(path.join(diskDir, 'serial')) ??
    vpdSerial(diskDir) ??
    udevProperty(diskDev, 'ID_SERIAL_SHORT');
  const wwid = readText(path.join(diskDir, 'wwid')) ?? readText(path.join(diskDir, 'device', 'wwid'));
  const backing = readText(path.join(diskDir, 'loop', 'backing_file'));
  if (vendor) facts.vendor = vendor;
  if (model) facts.model = model;
  if (serial) facts.serial = serial;
  if (wwid) facts.wwid = wwid;
  if (backing) facts.loop_backing_file = backing;
  return facts;
}

/** Write counters from /sys/class/block/X/stat (fields 5 and 7: write requests and sectors written). */
export interface WriteCounters {
  write_requests: number;
  sectors_written: number;
}

export function readWriteCounters(name: string): WriteCounters | undefined {
  const t = readText(`/sys/class/block/${name}/stat`);
  if (!t) return undefined;
  const f = t.split(/\s+/).map(Number);
  if (f.length < 7 || !Number.isFinite(f[4]) || !Number.isFinite(f[6])) return undefined;
  return { write_requests: f[4]!, sectors_written: f[6]! };
}

/** The kernel read-only flag of a block device (what `blockdev --getro` reports). */
export function readRoFlag(name: string): boolean | undefined {
  const t = readText(`/sys/class/block/${name}/ro`);
  return t === undefined ? undefined : t === '1';
}
