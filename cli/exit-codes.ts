import type { ErrorCode } from '../core/errors.js';

/** exhibit's exit codes. EXIT_CODES below is the one table every --help and the README print. */
export const EXIT = {
  OK: 0, // everything asked for was done and holds
  FAILURE: 1, // could not do it (source, destination, internal error)
  USAGE: 2, // wrong command line
  UNREADABLE: 3, // image complete, but some sectors could not be read and were filled
  VERIFY_FAILED: 4, // verification failed: mismatch or tampering
  INTERRUPTED: 130, // stopped by Ctrl-C or a signal; the record says incomplete
} as const;

/** What each exit code means, in the words every command's help and the README use. */
export const EXIT_CODES: readonly { code: number; meaning: string }[] = [
  { code: EXIT.OK, meaning: 'done: everything asked for was done and holds' },
  {
    code: EXIT.FAILURE,
    meaning: 'failed: an input missing or unreadable, the destination, the case store, a key, or exhibit itself (also: another run holds the output, or is still writing the image to be read); the message says which',
  },
  {
    code: EXIT.USAGE,
    meaning: 'usage: a wrong or incomplete command line, a value out of range, or an image in a format exhibit does not read (L01, AFF, VMDK, VHD, QCOW, an encrypted Ex01 or AFF4, ...); nothing was written',
  },
  { code: EXIT.UNREADABLE, meaning: 'complete, but some source sectors could not be read: filled and listed (acquire, clone)' },
  {
    code: EXIT.VERIFY_FAILED,
    meaning: 'verification failed: a mismatch, damage (also met by convert), tampering, a record that cannot be read, or nothing trustworthy to check against (also a custody log that fails its check)',
  },
  { code: EXIT.INTERRUPTED, meaning: 'interrupted (Ctrl-C or a signal): an unfinished acquisition is recorded as incomplete and can be resumed' },
];

/** `head` then `text`, in lines of at most `width` characters, the following lines indented as far as `head` is long. */
function wrap(head: string, text: string, width: number): string {
  const lines: string[] = [];
  let line = head;
  for (const word of text.split(' ')) {
    if (line.length > head.length && line.length + 1 + word.length > width) {
      lines.push(line);
      line = ' '.repeat(head.length) + word;
    } else line = line.length === head.length ? line + word : `${line} ${word}`;
  }
  return [...lines, line].join('\n');
}

/** The exit-code table as --help prints it, within 80 columns. */
export function exitCodesHelp(): string {
  return `Exit codes:\n${EXIT_CODES.map((e) => wrap(`  ${String(e.code).padStart(3)}  `, e.meaning, 80)).join('\n')}`;
}

/** The exit-code table as the README prints it (a test keeps the two the same). */
export function exitCodesMarkdown(): string {
  return ['| code | meaning |', '|---|---|', ...EXIT_CODES.map((e) => `| ${e.code} | ${e.meaning} |`)].join('\n');
}

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
