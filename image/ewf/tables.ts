/**
 * The tables of an EWF segment: each table (and its table2 copy) lists where
 * its chunks are stored. Reading a copy, choosing the good one of a pair, and
 * checking that the chunks it lists lie in order within one section of the
 * file, which makes them a `ChunkGroup`.
 */
import { lastAtOrBefore } from '../../core/search.js';
import { DESCRIPTOR_SIZE, TABLE_HEADER_SIZE } from './layout.js';
import { type ChunkGroup, damaged, entryOffset, type Gathered, MAX_METADATA, readMeta, type Section, type Segment, type TableCopy } from './model.js';
import { invalid, parseTableEntries, parseTableHeader } from './sections.js';

/** Read one table or table2 section; damage is kept in the copy, not thrown. */
export async function readTable(g: Gathered, seg: Segment, s: Section, index: number, where: string): Promise<TableCopy> {
  const copy: TableCopy = { section: s, index, base: 0, entries: undefined, damage: undefined };
  const room = s.size - DESCRIPTOR_SIZE;
  const header = parseTableHeader(await readMeta(seg, s.offset + DESCRIPTOR_SIZE, Math.min(room, TABLE_HEADER_SIZE), where));
  if (typeof header === 'string') {
    copy.damage = header;
    return copy;
  }
  copy.base = header.base;
  // The SMART/EWF layout (94-byte volume) has no checksum after the entries: its chunks follow them.
  const footer = g.volume?.v.layout !== 's01';
  const need = header.count * 4 + (footer ? 4 : 0);
  if (need > room - TABLE_HEADER_SIZE || need > MAX_METADATA) {
    copy.damage = `its ${header.count} entries run past the end of the section`;
    return copy;
  }
  const entries = parseTableEntries(await readMeta(seg, s.offset + DESCRIPTOR_SIZE + TABLE_HEADER_SIZE, need, where), header.count, footer);
  if (typeof entries === 'string') copy.damage = entries;
  else copy.entries = entries;
  return copy;
}

/** Pair each table with the table2 right after it and take the good copy. */
export function resolveTables(g: Gathered, seg: Segment, tables: TableCopy[]): void {
  for (let i = 0; i < tables.length; i++) {
    const t = tables[i]!;
    const where = (c: TableCopy) => `${c.section.type} in ${seg.path} at ${c.section.offset}`;
    if (t.section.type === 'table2') {
      // A table2 without its table before it.
      if (!t.entries) throw invalid(where(t), `damaged (${t.damage}) and no table precedes it`);
      addGroup(g, seg, t);
      continue;
    }
    const mirror = tables[i + 1]?.section.type === 'table2' && tables[i + 1]!.index === t.index + 1 ? tables[i + 1] : undefined;
    if (mirror) i++;
    if (t.entries) {
      if (mirror && !mirror.entries) damaged(g, `${where(mirror)} is damaged (${mirror.damage}); table used`);
      else if (mirror?.entries && (mirror.base !== t.base || !Buffer.from(mirror.entries.buffer).equals(Buffer.from(t.entries.buffer))))
        damaged(g, `${where(t)} and its table2 differ; table used`);
      addGroup(g, seg, t);
    } else if (mirror?.entries) {
      damaged(g, `table in ${seg.path} at ${t.section.offset} is damaged; table2 used`);
      addGroup(g, seg, mirror);
    } else {
      throw invalid(where(t), `damaged (${t.damage})${mirror ? `, and so is its table2 (${mirror.damage})` : ' and no table2 follows it'}`);
    }
  }
}

function addGroup(g: Gathered, seg: Segment, t: TableCopy): void {
  const entries = t.entries!;
  const where = `${t.section.type} in ${seg.path} at ${t.section.offset}`;
  const firstChunk = g.chunks;
  const n = entries.length;
  if (n === 0) return;
  const group: ChunkGroup = { segment: g.segments.indexOf(seg), firstChunk, base: t.base, entries, overflowFrom: n, end: 0 };
  let prev = -1;
  for (let j = 0; j < n; j++) {
    let off = entryOffset(group, j);
    if (off <= prev && j < group.overflowFrom && t.base + entries[j]! > prev) {
      // EnCase 6.7.1 let offsets beyond 2 GiB spill into the compression bit; what follows is stored raw.
      group.overflowFrom = j;
      off = entryOffset(group, j);
      g.warnings.push(`${where}: chunk offsets pass 2 GiB from entry ${j} on (as EnCase 6.7.1 wrote); those chunks are read as uncompressed`);
    }
    if (off <= prev) throw invalid(where, `entry ${j} (chunk ${firstChunk + j}) points to ${off}, not after the previous chunk at ${prev}`);
    prev = off;
  }
  const start = entryOffset(group, 0);
  const holder = containing(seg.sections, start);
  if (!holder || containing(seg.sections, prev) !== holder)
    throw invalid(where, `its chunks (offsets ${start}..${prev}) do not lie within one section of the file`);
  let floor: number;
  if (holder.type === 'sectors') floor = holder.offset + DESCRIPTOR_SIZE;
  else if (holder === t.section && g.volume?.v.layout === 's01') floor = holder.offset + DESCRIPTOR_SIZE + TABLE_HEADER_SIZE + n * 4;
  else if (holder === t.section) floor = holder.offset + DESCRIPTOR_SIZE + TABLE_HEADER_SIZE + n * 4 + 4;
  else throw invalid(where, `its chunks point into the '${holder.type}' section at ${holder.offset}`);
  if (start < floor) throw invalid(where, `its first chunk at ${start} overlaps the structures of the '${holder.type}' section at ${holder.offset}`);
  group.end = holder.offset + holder.size;
  if (prev >= group.end) throw invalid(where, `its last chunk at ${prev} lies past the end of the '${holder.type}' section at ${holder.offset}`);
  g.groups.push(group);
  g.chunks += n;
}

/** The section whose byte range holds `position`. */
function containing(sections: Section[], position: number): Section | undefined {
  const s = sections[lastAtOrBefore(sections, (x) => x.offset, position)];
  return s && position < s.offset + s.size ? s : undefined;
}
