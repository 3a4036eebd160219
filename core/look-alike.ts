/**
 * Names that look alike. A signature proves which key signed; people read the
 * name beside it. "J. Dое" with two Cyrillic letters, or "J. Doe" with a
 * zero-width space, prints as "J. Doe" and must not get a key of its own.
 * `nameSkeleton` is a much reduced form of Unicode's confusable skeleton
 * (UTS #39): two names with one skeleton are taken to look the same.
 */
import { withoutInvisible } from './text.js';

/** Cyrillic and Greek letters that look like Latin ones (before case folding, so capitals map by their shape), and digits and marks that look like letters. */
const HOMOGLYPHS: Record<string, string> = {
  // Cyrillic
  А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', Х: 'X', У: 'Y', Ѕ: 'S', І: 'I', Ј: 'J', Ԛ: 'Q', Ԝ: 'W', Ӏ: 'l', Ү: 'Y', Һ: 'h',
  а: 'a', в: 'b', е: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', х: 'x', у: 'y', ѕ: 's', і: 'i', ј: 'j', ԛ: 'q', ԝ: 'w', ӏ: 'l', ү: 'y', һ: 'h', ԁ: 'd', ɡ: 'g', ё: 'e', ї: 'i',
  // Greek
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X',
  α: 'a', ο: 'o', ρ: 'p', ι: 'i', κ: 'k', ν: 'v', τ: 't', υ: 'u', χ: 'x', γ: 'y', η: 'n', ε: 'e', ϲ: 'c', ϳ: 'j',
  // Armenian
  Օ: 'O', Ս: 'U', Ո: 'U', Տ: 'S', Լ: 'L', Ք: 'P', օ: 'o', ս: 'u', ո: 'n', հ: 'h', ց: 'g', զ: 'q', ա: 'w', ւ: 'l',
  // Cherokee (capitals and small letters)
  Ꭰ: 'D', Ꭱ: 'R', Ꭲ: 'T', Ꭺ: 'A', Ᏼ: 'B', Ꮯ: 'C', Ꭼ: 'E', Ꮋ: 'H', Ꮃ: 'W', Ꮪ: 'S', Ꮮ: 'L', Ꮇ: 'M', Ꮲ: 'P', Ꮩ: 'V', Ꮓ: 'Z', Ꮶ: 'K', Ꭻ: 'J', Ꮐ: 'G', Ꮍ: 'Y', Ꮖ: 'I',
  ꭰ: 'D', ꭱ: 'R', ꭲ: 'T', ꮪ: 'S', ꮃ: 'W', ꮇ: 'M', ꮋ: 'H', ꮯ: 'C', ꭼ: 'E', ꮲ: 'P',
  // Small capitals and other Latin letters that read as plain ones
  ᴀ: 'a', ʙ: 'b', ᴄ: 'c', ᴅ: 'd', ᴇ: 'e', ɢ: 'g', ʜ: 'h', ɪ: 'i', ᴊ: 'j', ᴋ: 'k', ᴍ: 'm', ɴ: 'n', ᴏ: 'o', ᴘ: 'p', ʀ: 'r', ꜱ: 's', ᴛ: 't', ᴜ: 'u', ᴠ: 'v', ᴡ: 'w', ʏ: 'y', ᴢ: 'z',
  // Latin look-alikes within Latin: capital I, digit one and bar look like a small l; zero like o
  I: 'l', '1': 'l', '|': 'l', '0': 'o', ı: 'i', ɩ: 'i', ʟ: 'l', ɑ: 'a', ɒ: 'a', ɛ: 'e', ʋ: 'u', ɯ: 'w',
  // Punctuation that looks like the full stop, hyphen and apostrophe
  '\u00b7': '.', '\u0387': '.', '\u2027': '.', '\u02d9': '.', '\u2010': '-', '\u2011': '-', '\u2012': '-', '\u2013': '-', '\u2014': '-', '\u2212': '-', '\u02d7': '-',
  '\u2018': "'", '\u2019': "'", '\u02bc': "'", '\u0060': "'", '\u00b4': "'", '\u2032': "'",
};

