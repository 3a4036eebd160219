import { describe, expect, it } from 'vitest';
import { writtenBetween, type SourceState } from './read-only.js';

const dev = (device: string, writes: number, sectors: number) => ({ device, ro_flag: true, write_counters: { write_requests: writes, sectors_written: sectors } });
const file = (size: number, mtime: string, p = '/evidence/disk.img') => ({ path: p, size, mtime });

describe('writtenBetween: was the source written between the sessions of a resumed acquisition', () => {
  it('compares a device\'s counters with those of the last session that left readings (its end, or a killed one\'s start)', () => {
    const ended = { read_only: { unchanged: true, after: [dev('sdb', 10, 80)] } };
    expect(writtenBetween([ended], { devices: [dev('sdb', 10, 80)] })).toEqual({});
    expect(writtenBetween([ended], { devices: [dev('sdb', 12, 96)] }).moved).toMatch(/sdb was written between sessions: 2 write requests, 16 sectors/);
    // Killed: no proof, but the readings it took as it began; later than the first session's end.
    const killed = { source_at_start: { devices: [dev('sdb', 11, 88)] } satisfies SourceState };
    expect(writtenBetween([ended, killed], { devices: [dev('sdb', 11, 88)] })).toEqual({});
    expect(writtenBetween([ended, killed], { devices: [dev('sdb', 12, 96)] }).moved).toMatch(/1 write requests, 8 sectors/);
    // Counters that went down (attached again), or a drive under another name: nothing can be told.
    expect(writtenBetween([ended], { devices: [dev('sdb', 0, 0)] }).unknown).toMatch(/restarted/);
    expect(writtenBetween([ended], { devices: [dev('sdc', 10, 80)] }).unknown).toMatch(/under another name/);
    expect(writtenBetween([{}], { devices: [dev('sdb', 10, 80)] }).unknown).toMatch(/no earlier session left readings/);
  });

  it('judges a file, and a loop device by its file, by size and modification time; another file tells nothing', () => {
    const seen = { read_only: { unchanged: true, file_after: file(100, '2026-01-01T00:00:00.000Z') } };
    expect(writtenBetween([seen], { file: file(100, '2026-01-01T00:00:00.000Z') })).toEqual({});
    expect(writtenBetween([seen], { file: file(100, '2026-01-02T00:00:00.000Z') }).moved).toMatch(/changed between sessions/);
    // Another file given as the source (another card of the same size): the partial image comparison judges it.
    const named = { read_only: { unchanged: true, file_after: { size: 100, mtime: '2026-01-01T00:00:00.000Z' } }, source_at_start: { file: file(100, '2026-01-01T00:00:00.000Z', '/cards/a.bin') } };
    expect(writtenBetween([named], { file: file(100, '2026-01-02T00:00:00.000Z', '/cards/b.bin') }).unknown).toMatch(/another file/);
    expect(writtenBetween([named], { file: file(100, '2026-01-02T00:00:00.000Z', '/cards/a.bin') }).moved).toMatch(/changed between sessions/);
    const loop = { read_only: { unchanged: true, after: [dev('loop3', 5, 5)], backing_after: file(100, '2026-01-01T00:00:00.000Z') } };
    // The loop device's counters moved (the kernel kept them across another file attached in between), its file did not.
    expect(writtenBetween([loop], { devices: [dev('loop3', 50, 500)], backing: file(100, '2026-01-01T00:00:00.000Z') })).toEqual({});
    expect(writtenBetween([loop], { devices: [dev('loop3', 5, 5)], backing: file(100, '2026-01-03T00:00:00.000Z') }).moved).toMatch(/loop device's file \/evidence\/disk\.img changed/);
    expect(writtenBetween([loop], { devices: [dev('loop4', 5, 5)], backing: file(100, '2026-01-03T00:00:00.000Z', '/mnt/other/disk') }).unknown).toMatch(/reads another file/);
  });

  it('keeps a change an earlier session found, for every later session', () => {
    const found = { read_only: { unchanged: false, note: 'sdb was written between sessions: 1 write requests, 1 sectors', after: [dev('sdb', 11, 81)] } };
    expect(writtenBetween([{ read_only: { unchanged: true } }, found], { devices: [dev('sdb', 11, 81)] }).moved).toMatch(/^session 2 found it changed \(sdb was written/);
  });
});
