/**
 * The thread that runs exhibit commands for `run()` (test/helpers/cli.ts).
 * Compiled to dist/test/helpers/ and loaded from there, so it imports the same
 * dist/cli/main.js that bin/exhibit.js runs, and exhibit's own workers (hash,
 * codec, file sums) are found beside their compiled modules as in production.
 *
 * One command at a time: the test thread posts {args, env} and sleeps on
 * `flag`; this thread runs main() with captured output, posts the result and
 * wakes it. An error that escapes main (which would end the exhibit process
 * with its stack and exit 1) is answered the same way, and the thread is then
 * not used again.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { main } from '../../cli/main.js';

export interface RunRequest {
  argv: string[];
  env: NodeJS.ProcessEnv;
}
export interface RunReply {
  code: number | null;
  stdout: string;
  stderr: string;
  crashed: boolean;
}

const { port, flag } = workerData as { port: MessagePort; flag: Int32Array };
let pending: { stdout: string; stderr: string } | undefined;

function reply(r: RunReply): void {
  pending = undefined;
  port.postMessage(r);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

function crash(err: unknown): void {
  const out = pending ?? { stdout: '', stderr: '' };
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  if (pending) reply({ code: 1, stdout: out.stdout, stderr: `${out.stderr}${text}\n`, crashed: true });
}
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

port.on('message', (req: RunRequest) => {
  const out = { stdout: '', stderr: '' };
  pending = out;
  const stream = (key: 'stdout' | 'stderr') => ({
    isTTY: false,
    write: (text: string | Uint8Array): boolean => {
      out[key] += typeof text === 'string' ? text : Buffer.from(text).toString('utf8');
      return true;
    },
  });
  main(req.argv, { stdout: stream('stdout'), stderr: stream('stderr'), env: req.env }).then(
    (code) => {
      if (pending === out) reply({ code, stdout: out.stdout, stderr: out.stderr, crashed: false });
    },
    crash,
  );
});
