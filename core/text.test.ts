import { describe, expect, it } from 'vitest';
import { checkText, listWords } from './text.js';

describe('checkText', () => {
  it('refuses every control character and line terminator, naming it, and takes other text', () => {
    // Checked in a plain loop and asserted once: 65,536 expect() calls cost seconds.
    const wrong: string[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      const bad = c <= 0x1f || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029;
      const code = `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
      let thrown: unknown;
      try {
        checkText('--location', `Lab${ch}2`);
      } catch (err) {
        thrown = err;
      }
      const message = thrown === undefined ? undefined : thrown instanceof Error ? thrown.message : String(thrown);
      if (bad && !message?.includes(`--location contains a tab, line break or other control character (${code})`)) wrong.push(`${code}: ${message ?? 'taken'}`);
      if (!bad && thrown !== undefined) wrong.push(`${code}: refused: ${message}`);
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
