import { describe, expect, it } from 'vitest';
import { canonicalJson, parseCanonical } from './canonical-json.js';

describe('canonical JSON', () => {
  it('sorts keys by code unit at every depth and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
    // Code unit order: upper case before lower case, and U+00E9 after 'z'.
    expect(canonicalJson({ z: 1, Z: 2, é: 3 })).toBe('{"Z":2,"z":1,"é":3}');
  });

  it('escapes strings as JSON does and keeps non-ASCII as UTF-8', () => {
    expect(canonicalJson({ s: 'line\n"quoted"\\ tab\t é ✓ 名' })).toBe('{"s":"line\\n\\"quoted\\"\\\\ tab\\t é ✓ 名"}');
  });

  it('escapes every control character and line terminator, so an entry never holds a raw line break', () => {
    // Checked in a plain loop and asserted once: 196,608 expect() calls cost seconds.
    const wrong: string[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      const code = `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
      const enc = canonicalJson({ [ch]: ch });
      if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(ch) && enc.includes(ch)) wrong.push(`${code}: written raw`);
      const back = JSON.parse(enc) as Record<string, unknown>;
      if (Object.keys(back).length !== 1 || back[ch] !== ch) wrong.push(`${code}: reads back as ${JSON.stringify(back)}`);
      if (!parseCanonical(enc).canonical) wrong.push(`${code}: not canonical`);
    }
    expect(wrong).toEqual([]);
    expect(canonicalJson(['\u2028\u2029\u0085\u007f\u009f'])).toBe('["\\u2028\\u2029\\u0085\\u007f\\u009f"]');
  });

  it('still takes an entry written raw by an exhibit from before that escaping as canonical, and no other spelling', () => {
    expect(parseCanonical('{"s":"a\u2028b\u0085c"}').canonical).toBe(true); // raw, as JSON.stringify writes it
    expect(parseCanonical('{"s":"a\\u2028b\\u0085c"}').canonical).toBe(true); // escaped, as exhibit writes it now
    expect(parseCanonical('{"s":"a\\u2028b\u0085c"}').canonical).toBe(false); // a mixture is neither
    expect(parseCanonical('{"s":"\\u00e9"}').canonical).toBe(false);
  });

  it('leaves out undefined values and refuses what has no single encoding', () => {
    expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
    expect(() => canonicalJson({ x: 1.5 })).toThrow(/integers only.*\$\.x/);
    expect(() => canonicalJson({ x: 2 ** 60 })).toThrow(/integers only/);
    expect(() => canonicalJson({ d: new Date(0) })).toThrow(/plain objects/);
    expect(canonicalJson(-0)).toBe('0');
  });

  it('tells canonical text from the same value written another way', () => {
    expect(parseCanonical('{"a":1,"b":[true,null]}').canonical).toBe(true);
    expect(parseCanonical('{"b":[true,null],"a":1}').canonical).toBe(false);
    expect(parseCanonical('{"a": 1}').canonical).toBe(false);
    expect(parseCanonical('{"a":"\\u0041"}').canonical).toBe(false);
    expect(parseCanonical('{"a":1.0}').canonical).toBe(false);
  });
});
