/**
 * Canonical JSON: the one byte encoding of a value, so that a signature or a
 * hash over it means the same thing to everyone. It is the JSON
 * Canonicalization Scheme (RFC 8785) restricted to what custody entries hold:
 * object keys sorted by UTF-16 code units, no whitespace, strings escaped as
 * JSON.stringify escapes them, and integers only (no fractions or exponents,
 * which is where canonical number formatting gets hard). Keys whose value is
 * `undefined` are left out, as JSON.stringify leaves them out.
 *
 * One departure from RFC 8785: DEL, the C1 controls (U+007F-U+009F, NEL among
 * them) and the line and paragraph separators (U+2028, U+2029) are written as
 * \u escapes too, as JSON.stringify already writes U+0000-U+001F. The custody
 * log holds one entry per line, and these are line terminators to JavaScript,
 * Unicode or some terminals; escaped, no entry can ever hold a raw line
 * terminator of any kind. Text without them is encoded exactly as before.
 */

export type CanonicalValue = string | number | boolean | null | CanonicalValue[] | { [key: string]: CanonicalValue | undefined };

export function canonicalJson(value: unknown): string {
  return encode(value, '$', true);
}

/** What JSON.stringify leaves raw but a line reader or a terminal may take as a break or a control. */
const UNSAFE = /[\u007f-\u009f\u2028\u2029]/g;
const HAS_UNSAFE = /[\u007f-\u009f\u2028\u2029]/;

function quote(s: string, escapeUnsafe: boolean): string {
  const json = JSON.stringify(s);
  return escapeUnsafe ? json.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
}

/** `escapeUnsafe` false gives the encoding of exhibit before the escaping above, kept only to recognise entries it wrote. */
function encode(value: unknown, where: string, escapeUnsafe: boolean): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return quote(value, escapeUnsafe);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TypeError(`canonical JSON holds integers only; ${where} is ${value}`);
      return Object.is(value, -0) ? '0' : String(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v, i) => encode(v, `${where}[${i}]`, escapeUnsafe)).join(',')}]`;
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new TypeError(`canonical JSON holds plain objects only; ${where} is not one`);
      const parts: string[] = [];
      for (const key of Object.keys(value).sort()) {
        const v = (value as Record<string, unknown>)[key];
        if (v === undefined) continue;
        parts.push(`${quote(key, escapeUnsafe)}:${encode(v, `${where}.${key}`, escapeUnsafe)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot hold ${typeof value} (at ${where})`);
  }
}

/**
 * Parse `text` and report whether it is exactly the canonical encoding of what it holds. Text that
 * holds one of the characters above raw is canonical when it is exactly what exhibit wrote before
 * it escaped them: those entries were signed so, and their bytes must still check.
 */
export function parseCanonical(text: string): { value: unknown; canonical: boolean } {
  const value = JSON.parse(text) as unknown;
  try {
    if (encode(value, '$', true) === text) return { value, canonical: true };
    return { value, canonical: HAS_UNSAFE.test(text) && encode(value, '$', false) === text };
  } catch {
    return { value, canonical: false };
  }
}
