/**
 * What the EWF reader builds as it opens an image: the segment files and
 * their sections, the groups of chunks the tables list, and the state an
 * unfinished image is reopened from. Shared by the opener (opener.ts,
 * walk.ts, section-contents.ts, tables.ts) and the chunk reading
 * (chunk-store.ts).
 */
import type fsp from 'node:fs/promises';
import { describeSystemError } from '../../core/errors.js';
import { TABLE_OFFSET_MASK } from './layout.js';
import { type ErrorRange, type EwfVolume, invalid } from './sections.js';

/** A section as walked: `size` is the effective size, descriptor included. */
export interface Section {
  type: string;
  offset: number;
  size: number;
  next: number;
}

export interface Segment {
  path: string;
  handle: fsp.FileHandle;
  size: number;
  sections: Section[];
  /** The bytes of the last `readMeta` window (opening only). */
  window?: { start: number; bytes: Buffer };
}

/** The chunks one table lists, all in one segment file. */
export interface ChunkGroup {
  segment: number;
  firstChunk: number;
  base: number;
  entries: Uint32Array;
  /** From this entry on the offsets use all 32 bits and the chunks are stored raw (EnCase 6.7.1 beyond 2 GiB). */
  overflowFrom: number;
  /** Where the last chunk's stored bytes end: the end of the section that holds the chunks. */
  end: number;
}

/** Where the stored bytes of entry `j` of a group begin. */
export function entryOffset(g: ChunkGroup, j: number): number {
  const raw = g.entries[j]!;
  return g.base + (j >= g.overflowFrom ? raw : raw & TABLE_OFFSET_MASK);
}

/** Everything the opener hands the reader. */
export interface Opened {
  segments: Segment[];
  groups: ChunkGroup[];
  volume: EwfVolume;
  partialChunks?: number; // an unfinished image: the chunks it holds so far
  mediaChunks?: number; // fewer than the volume declares: the chunks after these hold no media (see finish)
  header: Record<string, string>;
  headerSection: 'header2' | 'header' | undefined;
  storedHashes: { md5?: string; sha1?: string; sha256?: string };
  errors: ErrorRange[];
  warnings: string[];
  /** Those of `warnings` that say the segments are damaged (OpenedByFormat.damaged). */
  damaged: string[];
}

/** What the opener gathers while it walks the segments, in the order it meets it. */
export interface Gathered {
  readonly segments: Segment[];
  readonly groups: ChunkGroup[];
  readonly warnings: string[];
  /** Those of `warnings` that say a segment is damaged. */
  readonly damaged: string[];
  readonly errors: ErrorRange[];
  volume: { v: EwfVolume; where: string } | undefined;
  header2: Record<string, string> | undefined;
  header: Record<string, string> | undefined;
  hashes: { source: string; md5?: string; sha1?: string; sha256?: string }[];
  /** Chunks listed by the groups so far. */
  chunks: number;
}

/** Remark that a segment is damaged, though the opener worked around it: a warning that verify fails on. */
export function damaged(g: Gathered, text: string): void {
  g.warnings.push(text);
  g.damaged.push(text);
}

/** A table or table2 as read: its entries, or why it does not hold. */
export interface TableCopy {
  section: Section;
  index: number; // in the segment's section list
  base: number;
  entries: Uint32Array | undefined;
  damage: string | undefined;
}

/** An unfinished image at a safe point: what EwfWriter records in the resume journal. */
export interface EwfPartialState {
  set_id: string; // hex
  segments: { name: string; size: number }[]; // sizes at the safe point; the last is still open
  group?: { base: number; entries: number[] }; // the open group in the last segment
  chunks: number; // chunks laid down in all
  chunks_in_segment?: number; // of those, in the last segment
}

/** Metadata sections (header text, volume, tables, hashes) are small; a larger one is damage. */
export const MAX_METADATA = 64 * 1024 * 1024;

/**
 * A segment's structures (descriptors, header, volume, table headers, small tables) are read
 * through a window of this many bytes, so the small sections at a segment's start and end cost
 * one read each, not one per structure: opening an image of many segments waits on a few reads
 * per segment.
 */
const META_WINDOW = 64 * 1024;

/**
 * `length` bytes of segment `seg` at `position`, as `readAt` gives them (and with its errors), from
 * the segment's window when they are in it, else from a new window read there. Bytes past the
 * segment's size (an unfinished image's safe point) are never taken into a window.
 */
export async function readMeta(seg: Segment, position: number, length: number, where: string): Promise<Buffer> {
  const w = seg.window;
  if (w && position >= w.start && position + length <= w.start + w.bytes.length) return w.bytes.subarray(position - w.start, position - w.start + length);
  const want = Math.min(META_WINDOW, seg.size - position);
  if (length < META_WINDOW && want >= length) {
    const b = Buffer.allocUnsafe(want);
    const n = await seg.handle.read(b, 0, want, position).then(
      (r) => r.bytesRead,
      () => 0, // readAt below says what went wrong
    );
    if (n >= length) {
      seg.window = { start: position, bytes: b.subarray(0, n) };
      return seg.window.bytes.subarray(0, length);
    }
  }
  return readAt(seg.handle, position, length, where);
}

/** `length` bytes at `position`, all of them, or an IMAGE_INVALID error naming `where`. */
export async function readAt(handle: fsp.FileHandle, position: number, length: number, where: string): Promise<Buffer> {
  return readInto(handle, Buffer.allocUnsafe(length), position, length, where);
}

/** As readAt, into the start of `b` (at least `length` bytes); returns `b`'s first `length` bytes. */
export async function readInto(handle: fsp.FileHandle, b: Buffer, position: number, length: number, where: string): Promise<Buffer> {
  let got = 0;
  while (got < length) {
    let n: number;
    try {
      ({ bytesRead: n } = await handle.read(b, got, length - got, position + got));
    } catch (err) {
      throw invalid(where, `reading failed: ${describeSystemError(err)}`, err);
    }
    if (n === 0) throw invalid(where, `cut short: the file ends after ${got} of ${length} bytes`);
    got += n;
  }
  return b.length === length ? b : b.subarray(0, length);
}
