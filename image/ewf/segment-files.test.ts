import { describe, expect, it } from 'vitest';
import { segmentExtension } from './layout.js';
import { SEGMENT_ONE, segmentPath } from './segment-files.js';

describe('segment file names', () => {
  it('.E01 to .E99, then .EAA to .EZZ, .FAA on, keeping the letter case of the first file', () => {
    expect(segmentPath('/x/ev.', 'E', 1)).toBe('/x/ev.E01');
    expect(segmentPath('/x/ev.', 'E', 99)).toBe('/x/ev.E99');
    expect(segmentPath('/x/ev.', 'E', 100)).toBe('/x/ev.EAA');
    expect(segmentPath('/x/ev.', 'E', 101)).toBe('/x/ev.EAB');
    expect(segmentPath('/x/ev.', 'E', 100 + 26 * 26)).toBe('/x/ev.FAA');
    expect(segmentPath('/x/ev.', 'e', 100 + 27)).toBe('/x/ev.ebb');
    expect(segmentPath('/x/ev.', 's', 100)).toBe('/x/ev.saa');
  });

  it('there is no name past .ZZZ', () => {
    const last = 100 + 22 * 26 * 26 - 1; // E..Z: 22 first letters
    expect(segmentPath('p.', 'E', last)).toBe('p.ZZZ');
    expect(segmentPath('p.', 'E', last + 1)).toBeUndefined();
  });

  it('reads the names the writer gives its segments', () => {
    for (const n of [1, 2, 99, 100, 775, 776, 1000]) expect(segmentPath('ev.', 'E', n)).toBe(`ev.${segmentExtension(n)}`);
  });

  it('the first segment is .E01, .e01, .S01 or .s01, and nothing else', () => {
    expect(SEGMENT_ONE.exec('/a/b.c.E01')?.slice(1)).toEqual(['/a/b.c.', 'E']);
    expect(SEGMENT_ONE.exec('x.s01')?.slice(1)).toEqual(['x.', 's']);
    for (const name of ['x.E02', 'x.Ex01', 'x.L01', 'x.E01.bak', 'E01']) expect(SEGMENT_ONE.exec(name)).toBeNull();
  });
});
