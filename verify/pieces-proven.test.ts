import { describe, expect, it } from 'vitest';
import type { DamagedUnit } from './media-scan.js';
import { piecesProven, type Comparison } from './verify.js';

const H = (c: string) => c.repeat(64);
const cmp = (against: string, algorithm: string, equal: boolean, anchor = against !== 'the record'): Comparison => ({ against, algorithm, expected: H('a'), computed: equal ? H('a') : H('b'), equal, anchor });
const lists = new Set(['custody log entry 4']); // what expectedPieces gives: the signed entries that list the pieces file, never the record
const damage: DamagedUnit = { file: 'EV.E01', unit: 'chunk', index: 3, first_byte: 0, bytes: 512, first_sector: 0, sectors: 1, problem: 'damaged' };

describe('pieces proven by the media hash', () => {
  it('proves them when the media SHA-256 equals what an account that lists the pieces file says, naming a signed account first', () => {
    const media = [cmp('the record', 'sha256', true), cmp('custody log entry 4', 'sha256', true), cmp('custody log entry 4', 'md5', true)];
    expect(piecesProven(media, [], lists)).toBe("the media's SHA-256, equal to what custody log entry 4 says, which lists this pieces file");
    expect(piecesProven([cmp('custody log entry 4', 'sha512', true)], [], lists)).toMatch(/^the media's SHA-512, equal to what custody log entry 4 says/);
  });

  it('does not on the word of an account that is not signed (a record beside the image is anyone\'s to write, its pieces file hash too)', () => {
    expect(piecesProven([cmp('the record', 'sha256', true), cmp('the hash given with --expect', 'sha256', true, false)], [], lists)).toBeUndefined();
    expect(piecesProven([cmp('the record', 'sha512', true)], [], lists)).toBeUndefined();
    expect(piecesProven([cmp('the record', 'sha256', true)], [], new Set(['the record']))).toBeUndefined();
  });

  it('does not when any account of the media differs, in any algorithm', () => {
    expect(piecesProven([cmp('custody log entry 4', 'sha256', true), cmp('custody log entry 4', 'md5', false)], [], lists)).toBeUndefined();
    expect(piecesProven([cmp('custody log entry 4', 'sha256', true), cmp('the hash given with --expect', 'sha256', false)], [], lists)).toBeUndefined();
  });

  it('proves them by the SHA-256 of every image file when only MD5 was computed (an E01 verified with --hash md5), and not when a file differs or is vouched for by no such account', () => {
    const md5 = [cmp('custody log entry 4', 'md5', true)];
    const file = (sha: string, ...refs: [string, string][]) => ({ sha256: sha, refs: refs.map(([against, expected]) => ({ against, expected })) });
    const both = (sha: string) => file(sha, ['the record', sha], ['custody log entry 4', sha]);
    expect(piecesProven(md5, [], lists, [both(H('1')), both(H('2'))])).toBe('the SHA-256 of every image file, equal to what custody log entry 4 says, which lists this pieces file');
    expect(piecesProven(md5, [], lists, [both(H('1')), file(H('2'), ['custody log entry 4', H('3')])])).toBeUndefined();
    expect(piecesProven(md5, [], lists, [both(H('1')), file(H('2'), ['the hash given with --expect', H('2')])])).toBeUndefined();
    expect(piecesProven(md5, [], lists, [both(H('1')), file(H('2'))])).toBeUndefined();
    expect(piecesProven(md5, [], lists, [])).toBeUndefined();
    expect(piecesProven(md5, [damage], lists, [both(H('1'))])).toBeUndefined();
  });

  it('does not when the format found damage, when only MD5 or SHA-1 were compared, or when the equal SHA-256 is from an account that lists no pieces file', () => {
    expect(piecesProven([cmp('custody log entry 4', 'sha256', true)], [damage], lists)).toBeUndefined();
    expect(piecesProven([cmp('custody log entry 4', 'md5', true), cmp('custody log entry 4', 'sha1', true)], [], lists)).toBeUndefined();
    expect(piecesProven([cmp('the hash given with --expect', 'sha256', true)], [], lists)).toBeUndefined();
    expect(piecesProven([], [], lists)).toBeUndefined();
  });
});
