import { describe, expect, it } from 'vitest';
import { canonicalJson, parseCanonical } from './canonical-json.js';

describe('canonical JSON', () => {
  it('sorts keys by code unit at every depth and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
    // Code unit order: upper case before lower case, and U+00E9 after 'z'.
    expect(canonicalJson({ z: 1, Z: 2, é: 3 })).toBe('{"Z":2,"z":1,"é":3}');
  });

  it('escapes strings as JSON does and keeps non-ASCII as UTF-8', () => {
    expect(canonicalJson({ s: 'line\n"quoted"\\ tab\t é \u2028' })).toBe('{"s":"line\\n\\"quoted\\"\\\\ tab\\t é \u2028"}');
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
