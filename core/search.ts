/**
 * The index of the last item whose key is at or before `x`, in items sorted
 * by key (segments by media start, chunk groups by first chunk, sections and
 * frames by offset); -1 when even the first item starts after `x`.
 */
export function lastAtOrBefore<T>(items: readonly T[], key: (item: T) => number, x: number): number {
  let lo = 0;
  let hi = items.length - 1;
  if (hi < 0 || key(items[0]!) > x) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (key(items[mid]!) <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
