/**
 * The gate a process's hash and compression threads pass before each batch of
 * work (core/core-share.ts sets how many may be inside at once): two 32-bit
 * integers in shared memory, the threads inside and the limit. A thread
 * waits, without spinning, until a place is free or the limit grows; it never
 * waits while inside, so a thread inside always leaves.
 *
 * Each thread also has a flag of its own, set while it is inside. A thread
 * stopped from outside (`worker.terminate()`, or a crash) runs no `finally`,
 * so its pool gives its place back for it once it has ended (`leaveGate`
 * with its flag): whichever of the two clears the flag gives the place back,
 * so it is given back once. The flag is set in the same step as the place is
 * taken, with nothing in between where the thread could be stopped.
 */
export const GATE_BUSY = 0;
export const GATE_LIMIT = 1;
/** A wait is cut short after this long and the thread looks again, whatever woke it or did not. */
const LOOK_AGAIN_MS = 100;

/** A thread's flag: set while it is inside the gate. */
export function newInsideFlag(): SharedArrayBuffer {
  return new SharedArrayBuffer(4);
}

export function enterGate(gate: Int32Array, inside: Int32Array): void {
  for (;;) {
    const busy = Atomics.load(gate, GATE_BUSY);
    if (busy < Atomics.load(gate, GATE_LIMIT)) {
      if (Atomics.compareExchange(gate, GATE_BUSY, busy, busy + 1) === busy) {
        Atomics.store(inside, 0, 1);
        return;
      }
      continue;
    }
    Atomics.wait(gate, GATE_BUSY, busy, LOOK_AGAIN_MS);
  }
}

/** Give the thread's place back, if it holds one: by the thread as it leaves, or by its pool once the thread has ended. */
export function leaveGate(gate: Int32Array, inside: Int32Array): void {
  if (Atomics.exchange(inside, 0, 0) !== 1) return;
  Atomics.sub(gate, GATE_BUSY, 1);
  Atomics.notify(gate, GATE_BUSY, 1);
}

/** A thread's side of the gate, as a pool sends it: the process's gate and the thread's own flag. */
export interface GatePass {
  gate: SharedArrayBuffer;
  inside: SharedArrayBuffer;
}

/** Run `work` inside the gate, if there is one. */
export function throughGate<T>(pass: GatePass | undefined, work: () => T): T {
  if (!pass) return work();
  const gate = new Int32Array(pass.gate);
  const inside = new Int32Array(pass.inside);
  enterGate(gate, inside);
  try {
    return work();
  } finally {
    leaveGate(gate, inside);
  }
}

/** After a thread has ended (stopped or crashed): its place back, if it died inside. */
export function releaseEnded(pass: GatePass | undefined): void {
  if (pass) leaveGate(new Int32Array(pass.gate), new Int32Array(pass.inside));
}
