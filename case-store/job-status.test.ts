import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exhibitPaths } from './paths.js';
import { findJob, jobsDir, JobPublisher, listJobs } from './job-status.js';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'exhibit-jobs-'));
const paths = exhibitPaths({ EXHIBIT_HOME: home });
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

describe("this machine's job status", () => {
  it('publishes a job from start to end, and lists it', () => {
    const job = JobPublisher.start(paths, { kind: 'acquisition', subject: '/dev/loop9', evidence: 'EV-1' });
    expect(listJobs(paths)[0]).toMatchObject({ id: job.id, state: 'running', evidence: 'EV-1' });
    job.phase('acquiring', 1000);
    job.progress(400, { sectorCount: 2, ranges: [{ first_sector: 3, sectors: 2 }] });
    job.finish('complete', 'complete; 2 sectors unreadable');
    expect(findJob(paths, job.id)).toMatchObject({ state: 'complete', done_bytes: 400, total_bytes: 1000, unreadable_sectors: 2, bad_ranges: [{ first_sector: 3, sectors: 2 }] });
  });

  it('says a job whose process is gone stopped; ignores files that are not jobs', () => {
    const job = JobPublisher.start(paths, { kind: 'verification', subject: 'EV.raw' });
    const file = path.join(jobsDir(paths), `${job.id}.json`);
    const status = JSON.parse(fs.readFileSync(file, 'utf8'));
    job.finish('complete', 'done');
    fs.writeFileSync(file, JSON.stringify({ ...status, owner: { ...status.owner, pid: 2 ** 22 + 12345 } })); // no such process
    fs.writeFileSync(path.join(jobsDir(paths), '20260101000000-1-deadbeef.json'), '{"v":1,"id":"../../etc/passwd"}');
    const found = findJob(paths, job.id);
    expect(found?.state).toBe('stopped');
    expect(listJobs(paths).map((j) => j.id)).not.toContain('../../etc/passwd');
    expect(findJob(paths, '../x')).toBeUndefined();
  });
});
