import { describe, expect, it } from 'vitest';
import { caseNumbersLookAlike, looksAlike, mixedScriptWord } from './look-alike.js';

describe('look-alike names', () => {
  it('takes homoglyphs, case, accents, digits, invisible characters and spacing as the same', () => {
    for (const b of ['J. D\u043e\u0435', 'j. doe', 'J. D0e', 'J. Do\u00e9', 'J.  Doe', 'J. Do\u200be', '\uff2a. \uff24\uff4f\uff45', 'J\u00b7 Doe']) {
      expect(looksAlike('J. Doe', b), b).toBe(true);
    }
    expect(looksAlike('Bill Kern', 'BiII Kem')).toBe(true);
    expect(looksAlike('H. \u041d', 'H. H')).toBe(true);
    // Armenian o, Cherokee D, small capital O
    for (const b of ['J. D\u0585e', 'J. \u13a0oe', 'J. D\u1d0fe']) expect(looksAlike('J. Doe', b), b).toBe(true);
    // Latin alpha for a; any dash or stroke drawn like a hyphen (Hebrew maqaf, two-em dash, katakana mark, box line, CJK one)
    expect(looksAlike('Alice Examiner', 'Alice Ex\u0251miner')).toBe(true);
    for (const d of ['\u05be', '\u2e3a', '\u30fc', '\u2500', '\u4e00', '\u2015', '\ufe63']) expect(looksAlike('CASE-1', `CASE${d}1`), d).toBe(true);
  });

  it('keeps apart names that differ visibly', () => {
    for (const b of ['J. Dow', 'J. Doe-Smith', 'I. Doe Jr', 'K. Doe']) expect(looksAlike('J. Doe', b), b).toBe(false);
  });

  it('finds a word that mixes alphabets, and not one in a single alphabet', () => {
    expect(mixedScriptWord('J. D\u043e\u0435')).toEqual({ word: 'D\u043e\u0435', scripts: ['Latin', 'Cyrillic'] });
    expect(mixedScriptWord('Иван Petrov')).toBeUndefined();
    expect(mixedScriptWord('J. D\u0585e')).toEqual({ word: 'D\u0585e', scripts: ['Latin', 'Armenian'] });
  });
});

describe('case numbers that look alike', () => {
  it('are one to a reader across scripts, dashes and capitals, and l, I, 1 or o, O, 0', () => {
    for (const [a, b] of [['CASE-8', '\u0421ASE-8'], ['CASE-8', 'case-8'], ['CASE-8', 'CASE\u20108'], ['24-l07', '24-107'], ['24-I07', '24-107'], ['2024-O5', '2024-05']] as [string, string][]) expect(caseNumbersLookAlike(a, b), `${a} / ${b}`).toBe(true);
  });
  it('are apart when only folding would join them: a capital L is not a 1, RN is not M', () => {
    for (const [a, b] of [['24-L07', '24-107'], ['2024-L-3', '2024-I-3'], ['RN-100', 'M-100'], ['CASE-8', 'CASE-9']] as [string, string][]) expect(caseNumbersLookAlike(a, b), `${a} / ${b}`).toBe(false);
  });
});
