/**
 * Moving a workstation's case store into the lab's and back (exhibit store copy), and choosing the
 * store with `store:` in config.yaml (EXHIBIT_STORE first). The PostgreSQL side runs on a throwaway
 * cluster (test/helpers/postgres.ts).
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSourceFile, run, tempDir, type RunResult } from './helpers/cli.js';
import { needsPostgres, startCluster, type Cluster } from './helpers/postgres.js';
import { because } from './helpers/skip.js';

const work = tempDir('exhibit-store-copy-');
const pgWhy = needsPostgres();
let cluster: Cluster | undefined;
afterAll(() => cluster?.stop());
const t = pgWhy ? it.skip : it;
const json = (r: RunResult): any => JSON.parse(r.stdout);
const ok = (r: RunResult): RunResult => {
  expect(r.code, r.stderr).toBe(0);
  return r;
};
let n = 0;
const database = (): string => {
  cluster ??= startCluster();
  return cluster.database(`copy_${++n}`);
};

/** A workstation's store with one case: an acquisition, a second item, transfers. */
function workstation(name: string, caseNumber: string): NodeJS.ProcessEnv {
  const env = { EXHIBIT_HOME: path.join(work, name), EXHIBIT_NO_PROGRESS: '1' };
  const src = path.join(work, `${name}.bin`);
  makeSourceFile(src, 1 << 20);
  ok(run(['acquire', src, '-o', path.join(work, `${name}-out`), '-c', caseNumber, '-e', 'EV-1', '-x', 'J. Doe'], { env }));
  ok(run(['evidence', 'add', caseNumber, 'EV-2', '--serial', 'S-2', '-x', 'J. Doe'], { env }));
  ok(run(['custody', 'transfer', caseNumber, 'EV-1', '--from', 'J. Doe', '--to', 'K. Smith', '--purpose', 'analysis', '--location', 'Lab 2'], { env }));
  return env;
}

const logOf = (env: NodeJS.ProcessEnv, c: string): string[] => json(ok(run(['custody', 'log', c, '--json'], { env }))).log.map((e: unknown) => JSON.stringify(e));

describe('exhibit store copy', { timeout: 300_000 }, () => {
  t(because("moves a workstation's SQLite store into the lab's PostgreSQL store and back, every case checked in full", pgWhy), () => {
    const ws = workstation('ws-a', 'C-1');
    const url = database();
    const lab = { ...ws, EXHIBIT_STORE: url };
    const copy = ok(run(['store', 'copy', '--to', url], { env: ws }));
    expect(copy.stdout).toMatch(/^copied 1 case \(\d+ custody entries\) and 1 examiner key from .*cases\.db to postgresql:/);
    // On the lab's store: the same log, every signature checks, and the workstation's keys still sign there.
    expect(logOf(lab, 'C-1')).toEqual(logOf(ws, 'C-1'));
    ok(run(['custody', 'log', 'C-1'], { env: lab })); // checked in full: exit 0
    ok(run(['custody', 'transfer', 'C-1', 'EV-1', '--from', 'K. Smith', '--to', 'J. Doe', '--purpose', 'return', '--location', 'Lab 2'], { env: lab }));
    const show = json(ok(run(['case', 'show', 'C-1', '--json'], { env: lab })));
    expect(show.acquisitions).toHaveLength(1);
    expect(show.transfers).toHaveLength(2);

    // Back into a new SQLite file: the lab's longer log, byte for byte.
    const back = path.join(work, 'back', 'cases.db');
    const r = json(ok(run(['store', 'copy', '--from', url, '--to', back, '--json'], { env: ws })));
    expect(r.copied).toEqual([{ number: 'C-1', entries: logOf(lab, 'C-1').length }]);
    const backEnv = { EXHIBIT_HOME: path.dirname(back) };
    expect(logOf(backEnv, 'C-1')).toEqual(logOf(lab, 'C-1'));
    ok(run(['custody', 'log', 'C-1'], { env: backEnv }));

    // Copying again finds the case already there with the same log and leaves it.
    const again = ok(run(['store', 'copy', '--from', url, '--to', back], { env: ws }));
    expect(again.stdout).toMatch(/^copied 0 cases .*\n {2}already there with the same log, left as they were: C-1\n$/);
  });

  t(because('refuses to merge a case the two stores hold with different logs, and writes nothing', pgWhy), () => {
    const ws = workstation('ws-b', 'C-2');
    const url = database();
    const lab = { ...ws, EXHIBIT_STORE: url };
    ok(run(['store', 'copy', '--to', url], { env: ws }));
    ok(run(['custody', 'transfer', 'C-2', 'EV-1', '--from', 'K. Smith', '--to', 'J. Doe', '--purpose', 'return', '--location', 'Lab 2'], { env: ws }));
    ok(run(['case', 'open', 'C-3', '-x', 'J. Doe'], { env: ws }));
    const before = logOf(lab, 'C-2');
    const r = run(['store', 'copy', '--to', url], { env: ws });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^exhibit: error: both stores hold a case C-2, with different custody logs: exhibit does not merge them$/m);
    expect(logOf(lab, 'C-2')).toEqual(before);
    expect(run(['case', 'show', 'C-3'], { env: lab }).code).not.toBe(0); // the other case was not copied either
  });

  t(because('refuses an examiner whose current key differs between the stores', pgWhy), () => {
    const url = database();
    const a = { EXHIBIT_HOME: path.join(work, 'ws-c') };
    ok(run(['case', 'open', 'C-4', '-x', 'J. Doe'], { env: a }));
    ok(run(['key', 'create', '-x', 'J. Doe'], { env: { EXHIBIT_HOME: path.join(work, 'ws-d'), EXHIBIT_STORE: url } }));
    const r = run(['store', 'copy', '--to', url], { env: a });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the examiner J\. Doe has a different current key in each store/);
    expect(run(['case', 'list', '--json'], { env: { ...a, EXHIBIT_STORE: url } }).stdout).not.toMatch(/C-4/);
  });

  it('does not copy a store whose log fails its check (exit 4), and writes nothing', () => {
    const ws = workstation('ws-e', 'C-5');
    const db = new Database(path.join(ws.EXHIBIT_HOME!, 'cases.db'));
    db.exec("UPDATE evidence SET serial = 'XYZ' WHERE number = 'EV-2'");
    db.close();
    const to = path.join(work, 'e-copy');
    const r = run(['store', 'copy', '--to', to], { env: ws });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^exhibit: error: case C-5 in .* fails its check, so it is not copied: entry \d+: its row in the evidence table differs from the signed entry \(serial\)/m);
    expect(json(run(['case', 'list', '--json'], { env: { EXHIBIT_HOME: to } }))).toEqual([]);
  });

  it('copies between two SQLite stores, and refuses a source that does not exist or is the destination', () => {
    const ws = workstation('ws-f', 'C-6');
    const to = path.join(work, 'f-copy');
    ok(run(['store', 'copy', '--to', to], { env: ws }));
    expect(logOf({ EXHIBIT_HOME: to }, 'C-6')).toEqual(logOf(ws, 'C-6'));
    const missing = run(['store', 'copy', '--from', path.join(work, 'nowhere', 'cases.db'), '--to', to], { env: ws });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^exhibit: error: there is no case store at .*nowhere\/cases\.db$/m);
    const same = run(['store', 'copy', '--to', ws.EXHIBIT_HOME!], { env: ws });
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/the source and the destination are the same case store/);
  });
});

