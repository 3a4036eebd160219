/**
 * Every failure exhibit reports is an ExhibitError with a stable string code.
 * The CLI maps codes to exit codes and prints `message` plus optional hints;
 * `cause` keeps the original error (errno and all) for --json and debugging.
 */
export type ErrorCode =
  | 'USAGE' // bad arguments or options
  | 'SOURCE_NOT_FOUND'
  | 'SOURCE_PERMISSION'
  | 'SOURCE_BUSY'
  | 'SOURCE_UNREADABLE' // could not open or probe for another reason
  | 'SOURCE_EMPTY'
  | 'SOURCE_MOUNTED'
  | 'SOURCE_WRITTEN' // the sectors-written counter moved during acquisition
  | 'SOURCE_CHANGED' // the source changed size or vanished mid-run
  | 'SOURCE_READ' // a read failed
  | 'SOURCE_GONE' // the source vanished or stopped answering for a long stretch; resumable
  | 'RESUME_MISMATCH' // the source or image on resume is not the one the journal describes
  | 'PARTIAL_CHANGED' // the partial image no longer holds what an earlier session read: no resume mends it
  | 'OUTPUT_ON_SOURCE'
  | 'OUTPUT_EXISTS'
  | 'OUTPUT_LOCKED' // another exhibit is working on the same output, or may be (its lock file says so)
  | 'OUTPUT_NO_ROOM'
  | 'OUTPUT_NOT_DIRECTORY'
  | 'OUTPUT_WRITE' // writing, flushing or syncing an output failed
  | 'VERIFY_FAILED' // hashes or checksums do not match what was recorded
  | 'INTERRUPTED'
  | 'IMAGE_INVALID' // an image file is damaged, truncated, incomplete or not of its format
  | 'IMAGE_UNSUPPORTED' // a container exhibit does not read, or a file that is not the first of its image: refused like a usage error
  | 'NOT_FOUND' // a case, evidence item or examiner that the case store does not hold
  | 'KEY' // an examiner's signing key is missing, locked, or its passphrase is wrong
  | 'STORE' // the case store cannot be opened, is busy, or was written by a newer exhibit
  | 'CONFIG' // config.yaml cannot be read
  | 'MOUNT' // exhibit mount or umount could not make or release a mount, a loop device or a file system
  | 'TSA' // the time-stamping authority cannot be reached, or its reply does not check
  | 'INTERNAL';

export class ExhibitError extends Error {
  override readonly name = 'ExhibitError';
  readonly code: ErrorCode;
  readonly hints: readonly string[];
  /** For a damaged unit of an image (an E01 chunk, a zstd frame): the media bytes it covers, first to last. */
  readonly damaged?: { first_byte: number; last_byte: number };

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; hints?: string[]; damaged?: { first_byte: number; last_byte: number } } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hints = options.hints ?? [];
    if (options.damaged) this.damaged = options.damaged;
  }
}

/** The same error, naming the media bytes `first`..`last` as the damaged range. */
export function withDamagedRange(err: ExhibitError, first: number, last: number): ExhibitError {
  return new ExhibitError(err.code, err.message, { cause: err.cause ?? err, hints: [...err.hints], damaged: { first_byte: first, last_byte: last } });
}

/** The errno code of a Node system error, if it is one. */
export function errnoOf(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** A short plain-words reason for a system error, e.g. "no space left on the device (ENOSPC)". */
export function describeSystemError(err: unknown): string {
  const code = errnoOf(err);
  const words: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EBUSY: 'device or resource busy',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EIO: 'input/output error',
    ENXIO: 'no such device or address',
    ENODEV: 'no such device',
    EROFS: 'read-only file system',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
    EEXIST: 'already exists',
    EFBIG: 'file too large for the destination file system',
    EINVAL: 'invalid argument (a device that went away, or one that refuses reads of this size or place)',
    ENOTCONN: 'not connected (the device went away)',
    ESHUTDOWN: 'the device was shut down',
    ETIMEDOUT: 'timed out',
    ENOMEM: 'out of memory',
    EMFILE: 'too many open files',
    ENFILE: 'too many open files on this system',
    ENAMETOOLONG: 'file name too long',
    ELOOP: 'too many symbolic links',
    ETXTBSY: 'the file is busy',
    ESPIPE: 'cannot seek (a pipe or a socket)',
    EAGAIN: 'resource temporarily unavailable',
    EXDEV: 'not on the same file system',
    ENOTEMPTY: 'the folder is not empty',
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'the connection was reset',
  };
  if (code && words[code]) return `${words[code]} (${code})`;
  // Node's own wording is "CODE: words, syscall 'path'": the words, then the code.
  if (code && err instanceof Error) {
    const m = new RegExp(`^${code}: (.*?)(?:, \\w+(?: '.*')?)?$`).exec(err.message);
    if (m?.[1]) return `${m[1]} (${code})`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/** An argument that names a file must name one: an empty one (a variable that was not set) is wrong usage, not "." or a file not found. */
export function refuseEmptyName(value: string, what: string): void {
  if (value.trim() === '') throw new ExhibitError('USAGE', `the ${what} given is an empty name`, { hints: ['name it by its path (a variable in the command line may be empty)'] });
}
