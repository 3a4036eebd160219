import { describe, expect, it } from 'vitest';
import { complaint } from './tools.js';

describe('complaint: the reason a tool gave, in one line', () => {
  it("is mount(8)'s reason, not its pointer to dmesg", () => {
    const stderr = 'mount: /mnt/x: wrong fs type, bad option, bad superblock on /dev/loop3, missing codepage or helper program, or other error.\n       dmesg(1) may have more information after failed mount system call.\n';
    expect(complaint({ code: 32, stdout: '', stderr })).toBe('mount: /mnt/x: wrong fs type, bad option, bad superblock on /dev/loop3, missing codepage or helper program, or other error.');
  });
  it("is ntfs-3g's first line, not the end of its hints", () => {
    const stderr = [
      'Failed to read last sector (88029): Invalid argument',
      'HINTS: Either the volume is a RAID/LDM but it wasn\'t setup yet,',
      '   or the partition table is corrupt (partition is smaller than NTFS),',
      "Failed to mount '/dev/loop4': Invalid argument",
      "The device '/dev/loop4' doesn't seem to have a valid NTFS.",
      'Maybe the wrong device is used? Or the whole disk instead of a',
      'partition (e.g. /dev/sda, not /dev/sda1)? Or the other way around?',
    ].join('\n');
    expect(complaint({ code: 21, stdout: '', stderr })).toBe('Failed to read last sector (88029): Invalid argument');
  });
  it('says the exit code when the tool said nothing', () => {
    expect(complaint({ code: 1, stdout: '', stderr: '\n' })).toBe('exit 1');
  });
});