describe('store: in config.yaml', { timeout: 300_000 }, () => {
  t(because('puts the case store on PostgreSQL; EXHIBIT_STORE takes precedence', pgWhy), () => {
    const url = database();
    const other = database();
    const home = path.join(work, 'cfg');
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(path.join(home, 'config.yaml'), `store: ${url}\n`);
    const env = { EXHIBIT_HOME: home };
    const where = json(ok(run(['store', 'where', '--json'], { env })));
    expect(where).toEqual({ kind: 'PostgreSQL', location: expect.stringMatching(/^postgresql:\/\/exhibit@\/copy_\d+\?host=/), from: `store: in ${path.join(home, 'config.yaml')}` });
    ok(run(['case', 'open', 'C-7', '-x', 'J. Doe'], { env }));
    expect(fs.existsSync(path.join(home, 'cases.db'))).toBe(false);
    expect(json(ok(run(['case', 'list', '--json'], { env: { EXHIBIT_HOME: path.join(work, 'cfg-2'), EXHIBIT_STORE: url } }))).map((c: { case: string }) => c.case)).toEqual(['C-7']);
    const first = { ...env, EXHIBIT_STORE: other };
    expect(json(ok(run(['store', 'where', '--json'], { env: first }))).from).toBe('EXHIBIT_STORE');
    expect(json(ok(run(['case', 'list', '--json'], { env: first })))).toEqual([]);
  });

  it('says where the store is by default, and refuses a store: that is not a postgresql:// URL', () => {
    const home = path.join(work, 'cfg-3');
    fs.mkdirSync(home, { recursive: true });
    const env = { EXHIBIT_HOME: home };
    expect(ok(run(['store', 'where'], { env })).stdout).toBe(`SQLite case store ${path.join(home, 'cases.db')}\n  chosen by the default: no EXHIBIT_STORE, no store: in config.yaml\n`);
    fs.writeFileSync(path.join(home, 'config.yaml'), 'store: /srv/cases.db\n');
    const r = run(['case', 'list'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^exhibit: error: the settings file .*config\.yaml: "store" should be a postgresql:\/\/ URL/m);
    const help = ok(run(['store', '--help'], { env }));
    expect(help.stdout).toMatch(/1\. EXHIBIT_STORE=postgresql:\/\/\.\.\. .*\n +2\. store: postgresql:\/\/\.\.\. in config\.yaml/);
  });
});
