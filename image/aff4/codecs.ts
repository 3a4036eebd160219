/**
 * Decoders for the chunks of an AFF4 image stream: snappy (raw, unframed),
 * LZ4 (one raw block), deflate (raw, RFC 1951) and zlib (RFC 1950). Each is
 * bounded by the chunk size the stream declares: a chunk that would expand
 * past it fails without its output being made, so a chunk cannot be a
 * decompression bomb. Snappy and LZ4 are decoded here (each format is a few
 * rules, and owning the decoder is what lets every length and back-reference
 * be checked against the bound); deflate and zlib are node:zlib's.
 */
import { inflateRawUnit, inflateScratchBytes, inflateUnit } from '../inflate.js';

export type ChunkCompression = 'stored' | 'snappy' | 'lz4' | 'deflate' | 'zlib';

/** The compression a stream's `aff4:compressionMethod` names, or undefined for one exhibit does not know. */
export function compressionOf(uri: string | undefined): ChunkCompression | undefined {
  if (uri === undefined) return 'stored';
  const u = uri.replace(/^https?:\/\//, '').replace(/\/+$/, '').toLowerCase();
  if (u === 'code.google.com/p/snappy' || u === 'github.com/google/snappy') return 'snappy';
  if (u === 'code.google.com/p/lz4' || u === 'github.com/lz4/lz4') return 'lz4';
  if (u === 'tools.ietf.org/html/rfc1951' || u === 'www.ietf.org/rfc/rfc1951.txt') return 'deflate';
  if (u === 'www.ietf.org/rfc/rfc1950.txt' || u === 'tools.ietf.org/html/rfc1950') return 'zlib';
  if (/^aff4\.org\/schema#(image\/)?compression\/stored$/.test(u) || u === 'aff4.org/schema#nullcompressor') return 'stored';
  return undefined;
}

export class ChunkDecodeError extends Error {}

const fail = (why: string): never => {
  throw new ChunkDecodeError(why);
};

/** The room `decodeChunk` needs in a scratch buffer for chunks of up to `limit` bytes. */
export const scratchBytes = (limit: number): number => inflateScratchBytes(limit);

/**
 * Decode one chunk of `compression` into at most `limit` bytes; returns the decoded bytes. With
 * `scratch` (scratchBytes(limit) long) they may be decoded into it, for a caller that is done with
 * them before its next call: no buffer is allocated for the chunk.
 */
export function decodeChunk(compression: ChunkCompression, data: Uint8Array, limit: number, scratch?: Buffer): Uint8Array {
  switch (compression) {
    case 'stored':
      if (data.length > limit) fail(`it holds ${data.length} bytes, more than the chunk size ${limit}`);
      return data;
    case 'snappy':
      return snappyDecode(data, limit, scratch);
    case 'lz4':
      return lz4Decode(data, limit, scratch);
    case 'deflate':
    case 'zlib':
      try {
        return compression === 'deflate' ? inflateRawUnit(data, limit, scratch) : inflateUnit(data, limit, scratch);
      } catch (err) {
        const code = (err as { code?: string }).code;
        return fail(code === 'ERR_BUFFER_TOO_LARGE' ? `it inflates past the chunk size ${limit}` : `it does not inflate (${(err as Error).message})`);
      }
  }
}

/** Snappy's raw format: a varint of the decoded length, then literals and back-references. */
export function snappyDecode(src: Uint8Array, limit: number, scratch?: Uint8Array): Uint8Array {
  let pos = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= src.length || shift > 28) fail('its snappy length header is cut short or too long');
    const b = src[pos++]!;
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  if (length > limit) fail(`its snappy header declares ${length} bytes, more than the chunk size ${limit}`);
  const out = scratch && scratch.length >= length ? scratch.subarray(0, length) : new Uint8Array(length);
  let o = 0;
  while (pos < src.length) {
    const tag = src[pos++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const bytes = n - 59;
        if (pos + bytes > src.length) fail('a snappy literal length is cut short');
        n = 0;
        for (let i = 0; i < bytes; i++) n += src[pos + i]! * 2 ** (8 * i);
        pos += bytes;
      }
      n += 1;
      if (pos + n > src.length) fail('a snappy literal runs past the end of the chunk');
      if (o + n > length) fail('a snappy literal runs past the declared length');
      out.set(src.subarray(pos, pos + n), o);
      pos += n;
      o += n;
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      if (pos >= src.length) fail('a snappy copy is cut short');
      n = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | src[pos++]!;
    } else if (kind === 2) {
      if (pos + 2 > src.length) fail('a snappy copy is cut short');
      n = (tag >>> 2) + 1;
      offset = src[pos]! | (src[pos + 1]! << 8);
      pos += 2;
    } else {
      if (pos + 4 > src.length) fail('a snappy copy is cut short');
      n = (tag >>> 2) + 1;
      offset = (src[pos]! | (src[pos + 1]! << 8) | (src[pos + 2]! << 16)) + src[pos + 3]! * 0x1000000;
      pos += 4;
    }
    if (offset === 0 || offset > o) fail(`a snappy copy reaches back ${offset} bytes from byte ${o}`);
    if (o + n > length) fail('a snappy copy runs past the declared length');
    copyWithin(out, o, offset, n);
    o += n;
  }
  if (o !== length) fail(`it decodes to ${o} bytes, its snappy header declares ${length}`);
  return out;
}

