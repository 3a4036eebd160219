/**
 * Opening the evidence: always O_RDONLY (and O_NOATIME for files where the
 * kernel allows it, so reading does not even change the access time), then
 * probing what it is. Nothing in exhibit opens a source any other way.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { describeSystemError, errnoOf, ExhibitError } from '../core/errors.js';
import { kindOf } from '../core/input-file.js';
import { decodeDev, devString, probeBlockDevice, type BlockDeviceFacts } from './block-device.js';

export interface FileFacts {
  inode: number;
  mtime: string;
  ctime: string;
  atime_preserved: boolean; // opened with O_NOATIME
}

export interface SourceFacts {
  path: string; // as given
  resolved_path: string; // symlinks followed (/dev/disk/by-id/... -> /dev/sdb)
  kind: 'block-device' | 'file';
  size_bytes: number;
  logical_sector_size: number;
  physical_sector_size: number;
  sector_size_assumed: boolean; // true for files: 512 is assumed
  whole_sectors: boolean;
  trailing_bytes: number; // bytes after the last whole sector
  device?: BlockDeviceFacts;
  file?: FileFacts;
}

export interface OpenSource {
  handle: fsp.FileHandle;
  facts: SourceFacts;
}

function openError(err: unknown, p: string): ExhibitError {
  const code = errnoOf(err);
  if (code === 'ENOENT') return new ExhibitError('SOURCE_NOT_FOUND', `source ${p} does not exist`, { cause: err, hints: ['list drives with: lsblk -o NAME,SIZE,MODEL,SERIAL'] });
  if (code === 'EACCES' || code === 'EPERM') {
    return new ExhibitError('SOURCE_PERMISSION', `cannot open source ${p}: permission denied`, {
      cause: err,
      hints: ['run exhibit as root (sudo) to read a drive and set its read-only flag'],
    });
  }
  if (code === 'EBUSY') return new ExhibitError('SOURCE_BUSY', `cannot open source ${p}: the device is busy (held exclusively by another program)`, { cause: err });
  if (code === 'ENXIO' || code === 'ENODEV' || code === 'ENOMEDIUM') {
    return new ExhibitError('SOURCE_UNREADABLE', `cannot open source ${p}: no device or no medium behind it (${code})`, { cause: err });
  }
  return new ExhibitError('SOURCE_UNREADABLE', `cannot open source ${p}: ${describeSystemError(err)}`, { cause: err });
}

/** A file is opened with O_NONBLOCK: if the name was swapped for a named pipe since it was checked, open() does not wait (the opened file is checked again). */
async function openReadOnly(p: string, noatime: boolean, file = false): Promise<fsp.FileHandle> {
  const flags = fs.constants.O_RDONLY | (noatime ? fs.constants.O_NOATIME : 0) | (file ? fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY : 0);
  return fsp.open(p, flags);
}

export async function openSource(p: string): Promise<OpenSource> {
  let st: fs.BigIntStats;
  try {
    st = await fsp.stat(p, { bigint: true });
  } catch (err) {
    throw openError(err, p);
  }
  const resolved = await fsp.realpath(p).catch(() => path.resolve(p));
  if (st.isDirectory()) throw new ExhibitError('SOURCE_UNREADABLE', `source ${p} is a folder, not a drive or image file`);
  if (!st.isBlockDevice() && !st.isFile()) {
    throw new ExhibitError('SOURCE_UNREADABLE', `source ${p} is ${kindOf(st)}, neither a block device nor a regular file`, {
      hints: ['give a whole drive such as /dev/sdb, a partition such as /dev/sdb1, or a file'],
    });
  }

  if (st.isBlockDevice()) {
    let handle: fsp.FileHandle;
    try {
      handle = await openReadOnly(p, false);
    } catch (err) {
      throw openError(err, p);
    }
    // Facts come from what was opened, not from the path again (a /dev/disk/by-id link can change meanwhile).
    const opened = await handle.stat({ bigint: true });
    if (!opened.isBlockDevice() || opened.rdev !== st.rdev) {
      await handle.close();
      throw new ExhibitError('SOURCE_CHANGED', `source ${p} changed while it was being opened (the device was re-plugged or the link moved); try again`);
    }
    const dev = decodeDev(opened.rdev);
    let device: BlockDeviceFacts;
    try {
      device = probeBlockDevice(dev);
    } catch (err) {
      await handle.close();
      throw new ExhibitError('SOURCE_UNREADABLE', `cannot read the facts of device ${p} (${devString(dev)}) from sysfs: ${describeSystemError(err)}`, { cause: err });
    }
    const ss = device.logical_sector_size;
    return {
      handle,
      facts: {
        path: p,
        resolved_path: resolved,
        kind: 'block-device',
        size_bytes: device.size_bytes,
        logical_sector_size: ss,
        physical_sector_size: device.physical_sector_size,
        sector_size_assumed: false,
        whole_sectors: device.size_bytes % ss === 0,
        trailing_bytes: device.size_bytes % ss,
        device,
      },
    };
  }

  // A regular file (an earlier image, a copy of a card, a test fixture).
  let handle: fsp.FileHandle;
  let atimePreserved = true;
  try {
    handle = await openReadOnly(p, true, true);
  } catch (err) {
    if (errnoOf(err) !== 'EPERM') throw openError(err, p);
    atimePreserved = false; // O_NOATIME needs ownership of the file or CAP_FOWNER
    try {
      handle = await openReadOnly(p, false, true);
    } catch (err2) {
      throw openError(err2, p);
    }
  }
  const fst = await handle.stat({ bigint: true });
  if (!fst.isFile() || fst.ino !== st.ino) {
    await handle.close();
    throw new ExhibitError('SOURCE_CHANGED', `source ${p} was replaced while it was being opened; try again`);
  }
  const size = Number(fst.size);
  return {
    handle,
    facts: {
      path: p,
      resolved_path: resolved,
      kind: 'file',
      size_bytes: size,
      logical_sector_size: 512,
      physical_sector_size: 512,
      sector_size_assumed: true,
      whole_sectors: size % 512 === 0,
      trailing_bytes: size % 512,
      file: {
        inode: Number(st.ino),
        mtime: new Date(Number(st.mtimeMs)).toISOString(),
        ctime: new Date(Number(st.ctimeMs)).toISOString(),
        atime_preserved: atimePreserved,
      },
    },
  };
}
