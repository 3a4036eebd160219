/**
 * Inflating one stored unit (an E01 or Ex01 chunk, an AFF4 chunk) of at most
 * `limit` bytes. Node's zlib gathers its output in 16 KiB pieces and joins
 * them, so a 32 KiB chunk cost two output buffers and a copy; an output buffer
 * that holds the whole unit (and a little more, so that a stream longer than
 * `limit` is still caught) makes it one buffer and no copy, about 3x faster
 * for a well-compressed chunk. Errors are zlib's own (ERR_BUFFER_TOO_LARGE past
 * `limit`), as with inflateSync.
 */
import zlib from 'node:zlib';

/** Units larger than this keep zlib's own output pieces (a header text, say). */
const WHOLE_UNIT_MAX = 4 * 1024 * 1024;

function options(limit: number): zlib.ZlibOptions {
  const max = Math.max(1, limit);
  return max <= WHOLE_UNIT_MAX ? { maxOutputLength: max, chunkSize: Math.max(64, max + 64) } : { maxOutputLength: max };
}

/** A zlib stream (RFC 1950) inflated to at most `limit` bytes. */
export function inflateUnit(stored: Uint8Array, limit: number): Buffer {
  return zlib.inflateSync(stored, options(limit));
}

/** A raw deflate stream (RFC 1951) inflated to at most `limit` bytes. */
export function inflateRawUnit(stored: Uint8Array, limit: number): Buffer {
  return zlib.inflateRawSync(stored, options(limit));
}
