/**
 * The lab's case store on PostgreSQL under load: 8 workstations (processes, each with its own
 * EXHIBIT_HOME and examiner keys) making 30 custody transfers each into one case, 4 acquisitions
 * logging into the same case at the same time, and a ninth appender killed (SIGKILL) while it
 * appends. Every entry lands once, the chain verifies, and the killed process leaves no half entry.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSourceFile, ROOT, run, tempDir } from './helpers/cli.js';
import { needsPostgres, startCluster, type Cluster } from './helpers/postgres.js';
import { because } from './helpers/skip.js';

const work = tempDir('exhibit-lab-');
const why = needsPostgres();
let cluster: Cluster | undefined;
afterAll(() => cluster?.stop());

const DRIVER = path.join(ROOT, 'dist', 'test', 'helpers', 'store-driver.js');
const BIN = path.join(ROOT, 'bin', 'exhibit.js');
const exited = (c: ChildProcess): Promise<number | null> => new Promise((resolve) => c.on('exit', (code) => resolve(code)));

// Each workstation's transfers: enough that all eight append at once for most of the run (each append is a
// transaction of its own, so the contention is per append, not per workstation).
const TRANSFERS = 30;

describe('the case store on PostgreSQL, shared by a lab', () => {
  (why ? it.skip : it)(because(`8 workstations x ${TRANSFERS} transfers, 4 acquisitions and an appender killed mid-way: every entry once, the chain sound`, why), async () => {
    cluster = startCluster();
    const store = cluster.database('lab');
    const env = (ws: string): NodeJS.ProcessEnv => ({ ...process.env, EXHIBIT_STORE: store, EXHIBIT_HOME: path.join(work, ws), EXHIBIT_NO_PROGRESS: '1' });
    expect(run(['case', 'open', 'LAB-1', '-x', 'Case Officer'], { env: env('officer') }).code).toBe(0);

    const transfers = Array.from({ length: 8 }, (_, i) => spawn(process.execPath, [DRIVER, 'LAB-1', `EV-${i + 1}`, String(TRANSFERS), `${i + 1}`], { env: env(`ws-${i + 1}`), stdio: ['ignore', 'ignore', 'pipe'] }));
    const acquisitions = Array.from({ length: 4 }, (_, i) => {
      const src = path.join(work, `disk-${i + 1}.bin`);
      makeSourceFile(src, 4 << 20, i + 1);
      return spawn(process.execPath, [BIN, 'acquire', src, '-o', path.join(work, `out-${i + 1}`), '-c', 'LAB-1', '-e', `DISK-${i + 1}`, '-x', `Imager ${i + 1}`], { env: env(`imager-${i + 1}`), stdio: ['ignore', 'ignore', 'pipe'] });
    });
    // The ninth appender is killed once it has committed 5 transfers, while it goes on appending.
    const victim = spawn(process.execPath, [DRIVER, 'LAB-1', 'EV-9', '1000', '9'], { env: env('ws-9'), stdio: ['ignore', 'pipe', 'pipe'] });
    const victimExit = exited(victim); // listened for now: it may end before the others
    let committed = 0;
    victim.stdout!.on('data', (d: Buffer) => {
      committed = Math.max(committed, ...String(d).trim().split('\n').map((l) => Number(/appended (\d+)/.exec(l)?.[1] ?? 0)));
      if (committed >= 5) victim.kill('SIGKILL');
    });
    const errors: string[] = [];
    for (const c of [...transfers, ...acquisitions]) c.stderr!.on('data', (d: Buffer) => errors.push(String(d)));
    const t0 = Date.now();
    const codes = await Promise.all([...transfers, ...acquisitions].map(exited));
    process.stderr.write(`lab load: ${Date.now() - t0} ms for ${8 * TRANSFERS} transfers and 4 acquisitions\n`);
    expect(codes, errors.join('')).toEqual(Array(12).fill(0));
    await victimExit;

    const r = run(['custody', 'log', 'LAB-1', '--json'], { env: env('officer') });
    expect(r.code, r.stdout.slice(-2000)).toBe(0);
    const log = JSON.parse(r.stdout) as { verified: boolean; log: { seq: number; kind: string; payload: Record<string, unknown> }[] };
    expect(log.verified).toBe(true);
    expect(log.log.map((e) => e.seq)).toEqual(log.log.map((_, i) => i + 1));
    const moves = log.log.filter((e) => e.kind === 'custody.transferred').map((e) => `${String(e.payload.location)}/${String(e.payload.purpose)}`);
    expect(new Set(moves).size).toBe(moves.length); // each landed once
    for (let ws = 1; ws <= 8; ws++) {
      expect(moves.filter((m) => m.startsWith(`desk ${ws}/`)).sort()).toEqual(Array.from({ length: TRANSFERS }, (_, i) => `desk ${ws}/hand-over ${i + 1}`).sort());
    }
    const killed = moves.filter((m) => m.startsWith('desk 9/')).length;
    expect(killed).toBeGreaterThanOrEqual(5); // what it reported committed is there ...
    expect(killed).toBeLessThanOrEqual(committed + 1); // ... and at most the append it was killed in, whole
    expect(log.log.filter((e) => e.kind === 'acquisition.completed')).toHaveLength(4);
  }, 600_000);
});
