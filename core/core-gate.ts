/**
 * The gate a process's hash and compression threads pass before each batch of
 * work (core/core-share.ts sets how many may be inside at once): two 32-bit
 * integers in shared memory, the threads inside and the limit. A thread
 * waits, without spinning, until a place is free or the limit grows; it never
 * waits while inside, so a thread inside always leaves.
 */
export const GATE_BUSY = 0;
export const GATE_LIMIT = 1;
/** A wait is cut short after this long and the thread looks again, whatever woke it or did not. */
const LOOK_AGAIN_MS = 100;

export function enterGate(gate: Int32Array): void {
  for (;;) {
    const busy = Atomics.load(gate, GATE_BUSY);
    if (busy < Atomics.load(gate, GATE_LIMIT)) {
      if (Atomics.compareExchange(gate, GATE_BUSY, busy, busy + 1) === busy) return;
      continue;
    }
    Atomics.wait(gate, GATE_BUSY, busy, LOOK_AGAIN_MS);
  }
}

export function leaveGate(gate: Int32Array): void {
  Atomics.sub(gate, GATE_BUSY, 1);
  Atomics.notify(gate, GATE_BUSY, 1);
}

/** Run `work` inside the gate, if there is one. */
export function throughGate<T>(gate: Int32Array | undefined, work: () => T): T {
  if (!gate) return work();
  enterGate(gate);
  try {
    return work();
  } finally {
    leaveGate(gate);
  }
}
