import fs from 'node:fs';

export interface MountEntry {
  dev: string; // major:minor of the mounted file system
  mount_point: string;
  source: string;
  fs_type: string;
  writable: boolean; // the superblock is mounted read-write
}

/** Undo mountinfo's octal escapes (\040 for a space). */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parse /proc/self/mountinfo (see proc(5)). */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const l = left.split(' ');
    const r = right.split(' ');
    if (l.length < 6 || r.length < 3) continue;
    const mountOpts = l[5]!.split(',');
    const superOpts = r[2]!.split(',');
    out.push({
      dev: l[2]!,
      mount_point: unescape(l[4]!),
      source: unescape(r[1]!),
      fs_type: r[0]!,
      // A read-only bind of a read-write file system still lets the kernel write the device.
      writable: superOpts.includes('rw') || (mountOpts.includes('rw') && !superOpts.includes('ro')),
    });
  }
  return out;
}

export function readMounts(): MountEntry[] {
  return parseMountInfo(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
}
