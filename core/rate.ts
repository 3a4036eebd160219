/**
 * Bytes per second over a sliding window of the last ten seconds, so a time
 * left follows the drive as it is now, not as it was at the start. The
 * terminal's progress line and the job status the dashboard shows use it.
 */
export class RateMeter {
  private readonly started: number;
  private window: { t: number; bytes: number }[] = [];

  constructor(now = Date.now()) {
    this.started = now;
  }

  /** Note `done` bytes at `now`; returns the rate and the seconds left of `total` (undefined while the rate is 0). */
  sample(done: number, total: number, now = Date.now()): { rate: number; secondsLeft?: number } {
    this.window.push({ t: now, bytes: done });
    while (this.window.length > 2 && now - this.window[0]!.t > 10_000) this.window.shift();
    const first = this.window[0]!;
    const dt = (now - first.t) / 1000;
    const rate = dt > 0 ? (done - first.bytes) / dt : done / Math.max(0.001, (now - this.started) / 1000);
    return rate > 0 ? { rate, secondsLeft: Math.max(0, total - done) / rate } : { rate: 0 };
  }
}
