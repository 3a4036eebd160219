import { describe, expect, it } from 'vitest';
import type { AcquisitionRecord } from '../core/record.js';
import { bytes, hashGroups, readOnlyWords, when } from './words.js';

describe('when', () => {
  it('gives a time once, to the second, when the local zone is UTC', () => {
    expect(when({ utc: '2026-11-30T15:50:56.691Z', local: '2026-11-30T15:50:56.691+00:00' })).toBe('2026-11-30 15:50:56 UTC');
  });
  it('gives the local time with its offset, and UTC beside it, elsewhere', () => {
    expect(when({ utc: '2026-11-30T23:50:56.691Z', local: '2026-12-01T00:50:56.691+01:00' })).toBe('2026-12-01 00:50:56 +01:00 (2026-11-30 23:50:56 UTC)');
  });
  it('gives UTC alone when that is all there is, and nothing for nothing', () => {
    expect(when({ utc: '2026-11-30T15:50:56.691Z' })).toBe('2026-11-30 15:50:56 UTC');
    expect(when(undefined)).toBe('');
  });
});

describe('hashGroups', () => {
  it('sets digests in groups of 8, at most 8 groups a line', () => {
    expect(hashGroups('bd7f50a4beef6ee54293c7181d17a870')).toBe('bd7f50a4 beef6ee5 4293c718 1d17a870');
    const sha256 = 'aee73ebb9b81bd6075e03d584150dbdb2c13fa9e97a23256c1c6f503fd5026e0';
    expect(hashGroups(sha256)).toBe('aee73ebb 9b81bd60 75e03d58 4150dbdb 2c13fa9e 97a23256 c1c6f503 fd5026e0');
    const sha512 = sha256 + sha256;
    expect(hashGroups(sha512).split('\n')).toEqual([hashGroups(sha256), hashGroups(sha256)]);
    expect(hashGroups('1a2b3c4d5e6f7a8b')).toBe('1a2b3c4d 5e6f7a8b');
  });
  it('joins a size and its unit so they are never split', () => {
    expect(bytes(512)).toBe('512\u00a0bytes');
  });
});

describe('readOnlyWords', () => {
  const file = (unchanged: boolean, atime = true) =>
    ({
      source: { kind: 'file', path: 'x', resolved_path: '/x', size_bytes: 1, logical_sector_size: 512, file: { atime_preserved: atime } },
      read_only: { opened_read_only: true, method: 'file opened O_RDONLY|O_NOATIME; ...', unchanged },
    }) as unknown as AcquisitionRecord;
  const device = (unchanged: boolean) =>
    ({
      source: { kind: 'block-device', path: '/dev/sdb', resolved_path: '/dev/sdb', size_bytes: 1, logical_sector_size: 512 },
      read_only: { opened_read_only: true, method: 'device opened O_RDONLY; kernel read-only flag set (BLKROSET) ...', unchanged, ro_flag_after: true },
    }) as unknown as AcquisitionRecord;

  it('says what was done to a file in plain words, with no system call names', () => {
    expect(readOnlyWords(file(true))).toBe(
      'the source was opened for reading only; its size and modification time were the same before and after; reading it did not change its last-access time',
    );
    expect(readOnlyWords(file(true, false))).toBe('the source was opened for reading only; its size and modification time were the same before and after');
    expect(readOnlyWords(file(false))).toMatch(/^THE SOURCE CHANGED: .*size or modification time differed/);
  });
  it('says what was done to a drive in plain words', () => {
    const words = readOnlyWords(device(true));
    expect(words).toMatch(/opened for reading only; the system was told to refuse every write to the drive and its partitions; .*nothing was written to it/);
    expect(words).not.toMatch(/O_RDONLY|BLKROSET|sys\/class/);
    expect(readOnlyWords(device(false))).toMatch(/^THE SOURCE CHANGED: /);
  });
  it("gives a conversion's note, and says when the proof is not yet measured", () => {
    expect(readOnlyWords({ source: { kind: 'image' }, read_only: { note: 'not known: converted from an image' } } as unknown as AcquisitionRecord)).toBe('not known: converted from an image');
    expect(readOnlyWords({ source: { kind: 'file' }, read_only: { opened_read_only: true, unchanged: false, limits: 'not yet measured: the acquisition has not finished' } } as unknown as AcquisitionRecord)).toBe(
      'not yet measured: the acquisition has not finished',
    );
  });
});
