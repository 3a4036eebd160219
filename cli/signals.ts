import { EXIT } from './exit-codes.js';
import { io } from './io.js';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let stopping = 0; // commands that stop by themselves on a signal (interruptSignal), running now

/**
 * First Ctrl-C (SIGINT), SIGTERM or SIGHUP: abort cleanly (the command seals
 * what it has and records it as incomplete). A second one, at least two
 * seconds later, quits at once: some senders (timeout, kill to a process
 * group) deliver the same signal twice, and that must not cost the record.
 */
export function interruptSignal(onFirst: () => void): { signal: AbortSignal; dispose: () => void } {
  const ctl = new AbortController();
  let first = 0;
  const handler = (): void => {
    if (ctl.signal.aborted) {
      if (Date.now() - first >= 2000) process.exit(EXIT.INTERRUPTED);
      return;
    }
    first = Date.now();
    ctl.abort();
    onFirst();
  };
  for (const s of SIGNALS) process.on(s, handler);
  stopping++;
  let disposed = false;
  return {
    signal: ctl.signal,
    dispose: () => {
      if (disposed) return;
      disposed = true;
      stopping--;
      for (const s of SIGNALS) process.off(s, handler);
    },
  };
}

/**
 * For every command that does not stop by itself (inspect, report, the store
 * commands, and any command before or after its long part): a signal ends
 * exhibit at once with exit 130. JavaScript runs between whole operations, so
 * a store transaction or a report file being written is never cut in half.
 * Returns the function that removes the handlers.
 */
export function exitOnInterrupt(): () => void {
  const handler = (): void => {
    if (stopping > 0) return; // the running command stops by itself (interruptSignal)
    io().stderr.write('exhibit: error: interrupted\n');
    process.exit(EXIT.INTERRUPTED);
  };
  for (const s of SIGNALS) process.on(s, handler);
  return () => {
    for (const s of SIGNALS) process.off(s, handler);
  };
}
