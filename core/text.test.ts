import { describe, expect, it } from 'vitest';
import { checkText } from './text.js';

describe('checkText', () => {
  it('refuses every control character and line terminator, naming it, and takes other text', () => {
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      const bad = c <= 0x1f || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029;
      const code = `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
      if (bad) expect(() => checkText('--location', `Lab${ch}2`), code).toThrow(`--location contains a tab, line break or other control character (${code})`);
      else expect(() => checkText('--location', `Lab${ch}2`), code).not.toThrow();
    }
  });
});
