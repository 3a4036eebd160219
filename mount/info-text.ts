/**
 * `<dir>/info.txt`: the image's facts in a few plain lines: its files, the
 * media, the partitions as `inspect` lists them, the hashes its record (and
 * the image itself) give, and what `--browse` made of each file system.
 */
import path from 'node:path';
import { shownLines } from '../core/text.js';
import type { ReadRecord } from '../core/record/read.js';
import { formatBytes } from '../core/units.js';
import type { ImageReader } from '../image/types.js';
import type { PartitionTable } from '../image/partitions/index.js';
import type { Volume } from './volumes.js';

export interface InfoFacts {
  image: string;
  reader: ImageReader;
  table: PartitionTable;
  volumes: readonly Volume[];
  /** The record beside the image, or why there is none to show. */
  record: ReadRecord | { missing: string };
  warnings: readonly string[];
  /** Per volume: what --browse did (absent without --browse). */
  browse?: ReadonlyMap<string, string>;
  /** Reads that failed while serving (a damaged chunk or frame), the first ones. */
  readErrors?: readonly string[];
}

export function infoText(f: InfoFacts): string {
  const r = f.reader;
  const out: string[] = [];
  out.push(`exhibit mount of ${f.image}, read-only`);
  out.push(`format: ${r.format}; files: ${r.files.map((p) => path.basename(p)).join(', ')}`);
  out.push(`media: ${r.size} bytes (${formatBytes(r.size)})${r.sectorSize ? `, ${r.sectorSize}-byte sectors` : ''}`);
  const scheme = f.table.scheme === 'none' ? 'none found' : f.table.scheme.toUpperCase();
  out.push(`partition table: ${scheme}`);
  for (const v of f.volumes) {
    if (v.name === 'media') continue;
    out.push(`  ${v.name}: byte ${v.start}, ${v.bytes} bytes (${formatBytes(v.bytes)}), ${v.description}${v.fs ? ` [${v.fs}]` : ''}`);
  }
  for (const p of f.table.partitions.filter((x) => x.kind === 'extended')) out.push(`  extended partition in slot ${p.index}: its logical partitions are listed, the container itself is not a file`);
  for (const w of f.table.findings) out.push(`  ${w.severity}: ${w.message}`);
  if ('missing' in f.record) out.push(`record: ${f.record.missing}`);
  else {
    const rec = f.record.record;
    out.push(`record: ${f.record.path} (SHA-256 ${f.record.sha256})`);
    const who = [['case', rec.case], ['evidence', rec.evidence], ['examiner', rec.examiner]].filter(([, v]) => v).map(([k, v]) => `${k} ${v}`);
    out.push(`  ${rec.record}, ${rec.result}${who.length > 0 ? `; ${who.join(', ')}` : ''}`);
    const h = rec.media.hashes;
    if (h) for (const [alg, hex] of Object.entries(h)) if (typeof hex === 'string') out.push(`  media ${alg}: ${hex}`);
    if (rec.read_errors.unreadable_sectors > 0) out.push(`  unreadable sectors at acquisition: ${rec.read_errors.unreadable_sectors} (filled with ${rec.read_errors.fill})`);
  }
  const facts = r.caseFacts;
  if (facts) {
    const said = (['case', 'evidence', 'examiner', 'description', 'model', 'serial'] as const).filter((k) => facts[k]).map((k) => `${k} ${facts[k]}`);
    if (said.length > 0) out.push(`the image's own header: ${said.join(', ')}`);
  }
  for (const [alg, hex] of Object.entries(r.storedHashes)) if (hex) out.push(`stored in the image: media ${alg} ${hex}`);
  if (r.errorRanges.length > 0) out.push(`the image lists ${r.errorRanges.length} ranges of sectors unreadable at acquisition`);
  for (const w of f.warnings) out.push(`warning: ${w}`);
  if (f.browse) {
    out.push('file systems (--browse):');
    // Every volume browsed, in the table's order: its partitions, or the whole media when it has no table.
    const names = [...f.volumes.map((v) => v.name), ...[...f.browse.keys()].filter((n) => !f.volumes.some((v) => v.name === n))];
    for (const name of names) {
      const said = f.browse.get(name);
      if (said !== undefined) out.push(`  fs/${name}: ${said}`);
    }
  }
  if (f.readErrors && f.readErrors.length > 0) {
    out.push('reads that failed while serving (the reader got an input/output error):');
    for (const e of f.readErrors) out.push(`  ${e}`);
  }
  // Names and texts from the image (header fields, partition names) may hold control characters: shown as [U+XXXX],
  // so `cat info.txt` prints what the image says and lets it drive no terminal.
  return shownLines(out);
}
