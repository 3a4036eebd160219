/**
 * What a format declares about itself: one object per format folder
 * (image/<format>/index.ts), gathered in image/registry.ts. Nothing outside
 * image/ names a format's classes: it asks the registry.
 */
import type { HashAlgorithm } from '../core/crypto.js';
import type { Compression } from './ewf/chunk-codec.js';
import type { FormatSettings, ImageReader, ImageWriter, WriterRequest } from './types.js';

/** An image as opened: its reader, and what the format had to say while opening it. */
export interface OpenedByFormat {
  reader: ImageReader;
  warnings: string[];
  /**
   * Those of `warnings` that say the files are not as written, though the reader worked around it
   * (a damaged table whose copy holds, a lost seek table): verify fails the image on them. Set by
   * the code that found the damage, never inferred from a warning's words (they can quote the image).
   */
  damaged?: string[];
}

/** A format's options and their defaults (the command line shows these). */
export interface FormatOptionDefaults {
  /** Segment size, as the command line writes it (split-raw, E01). */
  segmentSize?: string;
  compression?: Compression;
  chunkSectors?: number;
  level?: number;
  /** Frame size, as the command line writes it, and in bytes (zst). */
  frameSize?: string;
  frameBytes?: number;
  maxFrameSize?: number;
}

/**
 * What every format exhibit reads declares: its name, how to recognise it from
 * its first bytes, and how to open it. A format exhibit only reads (another
 * tool's container) declares this much and no more.
 */
export interface ReadableFormat<N extends string = string> {
  readonly name: N;
  /** The format in words, for messages: "an E01 image". */
  readonly title: string;
  /** Its files' names. */
  readonly fileNames: {
    /** The extensions of any of its files, as a regular expression source without the dot. */
    readonly extensions: string;
    /** Matches the file an image is opened by (its first file); group 1 is the name its files share. */
    readonly first: RegExp;
  };
  /** Does the content start as this format's does? Undefined for formats with no signature (raw). */
  readonly recognise?: (head: Uint8Array) => boolean;
  /** Open an image by its first file (an absolute path; `given` is the name as the user gave it, for messages). */
  open(file: string, given: string): Promise<OpenedByFormat>;
  /** Its files hold an encoded form (compression, metadata), each checked by verify as a whole file (E01, zst); false for raw bytes. */
  readonly container: boolean;
  /** Its images keep their own list of the sectors that could not be read (E01's error2, Ex01's, AFF4's map): without a record, the only account of them. */
  readonly listsReadErrors: boolean;
}

/** A format exhibit also writes: everything acquire, convert and resume need. */
export interface FormatDescriptor<N extends string = string> extends ReadableFormat<N> {
  /** Open the image an unfinished run of exhibit left, at a safe point (`state` from its writer), to replay it. */
  openPartial(files: readonly string[], state: unknown, settings: FormatSettings): Promise<ImageReader>;
  createWriter(r: WriterRequest): ImageWriter;
  readonly options: FormatOptionDefaults;
  /** The module the codec worker pool loads for this format's units (compressed formats). */
  readonly codecModule?: string;
  /** The image holds whole sectors only: an odd-sized source is completed with zeros. */
  readonly wholeSectors: boolean;
  /** Media hashes the image stores itself, and those of them it must always have. */
  readonly storesHashes: readonly HashAlgorithm[];
  readonly requiresHashes: readonly HashAlgorithm[];
  /** Write bytes into an unfinished image in place (a rescue pass); formats that cannot have none. */
  readonly patch?: (dir: string, base: string, settings: FormatSettings, pos: number, data: Uint8Array) => Promise<void>;
}
