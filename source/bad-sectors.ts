/**
 * The unreadable sectors of an acquisition: merged ranges, each with the
 * error the kernel gave. Ranges are in logical sectors of the source.
 */
import { ExhibitError } from '../core/errors.js';
export interface BadRange {
  first_sector: number;
  sectors: number;
  error: string; // errno code: EIO, EILSEQ, ...
}

export class BadSectorMap {
  private readonly list: BadRange[] = [];

  constructor(initial: readonly BadRange[] = []) {
    for (const r of initial) this.add(r.first_sector, r.sectors, r.error);
  }

  /** Add sectors in ascending order (the reader's order); adjacent ones with the same error merge. */
  add(first: number, count: number, error: string): void {
    const last = this.list[this.list.length - 1];
    if (last && last.first_sector + last.sectors === first && last.error === error) last.sectors += count;
    else this.list.push({ first_sector: first, sectors: count, error });
  }

  /** Forget everything at or beyond `sector` (used when resuming from a safe point before it). */
  truncate(sector: number): void {
    while (this.list.length > 0) {
      const last = this.list[this.list.length - 1]!;
      if (last.first_sector >= sector) this.list.pop();
      else {
        last.sectors = Math.min(last.sectors, sector - last.first_sector);
        break;
      }
    }
  }

  get ranges(): BadRange[] {
    return this.list.map((r) => ({ ...r }));
  }

  get sectorCount(): number {
    return this.list.reduce((a, r) => a + r.sectors, 0);
  }

  /** The ranges that reach into [first, first + count), found from the end: cheap for the block just read. */
  near(first: number, count: number): BadRange[] {
    const out: BadRange[] = [];
    for (let i = this.list.length - 1; i >= 0 && this.list[i]!.first_sector + this.list[i]!.sectors > first; i--) {
      if (this.list[i]!.first_sector < first + count) out.push({ ...this.list[i]! });
    }
    return out.reverse();
  }

  /** Whether any bad sector lies in [first, first + count). */
  overlaps(first: number, count: number): boolean {
    return this.list.some((r) => r.first_sector < first + count && first < r.first_sector + r.sectors);
  }
}

/** A fill as exhibit writes it down: `zero` or `pattern:<lower-case hex>`, checked once (see `fillSpec`). */
export type FillSpec = string & { readonly __fill: true };

/** The fill written for an unreadable sector: zeros, or a repeated byte pattern (`pattern:DEADBEEF`). */
export interface Fill {
  spec: FillSpec;
  sector: Buffer; // one sector of it
}

/** Check a fill as the user or a journal gives it, and write it one way; a usage error otherwise. */
export function fillSpec(spec: string): FillSpec {
  if (spec === 'zero') return spec as FillSpec;
  const m = /^pattern:((?:[0-9a-fA-F]{2}){1,64})$/.exec(spec);
  if (!m) throw new ExhibitError('USAGE', `--fill "${spec.slice(0, 80)}" is not "zero" or "pattern:<hex bytes>"`, { hints: ['for example --fill zero or --fill pattern:deadbeef'] });
  return `pattern:${m[1]!.toLowerCase()}` as FillSpec;
}

/** One sector of a checked fill. */
export function fillSector(spec: FillSpec, sectorSize: number): Fill {
  const sector = Buffer.alloc(sectorSize);
  if (spec !== 'zero') {
    const pat = Buffer.from(spec.slice('pattern:'.length), 'hex');
    for (let i = 0; i < sectorSize; i++) sector[i] = pat[i % pat.length]!;
  }
  return { spec, sector };
}

/** A fill from outside (a journal, a record): checked, then one sector of it. */
export function parseFill(spec: string, sectorSize: number): Fill {
  return fillSector(fillSpec(spec), sectorSize);
}
