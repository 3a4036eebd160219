/**
 * The contracts every image format implements. A format lives in its own
 * folder (raw/, split-raw/, ...) with a SPEC.md, and passes the conformance
 * suite in image/conformance.test.ts.
 */

import type { Digests, HashAlgorithm } from '../core/crypto.js';
import type { DigestJob, EmittedSegment } from '../core/hash-plan.js';
import type { Compression } from './ewf/chunk-codec.js';
import type { MediaType } from './ewf/layout.js';
import type { FormatName, ReadableFormatName } from './registry.js';

export type { FormatName, ReadableFormatName };

/** Format settings as the journal and the record keep them (one shape for every format). */
export interface FormatSettings {
  format: FormatName;
  segment_size?: number;
  ewf?: { compression: Compression; chunk_sectors: number; media_type?: MediaType };
  zstd?: { level: number; frame_size: number };
}

/** The case facts a writer with its own metadata fields (E01) stores. */
export interface WriterFacts {
  case: string;
  evidence: string;
  examiner: string;
  description?: string;
  notes?: string;
  model?: string;
  serial?: string;
  removable?: boolean;
  /** The media type another E01 gives (optical, memory), carried into a converted E01; else from `removable`. */
  mediaType?: 'removable' | 'fixed' | 'optical' | 'memory';
  physical: boolean;
  acquired: Date;
}

/** What a writer is made from. */
export interface WriterRequest {
  dir: string;
  base: string;
  settings: FormatSettings;
  mediaBytes: number;
  sectorSize: number;
  facts: WriterFacts;
  version: string;
  threads?: number;
  /** Write each file under `<name>.partial`; the caller gives the files their names once checked (`publishStaged`). */
  staged?: boolean;
}

/** Case facts an image carries in its own fields (an E01's header), as the image gives them. */
export interface ImageCaseFacts {
  case?: string;
  evidence?: string;
  examiner?: string;
  description?: string;
  notes?: string;
  model?: string;
  serial?: string;
  /** The image says the media was removable. */
  removable: boolean;
  /** The media type the image gives, when it gives one exhibit knows (E01: removable, fixed, optical, memory). */
  mediaType?: 'removable' | 'fixed' | 'optical' | 'memory';
  /** The image says it was taken from a physical device (not a partition or a file). */
  physical: boolean;
}

/** A range of sectors the acquiring tool could not read, as the image lists it. */
export interface ImageErrorRange {
  first_sector: number;
  sectors: number;
  /** Why, when the image or the map beside it says more than "unreadable" (a ddrescue map's area never tried). */
  error?: string;
}

/** The unit an image's integrity is checked by: E01 chunks, zstd frames, raw ranges. */
export type IntegrityUnitKind = 'chunk' | 'frame' | 'range';

/**
 * One integrity unit as read: its media bytes, or why it could not be read (`bytes` from `start`,
 * given as zeros). `damagedFrom`, when before `start`, is where the damaged unit really begins: a
 * unit streamed in pieces whose check failed only at its end had its first pieces given already.
 * `continues` marks a further piece of the unit before it (counted once).
 */
/**
 * How a walk of the units may hand its bytes over: `room` gives the place the next bytes are
 * wanted in (a hashing ring's, see core/hash-stream.ts); a reader that decodes or reads a unit
 * there and yields a view of exactly that place spares its caller a copy. Readers may ignore it.
 */
export interface UnitsOptions {
  room?: () => Uint8Array | undefined;
}

export type ScannedUnit =
  | { start: number; data: Uint8Array; continues?: true }
  | { start: number; bytes: number; file: string; index: number; error: unknown; damagedFrom?: number };

/** What a writer may store when it seals the image: hashes of the media, unreadable sectors. */
export interface SealInfo {
  md5?: string;
  sha1?: string;
  unreadable?: { first_sector: number; sectors: number }[];
}

/** One file of an image as it stands on disk once written. */
export interface ImageFile {
  name: string; // file name within the output folder
  size: number; // bytes
  sha256?: string; // of the file's bytes, when known
}

/**
 * How the files of an image map onto the media.
 * - `slices`: files hold consecutive media bytes verbatim, each `segmentSize`
 *   long but the last (null: one file holds everything). The pipeline can then
 *   digest each file in-stream from the media bytes.
 * - `container`: files hold an encoded form (compression, metadata); the
 *   writer digests its own output.
 */
export type MediaLayout = { kind: 'slices'; segmentSize: number | null } | { kind: 'container' };

/**
 * Writes media bytes, in order, into image files.
 *
 * Contract:
 * - Files are created lazily on the first byte and exclusively (O_EXCL): a
 *   writer never replaces an existing file.
 * - `write` receives consecutive media bytes; the writer must not keep a
 *   reference to `data` after its promise settles (the buffer is reused).
 * - `finish` flushes and fsyncs every file, and only then resolves: a resolved
 *   finish means the image is durable and complete.
 * - `close` (after a failure or interruption) fsyncs and closes what exists
 *   without declaring it complete; the files stay for a later resume.
 */
