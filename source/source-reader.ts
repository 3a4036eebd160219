/**
 * Reading the source, block by block, through read errors.
 *
 * A block is first read whole (fast, buffered). If that fails with a media
 * error, the block is read again in 64 KiB pieces with O_DIRECT (no page cache,
 * so one bad sector does not spoil a whole readahead window), and each piece
 * that fails is read sector by sector, each failing sector up to 1 + retries
 * times. A sector that stays unreadable is filled and mapped; the copy goes on.
 *
 * The source is given up on (and the acquisition stopped, resumable) when the
 * kernel says the device is gone (ENODEV, ENXIO, ENOMEDIUM), when it vanished
 * from sysfs or changed size, or when `maxBadRun` bytes in a row were
 * unreadable: past that, a drive is far more likely unplugged or dead than
 * scratched, and hammering it with retries only wears it further.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { describeSystemError, errnoOf, ExhibitError } from '../core/errors.js';
import { formatBytes } from '../core/units.js';
import { BadSectorMap, type Fill } from './bad-sectors.js';
import type { SourceFacts } from './source.js';

/** Errors that mean "this spot of the medium cannot be read" rather than "the device is gone". */
export const MEDIA_ERRORS: ReadonlySet<string> = new Set(['EIO', 'EILSEQ', 'ENODATA', 'EBADMSG', 'EREMOTEIO', 'ETIMEDOUT', 'EPROTO']);
const GONE_ERRORS = new Set(['ENODEV', 'ENXIO', 'ENOMEDIUM', 'ESHUTDOWN', 'ENOTCONN']);
const PIECE = 64 * 1024;

export interface ReadPolicy {
  retries: number; // extra attempts for a failing sector
  fill: Fill;
  maxBadRun: number; // bytes of consecutive unreadable sectors before giving up; 0: never
}

export class SourceReader {
  readonly bad: BadSectorMap;
  private direct: fsp.FileHandle | undefined;
  private directTried = false;
  private scratch: Buffer | undefined;
  private runStart = -1; // byte offset where the current run of bad sectors began
  private runEnd = -1;

  constructor(
    private readonly handle: fsp.FileHandle,
    private readonly facts: SourceFacts,
    private readonly policy: ReadPolicy,
    bad: BadSectorMap = new BadSectorMap(),
    private readonly openDirect: () => Promise<fsp.FileHandle | undefined> = async () => undefined,
  ) {
    this.bad = bad;
  }

  /** A reader of an opened source that re-reads failing regions of a block device with O_DIRECT. */
  static of(handle: fsp.FileHandle, facts: SourceFacts, policy: ReadPolicy, bad: BadSectorMap = new BadSectorMap()): SourceReader {
    return new SourceReader(handle, facts, policy, bad, async () =>
      facts.kind === 'block-device' ? fsp.open(facts.path, fs.constants.O_RDONLY | fs.constants.O_DIRECT) : undefined,
    );
  }

  private get sectorSize(): number {
    return this.facts.logical_sector_size;
  }

  /** Fill `into` with source bytes from `pos` (fills where unreadable). */
  async read(into: Buffer, pos: number): Promise<void> {
    try {
      await this.readExact(this.handle, into, pos);
      return;
    } catch (err) {
      if (!MEDIA_ERRORS.has(errnoOf(err) ?? '')) throw this.fatal(err, pos);
    }
    await this.salvage(into, pos);
  }

  /** One plain read of the whole block, media errors thrown as they come (--skip-bad's first pass). */
  async readOnce(into: Buffer, pos: number): Promise<void> {
    try {
      await this.readExact(this.handle, into, pos);
    } catch (err) {
      if (MEDIA_ERRORS.has(errnoOf(err) ?? '')) throw err;
      throw this.fatal(err, pos);
    }
  }

  async close(): Promise<void> {
    await this.direct?.close();
    this.direct = undefined;
  }

  private async readExact(h: fsp.FileHandle, into: Buffer, pos: number): Promise<void> {
    let done = 0;
    while (done < into.length) {
      const { bytesRead } = await h.read(into, done, into.length - done, pos + done);
      if (bytesRead === 0) {
        throw new ExhibitError('SOURCE_GONE', `the source ended at byte ${pos + done}, before its size of ${this.facts.size_bytes} bytes; it shrank or was removed`);
      }
      done += bytesRead;
    }
  }

  private fatal(err: unknown, pos: number): ExhibitError {
    if (err instanceof ExhibitError) return err;
    const code = errnoOf(err) ?? '';
    if (GONE_ERRORS.has(code)) {
      return new ExhibitError('SOURCE_GONE', `the source disappeared at byte ${pos} (${describeSystemError(err)}); the acquisition can be resumed once it is back`, { cause: err });
    }
    return new ExhibitError('SOURCE_READ', `reading the source failed at byte ${pos}: ${describeSystemError(err)}`, { cause: err });
  }

