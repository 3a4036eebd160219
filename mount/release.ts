/**
 * Ending a mount: the file systems `--browse` mounted inside it, then the
 * loop devices over its files, then the mount itself, in that order. What
 * there is to release is read from the system (mountinfo, the loop devices'
 * backing files), not from anything exhibit wrote, so a mount whose serving
 * process was killed is cleaned just the same.
 */
import { ExhibitError } from '../core/errors.js';
import { shellWord } from '../core/shell-word.js';
import { readMounts, type MountEntry } from '../source/mounts.js';
import { FS_TYPE } from './fuse-session.js';
import { mountPath } from './mount-path.js';

export { mountPath };
import { complaint, tool } from './tools.js';

/** The exhibit mount on `dir`, if there is one. */
export function exhibitMountAt(dir: string): MountEntry | undefined {
  const at = mountPath(dir);
  return readMounts().find((m) => m.mount_point === at && m.fs_type === FS_TYPE);
}

async function loopsUnder(prefix: string): Promise<string[]> {
  const r = await tool('losetup', ['--list', '--json', '--output', 'NAME,BACK-FILE']);
  if (r.code !== 0) return [];
  const list = (JSON.parse(r.stdout || '{"loopdevices":[]}') as { loopdevices: { name: string; 'back-file': string | null }[] }).loopdevices;
  return list.filter((l) => (l['back-file'] ?? '').replace(/ \(deleted\)$/, '').startsWith(prefix)).map((l) => l.name);
}

export interface Released {
  fileSystems: string[];
  loops: string[];
}

/** Release everything exhibit mounted on `dir`; throws (MOUNT) when something stays. */
export async function releaseMount(dir: string): Promise<Released> {
  const at = mountPath(dir);
  const mine = exhibitMountAt(dir);
  if (!mine) {
    const other = readMounts().find((m) => m.mount_point === at);
    throw new ExhibitError('USAGE', other ? `${dir} is a mount point, but not one exhibit made (${other.fs_type} from ${other.source})` : `${dir} is not mounted`);
  }
  const inside = at + '/';
  const nested = readMounts()
    .filter((m) => m.mount_point.startsWith(inside))
    .sort((a, b) => b.mount_point.length - a.mount_point.length); // the deepest first
  const fileSystems: string[] = [];
  for (const m of nested) {
    const r = await tool('umount', [m.mount_point]);
    if (r.code !== 0) throw busy(m.mount_point, r.stderr);
    fileSystems.push(m.mount_point);
  }
  const loops: string[] = [];
  for (const loop of await loopsUnder(inside)) {
    const r = await tool('losetup', ['--detach', loop]);
    if (r.code !== 0) throw new ExhibitError('MOUNT', `cannot detach ${loop}: ${complaint(r)}`);
    loops.push(loop);
  }
  // A detached loop device, or a program that just closed a file, lets go a moment later: a busy
  // mount is tried again for up to ten seconds.
  for (let tries = 0; ; tries++) {
    const r = await tool('umount', [at]);
    if (r.code === 0) break;
    if (!/busy/i.test(r.stderr) || tries >= 100) throw busy(at, r.stderr);
    await new Promise((res) => setTimeout(res, 100));
  }
  return { fileSystems, loops };
}

function busy(where: string, stderr: string): ExhibitError {
  const inUse = /busy/i.test(stderr);
  return new ExhibitError('MOUNT', `cannot unmount ${where}: ${inUse ? 'it is in use' : stderr.trim().split('\n').pop() ?? 'umount failed'}`, {
    hints: inUse ? [`close the programs using it (fuser -vm ${shellWord(where)} lists them), then run exhibit umount again`] : [],
  });
}