export interface ImageWriter {
  readonly format: FormatName;
  readonly layout: MediaLayout;
  /** Every file name this writer would create for `mediaSize` bytes, for refusing before reading. */
  plannedFiles(mediaSize: number): string[];
  write(data: Uint8Array): Promise<void>;
  /**
   * A safe point: make what was written durable and resolve with how many
   * media bytes the image now holds on stable storage (all of them for raw;
   * whole chunks for a chunked format, the rest stays buffered).
   */
  sync(): Promise<number>;
  /** Format-specific facts a later resume needs (with `sync`'s byte count), for the journal; undefined if none. */
  resumeState(): unknown;
  /**
   * Continue an image of which the first `mediaBytes` were made durable by an
   * earlier run (at a safe point, described by `state`): adopt those files,
   * trim whatever was written after that point, and append from there. Call
   * before any write.
   */
  resume(mediaBytes: number, state?: unknown): Promise<void>;
  finish(seal?: SealInfo): Promise<ImageFile[]>;
  close(): Promise<ImageFile[]>;
}

/** One value an image stores about itself, and what exhibit computed for it. */
export interface StoredCheck {
  /** What the value is of, in words: "the block map hash", "image stream aff4://... (linear)". */
  subject: string;
  /** The stored value, in words: "the SHA-512 block map hash stored in the image". */
  against: string;
  algorithm: string;
  expected: string;
  computed: string;
  equal: boolean;
}

export interface StoredCheckOptions {
  signal?: AbortSignal;
  inline?: boolean;
  /**
   * A pass over the image of its own, after the media walk has ended (an AFF4 stream checked again,
   * chunk by chunk, to locate damage): its label and bytes; returns what to call with the bytes done.
   */
  onPass?: (label: string, bytes: number) => (done: number) => void;
  /**
   * The media walk running alongside (verify): the algorithms it hashes the media with and the
   * digests it will give. A stored hash of a stream that is the whole media, byte for byte, is
   * compared with these instead of hashing the same bytes a second time.
   */
  media?: { algorithms: readonly HashAlgorithm[]; hashes: Promise<Digests> };
}

/** The outcome of `checkStored`: every stored value compared, and the damage located on the way. */
export interface StoredIntegrity {
  checks: StoredCheck[];
  problems: string[];
  /** How a check was made, where that is not the plain recomputation its entry suggests. */
  notes: string[];
  /**
   * Whether the checks, together, vouch for the media as it is assembled (every stream it reads from
   * is checked, and the map that assembles it, unless the media is one stream whole): false when the
   * stored values cover only parts (a stream's hashes, while the map that places it is unchecked).
   */
  coversMedia?: boolean;
}

/** Random access to the media of an image. */
export interface ImageReader {
  readonly format: ReadableFormatName;
  /** Media size in bytes. */
  readonly size: number;
  /** The image's files, in order. */
  readonly files: readonly string[];
  /** Remarks made while opening (a damage worked around, a file ignored). */
  readonly warnings: readonly string[];
  /** Bytes per sector, when the format says (E01); undefined when it does not. */
  readonly sectorSize: number | undefined;
  /** Linear hashes of the media the image stores itself (E01: MD5, SHA-1; AFF4: any of MD5, SHA-1, SHA-256, SHA-512); empty when none. */
  readonly storedHashes: Readonly<Digests>;
  /** Case facts the image stores (an E01's header); undefined when the format has none. */
  readonly caseFacts: ImageCaseFacts | undefined;
  /** Sector ranges the image lists as unreadable at acquisition. */
  readonly errorRanges: readonly ImageErrorRange[];
  /** Where `errorRanges` come from, when not from the image itself (a ddrescue mapfile beside raw media). */
  readonly errorRangesFrom?: string;
  /** What `units()` yields: chunks, frames or ranges. */
  readonly unitKind: IntegrityUnitKind;
  /**
   * Media bytes in one unit that is decoded whole (an E01 chunk, a zstd frame: the first, which
   * every other but the last matches when exhibit wrote it); undefined when any byte range is
   * read as it is stored (raw). A cache of decoded media keeps blocks of this size.
   */
  readonly unitBytes: number | undefined;
  /**
   * True when the media can only be read well in order (a plain zstd file with frames too large to
   * decode whole): each read going back costs up to a frame's decompression, so a mount refuses it.
   */
  readonly sequentialOnly?: boolean;
  /**
   * Every integrity unit in media order, each checked as the format allows (chunk checksum,
   * frame checksum, a read that succeeds); a damaged one is yielded with its error, and the walk
   * goes on. The data may live in a buffer reused by the next unit.
   */
  units(o?: UnitsOptions): AsyncGenerator<ScannedUnit>;
  /**
   * Digests of the media the reader wants from a walk that hashes it (AFF4: the block hash of each
   * chunk of a stream that is the whole media, on the hashing threads rather than the thread that
   * decodes): asked for once before the walk; the jobs are `emit` jobs, whose digests are given to
   * `segments` as they are made, in no set order.
   */
  walkDigests?(): { jobs: DigestJob[]; segments(s: readonly EmittedSegment[]): void } | undefined;
  /**
   * Check, in full, whatever else the image stores to prove itself (AFF4: block hashes, map
   * hashes, image stream hashes, the block map hash); absent for formats whose checks are all
   * in `units()` and `storedHashes`.
   */
  checkStored?(o: StoredCheckOptions): Promise<StoredIntegrity>;
  /** Read up to `length` bytes at media `offset` into `into`; returns the count (short only at the end). */
  read(into: Uint8Array, offset: number, length: number): Promise<number>;
  close(): Promise<void>;
}
