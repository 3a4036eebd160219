/**
 * A GNU ddrescue mapfile (`<evidence>.map`), so ddrescuelog and the rest of
 * the ddrescue tool set can read exhibit's view of the source: `+` read,
 * `-` unreadable (filled in the image), `?` not read yet.
 */
import { oneLine } from '../core/text.js';
import type { BadRange } from './bad-sectors.js';

const hex = (n: number): string => `0x${n.toString(16).toUpperCase().padStart(8, '0')}`;

function ddTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function renderMapfile(o: {
  size: number;
  sectorSize: number;
  done: number; // bytes [0, done) were read or filled
  bad: readonly BadRange[];
  /** Areas before `done` not read yet (--skip-bad's deferred regions: placeholders in the image until the rescue pass). */
  untried?: readonly { pos: number; len: number }[];
  commandLine: string[];
  started: Date;
  version: string;
}): string {
  const blocks: { pos: number; size: number; status: string }[] = [];
  const push = (pos: number, size: number, status: string) => {
    if (size <= 0) return;
    const last = blocks[blocks.length - 1];
    if (last && last.status === status && last.pos + last.size === pos) last.size += size;
    else blocks.push({ pos, size, status });
  };
  const marks = [
    ...o.bad.map((r) => ({ start: r.first_sector * o.sectorSize, end: Math.min((r.first_sector + r.sectors) * o.sectorSize, o.size), status: '-' })),
    ...(o.untried ?? []).map((r) => ({ start: r.pos, end: Math.min(r.pos + r.len, o.size), status: '?' })),
  ].sort((a, b) => a.start - b.start);
  let at = 0;
  for (const m of marks) {
    const start = Math.max(m.start, at);
    if (start >= o.done) break;
    push(at, start - at, '+');
    push(start, Math.min(m.end, o.done) - start, m.status);
    at = Math.max(at, Math.min(m.end, o.done));
  }
  push(at, o.done - at, '+');
  push(o.done, o.size - o.done, '?');
  const finished = o.done >= o.size;
  const lines = [
    `# Mapfile. Created by exhibit ${o.version}`,
    `# Command line: ${oneLine(o.commandLine.join(' '))}`, // one comment line, whatever the names hold
    `# Start time:   ${ddTime(o.started)}`,
    `# Current time: ${ddTime(new Date())}`,
    finished ? '# Finished' : '# Copying non-tried blocks... Pass 1 (forwards)',
    '# current_pos  current_status  current_pass',
    `${hex(Math.min(o.done, Math.max(o.size - 1, 0)))}     ${finished ? '+' : '?'}               1`,
    '#      pos        size  status',
    ...blocks.map((b) => `${hex(b.pos)}  ${hex(b.size)}  ${b.status}`),
  ];
  return `${lines.join('\n')}\n`;
}
