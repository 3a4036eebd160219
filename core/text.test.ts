import { describe, expect, it } from 'vitest';
import { checkText, jsonText, listWords, oneLine, shownLines } from './text.js';

describe('checkText', () => {
  it('refuses every control character and line terminator, naming it, and takes other text', () => {
    // Checked in a plain loop and asserted once: 65,536 expect() calls cost seconds.
    const wrong: string[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      const bad = c <= 0x1f || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029;
      const turns = (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069); // bidirectional embeddings, overrides, isolates
      const code = `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
      let thrown: unknown;
      try {
        checkText('--location', `Lab${ch}2`);
      } catch (err) {
        thrown = err;
      }
      const message = thrown === undefined ? undefined : thrown instanceof Error ? thrown.message : String(thrown);
      if (bad && !message?.includes(`--location contains a tab, line break or other control character (${code})`)) wrong.push(`${code}: ${message ?? 'taken'}`);
      if (turns && !message?.includes(`--location contains a bidirectional control (${code})`)) wrong.push(`${code}: ${message ?? 'taken'}`);
      if (!bad && !turns && thrown !== undefined) wrong.push(`${code}: refused: ${message}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('listWords', () => {
  it('joins names in plain words, each once, in the order first given', () => {
    expect(listWords([])).toBe('');
    expect(listWords(['the record'])).toBe('the record');
    expect(listWords(['the record', 'the E01'])).toBe('the record and the E01');
    expect(listWords(['a', 'b', 'a', 'c'])).toBe('a, b and c');
  });
});

describe('text shown on a terminal', () => {
  it('shows control characters, the escape that starts a terminal sequence and bidirectional controls as code points', () => {
    expect(oneLine('r\nchecked: fine\u001b[8m.pdf')).toBe('r[U+000A]checked: fine[U+001B][8m.pdf');
    expect(oneLine('ana\u202elysis \u2066x\u2069 \u200f')).toBe('ana[U+202E]lysis [U+2066]x[U+2069] \u200f'); // a right-to-left mark is kept
    expect(oneLine('Jos\u00e9 \u05d3\u05e0\u05d4 \u4e2d')).toBe('Jos\u00e9 \u05d3\u05e0\u05d4 \u4e2d');
    expect(shownLines(['a\nb', 'c'])).toBe('a[U+000A]b\nc\n');
  });

  it('writes JSON whose strings are the same, with what a terminal acts on escaped', () => {
    const value = { name: 'a\u202eb\u0085c\u2028d\u001be', plain: 'José' };
    const text = jsonText(value);
    expect(text).not.toMatch(/[\u007f-\u009f\u202a-\u202e\u2028\u001b]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});
