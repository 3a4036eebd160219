import { describe, expect, it } from 'vitest';
import { ExhibitError } from '../core/errors.js';
import { BadSectorMap, fillSector, fillSpec, parseFill } from './bad-sectors.js';

describe('the fill', () => {
  it('is checked once and written one way', () => {
    expect(fillSpec('zero')).toBe('zero');
    expect(fillSpec('pattern:DEADbeef')).toBe('pattern:deadbeef');
  });

  it('refuses anything else as wrong usage, with an example', () => {
    for (const bad of ['', 'zeros', 'pattern:', 'pattern:abc', 'pattern:zz', `pattern:${'ab'.repeat(65)}`, 'Pattern:dead']) {
      let err: unknown;
      try {
        fillSpec(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(ExhibitError);
      expect((err as ExhibitError).code).toBe('USAGE');
      expect((err as ExhibitError).hints.join(' ')).toMatch(/--fill pattern:deadbeef/);
    }
  });

  it('fills a whole sector, the pattern repeated from its first byte', () => {
    expect(fillSector(fillSpec('zero'), 4096).sector.equals(Buffer.alloc(4096))).toBe(true);
    const s = fillSector(fillSpec('pattern:a1b2c3'), 512).sector;
    expect(s.length).toBe(512);
    expect([...s.subarray(0, 7)]).toEqual([0xa1, 0xb2, 0xc3, 0xa1, 0xb2, 0xc3, 0xa1]);
    expect(s[511]).toBe([0xa1, 0xb2, 0xc3][511 % 3]);
    expect(parseFill('pattern:FF', 520).sector.equals(Buffer.alloc(520, 0xff))).toBe(true);
  });
});

describe('BadSectorMap', () => {
  it('merges adjacent ranges and answers overlap questions', () => {
    const m = new BadSectorMap();
    m.add(10, 2, 'EIO');
    m.add(12, 3, 'EIO');
    m.add(40, 1, 'EIO');
    expect(m.ranges).toEqual([
      { first_sector: 10, sectors: 5, error: 'EIO' },
      { first_sector: 40, sectors: 1, error: 'EIO' },
    ]);
    expect(m.sectorCount).toBe(6);
    expect(m.overlaps(0, 10)).toBe(false);
    expect(m.overlaps(14, 1)).toBe(true);
    expect(m.near(38, 8)).toEqual([{ first_sector: 40, sectors: 1, error: 'EIO' }]);
    m.truncate(12);
    expect(m.ranges).toEqual([{ first_sector: 10, sectors: 2, error: 'EIO' }]);
  });
});