/** One LZ4 block (no frame): sequences of literals and matches. */
export function lz4Decode(src: Uint8Array, limit: number, scratch?: Uint8Array): Uint8Array {
  const out = scratch && scratch.length >= limit ? scratch.subarray(0, limit) : new Uint8Array(limit);
  let pos = 0;
  let o = 0;
  const extra = (n: number): number => {
    if (n < 15) return n;
    for (;;) {
      if (pos >= src.length) fail('an LZ4 length is cut short');
      const b = src[pos++]!;
      n += b;
      if (n > limit) fail(`an LZ4 length passes the chunk size ${limit}`);
      if (b !== 255) return n;
    }
  };
  if (src.length === 0) fail('the LZ4 block is empty');
  for (;;) {
    if (pos >= src.length) fail('the LZ4 block is cut short');
    const token = src[pos++]!;
    const lit = extra(token >>> 4);
    if (pos + lit > src.length) fail('an LZ4 literal runs past the end of the chunk');
    if (o + lit > limit) fail(`it decodes past the chunk size ${limit}`);
    out.set(src.subarray(pos, pos + lit), o);
    pos += lit;
    o += lit;
    if (pos === src.length) break; // the last sequence has literals only
    if (pos + 2 > src.length) fail('an LZ4 match offset is cut short');
    const offset = src[pos]! | (src[pos + 1]! << 8);
    pos += 2;
    const n = extra(token & 15) + 4;
    if (offset === 0 || offset > o) fail(`an LZ4 match reaches back ${offset} bytes from byte ${o}`);
    if (o + n > limit) fail(`it decodes past the chunk size ${limit}`);
    copyWithin(out, o, offset, n);
    o += n;
  }
  return out.subarray(0, o);
}

/**
 * Copy `n` bytes from `offset` back. Where the source and the copy overlap (a run), the bytes
 * repeat every `offset`: a run of one byte is a fill, any other is copied in spans that double
 * (each span lies wholly behind where it lands, and the distance stays a multiple of `offset`).
 */
function copyWithin(out: Uint8Array, at: number, offset: number, n: number): void {
  if (offset >= n) {
    out.copyWithin(at, at - offset, at - offset + n);
    return;
  }
  if (offset === 1) {
    out.fill(out[at - 1]!, at, at + n);
    return;
  }
  const from = at - offset;
  for (let done = 0, span = offset; done < n; span *= 2) {
    const k = Math.min(span, n - done);
    out.copyWithin(at + done, from, from + k);
    done += k;
  }
}