/**
 * The skeletons of a name: NFKC; accents and other combining marks removed; invisible characters
 * dropped; look-alike characters mapped to Latin and case folded, in both orders (by shape first, so
 * a capital I reads as l and Cyrillic Н as H; and by case first, so "j. doe" reads as "J. Doe");
 * "rn" read as "m"; white space collapsed. `loose`: white space and every stop, dot or dash between a name's
 * parts left out too ("C.Three", "C Three", "C∙ Three" and "C. Three" are one name to a reader): for a new
 * name beside the store's (a key made, a transfer's parties), not for telling whose key a log's signer is,
 * where two real people may be "Mary Ann" and "MaryAnn".
 */
export function nameSkeletons(name: string, loose = false): [string, string] {
  const visible = visibleForm(name);
  const fold = (s: string): string => s.toUpperCase().toLowerCase();
  const tidy = (s: string): string =>
    (loose ? s.replace(/[\s\p{P}\u00b7\u02cc\u02d1\u2022\u2219\u22c5\ua78f]+/gu, '') : s.replace(/\s+/gu, ' ').trim()).replaceAll('rn', 'm');
  return [tidy(fold(byShape(visible))), tidy(byShape(fold(visible)))];
}

/** NFKC, accents and other combining marks removed, every dash read as a hyphen, invisible characters dropped. */
function visibleForm(text: string): string {
  const plain = text
    .normalize('NFKC')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    // Every dash of every script, and the strokes drawn like one (Hebrew maqaf, katakana prolonged
    // sound mark, box-drawing and bar lines, CJK "one"), reads as a hyphen.
    .replace(/[\p{Pd}\u2015\u2043\u23af\u2500\u2501\u2796\u30fc\uff70\u4e00\u05be]/gu, '-');
  return withoutInvisible(plain);
}

/** Each look-alike character as the Latin one it is drawn like (HOMOGLYPHS). */
function byShape(text: string): string {
  return Array.from(text, (ch) => HOMOGLYPHS[ch] ?? ch).join('');
}

/**
 * The skeleton of a case number: as a name's (script look-alikes, dashes, invisible characters,
 * accents), but capitals kept apart from the digit shapes they only share once folded: a small l,
 * a capital I and the digit 1 read alike, and o, O and 0; a capital L does not read as 1, nor RN as M.
 * Then case folded: CASE-8 and case-8 are one number to a reader.
 */
function caseSkeleton(n: string): string {
  return byShape(visibleForm(n)).replace(/l/g, '1').toUpperCase().toLowerCase().replace(/\s+/gu, ' ').trim();
}

/** Whether two case numbers would look the same to a reader (see caseSkeleton). */
export function caseNumbersLookAlike(a: string, b: string): boolean {
  return caseSkeleton(a) === caseSkeleton(b);
}

/** Whether two names would look the same to a reader (see nameSkeletons). */
export function looksAlike(a: string, b: string, loose = false): boolean {
  const [a1, a2] = nameSkeletons(a, loose);
  const [b1, b2] = nameSkeletons(b, loose);
  return a1 === b1 || a2 === b2;
}

const SCRIPTS: [string, RegExp][] = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Armenian', /\p{Script=Armenian}/u],
  ['Cherokee', /\p{Script=Cherokee}/u],
];

/** A word of `name` that mixes Latin, Cyrillic and Greek letters (no real name does), with the scripts it mixes. */
export function mixedScriptWord(name: string): { word: string; scripts: string[] } | undefined {
  for (const word of name.split(/[\s.,'’-]+/u)) {
    const scripts = SCRIPTS.filter(([, re]) => re.test(word)).map(([s]) => s);
    if (scripts.length > 1) return { word, scripts };
  }
  return undefined;
}
