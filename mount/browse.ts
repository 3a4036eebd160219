/**
 * `--browse`: each volume's file system mounted read-only under
 * `<dir>/fs/<name>`, through a read-only loop device over `<dir>/<name>`,
 * with the options under which the file system driver writes nothing (no
 * journal replay, no log recovery). A file system exhibit has no such
 * options for, or that does not mount, is named with the reason.
 */
import path from 'node:path';
import { complaint, tool } from './tools.js';
import type { Volume } from './volumes.js';

/** How each recognised file system is mounted so that nothing is written, not even a journal replay. */
const READ_ONLY_MOUNT: Record<string, { type: string; options: string; needs?: string }> = {
  ext2: { type: 'ext4', options: 'ro,noload' },
  ext3: { type: 'ext4', options: 'ro,noload' },
  ext4: { type: 'ext4', options: 'ro,noload' },
  XFS: { type: 'xfs', options: 'ro,norecovery' },
  NTFS: { type: 'ntfs-3g', options: 'ro', needs: 'ntfs-3g' },
  FAT12: { type: 'vfat', options: 'ro' },
  FAT16: { type: 'vfat', options: 'ro' },
  FAT32: { type: 'vfat', options: 'ro' },
  exFAT: { type: 'exfat', options: 'ro' },
  'ISO 9660': { type: 'iso9660', options: 'ro' },
};

const WHY_NOT: Record<string, string> = {
  'Linux swap': 'swap space holds no files',
  LUKS: 'encrypted (LUKS): open it with cryptsetup on a read-only loop device over the partition file',
  BitLocker: 'encrypted (BitLocker): exhibit does not unlock it',
};

export interface Browsed {
  volume: string;
  /** What happened, in words (info.txt and the command's output). */
  said: string;
  loop?: string;
  mounted: boolean;
}

/** Mount every volume's file system it can; never throws for one that fails (it is named instead). */
export async function browseVolumes(dir: string, volumes: readonly Volume[]): Promise<Browsed[]> {
  const out: Browsed[] = [];
  for (const v of volumes) out.push(await browseOne(dir, v));
  return out;
}

async function browseOne(dir: string, v: Volume): Promise<Browsed> {
  const no = (said: string): Browsed => ({ volume: v.name, said, mounted: false });
  if (v.fs === undefined) return no('not mounted: no file system exhibit recognises');
  const how = READ_ONLY_MOUNT[v.fs];
  if (!how) return no(`not mounted: ${WHY_NOT[v.fs] ?? `${v.fs}: exhibit knows no mount options under which it is sure to write nothing`}`);
  if (how.needs && (await tool('which', [`mount.${how.needs}`])).code !== 0) return no(`not mounted: ${v.fs} needs ${how.needs}, which is not installed`);
  const attach = await tool('losetup', ['--find', '--show', '--read-only', path.join(dir, v.name)]);
  if (attach.code !== 0) return no(`not mounted: no loop device (${complaint(attach)})`);
  const loop = attach.stdout.trim();
  const options = `${how.options},nosuid,nodev,noexec`;
  const m = await tool('mount', ['-t', how.type, '-o', options, loop, path.join(dir, 'fs', v.name)]);
  if (m.code !== 0) {
    await tool('losetup', ['--detach', loop]);
    return no(`not mounted: ${v.fs} did not mount read-only (${complaint(m)})`);
  }
  return { volume: v.name, said: `${v.fs}, mounted read-only (${options}) from ${loop}`, loop, mounted: true };
}
