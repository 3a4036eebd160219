/**
 * Walking the sections of one EWF segment file from its header to its 'done'
 * or 'next' section, checking each descriptor (checksum, sizes, offsets that
 * move forward within the file) before its contents are read.
 */
import { DESCRIPTOR_SIZE, FILE_HEADER_SIZE, parseDescriptor } from './layout.js';
import { type Gathered, readMeta, type Section, type Segment, type TableCopy } from './model.js';
import { readSection } from './section-contents.js';
import { invalid } from './sections.js';
import { resolveTables } from './tables.js';

/** Walk the sections of segment `n`, up to `stopAt` for an unfinished one; returns how it ends. */
export async function walkSegment(g: Gathered, seg: Segment, n: number, stopAt?: number): Promise<'done' | 'next' | 'partial'> {
  const tables: TableCopy[] = [];
  let off = FILE_HEADER_SIZE;
  let end: 'done' | 'next' | 'partial';
  for (;;) {
    if (stopAt !== undefined && off >= stopAt) {
      end = 'partial'; // an unfinished segment: the sections up to the safe point only
      break;
    }
    if (off + DESCRIPTOR_SIZE > seg.size) {
      const last = seg.sections[seg.sections.length - 1];
      if (off === seg.size)
        throw invalid(seg.path, `the file ends at ${off} without a 'done' or 'next' section${last ? ` (the last is '${last.type}' at ${last.offset})` : ''}: truncated or incomplete`);
      throw invalid(`${seg.path} at ${off}`, `section descriptor cut short: the file ends at ${seg.size}`);
    }
    const raw = await readMeta(seg, off, DESCRIPTOR_SIZE, `section descriptor in ${seg.path} at ${off}`);
    const d = parseDescriptor(raw, off);
    if (!d) {
      // libewf writes a 'sectors' section's descriptor before its chunks, with no size yet, and puts the
      // size in when the segment is closed: chunk data where a descriptor should be follows it until then.
      const last = seg.sections[seg.sections.length - 1];
      if (last?.type === 'sectors' && last.size === DESCRIPTOR_SIZE && last.next === off)
        throw invalid(seg.path, `its 'sectors' section at ${last.offset} was never given its size, as a writer does when it closes the segment: the image is unfinished (still being written, or its writer stopped)`);
      throw invalid(`section descriptor in ${seg.path} at ${off}`, 'checksum mismatch');
    }
    const where = `'${d.type}' section in ${seg.path} at ${off}`;
    if (d.type === 'done' || d.type === 'next') {
      // Size 0 (EnCase) or 76 (FTK Imager before 2.9, SMART); the next offset points at itself or just past.
      seg.sections.push({ type: d.type, offset: off, size: DESCRIPTOR_SIZE, next: off });
      const tail = seg.size - off - DESCRIPTOR_SIZE;
      if (tail > 0) g.warnings.push(`${tail} bytes after the '${d.type}' section in ${seg.path} at ${off} were ignored`);
      end = d.type;
      break;
    }
    if (d.next <= off) throw invalid(where, `next section offset ${d.next} does not move forward`);
    if (d.next > seg.size) throw invalid(where, `next section offset ${d.next} is past the end of the file (${seg.size} bytes): truncated?`);
    const gap = d.next - off;
    if (gap < DESCRIPTOR_SIZE) throw invalid(where, `next section offset ${d.next} lies inside this section's descriptor`);
    let size = d.size;
    if (size === 0) {
      g.warnings.push(`${where} has no size (as Expert Witness 1.x wrote); the gap to the next section (${gap} bytes) was used`);
      size = gap;
    } else if (size < DESCRIPTOR_SIZE) throw invalid(where, `size ${size} is smaller than its descriptor`);
    else if (size > gap) throw invalid(where, `size ${size} is larger than the gap to the next section (${gap} bytes)`);
    const section: Section = { type: d.type, offset: off, size, next: d.next };
    seg.sections.push(section);
    await readSection(g, seg, n, section, seg.sections.length - 1, tables, where);
    off = d.next;
  }
  resolveTables(g, seg, tables);
  delete seg.window; // opening is done with this segment
  return end;
}
