import type { JobPublisher, UnreadableSoFar } from './job.js';
import { RateMeter } from '../core/rate.js';
import { formatBytes, formatDuration } from '../core/units.js';
import { io, type OutStream } from './io.js';
import { jobProgress } from './job-status.js';

/**
 * One self-rewriting status line on stderr when it is a terminal; nothing
 * otherwise, so scripted runs stay quiet and parseable. With a job, every
 * phase and step is also published for the dashboard (`exhibit serve`).
 */
export class Progress {
  private readonly enabled: boolean;
  private last = 0;
  private shown = false;
  private readonly meter = new RateMeter();

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly job?: JobPublisher,
    stream: OutStream = io().stderr,
  ) {
    this.enabled = stream.isTTY === true && !io().env.EXHIBIT_NO_PROGRESS;
    this.stream = stream;
    job?.phase();
  }

  private readonly stream: OutStream;

  update(done: number, unreadable?: UnreadableSoFar): void {
    if (unreadable) this.job?.unreadable(unreadable);
    jobProgress(this.label, done, this.total);
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 250) return;
    this.last = now;
    const { rate, secondsLeft } = this.meter.sample(done, this.total, now);
    const pct = this.total > 0 ? ((done / this.total) * 100).toFixed(1) : '100.0';
    const eta = secondsLeft !== undefined ? formatDuration(secondsLeft) : '--';
    const line = `${this.label} ${formatBytes(done)} of ${formatBytes(this.total)}  ${pct}%  ${formatBytes(rate)}/s  ETA ${eta}`;
    this.stream.write(`\r\x1b[2K${line}`);
    this.shown = true;
  }

  done(): void {
    if (this.enabled && this.shown) this.stream.write('\r\x1b[2K');
  }
}

/** One progress line per phase, for commands with several long ones (write, then read back). */
export function phasedProgress(job?: JobPublisher): { onPhase: (label: string, total: number) => void; onProgress: (done: number) => void; done: () => void } {
  let current: Progress | undefined;
  return {
    onPhase: (label, total) => {
      current?.done();
      current = new Progress(label, total, job);
    },
    onProgress: (done) => current?.update(done),
    done: () => current?.done(),
  };
}
