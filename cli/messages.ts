import { ExhibitError } from '../core/errors.js';
import { jsonText, oneLine } from '../core/text.js';
import { exitCodeFor, EXIT } from './exit-codes.js';
import { io } from './io.js';

/** Print `exhibit: error: ...` and `exhibit: hint: ...` lines to stderr; return the exit code. */
export function reportError(err: unknown, json = false): number {
  const e = err instanceof ExhibitError ? err : new ExhibitError('INTERNAL', err instanceof Error ? err.message : String(err), { cause: err });
  // One line each, whatever a name in them holds (see oneLine).
  errorLine(e.message);
  for (const h of e.hints) io().stderr.write(`exhibit: hint: ${oneLine(h)}\n`);
  if (e.code === 'INTERNAL' && err instanceof Error && err.stack && io().env.EXHIBIT_DEBUG) io().stderr.write(`${err.stack}\n`);
  if (json) io().stdout.write(`${jsonText({ error: { code: e.code, message: e.message, hints: e.hints } }, 0)}\n`);
  return e.code === 'INTERNAL' ? EXIT.FAILURE : exitCodeFor(e.code);
}

/** `exhibit: error: <text>` on stderr, as one line. */
export function errorLine(text: string): void {
  io().stderr.write(`exhibit: error: ${oneLine(text)}\n`);
}

export function info(line: string): void {
  io().stderr.write(`exhibit: ${oneLine(line)}\n`);
}
