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
 * The segment files of `first` (any `<base>.NNN` of a set), in order. Stops at
 * the first missing number and reports any higher-numbered segment found beyond
 * the gap, so a verifier can name what is missing.
 */
export async function findSegments(first: string): Promise<{ files: string[]; strays: string[] }> {
  const dir = path.dirname(first);
  const m = /^(.*)\.(\d{3,})$/.exec(path.basename(first));
  if (!m) return { files: [first], strays: [] };
  const base = m[1]!;
  const names = await fs.readdir(dir);
  const numbers = names
    .map((n) => (n.startsWith(`${base}.`) ? /^(\d{3,})$/.exec(n.slice(base.length + 1)) : null))
    .filter((x): x is RegExpExecArray => x !== null)
    .map((x) => Number(x[1]))
    .sort((a, b) => a - b);
  // exhibit, dc3dd and FTK count from .001; some tools (split -d, dfvfs test data) from .000.
  const width = m[2]!.length;
  const nameOf = (n: number) => path.join(dir, `${base}.${String(n).padStart(width, '0')}`);
  const files: string[] = [];
  let expect = numbers[0] === 0 ? 0 : 1;
  for (const n of numbers) {
    if (n !== expect) break;
    files.push(nameOf(n));
    expect++;
  }
  const strays = numbers.filter((n) => n >= expect).map(nameOf);
  return { files, strays };
}
