/**
 * Live status: a running acquisition publishes its progress to the case store and `exhibit status`
 * lists it while it runs and after it ends; a running job silent for 30 seconds is shown as lost.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaseStore, exhibitPaths, publishJob } from '../case-store/index.js';
import { makeSourceFile, ROOT, run, tempDir } from './helpers/cli.js';

const work = tempDir('exhibit-status-');
const home = path.join(work, 'home');
const env = { EXHIBIT_HOME: home, EXHIBIT_NO_PROGRESS: '1' };
const jobs = (): any[] => JSON.parse(run(['status', '--json'], { env }).stdout);

describe('exhibit status', () => {
  it('lists an acquisition while it runs, with its progress, and after it has finished', async () => {
    expect(run(['case', 'open', 'ST-1', '-x', 'J. Doe'], { env }).code).toBe(0); // the store exists before the job starts
    const src = path.join(work, 'disk.bin');
    makeSourceFile(src, 256 << 20);
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'exhibit.js'), 'acquire', src, '-o', path.join(work, 'out'), '-c', 'ST-1', '-e', 'EV-1', '-x', 'J. Doe'], { env: { ...process.env, ...env }, stdio: 'ignore' });
    const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let seenRunning: any;
    let ended = false;
    void exit.then(() => (ended = true));
    while (!ended && !seenRunning) {
      seenRunning = jobs().find((j) => j.command === 'acquire' && j.state === 'running' && j.bytes_total !== null); // published at start, then with its progress
      if (!seenRunning) await new Promise((r) => setTimeout(r, 100));
    }
    expect(await exit).toBe(0);
    expect(seenRunning, 'the acquisition ended before status saw it running').toBeDefined();
    expect(seenRunning).toMatchObject({ case_number: 'ST-1', evidence: 'EV-1', examiner: 'J. Doe', bytes_total: 256 << 20, pid: child.pid });
    const done = jobs().find((j) => j.id === seenRunning.id);
    expect(done).toMatchObject({ state: 'finished', exit_code: 0, bytes_done: 256 << 20 });
    const text = run(['status'], { env });
    expect(text.stdout).toMatch(/^acquire case ST-1, evidence EV-1 - finished .*exit 0: 256(\.0)? MiB of 256(\.0)? MiB 100\.0%.*; J\. Doe on /m);
  });

  it('shows a running job silent for more than 30 seconds as lost', () => {
    const store = CaseStore.open(exhibitPaths({ ...process.env, ...env }));
    const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
    try {
      for (const [id, silent] of [['quiet', 31_000], ['alive', 5_000]] as const) {
        publishJob(store, { id, command: 'verify', host: 'ws-9', pid: 1, examiner: 'K. Smith', case_number: 'ST-1', evidence: 'EV-1', started_utc: at(60_000), updated_utc: at(silent), state: 'running', phase: 'verifying', bytes_done: 1, bytes_total: 2, rate: 1, exit_code: null });
      }
    } finally {
      store.close();
    }
    const list = jobs();
    expect(list.find((j) => j.id === 'quiet').state).toBe('lost');
    expect(list.find((j) => j.id === 'alive').state).toBe('running');
    expect(run(['status'], { env }).stdout).toMatch(/^verify case ST-1, evidence EV-1 - LOST \(silent since /m);
  });
});
