/**
 * Every number on exhibit's command lines is read here: a whole number, or a
 * size in bytes with an optional unit, each within the range its option
 * states. Digits only (no sign, no exponent, no hex), a fraction only with a
 * unit (1.4GiB), and a value out of range is a usage error that names the
 * option and the range, on one line.
 */
import { ExhibitError } from '../core/errors.js';
import { parseSize } from '../core/units.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;
export const PiB = 1024 * TiB;

/** A size exactly as a person would write it: `64 KiB`, `1.4 GiB` is not exact so `1503238553 bytes`. */
export function exactSize(bytes: number): string {
  for (const [unit, n] of [['PiB', PiB], ['TiB', TiB], ['GiB', GiB], ['MiB', MiB], ['KiB', KiB]] as const) {
    if (bytes >= n && bytes % n === 0) return `${bytes / n} ${unit}`;
  }
  return bytes === 1 ? '1 byte' : `${bytes} bytes`;
}

const usage = (message: string): ExhibitError => new ExhibitError('USAGE', message);

const EXAMPLE_SIZES: readonly [string, number][] = [['4096', 4096], ['64KiB', 64 * 1024], ['1MiB', 1 << 20], ['64MiB', 64 << 20], ['2GiB', 2 ** 31], ['1TiB', 2 ** 40]];

/** A whole number from `min` to `max` given to `option`. */
export function wholeNumber(text: string | undefined, option: string, min: number, max: number): number {
  const t = text ?? '';
  const n = /^\d{1,16}$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw usage(`${option} must be a whole number from ${min} to ${max}, not "${t}"`);
  return n;
}

/**
 * A size in bytes from `min` to `max` given to `option`: digits with an
 * optional unit (KiB, MiB, GiB, TiB or K, M, G, T; KB, MB, GB, TB), a
 * fraction only with a unit larger than a byte (rounded down to whole bytes).
 * `multipleOf` adds that the size must be a whole number of such blocks.
 */
export function sizeOption(text: string | undefined, option: string, min: number, max: number, multipleOf?: number): number {
  const t = text ?? '';
  const range = `from ${exactSize(min)} to ${exactSize(max)}`;
  const block = multipleOf ? ` in whole blocks of ${exactSize(multipleOf)}` : '';
  // Examples that this option takes.
  const examples = EXAMPLE_SIZES.filter(([, b]) => b >= min && b <= max && (multipleOf === undefined || b % multipleOf === 0)).slice(0, 3).map(([s]) => s);
  const fail = (why = ''): never => {
    throw usage(`${option} must be a size ${range}${block}${examples.length > 0 ? ` (such as ${examples.join(', ')})` : ''}, not "${t}"${why}`);
  };
  const m = /^(\d{1,16})(\.\d{1,6})?\s?([A-Za-z]{0,3})$/.exec(t);
  if (!m || (m[2] && /^b?$/i.test(m[3]!))) return fail();
  let n: number;
  try {
    n = parseSize(t, option);
  } catch {
    return fail();
  }
  if (!Number.isSafeInteger(n) || n < min || n > max) return fail();
  if (multipleOf !== undefined && n % multipleOf !== 0) return fail(` (${exactSize(n)}, not a whole number of ${exactSize(multipleOf)} blocks)`);
  return n;
}
