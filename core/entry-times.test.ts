import { describe, expect, it } from 'vitest';
import type { CheckedEntry } from './custody-check.js';
import { entryTimeNotes } from './custody-key-life.js';

const at = (seq: number, utc: string, kind = 'custody.transferred'): CheckedEntry => ({ seq, entry: { time: { utc }, kind } }) as unknown as CheckedEntry;
const NOW = Date.parse('2026-12-02T12:00:00Z');

describe('entryTimeNotes', () => {
  it('says nothing of times that run forward, or step back within five minutes (workstation clocks)', () => {
    expect(entryTimeNotes([at(1, '2026-12-01T10:00:00Z'), at(2, '2026-12-01T10:02:00Z'), at(3, '2026-12-01T09:58:30Z')], NOW)).toEqual([]);
  });
  it('names an entry dated well before the one the log puts before it, and one dated in the future', () => {
    const notes = entryTimeNotes([at(1, '2026-12-01T10:00:00Z', 'evidence.registered'), at(2, '2026-11-28T10:00:00Z'), at(3, '2028-01-06T00:00:00Z')], NOW);
    expect(notes).toEqual([
      'entry 2 (custody.transferred) is dated 2026-11-28T10:00:00Z, before entry 1 (2026-12-01T10:00:00Z), which the log puts first: the clock of whoever signed one of them was wrong',
      'entry 3 (custody.transferred) is dated 2028-01-06T00:00:00Z, in the future: the signer\'s clock was wrong',
    ]);
  });
});
