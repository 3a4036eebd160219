/**
 * Where the command line's output goes and where its settings come from.
 *
 * Run as a program (bin/exhibit.js), that is the process: its stdout, stderr,
 * environment and arguments. `main(argv, io)` can also run a command inside
 * another program (the tests do, to save starting Node for every command):
 * it sets the current io for the duration of the call, and everything in
 * cli/ writes and reads through `io()` rather than `process`, so the output is
 * captured and two runs never see each other's settings.
 *
 * There is one current io per process, so in-process runs must not overlap;
 * `enterIo` refuses a second one while the first is running.
 */

/** The part of a stream exhibit writes to. */
export interface OutStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  hasColors?: () => boolean;
}

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  env: NodeJS.ProcessEnv;
  /** The command line as the process got it: the runtime, the script, then the arguments. */
  argv: readonly string[];
}

const processIo = (): CliIo => ({ stdout: process.stdout, stderr: process.stderr, env: process.env, argv: process.argv });

let current: CliIo | undefined;

/** The io of the running command (the process's own when none was set). */
export function io(): CliIo {
  return current ?? processIo();
}

/** Make `next` the current io until the returned function is called. */
export function enterIo(next: CliIo): () => void {
  if (current !== undefined) throw new Error('exhibit: an in-process run is already going on: runs must not overlap');
  current = next;
  return () => {
    current = undefined;
  };
}

/** The command line as written into records: `exhibit` and the arguments. */
export function commandLine(): string[] {
  return io().argv.slice(1).map((a, i) => (i === 0 ? 'exhibit' : a));
}
