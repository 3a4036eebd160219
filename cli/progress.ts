import { formatBytes, formatDuration } from '../core/units.js';
import { io, type OutStream } from './io.js';
import { jobProgress } from './job-status.js';

/**
 * One self-rewriting status line on stderr when it is a terminal; nothing
 * otherwise, so scripted runs stay quiet and parseable.
 */
export class Progress {
  private readonly enabled: boolean;
  private readonly started = Date.now();
  private last = 0;
  private shown = false;
  // rate over a sliding window so the ETA follows the drive, not the start
  private window: { t: number; bytes: number }[] = [];

  constructor(
    private readonly label: string,
    private readonly total: number,
    stream: OutStream = io().stderr,
  ) {
    this.enabled = stream.isTTY === true && !io().env.EXHIBIT_NO_PROGRESS;
    this.stream = stream;
  }

  private readonly stream: OutStream;

  update(done: number, force = false): void {
    jobProgress(this.label, done, this.total);
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 250) return;
    this.last = now;
    this.window.push({ t: now, bytes: done });
    while (this.window.length > 2 && now - this.window[0]!.t > 10_000) this.window.shift();
    const first = this.window[0]!;
    const dt = (now - first.t) / 1000;
    const rate = dt > 0 ? (done - first.bytes) / dt : done / Math.max(0.001, (now - this.started) / 1000);
    const pct = this.total > 0 ? ((done / this.total) * 100).toFixed(1) : '100.0';
    const eta = rate > 0 ? formatDuration((this.total - done) / rate) : '--';
    const line = `${this.label} ${formatBytes(done)} of ${formatBytes(this.total)}  ${pct}%  ${formatBytes(rate)}/s  ETA ${eta}`;
    this.stream.write(`\r\x1b[2K${line}`);
    this.shown = true;
  }

  done(): void {
    if (this.enabled && this.shown) this.stream.write('\r\x1b[2K');
  }
}

/** One progress line per phase, for commands with several long ones (write, then read back). */
export function phasedProgress(): { onPhase: (label: string, total: number) => void; onProgress: (done: number) => void; done: () => void } {
  let current: Progress | undefined;
  return {
    onPhase: (label, total) => {
      current?.done();
      current = new Progress(label, total);
    },
    onProgress: (done) => current?.update(done),
    done: () => current?.done(),
  };
}
