import { describe, expect, it } from 'vitest';
import { digestHex, digestsEqual, parseHashList } from './crypto.js';
import { planHashGroups } from './hash-plan.js';

describe('hash list', () => {
  it('parses, de-duplicates and orders canonically', () => {
    expect(parseHashList('sha256,MD5, sha-1,md5')).toEqual(['md5', 'sha1', 'sha256']);
    expect(parseHashList('sha512')).toEqual(['sha512']);
  });
  it('rejects unknown and empty lists', () => {
    expect(() => parseHashList('crc32')).toThrow(/unknown hash algorithm "crc32"/);
    expect(() => parseHashList(' , ')).toThrow(/no hash algorithm/);
  });
});

describe('digests', () => {
  it('computes known vectors', () => {
    expect(digestHex('md5', 'abc')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(digestHex('sha256', '')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
  it('compares case-insensitively and rejects different lengths', () => {
    expect(digestsEqual('ABCDEF', 'abcdef')).toBe(true);
    expect(digestsEqual('abcdef', 'abcdee')).toBe(false);
    expect(digestsEqual('abcdef', 'abcdef00')).toBe(false);
  });
});

describe('planHashGroups', () => {
  const jobs = (['md5', 'sha1', 'sha256'] as const).map((a) => ({ id: a, algorithm: a }));
  it('puts MD5 alone and SHA-1 with SHA-256 on two cores', () => {
    const groups = planHashGroups(jobs, 2).map((g) => g.map((j) => j.id).sort());
    expect(groups).toEqual([['md5'], ['sha1', 'sha256']]);
  });
  it('uses one group per job when there are cores enough, and one when there is one core', () => {
    expect(planHashGroups(jobs, 8)).toHaveLength(3);
    expect(planHashGroups(jobs, 1)).toHaveLength(1);
    expect(planHashGroups(jobs, 0)).toHaveLength(1);
  });
});
