/**
 * What the opener takes from each section it walks: the case metadata
 * (header2, header), the volume (volume, disk, data), the tables, the read
 * errors (error2) and the stored hashes (digest, hash, xhash). Damage in a
 * section exhibit can do without is a warning; in one it needs, an error.
 */
import zlib from 'node:zlib';
import { DESCRIPTOR_SIZE, VOLUME_SIZE } from './layout.js';
import { damaged, type Gathered, MAX_METADATA, readMeta, type Section, type Segment, type TableCopy } from './model.js';
import { headerTextOf, invalid, parseDigest, parseError2, parseHash, parseMainCategory, parseVolume } from './sections.js';
import { readTable } from './tables.js';

/** The bytes after a section's descriptor, at most `max`; a metadata section over 64 MiB is damage. */
async function payload(seg: Segment, s: Section, where: string, max = MAX_METADATA): Promise<Buffer> {
  const length = Math.min(s.size - DESCRIPTOR_SIZE, max);
  if (s.size - DESCRIPTOR_SIZE > MAX_METADATA) throw invalid(where, `implausibly large (${s.size} bytes)`);
  return readMeta(seg, s.offset + DESCRIPTOR_SIZE, length, where);
}

/** Take what section `s` (number `index` of segment `n`) holds into `g`; tables are collected in `tables` for pairing. */
export async function readSection(g: Gathered, seg: Segment, n: number, s: Section, index: number, tables: TableCopy[], where: string): Promise<void> {
  switch (s.type) {
    case 'header2':
    case 'header': {
      const p = await payload(seg, s, where);
      let values: Record<string, string> | undefined;
      try {
        values = parseMainCategory(headerTextOf(p, s.type === 'header2'));
      } catch (err) {
        damaged(g, `${where} is damaged (${(err as Error).message}); case metadata taken from another copy if there is one`);
        return;
      }
      if (!values) g.warnings.push(`${where} has no 'main' category`);
      else if (s.type === 'header2') g.header2 ??= values;
      else g.header ??= values;
      return;
    }
    case 'volume':
    case 'disk':
    case 'data': {
      const v = parseVolume(await payload(seg, s, where, VOLUME_SIZE), s.type, where);
      if (!g.volume) {
        if (s.type === 'data' && n > 1) throw invalid(where, 'the image has no volume section before it');
        g.volume = { v, where };
        return;
      }
      const first = g.volume.v;
      if (v.setIdentifier !== first.setIdentifier)
        throw invalid(where, `set identifier ${v.setIdentifier} differs from ${first.setIdentifier} in the ${g.volume.where}: the segments belong to different images`);
      if (v.sectorsPerChunk !== first.sectorsPerChunk || v.bytesPerSector !== first.bytesPerSector)
        throw invalid(where, `chunk geometry (${v.sectorsPerChunk} sectors of ${v.bytesPerSector} bytes) differs from the ${g.volume.where} (${first.sectorsPerChunk} of ${first.bytesPerSector})`);
      return;
    }
    case 'table':
    case 'table2':
      tables.push(await readTable(g, seg, s, index, where));
      return;
    case 'error2':
      for (const e of parseError2(await payload(seg, s, where), where)) g.errors.push(e);
      return;
    case 'digest':
      g.hashes.push({ source: where, ...parseDigest(await payload(seg, s, where), where) });
      return;
    case 'hash': {
      const md5 = parseHash(await payload(seg, s, where), where);
      g.hashes.push(md5 ? { source: where, md5 } : { source: where });
      return;
    }
    case 'xhash': {
      // EWF-X (ewfacquire -f ewfx): zlib-compressed XML with <MD5>, <SHA1> and, when asked for, <SHA256>.
      let text: string;
      try {
        text = zlib.inflateSync(await payload(seg, s, where), { maxOutputLength: 1024 * 1024 }).toString('utf8');
      } catch (err) {
        damaged(g, `${where} is damaged (${(err as Error).message})`);
        return;
      }
      const md5 = /<md5>\s*([0-9a-f]{32})\s*</i.exec(text)?.[1]?.toLowerCase();
      const sha1 = /<sha1>\s*([0-9a-f]{40})\s*</i.exec(text)?.[1]?.toLowerCase();
      const sha256 = /<sha256>\s*([0-9a-f]{64})\s*</i.exec(text)?.[1]?.toLowerCase();
      g.hashes.push({ source: where, ...(md5 && !/^0+$/.test(md5) ? { md5 } : {}), ...(sha1 && !/^0+$/.test(sha1) ? { sha1 } : {}), ...(sha256 && !/^0+$/.test(sha256) ? { sha256 } : {}) });
      return;
    }
    case 'sectors': // chunk data: reached through the tables
    case 'xheader': // EWF-X case metadata as XML
    case 'session': // optical disc sessions
      return;
    case 'ltree':
    case 'ltypes':
      throw invalid(where, 'a logical evidence (L01) section: not a disk image');
    default:
      g.warnings.push(`${where}: unknown section type, ignored`);
  }
}
