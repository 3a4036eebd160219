/**
 * Sharing a machine's cores between the exhibit jobs running on it. Each
 * process whose hash or compression threads are working registers itself,
 * while they work, as an abstract Unix socket named `exhibit-cores/<start>-<pid>-<thread>-<n>`:
 * the kernel lists those in /proc/net/unix, and drops one when its process
 * ends, however it ends, so nothing stale is ever left to clean. Every half
 * second each registered process counts the others and takes its share of the
 * cores: an even split, the oldest jobs taking what does not divide, and never
 * less than one core, so every job makes progress.
 *
 * The share is a gate (core/core-gate.ts) in shared memory: each hash or
 * compression thread of the process passes it before a batch of work and
 * leaves it after, so at most `share` of them work at once, whatever the
 * number of threads each pool started. When a second job starts, both settle
 * on half the cores within half a second, and when one ends the other has the
 * machine to itself again. More jobs than cores each work on one core.
 *
 * A job alone is not held back: its threads may outnumber the cores (a zst
 * acquisition hashes on two and compresses on two), and the kernel shares the
 * cores among them. Holding a lone job to one working thread a core was
 * measured, and cost it: a zst acquisition of 2 GiB 6.47 -> 6.80 s, E01 7.21
 * -> 7.66 s, a conversion from zst 3.75 -> 4.37 s.
 *
 * The namespace is the network namespace's: jobs in containers with a network
 * namespace of their own do not see each other.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { threadId } from 'node:worker_threads';
import { GATE_BUSY, GATE_LIMIT, newInsideFlag, type GatePass } from './core-gate.js';

export const REGISTRY_PREFIX = 'exhibit-cores/';
const LOOK_EVERY_MS = 500;
/** The gate's limit for a job alone: no limit. */
const ALONE = 1 << 30;

/** This process's place among the jobs registered now: how many there are and how many registered before it. */
export interface Standing {
  jobs: number;
  older: number;
}

/** The cores a job gets: an even split of `cores`, the `cores mod jobs` oldest one more each, at least one. */
export function shareOf(cores: number, s: Standing): number {
  const even = Math.floor(cores / s.jobs);
  return Math.max(1, even + (s.older < cores % s.jobs ? 1 : 0));
}

/** The registered names in /proc/net/unix's text (abstract names are listed with a leading @). */
export function registeredNames(procNetUnix: string): string[] {
  const names = new Set<string>();
  for (const line of procNetUnix.split('\n')) {
    const at = line.indexOf(` @${REGISTRY_PREFIX}`);
    // Node binds an abstract name padded with NUL bytes to the whole address, listed as @ signs.
    if (at >= 0) names.add(line.slice(at + 2).trim().replace(/@+$/, ''));
  }
  return [...names].sort();
}

let seq = 0;
let current: { gate: Int32Array; users: number; server: net.Server | undefined; timer: NodeJS.Timeout; name: string } | undefined;

function look(name: string): Standing | undefined {
  let text: string;
  try {
    text = fs.readFileSync('/proc/net/unix', 'latin1');
  } catch {
    return undefined; // not Linux, or hidden: this process goes by its own cores alone
  }
  const names = registeredNames(text);
  const older = names.indexOf(name);
  return older < 0 ? undefined : { jobs: names.length, older };
}

function settle(): void {
  const c = current;
  if (!c) return;
  const standing = c.server ? look(c.name) : undefined;
  const share = standing && standing.jobs > 1 ? shareOf(os.availableParallelism(), standing) : ALONE;
  if (Atomics.load(c.gate, GATE_LIMIT) !== share) {
    Atomics.store(c.gate, GATE_LIMIT, share);
    Atomics.notify(c.gate, GATE_BUSY); // threads waiting for a place look again
  }
}

/** A pool's hold on the process's share: a pass through its gate for each thread, and its release. */
export interface CoreShareHold {
  /** What one thread takes through the gate: the process's gate and a flag of the thread's own. */
  pass(): GatePass;
  /** The pool's threads are done (ended, or parked idle). */
  release(): void;
}

/**
 * The process's gate, registered while at least one pool holds it; `release` when the pool's
 * threads are done. The first holder registers the process and starts looking at the others.
 */
export function holdCoreShare(): CoreShareHold {
  if (!current) {
    const gate = new Int32Array(new SharedArrayBuffer(8));
    Atomics.store(gate, GATE_LIMIT, ALONE); // until it has looked at the others
    // Each thread that runs jobs (the test suite runs commands on a thread of their own) registers apart.
    const name = `${REGISTRY_PREFIX}${String(Date.now()).padStart(15, '0')}-${process.pid}-${threadId}-${seq++}`;
    const server = net.createServer((c) => c.destroy());
    server.on('error', () => {
      // Registering failed (no abstract sockets here): this process goes by its own cores alone.
      if (current?.server === server) current.server = undefined;
    });
    server.listen({ path: `\0${name}` }, () => settle());
    server.unref();
    const timer = setInterval(settle, LOOK_EVERY_MS);
    timer.unref();
    current = { gate, users: 0, server, timer, name };
  }
  const held = current;
  held.users++;
  let released = false;
  const gate = held.gate.buffer as SharedArrayBuffer;
  return {
    pass: () => ({ gate, inside: newInsideFlag() }),
    release: () => {
      if (released) return;
      released = true;
      if (--held.users > 0 || current !== held) return;
      current = undefined;
      clearInterval(held.timer);
      held.server?.close();
    },
  };
}
