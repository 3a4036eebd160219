/**
 * The dashboard reads jobs from the case store's live status: with a lab's shared store on
 * PostgreSQL, a job another workstation ran (its own EXHIBIT_HOME) is on this workstation's jobs
 * page, with its host, case, evidence and outcome, and its media map is served from the store's row.
 */
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exhibitPaths } from '../case-store/index.js';
import { startServer } from '../serve/server.js';
import { makeSourceFile, run, tempDir } from './helpers/cli.js';
import { needsPostgres, startCluster, type Cluster } from './helpers/postgres.js';
import { because } from './helpers/skip.js';

const work = tempDir('exhibit-serve-store-');
const pgWhy = needsPostgres();
let cluster: Cluster | undefined;
afterAll(() => cluster?.stop());

describe('the dashboard on a shared store', { timeout: 300_000 }, () => {
  (pgWhy ? it.skip : it)(because("shows another workstation's job from the lab's PostgreSQL store", pgWhy), async () => {
    cluster = startCluster();
    const url = cluster.database('dashboard');
    const other = { EXHIBIT_HOME: path.join(work, 'ws-b'), EXHIBIT_STORE: url, EXHIBIT_NO_PROGRESS: '1' };
    const src = path.join(work, 'disk.bin');
    makeSourceFile(src, 8 << 20);
    const a = run(['acquire', src, '-o', path.join(work, 'out'), '-c', 'LAB-1', '-e', 'EV-7', '-x', 'K. Smith'], { env: other });
    expect(a.code, a.stderr).toBe(0);

    const served = await startServer({ paths: exhibitPaths({ EXHIBIT_HOME: path.join(work, 'ws-a'), EXHIBIT_STORE: url }), host: '127.0.0.1', port: 0, actions: false, reportsDir: path.join(work, 'reports'), exhibitBin: '', env: {} });
    try {
      const open = await fetch(`${served.url}?token=${served.token}`, { redirect: 'manual' });
      const cookie = (open.headers.get('set-cookie') ?? '').split(';')[0]!;
      const page = await (await fetch(served.url, { headers: { cookie } })).text();
      const row = /<tr data-job="([0-9a-z-]+)">(.*?)<\/tr>/s.exec(page);
      expect(row, page).not.toBeNull();
      expect(row![2]).toContain(`acquisition <small>on ${os.hostname()}</small>`);
      expect(row![2]).toMatch(/<td>K\. Smith<\/td><td>LAB-1<\/td><td>EV-7<\/td>/);
      expect(row![2]).toMatch(/data-state>complete</);
      expect(row![2]).toMatch(/data-percent>100\.0%/);
      expect(row![2]).toMatch(/data-unreadable class="">0</);
      const map = await fetch(`${served.url}jobs/${row![1]}/map.json`, { headers: { cookie } });
      expect(map.status).toBe(200);
      expect(await fetch(`${served.url}jobs/00000000-0000-0000-0000-000000000000/map`, { headers: { cookie } }).then((r) => r.status)).toBe(404);
    } finally {
      await served.close();
    }
  });
});
