/**
 * A fixed ring of equal slots in one SharedArrayBuffer. The reader takes a
 * free slot (waiting when none is free: that is the backpressure), and the slot
 * comes back when every consumer of it is done. Memory is slots x slotSize,
 * whatever the size of the source.
 */
export class BufferRing {
  readonly buffer: SharedArrayBuffer;
  private readonly free: number[];
  private readonly waiters: ((slot: number) => void)[] = [];

  constructor(
    readonly slots: number,
    readonly slotSize: number,
  ) {
    this.buffer = new SharedArrayBuffer(slots * slotSize);
    this.free = Array.from({ length: slots }, (_, i) => i);
  }

  /** Resolve with a free slot number. */
  take(): Promise<number> {
    const s = this.free.shift();
    if (s !== undefined) return Promise.resolve(s);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  give(slot: number): void {
    const w = this.waiters.shift();
    if (w) w(slot);
    else this.free.push(slot);
  }

  offset(slot: number): number {
    return slot * this.slotSize;
  }

  view(slot: number, length: number): Buffer {
    return Buffer.from(this.buffer, slot * this.slotSize, length);
  }
}
