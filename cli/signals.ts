import { EXIT } from './exit-codes.js';

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
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, handler);
  return {
    signal: ctl.signal,
    dispose: () => {
      for (const s of signals) process.off(s, handler);
    },
  };
}
