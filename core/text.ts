/** Checks on text that people type and exhibit records: one line, bounded length. */
import { ExhibitError } from './errors.js';
import { readInputTextSync } from './input-file.js';

/** Free text ends up in image headers and log lines that cannot hold tabs or line breaks. */
export function checkText(what: string, value: string | undefined, max = 2999): void {
  if (value === undefined) return;
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new ExhibitError('USAGE', `${what} contains a tab, line break or other control character`, { hints: ['write it on one line'] });
  }
  if (value.length > max) throw new ExhibitError('USAGE', `${what} is longer than ${max} characters`);
}

/** A required one-line name (case number, examiner): trimmed, not empty, checked. */
export function checkName(what: string, value: string, max: number): string {
  const v = value.trim();
  if (v === '') throw new ExhibitError('USAGE', `the ${what} must not be empty`);
  checkText(`the ${what}`, v, max);
  return v;
}

/** A file's text, or undefined when it does not exist (other errors are thrown). */
export function readTextIfExists(file: string): string | undefined {
  try {
    return readInputTextSync(file, { code: 'NOT_FOUND' });
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** A plain object (not null, not an array), for reading parsed JSON defensively. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `v` if it is a plain object, else an empty one. */
export function recordOf(v: unknown): Record<string, unknown> {
  return isRecord(v) ? v : {};
}
