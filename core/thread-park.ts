/**
 * Worker threads kept, idle, after the pool that started them ends, for the
 * next pool of the same kind in this process. A command run from the command
 * line starts its pools once and ends, and nothing changes for it; a process
 * that runs one job after another (the dashboard's jobs, the test suite's
 * in-process commands) would otherwise start every thread again: about 0.1 s
 * of a core for Node's own start of a thread, and the thread's modules loaded
 * again on top.
 *
 * A parked thread holds nothing of its last pool (the pool has it drop its
 * buffers before parking it), does not keep the process alive (unref), and is
 * forgotten if it ends. Only an idle thread is parked: a pool that failed or
 * was stopped mid-way terminates its threads instead.
 */
import os from 'node:os';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const parked = new Map<string, Worker[]>();
/** Threads kept per kind: enough for one pool of each kind on every core. */
const KEEP = Math.max(2, os.availableParallelism());

/** The events a pool listens to on its threads, taken off when the thread is parked. */
const POOL_EVENTS = ['message', 'messageerror', 'error', 'exit', 'online'] as const;

/** A thread running `url`: a parked one if there is one, otherwise a new one started with `options`. */
export function takeWorker(url: URL, options?: WorkerOptions): Worker {
  const kept = parked.get(url.href);
  const worker = kept?.pop();
  if (!worker) return new Worker(url, options);
  for (const e of POOL_EVENTS) worker.removeAllListeners(e); // the park's own listeners
  worker.ref();
  return worker;
}

/**
 * Keep an idle thread of `url` for the next pool: its pool's listeners are taken off. Beyond
 * KEEP threads of its kind it is terminated.
 */
export function parkWorker(url: URL, worker: Worker): void {
  for (const e of POOL_EVENTS) worker.removeAllListeners(e);
  const kept = parked.get(url.href) ?? [];
  if (kept.length >= KEEP || worker.threadId < 0) {
    void worker.terminate();
    return;
  }
  parked.set(url.href, kept);
  kept.push(worker);
  const forget = (): void => {
    const i = kept.indexOf(worker);
    if (i >= 0) kept.splice(i, 1);
  };
  worker.on('error', forget);
  worker.on('exit', forget);
  worker.unref();
}
