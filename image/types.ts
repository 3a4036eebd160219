/**
 * The contracts every image format implements. A format lives in its own
 * folder (raw/, split-raw/, ...) with a SPEC.md, and passes the conformance
 * suite in image/conformance.test.ts.
 */

export type ImageFormat = 'raw' | 'split-raw' | 'e01' | 'zst';
export const IMAGE_FORMATS: readonly ImageFormat[] = ['raw', 'split-raw', 'e01', 'zst'];

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
  readonly format: ImageFormat;
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

/** Random access to the media of an image. */
export interface ImageReader {
  readonly format: ImageFormat;
  /** Media size in bytes. */
  readonly size: number;
  /** The image's files, in order. */
  readonly files: readonly string[];
  /** Read up to `length` bytes at media `offset` into `into`; returns the count (short only at the end). */
  read(into: Uint8Array, offset: number, length: number): Promise<number>;
  close(): Promise<void>;
}
