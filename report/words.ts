/**
 * The report's words for what the record keeps in technical form: times
 * (given once when the local zone is UTC), hashes in groups of 8, sizes as
 * one unit, and the read-only proof in plain sentences.
 */
import type { AcquisitionRecord } from '../core/record.js';

/** A no-break space: what it joins is never split across lines. */
export const NBSP = '\u00a0';

/**
 * `2026-11-30 15:50:56 UTC` when the local time is UTC, otherwise
 * `2026-11-30 16:50:56 +01:00 (2026-11-30 15:50:56 UTC)`; to the second (the
 * attached record keeps the milliseconds).
 */
export function when(t: { utc?: unknown; local?: unknown } | undefined): string {
  if (!t) return '';
  const utc = typeof t.utc === 'string' ? /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)/.exec(t.utc) : null;
  const local = typeof t.local === 'string' ? /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(t.local) : null;
  const u = utc ? `${utc[1]} ${utc[2]} UTC` : '';
  if (!local) return u || String(t.local ?? '');
  if (local[3] === 'Z' || local[3] === '+00:00' || local[3] === '-00:00') return `${local[1]} ${local[2]} UTC`;
  return `${local[1]} ${local[2]} ${local[3]}${u ? ` (${u})` : ''}`;
}

/** Digests and fingerprints: groups of 8 characters, at most 8 groups (64 characters) a line. */
export function hashGroups(hex: string): string {
  const groups = hex.match(/.{1,8}/g) ?? [];
  const lines: string[] = [];
  for (let i = 0; i < groups.length; i += 8) lines.push(groups.slice(i, i + 8).join(' '));
  return lines.join('\n');
}

/** `33554432 bytes`, never split between the number and its unit. */
export const bytes = (n: number): string => `${n}${NBSP}bytes`;

/** The read-only proof as a clerk reads it: what was done, and whether the source stayed the same. */
export function readOnlyWords(r: AcquisitionRecord): string {
  const ro = r.read_only as AcquisitionRecord['read_only'] & { ro_flag_set_by_exhibit?: boolean; file_before?: unknown; before?: unknown };
  if (ro.note) return ro.note;
  if (ro.unchanged === undefined || ro.method === undefined) return ro.limits ?? 'not recorded';
  const kind = r.source.kind;
  const opened = ro.opened_read_only ? 'the source was opened for reading only' : 'the source was not shown to be opened for reading only';
  if (kind === 'file') {
    const atime = r.source.kind === 'file' && r.source.file?.atime_preserved ? '; reading it did not change its last-access time' : '';
    return ro.unchanged
      ? `${opened}; its size and modification time were the same before and after${atime}`
      : `THE SOURCE CHANGED: ${opened}, but its size or modification time differed after the copy`;
  }
  const lock = ro.ro_flag_after ? '; the system was told to refuse every write to the drive and its partitions' : '';
  return ro.unchanged
    ? `${opened}${lock}; the drive's counters of writes were the same before and after: nothing was written to it`
    : `THE SOURCE CHANGED: ${opened}${lock}, but the drive's counters of writes moved during the copy (or could not be read)`;
}
