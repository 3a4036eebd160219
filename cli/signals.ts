import { EXIT } from './exit-codes.js';

/**
 * First Ctrl-C (SIGINT), SIGTERM or SIGHUP: abort cleanly (the command seals
 * what it has and records it as incomplete). A second one: quit at once.
 */
export function interruptSignal(onFirst: () => void): { signal: AbortSignal; dispose: () => void } {
  const ctl = new AbortController();
  const handler = (): void => {
    if (ctl.signal.aborted) process.exit(EXIT.INTERRUPTED);
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
