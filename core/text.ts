/** Checks on text that people type and exhibit records: one line, bounded length. */
import fs from 'node:fs';
import { ExhibitError } from './errors.js';

/** Every control character (C0, DEL, C1: NEL among them) and the Unicode line and paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Free text ends up in image headers, reports and log lines that cannot hold tabs or line breaks. */
export function checkText(what: string, value: string | undefined, max = 2999): void {
  if (value === undefined) return;
  const bad = CONTROL.exec(value);
  if (bad) {
    throw new ExhibitError('USAGE', `${what} contains a tab, line break or other control character (${codePoint(bad[0])})`, { hints: ['write it on one line'] });
  }
  if (value.length > max) throw new ExhibitError('USAGE', `${what} is longer than ${max} characters`);
}

/** "U+2028" for a character. */
export function codePoint(c: string): string {
  return `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
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
    return fs.readFileSync(file, 'utf8');
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
