import fs from 'node:fs/promises';
import path from 'node:path';

/** Segment `index` (from 0) of a split-raw image: `<base>.001`, `<base>.002`, ... `<base>.999`, `<base>.1000`. */
export function segmentName(base: string, index: number): string {
  return `${base}.${String(index + 1).padStart(3, '0')}`;
}

export function segmentCount(mediaSize: number, segmentSize: number): number {
  return Math.max(1, Math.ceil(mediaSize / segmentSize));
}

/**
 * The name of the first file of a split set, and the parts it is made of: `<base>.NNN` (two digits or
 * more: exhibit, dc3dd and FTK count from .001; split -d and dfvfs test data from .000 or .00),
 * `<base>.aa` (split, dcfldd; `.aaa` from dc3dd), or `xaa` / `x00` (split's own names, no dot).
 * Group 1 is the base, group 2 the first suffix.
 */
export const FIRST_SEGMENT = /^(x(?=(?:\d{2,}|a{2,})$)|.*(?=\.(?:\d{2,}|a{2,})$))\.?(\d{2,}|a{2,})$/;

/** Suffix `n` (from 0) of a letter-named set of `width` letters: aa, ab, ..., az, ba, ...; undefined past zz..z. */
function letters(n: number, width: number): string | undefined {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = String.fromCharCode(97 + (n % 26)) + out;
    n = Math.floor(n / 26);
  }
  return n === 0 ? out : undefined;
}

/**
 * The segment files of `first` (the first file of a set, see FIRST_SEGMENT), in order. Stops at the
 * first missing one and reports any later one found beyond the gap, so a verifier can name what is
 * missing (`missing`, the name the set lacks).
 */
export async function findSegments(first: string, fromFirst = false): Promise<{ files: string[]; strays: string[]; missing?: string }> {
  const dir = path.dirname(first);
  const m = FIRST_SEGMENT.exec(path.basename(first));
  if (!m) return { files: [first], strays: [] };
  const base = m[1]!;
  const sep = path.basename(first).slice(base.length, base.length + 1) === '.' ? '.' : '';
  const suffix = m[2]!;
  const width = suffix.length;
  const numeric = /^\d+$/.test(suffix);
  const names = new Set(await fs.readdir(dir));
  // Each member's number, in the set's own order.
  const members = new Map<number, string>();
  for (const n of names) {
    if (!n.startsWith(base + sep)) continue;
    const rest = n.slice(base.length + sep.length);
    if (numeric ? !/^\d{2,}$/.test(rest) || rest.length < width : !new RegExp(`^[a-z]{${width}}$`).test(rest)) continue;
    if (numeric && rest.length > width && rest.startsWith('0')) continue; // 0001 is not a member of a .001 set
    const k = numeric ? Number(rest) : [...rest].reduce((v, c) => v * 26 + c.charCodeAt(0) - 97, 0);
    members.set(k, n);
  }
  // The set's first: .000 when there is one, else .001 (or aa); with `fromFirst`, the file given (its record says so).
  const start = fromFirst ? (numeric ? Number(suffix) : 0) : numeric && !members.has(0) ? 1 : 0;
  const files: string[] = [];
  let k = start;
  while (members.has(k)) files.push(path.join(dir, members.get(k)!)), members.delete(k++);
  const strays = [...members.entries()].filter(([n]) => n > k && n > start).sort((a, b) => a[0] - b[0]).map(([, n]) => path.join(dir, n));
  const expected = numeric ? String(k).padStart(width, '0') : letters(k, width);
  return strays.length > 0 && expected !== undefined ? { files, strays, missing: `${base}${sep}${expected}` } : { files, strays };
}