  private async directHandle(): Promise<fsp.FileHandle> {
    if (!this.directTried) {
      this.directTried = true;
      this.direct = await this.openDirect().catch(() => undefined);
    }
    return this.direct ?? this.handle;
  }

  /**
   * O_DIRECT needs memory aligned to the sector size, and Node gives no
   * aligned allocations: probe once for an aligned start inside an oversized
   * buffer. The kernel checks alignment before any I/O, so any answer other
   * than EINVAL (data, or EIO from a bad sector) proves the offset good. The
   * probe must be as long as the longest read: short direct reads may pass
   * with memory that a 64 KiB one is refused for.
   */
  private async alignedScratch(h: fsp.FileHandle, pos: number): Promise<Buffer | undefined> {
    if (this.scratch) return this.scratch;
    const ss = this.sectorSize;
    const raw = Buffer.allocUnsafeSlow(PIECE + 4096);
    for (let off = 0; off < 4096; off += 8) {
      try {
        await h.read(raw, off, PIECE, pos - (pos % ss));
      } catch (err) {
        if (errnoOf(err) === 'EINVAL') continue;
        if (!MEDIA_ERRORS.has(errnoOf(err) ?? '')) throw err;
      }
      this.scratch = raw.subarray(off, off + PIECE);
      return this.scratch;
    }
    return undefined;
  }

  private async dropDirect(): Promise<void> {
    await this.direct?.close();
    this.direct = undefined;
  }

  /** A read for the error region: O_DIRECT through an aligned scratch buffer when it works here, else buffered. */
  private async careful(into: Buffer, pos: number): Promise<void> {
    const h = await this.directHandle();
    if (h === this.handle || into.length % this.sectorSize !== 0) {
      await this.readExact(this.handle, into, pos);
      return;
    }
    const scratch = await this.alignedScratch(h, pos);
    if (!scratch) {
      await this.dropDirect(); // O_DIRECT refused at every alignment: buffered for the rest of the run
      await this.readExact(this.handle, into, pos);
      return;
    }
    const view = scratch.subarray(0, into.length);
    try {
      await this.readExact(h, view, pos);
    } catch (err) {
      if (errnoOf(err) !== 'EINVAL') throw err;
      await this.dropDirect();
      await this.readExact(this.handle, into, pos);
      return;
    }
    view.copy(into);
  }

  private async salvage(into: Buffer, pos: number): Promise<void> {
    for (let off = 0; off < into.length; off += PIECE) {
      const piece = into.subarray(off, Math.min(off + PIECE, into.length));
      try {
        await this.careful(piece, pos + off);
        this.runStart = -1;
        continue;
      } catch (err) {
        if (!MEDIA_ERRORS.has(errnoOf(err) ?? '')) throw this.fatal(err, pos + off);
      }
      for (let s = 0; s < piece.length; s += this.sectorSize) {
        await this.readSector(piece.subarray(s, Math.min(s + this.sectorSize, piece.length)), pos + off + s);
      }
    }
  }

  private async readSector(into: Buffer, pos: number): Promise<void> {
    let last: unknown;
    for (let attempt = 0; attempt <= this.policy.retries; attempt++) {
      try {
        await this.careful(into, pos);
        this.runStart = -1;
        return;
      } catch (err) {
        if (!MEDIA_ERRORS.has(errnoOf(err) ?? '')) throw this.fatal(err, pos);
        last = err;
      }
    }
    this.policy.fill.sector.copy(into, 0, 0, into.length);
    this.bad.add(Math.floor(pos / this.sectorSize), 1, errnoOf(last) ?? 'EIO');
    if (this.runStart < 0 || this.runEnd !== pos) this.runStart = pos;
    this.runEnd = pos + into.length;
    this.checkStillThere(pos);
    const run = this.runEnd - this.runStart;
    if (this.policy.maxBadRun > 0 && run >= this.policy.maxBadRun) {
      throw new ExhibitError(
        'SOURCE_GONE',
        `${formatBytes(run)} in a row could not be read (from byte ${this.runStart}); stopped so the drive is not worn further. The acquisition can be resumed`,
        { hints: ['check the cable and the drive, then run the same command again to resume; --max-bad-run sets this limit (0: no limit)'] },
      );
    }
  }

  /** A device that left sysfs or changed size is gone, whatever errno says. */
  private checkStillThere(pos: number): void {
    const d = this.facts.device;
    if (!d) return;
    let size: number | undefined;
    try {
      size = Number(fs.readFileSync(`/sys/class/block/${d.kernel_name}/size`, 'utf8').trim()) * 512;
    } catch {
      size = undefined;
    }
    if (size !== this.facts.size_bytes) {
      throw new ExhibitError('SOURCE_GONE', `the source disappeared at byte ${pos} (the device ${size === undefined ? 'left the system' : `now reports ${size} bytes`}); the acquisition can be resumed once it is back`);
    }
  }
}
