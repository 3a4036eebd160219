import { sectorRange } from './entry.js';
import type { Findings } from './findings.js';
import type { PartitionEntry } from './types.js';

function describe(p: PartitionEntry): string {
  const kind = p.scheme === 'gpt' ? `GPT entry ${p.index}` : p.kind === 'logical' ? `logical partition ${p.index}` : `MBR slot ${p.index}`;
  return `${kind} (${sectorRange(p.firstSector, p.lastSector)})`;
}

/** Report each partition that overlaps one before it; sorted sweep, so a hostile table costs n log n. */
function sweep(parts: readonly PartitionEntry[], findings: Findings): void {
  const sorted = [...parts].sort((a, b) => a.firstSector - b.firstSector || a.lastSector - b.lastSector);
  let reach: PartitionEntry | undefined; // the partition reaching furthest so far
  for (const p of sorted) {
    if (reach !== undefined && p.firstSector <= reach.lastSector) findings.error(`${describe(p)} overlaps ${describe(reach)}`);
    if (reach === undefined || p.lastSector > reach.lastSector) reach = p;
  }
}

/**
 * Overlap checks. Logical partitions lie inside their extended partition by
 * design, so extended partitions are checked only against the other primary
 * slots; everything else is checked against everything else.
 */
export function checkOverlaps(parts: readonly PartitionEntry[], findings: Findings): void {
  sweep(
    parts.filter((p) => p.kind !== 'extended'),
    findings,
  );
  const top = parts.filter((p) => p.kind === 'primary' || p.kind === 'extended');
  for (let i = 0; i < top.length; i++) {
    for (let j = i + 1; j < top.length; j++) {
      const a = top[i]!;
      const b = top[j]!;
      if ((a.kind === 'extended' || b.kind === 'extended') && a.firstSector <= b.lastSector && b.firstSector <= a.lastSector) findings.error(`${describe(b)} overlaps ${describe(a)}`);
    }
  }
}

/** Report partitions that cover a sector holding a partition table (the MBR or an EBR). */
export function checkTableSectors(parts: readonly PartitionEntry[], tableSectors: readonly number[], findings: Findings): void {
  const tables = [...new Set(tableSectors)].sort((a, b) => a - b);
  for (const p of parts) {
    if (p.kind === 'extended') continue;
    // The first table sector at or after the partition's start.
    let lo = 0;
    let hi = tables.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (tables[mid]! < p.firstSector) lo = mid + 1;
      else hi = mid;
    }
    const t = tables[lo];
    if (t !== undefined && t <= p.lastSector) findings.error(`${describe(p)} covers sector ${t}, which holds ${t === 0 ? 'the MBR' : 'an EBR'}`);
  }
}
