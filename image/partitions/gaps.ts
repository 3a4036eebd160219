import type { Gap } from './types.js';

export interface Span {
  first: number;
  last: number;
}

/**
 * The runs of sectors in [from, to] (inclusive) that no span covers, each at
 * least one sector long. Spans may overlap, nest, or reach outside the range.
 */
export function findGaps(used: readonly Span[], from: number, to: number): Gap[] {
  const gaps: Gap[] = [];
  if (!(to >= from)) return gaps;
  const sorted = used.filter((s) => s.last >= from && s.first <= to && s.last >= s.first).sort((a, b) => a.first - b.first);
  let next = from; // the first sector not yet known to be used
  const gap = (first: number, last: number): void => {
    if (last >= first) gaps.push({ firstSector: first, lastSector: last, sectors: last - first + 1 });
  };
  for (const s of sorted) {
    if (s.first > next) gap(next, s.first - 1);
    next = Math.max(next, s.last + 1);
    if (next > to) return gaps;
  }
  gap(next, to);
  return gaps;
}
