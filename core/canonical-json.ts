/**
 * Canonical JSON: the one byte encoding of a value, so that a signature or a
 * hash over it means the same thing to everyone. It is the JSON
 * Canonicalization Scheme (RFC 8785) restricted to what custody entries hold:
 * object keys sorted by UTF-16 code units, no whitespace, strings escaped as
 * JSON.stringify escapes them, and integers only (no fractions or exponents,
 * which is where canonical number formatting gets hard). Keys whose value is
 * `undefined` are left out, as JSON.stringify leaves them out.
 */

export type CanonicalValue = string | number | boolean | null | CanonicalValue[] | { [key: string]: CanonicalValue | undefined };

export function canonicalJson(value: unknown): string {
  return encode(value, '$');
}

function encode(value: unknown, where: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TypeError(`canonical JSON holds integers only; ${where} is ${value}`);
      return Object.is(value, -0) ? '0' : String(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v, i) => encode(v, `${where}[${i}]`)).join(',')}]`;
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new TypeError(`canonical JSON holds plain objects only; ${where} is not one`);
      const parts: string[] = [];
      for (const key of Object.keys(value).sort()) {
        const v = (value as Record<string, unknown>)[key];
        if (v === undefined) continue;
        parts.push(`${JSON.stringify(key)}:${encode(v, `${where}.${key}`)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot hold ${typeof value} (at ${where})`);
  }
}

/** Parse `text` and report whether it is exactly the canonical encoding of what it holds. */
export function parseCanonical(text: string): { value: unknown; canonical: boolean } {
  const value = JSON.parse(text) as unknown;
  let again: string;
  try {
    again = canonicalJson(value);
  } catch {
    return { value, canonical: false };
  }
  return { value, canonical: again === text };
}
