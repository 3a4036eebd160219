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

/** The parts of a zlib engine's native handle that one inflate, and a reset for the next, take. */
interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOffset: number, inLength: number, out: Uint8Array, outOffset: number, outLength: number): void;
  reset(): void;
  onerror: (message: string, errno: number) => void;
}

/**
 * One zlib engine kept for unit after unit, reset between them. inflateSync makes a new engine for
 * every call (its state and its 32 KiB window allocated and set up each time): for a 32 KiB chunk
 * that is most of the cost, some 15-20 times the inflating itself. Node documents no synchronous
 * call on a kept engine, so this one drives the engine's native handle as inflateSync does
 * internally, and takes its result only in the plain case: no error, all the input used, the output
 * room not filled (so the stream ended: zlib reports a stream cut short as an error). Anything else
 * (a damaged unit, a longer stream, bytes after its end) and any sign that this Node's engine is not
 * the one expected, and the unit is inflated again by inflateSync, whose result or error stands:
 * the fast path can only ever give the bytes inflateSync gives.
 */
class KeptEngine {
  private engine: zlib.Inflate | zlib.InflateRaw | undefined;
  private handle: ZlibHandle | undefined;
  private state: Uint32Array | undefined;
  private error = false;
  private broken = false;

  constructor(private readonly make: () => zlib.Inflate | zlib.InflateRaw) {}

  /** The unit (in `into` when given), or undefined when the usual inflateSync must say. */
  inflate(stored: Uint8Array, limit: number, into?: Buffer): Buffer | undefined {
    if (this.broken || limit > WHOLE_UNIT_MAX || (!this.handle && !this.open())) return undefined;
    // Room past the limit: a longer stream shows as more output.
    const out = into && into.length >= limit + 64 ? into.subarray(0, limit + 64) : Buffer.allocUnsafe(limit + 64);
    this.error = false;
    try {
      this.handle!.writeSync(zlib.constants.Z_FINISH, stored, 0, stored.length, out, 0, out.length);
      const [availOut, availIn] = this.state!;
      const n = out.length - availOut!;
      const plain = !this.error && availIn === 0 && availOut! > 0 && n <= limit;
      this.handle!.reset();
      return plain ? out.subarray(0, n) : undefined;
    } catch {
      this.drop();
      return undefined;
    }
  }

  private open(): boolean {
    try {
      const engine = this.make();
      const internals = engine as unknown as { _handle?: Partial<ZlibHandle>; _writeState?: unknown };
      const h = internals._handle;
      if (!h || typeof h.writeSync !== 'function' || typeof h.reset !== 'function' || !(internals._writeState instanceof Uint32Array) || internals._writeState.length < 2) {
        this.broken = true; // not the engine this was written for: inflateSync only, from now on
        return false;
      }
      h.onerror = () => {
        this.error = true;
      };
      this.engine = engine;
      this.handle = h as ZlibHandle;
      this.state = internals._writeState;
      // A first unit whose answer is known: an engine that gives anything else is not used.
      const sample = Buffer.from('exhibit checks its kept zlib engine once before using it. '.repeat(40));
      const stored = engine instanceof zlib.InflateRaw ? zlib.deflateRawSync(sample) : zlib.deflateSync(sample);
      const got = this.inflate(stored, sample.length);
      if (!got || !got.equals(sample)) {
        this.drop();
        this.broken = true;
        return false;
      }
      return true;
    } catch {
      this.broken = true;
      return false;
    }
  }

  /** Forget an engine that threw: the next unit gets a new one. */
  private drop(): void {
    try {
      this.engine?.close();
    } catch {
      // already unusable
    }
    this.engine = undefined;
    this.handle = undefined;
    this.state = undefined;
  }

  /** Whether units go through the kept engine (false once it was found not to be the engine expected). */
  get inUse(): boolean {
    return !this.broken && (this.handle !== undefined || this.open());
  }
}

const zlibEngine = new KeptEngine(() => zlib.createInflate());
const rawEngine = new KeptEngine(() => zlib.createInflateRaw());

/**
 * A zlib stream (RFC 1950) inflated to at most `limit` bytes. With `scratch` (at least `limit` + 64
 * bytes), the bytes may be inflated into it, for a caller that copies them out before the next call:
 * no buffer is allocated for the unit.
 */
export function inflateUnit(stored: Uint8Array, limit: number, scratch?: Buffer): Buffer {
  return zlibEngine.inflate(stored, limit, scratch) ?? zlib.inflateSync(stored, options(limit));
}

/** The room `inflateUnit` needs in a scratch buffer for units of up to `limit` bytes. */
export const inflateScratchBytes = (limit: number): number => limit + 64;

/** Whether this thread inflates through kept engines (zlib and raw deflate), as on the Node exhibit was written for. */
export function keptEnginesInUse(): boolean {
  return zlibEngine.inUse && rawEngine.inUse;
}

/** A raw deflate stream (RFC 1951) inflated to at most `limit` bytes; `scratch` as for inflateUnit. */
export function inflateRawUnit(stored: Uint8Array, limit: number, scratch?: Buffer): Buffer {
  return rawEngine.inflate(stored, limit, scratch) ?? zlib.inflateRawSync(stored, options(limit));
}
