import { describe, expect, it } from 'vitest';
import { parseMountInfo } from './mounts.js';

const sample = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro',
  '40 22 7:3 / /mnt/my\\040disk ro,relatime shared:20 - ext4 /dev/loop3 ro',
  '41 22 7:4 / /mnt/bind ro,relatime shared:21 - ext4 /dev/loop4 rw',
  '42 22 0:45 / /dev/shm rw,nosuid,nodev shared:3 - tmpfs tmpfs rw,size=8192k',
].join('\n');

describe('parseMountInfo', () => {
  const m = parseMountInfo(sample);
  it('reads device numbers, escaped mount points and sources', () => {
    expect(m).toHaveLength(4);
    expect(m[0]).toMatchObject({ dev: '8:1', mount_point: '/', source: '/dev/sda1', fs_type: 'ext4', writable: true });
    expect(m[1]).toMatchObject({ dev: '7:3', mount_point: '/mnt/my disk', writable: false });
  });
  it('treats a read-only mount of a read-write superblock as writable', () => {
    expect(m[2]).toMatchObject({ dev: '7:4', writable: true });
  });
});
