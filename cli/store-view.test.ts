import { describe, expect, it } from 'vitest';
import { ExhibitError } from '../core/errors.js';
import { parseExpected } from './store-view.js';

const MD5 = '0123456789abcdef0123456789abcdef';
const SHA1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
const SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** The USAGE error parseExpected throws for these values, or a failure if it throws none. */
function refusal(values: string[]): ExhibitError {
  try {
    parseExpected(values);
  } catch (err) {
    if (err instanceof ExhibitError) return err;
    throw err;
  }
  throw new Error(`parseExpected accepted ${JSON.stringify(values)}`);
}

describe('parseExpected (--expect)', () => {
  it('reads each algorithm at its length, lowercases the hex and trims spaces', () => {
    expect(parseExpected([`md5:${MD5.toUpperCase()}`, ` sha1:${SHA1} `, `sha256:${SHA256}`, `sha512:${'f'.repeat(128)}`])).toEqual({
      md5: MD5,
      sha1: SHA1,
      sha256: SHA256,
      sha512: 'f'.repeat(128),
    });
    expect(parseExpected([])).toEqual({});
  });

  it('takes the algorithm in either case and with a hyphen, as other tools print it', () => {
    expect(parseExpected([`SHA256:${SHA256}`, `SHA-1:${SHA1}`, `Md5:${MD5}`])).toEqual({ sha256: SHA256, sha1: SHA1, md5: MD5 });
  });

  it('accepts the same hash given twice, in either case', () => {
    expect(parseExpected([`sha256:${SHA256}`, `sha256:${SHA256.toUpperCase()}`])).toEqual({ sha256: SHA256 });
  });

  it('refuses two different hashes for one algorithm', () => {
    const e = refusal([`md5:${MD5}`, `md5:${'0'.repeat(32)}`]);
    expect(e.code).toBe('USAGE');
    expect(e.message).toBe('--expect gives two different md5 hashes');
  });

  it.each([
    ['no algorithm', SHA256],
    ['an unknown algorithm', `sha384:${'a'.repeat(96)}`],
    ['a digest one digit short', `sha256:${SHA256.slice(1)}`],
    ['a digest one digit long', `md5:${MD5}0`],
    ['the length of another algorithm', `sha1:${MD5}`],
    ['not hex', `md5:${'g'.repeat(32)}`],
    ['empty', ''],
    ['a space inside', `md5: ${MD5}`],
  ])('refuses %s, naming the value and the form', (_, value) => {
    const e = refusal([value]);
    expect(e.code).toBe('USAGE');
    expect(e.message).toBe(`--expect ${JSON.stringify(value)} is not <algorithm>:<hex digest>`);
    expect(e.hints).toEqual(['e.g. --expect sha256:<64 hex digits>; algorithms: md5, sha1, sha256, sha512']);
  });
});
