/**
 * A GNU ddrescue mapfile beside a raw image that another tool made (ddrescue
 * itself, or a tool that keeps its format): which areas of the source were
 * read (`+`), found unreadable (`-`), or given up before they were trimmed or
 * scraped (`*`, `/`), and which were never tried (`?`). ddrescue writes
 * nothing to the image for an area it did not read, so those bytes are
 * whatever the output held there, zeros in a new file: a verifier, a
 * conversion and an analyst must know where they are. The map is not signed;
 * what it says is reported as its word, never used to judge the image.
 *
 * Only read for a raw or split-raw image with no acquisition record of
 * exhibit's beside it (exhibit's own `<evidence>.map` is checked against its
 * signed record instead, verify/map-check.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ImageErrorRange } from './types.js';

/** The most bytes of map read: ddrescue's map of a badly damaged drive runs to tens of MB. */
const MAP_MAX = 64 * 1024 * 1024;
const SECTOR = 512;

export interface ForeignMap {
  file: string;
  /** The source's size by the map: more than the image holds when the image stops before the source's end. */
  sourceBytes: number;
  /** Sectors (of 512 bytes) the tool could not read: `-`, and the failed blocks it did not trim or scrape (`*`, `/`). */
  unreadable: ImageErrorRange[];
  /** Sectors it never tried (`?`). */
  untried: ImageErrorRange[];
  /** Every sector it did not read, in order, each range saying why (a sector partly read and partly not counts as not read). */
  all: ImageErrorRange[];
}

/** The names a mapfile of `image` goes by: ddrescue takes any, these are the usual ones. */
function candidates(image: string): string[] {
  const dir = path.dirname(image);
  const name = path.basename(image);
  const stem = path.parse(name).name;
  const names = [`${stem}.map`, `${stem}.mapfile`, `${stem}.log`, `${name}.map`, `${name}.mapfile`, `${name}.log`];
  return [...new Set(names)].filter((n) => n !== name).map((n) => path.join(dir, n));
}

/**
 * The ddrescue mapfile beside the first file of a raw image, when one is there and covers `mediaSize`
 * bytes; a map beside it that does not parse or covers another size is said in `warnings` and not used.
 */
export function foreignMapBeside(image: string, mediaSize: number, warnings: string[]): ForeignMap | undefined {
  for (const file of candidates(image)) {
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      continue;
    }
    if (!st.isFile() || st.size > MAP_MAX) continue;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const blocks = parseBlocks(text);
    if (!blocks) continue; // not a ddrescue mapfile (a .log of something else)
    const covered = blocks.reduce((n, b) => n + b.size, 0);
    // ddrescue writes nothing past the last byte it read: an image may stop before the source's end, where
    // the map says nothing was read. A map that says bytes past the image's end were read is another's.
    const readPastEnd = blocks.some((b) => b.status === '+' && b.pos + b.size > mediaSize);
    if (covered < mediaSize || readPastEnd) {
      warnings.push(`${path.basename(file)} beside the image reads as a ddrescue mapfile of a ${covered}-byte source, which does not fit the image's ${mediaSize} bytes: it is not this image's map, and was not used`);
      return undefined;
    }
    const inImage = blocks.filter((b) => b.pos < mediaSize).map((b) => ({ ...b, size: Math.min(b.size, mediaSize - b.pos) }));
    const ranges = (want: (s: string) => boolean): ImageErrorRange[] =>
      merge(inImage.filter((b) => want(b.status)).map((b) => ({ first_sector: Math.floor(b.pos / SECTOR), sectors: Math.ceil((b.pos + b.size) / SECTOR) - Math.floor(b.pos / SECTOR), error: WHY[b.status]! })));
    return { file, sourceBytes: covered, unreadable: ranges((s) => s === '-' || s === '*' || s === '/'), untried: ranges((s) => s === '?'), all: ranges((s) => s !== '+') };
  }
  return undefined;
}

/** The block lines of a ddrescue mapfile, when the text is one: contiguous from byte 0; undefined otherwise. */
export function parseBlocks(text: string): { pos: number; size: number; status: string }[] | undefined {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length === 0 || !/^0x[0-9a-f]+\s+[-+?*/FGB]\s*(\d+)?$/i.test(lines[0]!)) return undefined; // the status line
  const blocks: { pos: number; size: number; status: string }[] = [];
  let at = 0;
  for (const line of lines.slice(1)) {
    const m = /^0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+([-+?*/])$/i.exec(line);
    if (!m) return undefined;
    const pos = Number.parseInt(m[1]!, 16);
    const size = Number.parseInt(m[2]!, 16);
    if (!Number.isSafeInteger(pos) || !Number.isSafeInteger(size) || pos !== at || size <= 0) return undefined;
    blocks.push({ pos, size, status: m[3]! });
    at = pos + size;
  }
  return blocks.length > 0 ? blocks : undefined;
}

/** Each status as the record's ranges say it. */
const WHY: Record<string, string> = {
  '-': 'unreadable (ddrescue map: -)',
  '*': 'unreadable, not trimmed (ddrescue map: *)',
  '/': 'unreadable, not scraped (ddrescue map: /)',
  '?': 'never tried (ddrescue map: ?)',
};

function merge(ranges: ImageErrorRange[]): ImageErrorRange[] {
  const out: ImageErrorRange[] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    const end = last ? last.first_sector + last.sectors : -1;
    if (last && (end > r.first_sector || (end === r.first_sector && last.error === r.error))) {
      last.sectors = Math.max(last.sectors, r.first_sector + r.sectors - last.first_sector);
      if (last.error !== r.error) last.error = WHY['-']!; // a sector shared by two kinds of area: the tool did not read it
    }
    else out.push({ ...r });
  }
  return out;
}

/** Sectors in ranges. */
export const sectorsIn = (ranges: readonly ImageErrorRange[]): number => ranges.reduce((n, r) => n + r.sectors, 0);
