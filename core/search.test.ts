import { describe, expect, it } from 'vitest';
import { lastAtOrBefore } from './search.js';

describe('lastAtOrBefore', () => {
  const starts = [0, 10, 10, 25, 40];
  const at = (x: number) => lastAtOrBefore(starts, (s) => s, x);
  it('finds the last item starting at or before x', () => {
    expect(at(0)).toBe(0);
    expect(at(9)).toBe(0);
    expect(at(10)).toBe(2);
    expect(at(24)).toBe(2);
    expect(at(25)).toBe(3);
    expect(at(1e9)).toBe(4);
  });
  it('says -1 before the first item and for no items', () => {
    expect(lastAtOrBefore([5], (s) => s, 4)).toBe(-1);
    expect(lastAtOrBefore([], (s: number) => s, 4)).toBe(-1);
  });
});
