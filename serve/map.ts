/**
 * A ddrescue mapfile read back for the dashboard's map: the blocks in order
 * (`+` read, `-` unreadable, `?` not read yet, and ddrescue's `*` and `/`,
 * shown as not yet read), checked to tile the media from 0 without overlap.
 * The map of a running acquisition is made the same way from its published
 * status (read up to where it is, the unreadable ranges so far).
 */
export type BlockState = 'read' | 'unreadable' | 'unread';

export interface MediaMap {
  size: number;
  blocks: { pos: number; size: number; state: BlockState }[];
}

const MAX_BLOCKS = 200_000;

const STATES: Record<string, BlockState> = { '+': 'read', '-': 'unreadable', '?': 'unread', '*': 'unread', '/': 'unread' };

/** The blocks of a mapfile, or a sentence saying why it cannot be read as one. */
export function parseMapfile(text: string): MediaMap | string {
  const blocks: MediaMap['blocks'] = [];
  let statusLineSeen = false;
  let at = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(/\s+/);
    if (!statusLineSeen) {
      statusLineSeen = true; // current_pos current_status [current_pass]
      continue;
    }
    if (f.length !== 3 || !/^0x[0-9a-f]+$/i.test(f[0]!) || !/^0x[0-9a-f]+$/i.test(f[1]!) || STATES[f[2]!] === undefined) return `line "${line.slice(0, 80)}" is not a mapfile block`;
    const pos = Number.parseInt(f[0]!, 16);
    const size = Number.parseInt(f[1]!, 16);
    if (!Number.isSafeInteger(pos) || !Number.isSafeInteger(pos + size) || size <= 0) return `the block at ${f[0]} has an impossible size`;
    if (pos !== at) return `the block at ${f[0]} does not follow the one before it`;
    if (blocks.length >= MAX_BLOCKS) return `it has more than ${MAX_BLOCKS} blocks`;
    const state = STATES[f[2]!]!;
    const last = blocks[blocks.length - 1];
    if (last && last.state === state) last.size += size;
    else blocks.push({ pos, size, state });
    at = pos + size;
  }
  if (!statusLineSeen) return 'it holds no status line';
  return { size: at, blocks };
}

/** The map of an acquisition in progress: read up to `done`, with the unreadable ranges found so far. */
export function liveMap(size: number, done: number, sectorSize: number, bad: readonly { first_sector: number; sectors: number }[]): MediaMap {
  const blocks: MediaMap['blocks'] = [];
  const push = (pos: number, len: number, state: BlockState): void => {
    if (len <= 0) return;
    const last = blocks[blocks.length - 1];
    if (last && last.state === state && last.pos + last.size === pos) last.size += len;
    else blocks.push({ pos, size: len, state });
  };
  let at = 0;
  const upTo = Math.min(done, size);
  for (const r of bad) {
    const start = Math.min(r.first_sector * sectorSize, upTo);
    const end = Math.min(start + r.sectors * sectorSize, upTo);
    if (start < at) continue;
    push(at, start - at, 'read');
    push(start, end - start, 'unreadable');
    at = end;
  }
  push(at, upTo - at, 'read');
  push(upTo, size - upTo, 'unread');
  return { size, blocks };
}
