import { describe, expect, it } from 'vitest';
import { children, DerError, derOid, derSequence, derUnsignedInteger, parseDer, readDer, readGeneralizedTime, readIntegerHex, readOid } from './der.js';

describe('DER reader', () => {
  it('reads what the writers make: OIDs (with large arcs) and unsigned integers', () => {
    for (const oid of ['1.2.840.113549.1.9.16.1.4', '2.16.840.1.101.3.4.2.1', '1.3.6.1.5.5.7.3.8', '2.999.1']) expect(readOid(parseDer(derOid(oid)))).toBe(oid);
    expect(readIntegerHex(parseDer(derUnsignedInteger(Buffer.from('8a01', 'hex'))))).toBe('8a01');
    expect(derUnsignedInteger(Buffer.from('8a01', 'hex'))).toEqual(Buffer.from('0203008a01', 'hex')); // a sign byte so it stays positive
    const seq = parseDer(derSequence(derOid('1.2.3'), derUnsignedInteger(Buffer.from([5]))));
    expect(children(seq).map((c) => c.tag)).toEqual([0x06, 0x02]);
  });

  it('refuses indefinite, non-shortest and overlong lengths, trailing bytes and truncation', () => {
    expect(() => readDer(Buffer.from('3080', 'hex'))).toThrow(DerError);
    expect(() => readDer(Buffer.from('30810100', 'hex'))).toThrow(/shortest form/);
    expect(() => readDer(Buffer.from('3085ffffffffff', 'hex'))).toThrow(/too large/);
    expect(() => readDer(Buffer.from('300500', 'hex'))).toThrow(/longer than what holds it/);
    expect(() => parseDer(Buffer.from('3000ff', 'hex'))).toThrow(/bytes after/);
    expect(() => children(parseDer(Buffer.from('30030201', 'hex')))).toThrow(DerError);
  });

  it('reads UTC GeneralizedTime with fractions, and nothing else', () => {
    const gt = (s: string) => parseDer(Buffer.concat([Buffer.from([0x18, s.length]), Buffer.from(s, 'latin1')]));
    expect(readGeneralizedTime(gt('20261130172842Z')).toISOString()).toBe('2026-11-30T17:28:42.000Z');
    expect(readGeneralizedTime(gt('20261130172842.25Z')).toISOString()).toBe('2026-11-30T17:28:42.250Z');
    expect(() => readGeneralizedTime(gt('20261130172842+0100'))).toThrow(/not a UTC GeneralizedTime/);
  });
});
