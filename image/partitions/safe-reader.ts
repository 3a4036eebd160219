import type { Findings } from './findings.js';
import type { ByteSource } from './types.js';

/** What an exception says, without trusting it to be an Error (or to stringify without throwing). */
export function describeError(err: unknown): string {
  try {
    if (err instanceof Error) return err.message || err.name;
    return String(err);
  } catch {
    return 'an unprintable error';
  }
}

/**
 * Reads from a ByteSource that may throw, return short counts or return
 * nonsense, and turns each of those into a finding instead of an exception.
 */
export class SafeReader {
  constructor(
    private readonly src: ByteSource,
    /** The usable size in bytes (already checked to be a safe, non-negative integer). */
    readonly size: number,
    readonly sectorSize: number,
    private readonly findings: Findings,
  ) {}

  /**
   * Up to `length` bytes at `offset`: fewer where the image ends or a read
   * fails (a failure gives a finding naming `what`), undefined when nothing
   * could be read at all.
   */
  async upTo(offset: number, length: number, what: string): Promise<Uint8Array | undefined> {
    const { data } = await this.attempt(offset, length, what);
    return data.length > 0 ? data : undefined;
  }

  private async attempt(offset: number, length: number, what: string): Promise<{ data: Uint8Array; failed: boolean }> {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= this.size || length <= 0) return { data: new Uint8Array(0), failed: false };
    const want = Math.min(length, this.size - offset);
    const buf = new Uint8Array(want);
    let got = 0;
    while (got < want) {
      let n: unknown;
      try {
        n = await this.src.read(buf.subarray(got), offset + got, want - got);
      } catch (err) {
        this.findings.error(`reading ${what} (${want - got} bytes at byte ${offset + got}) failed: ${describeError(err)}`);
        return { data: buf.subarray(0, got), failed: true };
      }
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > want - got) {
        this.findings.error(`reading ${what} (${want - got} bytes at byte ${offset + got}): the source returned an impossible byte count (${describeError(n)})`);
        return { data: buf.subarray(0, got), failed: true };
      }
      if (n === 0) break;
      got += n;
    }
    return { data: buf.subarray(0, got), failed: false };
  }

  /** Exactly `length` bytes at `offset`, or undefined with a finding saying why not. */
  async exact(offset: number, length: number, what: string): Promise<Uint8Array | undefined> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(offset + length)) {
      this.findings.error(`${what} would lie at byte ${offset}, which cannot be read`);
      return undefined;
    }
    if (offset + length > this.size) {
      this.findings.error(`${what} (bytes ${offset} to ${offset + length - 1}) lies past the end of the image (${this.size} bytes): the image may be truncated`);
      return undefined;
    }
    const { data, failed } = await this.attempt(offset, length, what);
    if (data.length < length) {
      if (!failed) this.findings.error(`${what}: the source gave only ${data.length} of ${length} bytes at byte ${offset} (a short read)`);
      return undefined;
    }
    return data;
  }

  /** `count` whole sectors from `lba`, or undefined with a finding. */
  sectors(lba: number, count: number, what: string): Promise<Uint8Array | undefined> {
    return this.exact(lba * this.sectorSize, count * this.sectorSize, what);
  }
}
