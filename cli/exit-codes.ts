import type { ErrorCode } from '../core/errors.js';

/** exhibit's exit codes; the README repeats this table. */
export const EXIT = {
  OK: 0, // everything asked for was done and holds
  FAILURE: 1, // could not do it (source, destination, internal error)
  USAGE: 2, // wrong command line
  UNREADABLE: 3, // image complete, but some sectors could not be read and were filled
  VERIFY_FAILED: 4, // verification failed: mismatch or tampering
  INTERRUPTED: 130, // stopped by Ctrl-C or a signal; the record says incomplete
} as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'USAGE':
    case 'IMAGE_UNSUPPORTED':
      return EXIT.USAGE;
    case 'INTERRUPTED':
      return EXIT.INTERRUPTED;
    case 'VERIFY_FAILED':
      return EXIT.VERIFY_FAILED;
    default:
      return EXIT.FAILURE;
  }
}
