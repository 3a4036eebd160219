/** Checks on text that people type and exhibit records: one line, bounded length. */
import { ExhibitError } from './errors.js';
import { readInputTextSync, type InputOptions } from './input-file.js';

/** Every control character (C0, DEL, C1: NEL among them) and the Unicode line and paragraph separators (a character class's ranges). */
const CONTROLS = '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029';
/**
 * The bidirectional controls that reorder how the text around them shows (embeddings, overrides,
 * isolates). The marks (U+200E, U+200F, U+061C) are kept: right-to-left names use them, and they
 * move no text past its neighbours.
 */
const BIDI_REORDERING = '\\u202a-\\u202e\\u2066-\\u2069';
const CONTROL = new RegExp(`[${CONTROLS}]`);
/** What typed text may not hold besides control characters. */
const BIDI_REORDER = new RegExp(`[${BIDI_REORDERING}]`);
/** What is shown as a code point on the terminal: both of the above. */
const EVERY_SHOWN_AS_CODE = new RegExp(`[${CONTROLS}${BIDI_REORDERING}]`, 'g');
/** What JSON leaves as it is and a terminal acts on or reorders: DEL, the C1 controls, the separators, the bidi controls. */
const JSON_ESCAPED = new RegExp(`[\\u007f-\\u009f\\u2028\\u2029${BIDI_REORDERING}]`, 'g');

/** Free text ends up in image headers, reports and log lines that cannot hold tabs or line breaks. */
export function checkText(what: string, value: string | undefined, max = 2999): void {
  if (value === undefined) return;
  const bad = CONTROL.exec(value);
  if (bad) {
    throw new ExhibitError('USAGE', `${what} contains a tab, line break or other control character (${codePoint(bad[0])})`, { hints: ['write it on one line'] });
  }
  const turn = BIDI_REORDER.exec(value);
  if (turn) throw new ExhibitError('USAGE', `${what} contains a bidirectional control (${codePoint(turn[0])}), which changes the order the text is shown in`, { hints: ['write it without it'] });
  if (value.length > max) throw new ExhibitError('USAGE', `${what} is longer than ${max} characters`);
}


/**
 * `text` made safe to print as one line: each control character (the escape that starts a terminal
 * sequence among them) and each bidirectional control shown as its code point in brackets (a line
 * break in a file name as [U+000A]), so a name cannot begin a line of its own that looks like
 * exhibit's ("exhibit: verified"), end an error early, hide what follows it or reorder it.
 */
export function oneLine(text: string): string {
  return text.replace(EVERY_SHOWN_AS_CODE, (c) => `[${codePoint(c)}]`);
}

/**
 * The first character of `text` that `oneLine` would show as a code point (a control character or a
 * bidirectional control), a line break aside when `lineBreaks` allows them; undefined when none.
 */
export function firstControl(text: string, lineBreaks = false): string | undefined {
  for (const [c] of text.matchAll(EVERY_SHOWN_AS_CODE)) if (!(lineBreaks && c === '\n')) return c;
  return undefined;
}

/** Lines for the terminal, each made one line by `oneLine`, joined, with the final line break. */
export function shownLines(lines: readonly string[]): string {
  return `${lines.map(oneLine).join('\n')}\n`;
}

/** "U+2028" for a character. */
export function codePoint(c: string): string {
  return `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Characters that show nothing, or change how the text around them shows: format characters
 * (zero-width space, joiners, BOM, soft hyphen, bidi controls, tags...), unassigned and private-use
 * code points, lone surrogates, variation selectors, the combining grapheme joiner and the fillers.
 */
const INVISIBLE = '[\\p{Cf}\\p{Cn}\\p{Co}\\p{Cs}\\u034f\\u115f\\u1160\\u17b4\\u17b5\\u180b-\\u180f\\u2800\\u3164\\uffa0\\ufe00-\\ufe0f\\u{e0100}-\\u{e01ef}]';
const ONE_INVISIBLE = new RegExp(INVISIBLE, 'u');
const EVERY_INVISIBLE = new RegExp(INVISIBLE, 'gu');

export function withoutInvisible(s: string): string {
  return s.replace(EVERY_INVISIBLE, '');
}

/** Spaces narrower than the gap between two letters (six-per-em, punctuation, thin, hair, narrow no-break, medium mathematical). */
export const NARROW_SPACE = /[\u2006\u2008\u2009\u200a\u202f\u205f]/u;

/**
 * A required one-line name (case number, examiner): in Unicode's compatibility form (NFKC: a
 * full-width or ligature letter becomes the plain one, a no-break space a space), white space
 * collapsed, not empty, with no control or invisible character, checked.
 */
export function checkName(what: string, value: string, max: number): string {
  // Bounded before anything else (normalizing may shorten it only by collapsing white space): the same limit is said either way.
  if (value.length > 4 * max) throw new ExhibitError('USAGE', `the ${what} is longer than ${max} characters`);
  checkText(`the ${what}`, value, Number.MAX_SAFE_INTEGER); // first: collapsing white space below must not make a line break a space
  const nfkc = value.normalize('NFKC');
  const hidden = ONE_INVISIBLE.exec(nfkc);
  if (hidden) {
    throw new ExhibitError('USAGE', `the ${what} contains an invisible or formatting character (${codePoint(hidden[0])}), which would make it look like another`, {
      hints: ['type it again with visible characters only'],
    });
  }
  // A space narrower than a letter's gap hides where one word ends ("J. D\u200aое" reads as one word, "Dое").
  const narrow = NARROW_SPACE.exec(value);
  if (narrow) throw new ExhibitError('USAGE', `the ${what} contains a narrow space (${codePoint(narrow[0])}), which hides where a word ends and can make it look like another`, { hints: ['type it again with ordinary spaces'] });
  const v = normalName(nfkc);
  if (v === '') throw new ExhibitError('USAGE', `the ${what} must not be empty`);
  // "-x" as a name is an option that took the place of a value (case open -x -x "J. Doe").
  if (v.startsWith('-')) throw new ExhibitError('USAGE', `the ${what} "${v}" begins with "-": it reads as an option, not a name`, { hints: ['give each option its value right after it'] });
  checkText(`the ${what}`, v, max);
  return v;
}

/** A name in its compatibility form (NFKC), white space collapsed and trimmed: how two typings of one name are told to be one. */
export function normalName(value: string): string {
  return value.normalize('NFKC').replace(/\s+/gu, ' ').trim();
}

/** A file's text, or undefined when it does not exist (other errors are thrown). */
export function readTextIfExists(file: string, o: { max?: InputOptions['max']; strictUtf8?: boolean } = {}): string | undefined {
  try {
    return readInputTextSync(file, { code: 'NOT_FOUND', ...o });
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

/** "a", "a and b", "a, b and c": each name once, in the order first given. */
export function listWords(names: readonly string[]): string {
  const u = [...new Set(names)];
  return u.length <= 1 ? (u[0] ?? '') : `${u.slice(0, -1).join(', ')} and ${u[u.length - 1]}`;
}

/**
 * JSON as exhibit prints it: the characters JSON leaves as they are that a terminal acts on or
 * that reorder the text shown (DEL and the C1 controls, the bidirectional controls, the line and
 * paragraph separators) written as \u escapes, which stand for the same string.
 */
export function jsonText(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(JSON_ESCAPED, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
