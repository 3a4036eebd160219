import type { PartitionTable } from './types.js';

const SCHEMES = { mbr: 'DOS/MBR partition table', gpt: 'GUID partition table (GPT)', none: 'No partition table' } as const;

/** "1.5 GiB". */
export function humanBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

const num = (n: number): string => String(n).padStart(10, '0');

/**
 * A listing like mmls prints: one row per partition and per unallocated gap
 * in disk order (slot, start, end, length, description), then the findings.
 */
export function formatTable(t: PartitionTable): string {
  return tableLines(t).join('\n') + '\n';
}

/** The table's lines, each one line (a partition's name is shown on its row, whatever it holds). */
export function tableLines(t: PartitionTable): string[] {
  const lines: string[] = [];
  lines.push(`${SCHEMES[t.scheme]}, ${t.sectorSize}-byte sectors, ${t.totalSectors} sectors (${humanBytes(t.totalSectors * t.sectorSize)})`);
  if (t.diskGuid !== undefined) lines.push(`Disk GUID: ${t.diskGuid}`);
  lines.push('');
  const rows: { start: number; order: number; cells: string[] }[] = [];
  for (const p of t.partitions) {
    let desc = p.scheme === 'mbr' ? `${p.typeName} (${p.type})` : p.typeName === 'unknown' ? p.type : p.typeName;
    if (p.kind === 'extended') desc = `[extended] ${desc}`;
    if (p.name) desc += ` "${p.name}"`;
    if (p.filesystem !== undefined) desc += ` [${p.filesystem}]`;
    if (p.bootable === true) desc += ' *boot';
    const slot = p.kind === 'logical' ? `${p.index} (log)` : String(p.index);
    rows.push({ start: p.firstSector, order: p.kind === 'extended' ? 0 : 1, cells: [slot, num(p.firstSector), num(p.lastSector), num(p.sectors), humanBytes(p.bytes), desc] });
  }
  for (const g of t.unallocated) rows.push({ start: g.firstSector, order: 2, cells: ['-', num(g.firstSector), num(g.lastSector), num(g.sectors), humanBytes(g.sectors * t.sectorSize), 'Unallocated'] });
  rows.sort((a, b) => a.start - b.start || a.order - b.order);
  const header = ['Slot', 'Start', 'End', 'Length', 'Size', 'Description'];
  const table = [header, ...rows.map((r) => r.cells)];
  const widths = header.map((_, i) => table.reduce((w, r) => Math.max(w, (r[i] ?? '').length), 0));
  for (const r of table) lines.push(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '));
  if (t.findings.length > 0) {
    lines.push('', 'Findings:');
    for (const f of t.findings) lines.push(`  ${f.severity.toUpperCase().padEnd(7)} ${f.message}`);
  }
  return lines;
}
