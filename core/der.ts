/**
 * A small, strict DER reader and the few writers an RFC 3161 request needs. Every length is checked
 * against the bytes that hold it; indefinite lengths, long-form lengths that could be short, and
 * tags past one byte are refused (DER allows none of them in what exhibit reads). Nothing here
 * throws anything but DerError.
 */
export class DerError extends Error {}

export interface Der {
  tag: number; // the identifier octet: class, constructed bit and number
  start: number; // offset of the identifier octet in `buf`
  headerLength: number;
  length: number; // of the contents
  buf: Uint8Array;
}

export const TAG = { BOOLEAN: 0x01, INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, NULL: 0x05, OID: 0x06, UTF8: 0x0c, SEQUENCE: 0x30, SET: 0x31, GENERALIZED_TIME: 0x18 } as const;

/** The contents of an element. */
export function contents(d: Der): Uint8Array {
  return d.buf.subarray(d.start + d.headerLength, d.start + d.headerLength + d.length);
}

/** The whole element, header included (what a signature or a hash covers). */
export function whole(d: Der): Uint8Array {
  return d.buf.subarray(d.start, d.start + d.headerLength + d.length);
}

/** Read one element at `offset` of `buf`, within `end`. */
export function readDer(buf: Uint8Array, offset = 0, end = buf.length): Der {
  if (offset + 2 > end) throw new DerError('truncated element');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not used here');
  let len = buf[offset + 1]!;
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new DerError('indefinite length is not DER');
    if (n > 4) throw new DerError('length too large');
    if (offset + 2 + n > end) throw new DerError('truncated length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[offset + 2 + i]!;
    if (len < 0x80 || buf[offset + 2] === 0) throw new DerError('length not in its shortest form');
    header += n;
  }
  if (offset + header + len > end) throw new DerError('element longer than what holds it');
  return { tag, start: offset, headerLength: header, length: len, buf };
}

/** Parse `buf` as exactly one element. */
export function parseDer(buf: Uint8Array): Der {
  const d = readDer(buf);
  if (d.headerLength + d.length !== buf.length) throw new DerError('bytes after the element');
  return d;
}

/** The elements inside a constructed one. */
export function children(d: Der): Der[] {
  if ((d.tag & 0x20) === 0) throw new DerError('not a constructed element');
  const out: Der[] = [];
  let at = d.start + d.headerLength;
  const end = at + d.length;
  while (at < end) {
    const c = readDer(d.buf, at, end);
    out.push(c);
    at = c.start + c.headerLength + c.length;
  }
  return out;
}

/** `d` must have this tag; returns it. */
export function expectTag(d: Der | undefined, tag: number, what: string): Der {
  if (!d || d.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found ${d ? `0x${d.tag.toString(16)}` : 'nothing'}`);
  return d;
}

export function readOid(d: Der): string {
  const b = contents(expectTag(d, TAG.OID, 'object identifier'));
  if (b.length === 0) throw new DerError('empty object identifier');
  const parts: number[] = [];
  let v = 0;
  for (let i = 0; i < b.length; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) throw new DerError('object identifier too large');
    if ((b[i]! & 0x80) === 0) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    } else if (i === b.length - 1) throw new DerError('object identifier cut short');
  }
  return parts.join('.');
}

/** An INTEGER's contents as unsigned hex (its sign byte dropped), for serials and nonces. */
export function readIntegerHex(d: Der): string {
  const b = contents(expectTag(d, TAG.INTEGER, 'integer'));
  if (b.length === 0) throw new DerError('empty integer');
  return Buffer.from(b).toString('hex').replace(/^(00)+(?=.)/, '') || '0';
}

export function readSmallInteger(d: Der): number {
  const hex = readIntegerHex(d);
  if (hex.length > 12) throw new DerError('integer too large');
  return parseInt(hex, 16);
}

/** GeneralizedTime (YYYYMMDDHHMMSS[.f]Z) as a Date. */
export function readGeneralizedTime(d: Der): Date {
  const s = Buffer.from(contents(expectTag(d, TAG.GENERALIZED_TIME, 'time'))).toString('latin1');
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d{1,9})?Z$/.exec(s);
  if (!m) throw new DerError(`not a UTC GeneralizedTime: ${JSON.stringify(s)}`);
  const ms = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms);
  if (!Number.isFinite(t)) throw new DerError('not a time');
  return new Date(t);
}

// --- Writing: only what a time-stamp request needs. ---

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

export function derElement(tag: number, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag, ...lengthBytes(body.length)]), body]);
}

export function derSequence(...items: Uint8Array[]): Buffer {
  return derElement(TAG.SEQUENCE, Buffer.concat(items));
}

export function derOid(oid: string): Buffer {
  const p = oid.split('.').map(Number);
  const bytes: number[] = [];
  for (const v of [p[0]! * 40 + p[1]!, ...p.slice(2)]) { // the first two arcs share one subidentifier
    const chunk: number[] = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) chunk.unshift((x & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return derElement(TAG.OID, Buffer.from(bytes));
}

/** A non-negative INTEGER from unsigned big-endian bytes. */
export function derUnsignedInteger(bytes: Uint8Array): Buffer {
  let b = Buffer.from(bytes);
  while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1);
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return derElement(TAG.INTEGER, b);
}
