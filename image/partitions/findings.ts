import type { Finding } from './types.js';

/** At most this many findings are kept; a hostile table could otherwise produce one per entry. */
export const MAX_FINDINGS = 200;

/** Collects findings, keeping the first MAX_FINDINGS and counting the rest. */
export class Findings {
  private readonly list: Finding[] = [];
  private dropped = 0;

  error(message: string): void {
    this.add({ severity: 'error', message });
  }

  warning(message: string): void {
    this.add({ severity: 'warning', message });
  }

  info(message: string): void {
    this.add({ severity: 'info', message });
  }

  add(f: Finding): void {
    if (this.list.length < MAX_FINDINGS) this.list.push(f);
    else this.dropped++;
  }

  /** The findings, with a last one saying how many were left out. */
  toArray(): Finding[] {
    const out = [...this.list];
    if (this.dropped > 0) out.push({ severity: 'warning', message: `${this.dropped} further findings were left out (only the first ${MAX_FINDINGS} are kept)` });
    return out;
  }
}
