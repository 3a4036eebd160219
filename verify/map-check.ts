/**
 * The ddrescue mapfile beside an image (`<evidence>.map`) against the record:
 * the map is not signed, so a reader of it (ddrescuelog, an examiner) must
 * be able to trust that verify found its blocks to be the record's own:
 * everything read, and unreadable exactly where the signed record says.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AcquisitionRecord } from '../core/record.js';
import { readTextIfExists } from '../core/text.js';
import { renderMapfile } from '../source/mapfile.js';
import { parseBlocks } from '../image/foreign-map.js';

/** The most bytes of map read: a map of a damaged drive with a million ranges is some 40 MB. */
const MAP_MAX = 64 * 1024 * 1024;

/** The blocks of a mapfile, comparable: undefined when it is no ddrescue mapfile (image/foreign-map.ts reads the format). */
const blocks = (text: string): string | undefined => {
  const b = parseBlocks(text);
  return b ? JSON.stringify(b) : undefined;
};

/** A problem when the map beside a complete acquisition's image differs from the record; nothing when it agrees or there is none. */
export function checkMapFile(dir: string, rec: AcquisitionRecord, problems: string[]): void {
  if (rec.result !== 'complete' || !rec.read_errors) return;
  const file = path.join(dir, `${rec.evidence}.map`);
  let text: string | undefined;
  try {
    if (fs.existsSync(file) && fs.statSync(file).size > MAP_MAX) return void problems.push(`${path.basename(file)} is over ${MAP_MAX} bytes: not a map exhibit wrote for this record`);
    text = readTextIfExists(file);
  } catch {
    return void problems.push(`${path.basename(file)} cannot be read`);
  }
  if (text === undefined) return;
  const size = rec.media.size_bytes;
  const render = (done: number) => blocks(renderMapfile({ size, sectorSize: rec.media.sector_size, done, bad: rec.read_errors!.ranges, commandLine: [], started: new Date(0), version: '' }));
  const got = blocks(text);
  const same = (expected: string | undefined) => got !== undefined && got === expected;
  // An E01 of a source that is not whole sectors: exhibit's maps before 2026-12-02 counted the zeros filling its last sector as read.
  const padded = rec.media.padding_bytes ? render(size + rec.media.padding_bytes) : undefined;
  if (!same(render(size)) && !(padded && same(padded)))
    problems.push(`${path.basename(file)} does not match the record: its blocks are not the record's ${rec.read_errors.ranges.length === 0 ? 'single read area' : `read areas and ${rec.read_errors.ranges.length} unreadable ranges`} (the map was changed after the acquisition)`);
}
