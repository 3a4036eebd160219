import { describe, expect, it } from 'vitest';
import { GENESIS_PREV, type CustodyEntry, type CustodyKind, type Payload } from '../core/custody.js';
import { projectEntry } from './projections.js';

const time = { utc: '2026-11-22T09:00:00.000Z', local: '2026-11-22T10:00:00.000+01:00' };
const entry = (kind: CustodyKind, payload: Payload): CustodyEntry => ({ v: 1, case: 'C-1', seq: 2, prev: GENESIS_PREV, time, actor: { name: 'Ann Example', key: 'f'.repeat(64) }, kind, payload });

describe('projectEntry (the rows the custody log gives)', () => {
  it('an opened case gives its cases row', () => {
    expect(projectEntry(entry('case.opened', { number: 'C-1', title: 'T' }))).toEqual({ table: 'cases', values: { number: 'C-1', title: 'T' } });
  });

  it('an evidence item keeps its fields, seals as JSON, and a missing or mistyped field as null', () => {
    expect(projectEntry(entry('evidence.registered', { number: 'EV-1', serial: 'S', capacity_bytes: 512, seals: ['A1', 'B2'], model: 7 as unknown as string }))).toEqual({
      table: 'evidence',
      values: { number: 'EV-1', description: null, make: null, model: null, serial: 'S', capacity_bytes: 512, condition: null, seals: '["A1","B2"]' },
    });
  });

  it('an acquisition flattens its media, hashes, record and times; the examiner is the actor', () => {
    const p: Payload = {
      evidence: 'EV-1',
      result: 'complete',
      format: 'raw',
      folder: '/f',
      record: { file: 'EV-1.exhibit.yaml', sha256: 'a'.repeat(64) },
      media: { size_bytes: 1024, hashes: { md5: 'm', sha256: 's' } },
      unreadable_sectors: 3,
      started: { utc: 'T0' },
      finished: { utc: 'T1' },
    };
    const values = { evidence: 'EV-1', examiner: 'Ann Example', result: 'complete', format: 'raw', folder: '/f', record_file: 'EV-1.exhibit.yaml', record_sha256: 'a'.repeat(64), size_bytes: 1024, md5: 'm', sha1: null, sha256: 's', sha512: null, unreadable_sectors: 3, started_utc: 'T0', finished_utc: 'T1' };
    expect(projectEntry(entry('acquisition.completed', p))).toEqual({ table: 'acquisitions', values });
    expect(projectEntry(entry('acquisition.incomplete', { ...p, result: 'incomplete' }))).toEqual({ table: 'acquisitions', values: { ...values, result: 'incomplete' } });
    // Media that is not an object gives nulls, never an exception.
    expect(projectEntry(entry('acquisition.completed', { evidence: 'EV-1', media: 'x' }))!.values).toMatchObject({ size_bytes: null, md5: null, record_file: null });
  });

  it('a transfer names both parties; a verification and a report take the entry time and actor', () => {
    expect(projectEntry(entry('custody.transferred', { evidence: 'EV-1', from: { name: 'A', key: 'ka' }, to: { name: 'B', key: 'kb' }, purpose: 'lab', location: 'L' }))).toEqual({
      table: 'transfers',
      values: { evidence: 'EV-1', time_utc: time.utc, from_name: 'A', from_key: 'ka', to_name: 'B', to_key: 'kb', purpose: 'lab', location: 'L', override: null },
    });
    const overridden = entry('custody.transferred', { evidence: 'EV-1', from: { name: 'A', key: 'ka' }, to: { name: 'B' }, purpose: 'lab', location: 'L', override: { reason: 'handed over unlogged', holder: 'C' } });
    expect(projectEntry(overridden)?.values.override).toBe('handed over unlogged');
    expect(projectEntry(entry('verification.performed', { evidence: 'EV-1', result: 'verified' }))).toEqual({
      table: 'verifications',
      values: { evidence: 'EV-1', time_utc: time.utc, examiner: 'Ann Example', result: 'verified' },
    });
    expect(projectEntry(entry('report.issued', { file: 'r.pdf', sha256: 'h' }))).toEqual({ table: 'reports', values: { time_utc: time.utc, examiner: 'Ann Example', file: 'r.pdf', sha256: 'h' } });
  });

  it('key registrations, restores, conversions and clones give no row: the log alone holds them', () => {
    for (const kind of ['key.registered', 'image.restored', 'image.converted', 'drive.cloned'] as const) expect(projectEntry(entry(kind, {}))).toBeUndefined();
  });
});
