import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findJobStatus, jobStatuses, MAX_RANGES, publishJob, type JobRow } from './jobs.js';
import { exhibitPaths } from './paths.js';
import { CaseStore } from './store.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exhibit-jobs-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const row = (id: string, over: Partial<JobRow>): JobRow => ({ id, command: 'acquire', host: 'ws-1', pid: 1, examiner: 'J. Doe', case_number: 'C-1', evidence: 'EV-1', started_utc: ago(60_000), updated_utc: ago(1_000), state: 'running', phase: 'acquiring', bytes_done: 50, bytes_total: 100, rate: 10, exit_code: null, ...over });

describe("the dashboard's jobs, from the store's rows", () => {
  const store = CaseStore.open(exhibitPaths({ EXHIBIT_HOME: dir }));
  afterAll(() => store.close());

  it('shows running jobs first, a silent one as stopped, and how a finished one ended', () => {
    publishJob(store, row('aaaaaaaa-1', { details: JSON.stringify({ kind: 'acquisition', subject: '/dev/sdb', model: 'DISK', sector_size: 512 }), unreadable_sectors: 3 }));
    publishJob(store, row('aaaaaaaa-2', { updated_utc: ago(31_000), started_utc: ago(30_000) }));
    publishJob(store, row('aaaaaaaa-3', { state: 'failed', exit_code: 3, started_utc: ago(10_000), details: JSON.stringify({ kind: 'acquisition', subject: '/dev/sdc', outcome: 'complete', result: 'complete; 2 sectors unreadable' }) }));
    const jobs = jobStatuses(store);
    expect(jobs.map((j) => [j.id, j.state])).toEqual([['aaaaaaaa-1', 'running'], ['aaaaaaaa-3', 'complete'], ['aaaaaaaa-2', 'stopped']]);
    expect(jobs[0]).toMatchObject({ kind: 'acquisition', subject: '/dev/sdb', model: 'DISK', host: 'ws-1', case: 'C-1', evidence: 'EV-1', done_bytes: 50, total_bytes: 100, seconds_left: 5, unreadable_sectors: 3 });
    expect(jobs[1]!.result).toBe('complete; 2 sectors unreadable');
    expect(jobs[2]).toMatchObject({ kind: 'acquisition', subject: 'EV-1', result: expect.stringMatching(/^silent since /) });
  });

  it('lets only whole, bounded unreadable ranges through from a row any workstation may write', () => {
    const ranges = [{ first_sector: -1, sectors: 5 }, { first_sector: 10, sectors: 'x' }, ...Array.from({ length: MAX_RANGES + 50 }, (_, i) => ({ first_sector: 100 + i * 10, sectors: 2 }))];
    publishJob(store, row('bbbbbbbb-1', { details: JSON.stringify({ kind: 'acquisition', subject: 's', bad_ranges: ranges, sector_size: -4 }) }));
    const job = findJobStatus(store, 'bbbbbbbb-1')!;
    expect(job.bad_ranges).toHaveLength(MAX_RANGES - 2);
    expect(job.bad_ranges![0]).toEqual({ first_sector: 100, sectors: 2 });
    expect(job.sector_size).toBeUndefined();
    expect(findJobStatus(store, '../../etc/passwd')).toBeUndefined();
  });
});
