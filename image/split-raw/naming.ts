import fsSync from 'node:fs';
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
 * The name of the first file of a split set, and the parts it is made of: `<base>.NNN` (exhibit, dc3dd
 * and FTK count from .001; split -d and dfvfs test data from .000 or .00; split -a 1 -d and dc3dd's
 * ofs=out.1 from one digit), `<base>.aa` (split, dcfldd; `.aaa` from dc3dd; `.a` from split -a 1;
 * `.AA` in capitals), or `xaa` / `x00` (split's own names, no dot). Group 1 is the base, group 2 the
 * first suffix.
 */
export const FIRST_SEGMENT = /^(x(?=(?:\d{2,}|a{2,})$)|.*(?=\.(?:\d+|a+|A+)$))\.?(\d+|a+|A+)$/;

/**
 * When `file` is named as a later file of a letter-named set (`disk.ab`, `xab`, `disk.AC`) whose first
 * (`disk.aa`, `xaa`, `disk.AA`) lies beside it: that first file's name. (A number-named later file is
 * a FIRST_SEGMENT name, and its set is found from it.)
 */
export function firstOfLetterSet(file: string): string | undefined {
  const name = path.basename(file);
  const m = /^(x)([a-z]{2,4})$/.exec(name) ?? /^(.+\.)([a-z]{1,4}|[A-Z]{1,4})$/.exec(name);
  if (!m) return undefined;
  const letters = m[2]!;
  const first = m[1]! + (letters === letters.toUpperCase() ? 'A' : 'a').repeat(letters.length);
  return first !== name && fsSync.existsSync(path.join(path.dirname(file), first)) ? first : undefined;
}

/**
 * Names beside a letter-named set that are files of their own, not its members (dc3dd's log=out.log
 * beside out.aaa, exhibit's EV.map beside EV.aaa): taking them in would call the set broken.
 */
const NOT_SEGMENTS = new Set(['raw', 'img', 'bin', 'zst', 'map', 'log', 'txt', 'md5', 'sha', 'iso', 'xml', 'csv', 'pdf', 'dd', 'aff', 'vhd', 'lock', 'info', 'json', 'yaml']);

/** Suffix `n` (from 0) of a letter-named set of `width` letters: aa, ab, ..., az, ba, ...; undefined past zz..z. */
function letters(n: number, width: number, upper = false): string | undefined {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = String.fromCharCode((upper ? 65 : 97) + (n % 26)) + out;
    n = Math.floor(n / 26);
  }
  return n === 0 ? out : undefined;
}

/**
 * GNU split's own names, when it chose their length (no -a): two characters, then, once the first
 * would become the last of its alphabet (`z`, or `9` with -d), that character joins the prefix and
 * the suffix grows by one: xaa ... xyz, xzaaa ... xzyzz, xzzaaaa ...; x00 ... x89, x9000 ... x9899,
 * x990000 .... `rank` gives a name's place in that order (undefined for a name not in it), `name`
 * the name at a place.
 */
function widening(digits: boolean): { rank(rest: string): number | undefined; name(k: number): string } {
  const alphabet = digits ? '0123456789' : 'abcdefghijklmnopqrstuvwxyz';
  const base = alphabet.length;
  const last = alphabet[base - 1]!;
  const value = (t: string) => [...t].reduce((v, c) => v * base + alphabet.indexOf(c), 0);
  const tierSize = (t: number) => (base - 1) * base ** (1 + t); // names of tier t: 2 + t characters after t marks
  return {
    rank(rest) {
      const t = (rest.length - 2) / 2;
      if (!Number.isInteger(t) || t < 0 || t > 6) return undefined;
      const own = rest.slice(t);
      if (rest.slice(0, t) !== last.repeat(t) || own[0] === last || ![...own].every((c) => alphabet.includes(c))) return undefined;
      let before = 0;
      for (let j = 0; j < t; j++) before += tierSize(j);
      return before + value(own);
    },
    name(k) {
      let t = 0;
      while (k >= tierSize(t)) k -= tierSize(t++);
      let own = '';
      for (let i = 0; i < 2 + t; i++, k = Math.floor(k / base)) own = alphabet[k % base]! + own;
      return last.repeat(t) + own;
    },
  };
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
  const upper = /^[A-Z]+$/.test(suffix);
  const names = new Set(await fs.readdir(dir));
  // GNU split's lengthening names (two characters first, then xzaaa / x9000 and on): a set of them has a
  // four-character name that starts with its alphabet's last character, and no two-character one that does.
  const inSet = [...names].filter((n) => n.startsWith(base + sep)).map((n) => n.slice(base.length + sep.length));
  const lastChar = numeric ? '9' : 'z';
  const gnu = width === 2 && !upper && inSet.some((r) => r.length === 4 && r[0] === lastChar) && !inSet.some((r) => r.length === 2 && r[0] === lastChar) ? widening(numeric) : undefined;
  // Each member's number, in the set's own order.
  const members = new Map<number, string>();
  for (const n of names) {
    if (!n.startsWith(base + sep)) continue;
    const rest = n.slice(base.length + sep.length);
    if (gnu) {
      const k = gnu.rank(rest);
      if (k !== undefined) members.set(k, n);
      continue;
    }
    if (numeric ? !/^\d+$/.test(rest) || rest.length < width : !new RegExp(`^[${upper ? 'A-Z' : 'a-z'}]{${width}}$`).test(rest) || NOT_SEGMENTS.has(rest.toLowerCase())) continue;
    if (numeric && rest.length > width && rest.startsWith('0')) continue; // 0001 is not a member of a .001 set
    const k = numeric ? Number(rest) : [...rest].reduce((v, c) => v * 26 + c.charCodeAt(0) - (upper ? 65 : 97), 0);
    members.set(k, n);
  }
  // The set's first: .000 when there is one, else .001 (or aa); with `fromFirst`, the file given (its record says so).
  const start = fromFirst ? (numeric ? Number(suffix) : 0) : numeric && !members.has(0) ? 1 : 0;
  const files: string[] = [];
  let k = start;
  while (members.has(k)) files.push(path.join(dir, members.get(k)!)), members.delete(k++);
  const strays = [...members.entries()].filter(([n]) => n > k && n > start).sort((a, b) => a[0] - b[0]).map(([, n]) => path.join(dir, n));
  const expected = gnu ? gnu.name(k) : numeric ? String(k).padStart(width, '0') : letters(k, width, upper);
  return strays.length > 0 && expected !== undefined ? { files, strays, missing: `${base}${sep}${expected}` } : { files, strays };
}
