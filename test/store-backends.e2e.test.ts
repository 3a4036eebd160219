/**
 * One suite, run against each backend of the case store: SQLite (cases.db under EXHIBIT_HOME) and
 * PostgreSQL (EXHIBIT_STORE, on a throwaway cluster: test/helpers/postgres.ts). Schema migrations,
 * projections re-derived from the signed log and compared, tampering found and nothing added, and
 * concurrent appenders in separate processes never forking a log.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaseStore, checkCase, exhibitPaths, MIGRATIONS } from '../case-store/index.js';
import { PG_MIGRATIONS } from '../case-store/pg-migrations.js';
import { generateSigningKey } from '../core/crypto.js';
import { makeSourceFile, ROOT, run as inProcess, tempDir, type RunResult } from './helpers/cli.js';
import { needsPostgres, startCluster, type Cluster } from './helpers/postgres.js';
import { because } from './helpers/skip.js';

const work = tempDir('exhibit-backends-');
const pgWhy = needsPostgres();
let cluster: Cluster | undefined;
afterAll(() => cluster?.stop());
let made = 0;

interface Backend {
  name: string;
  skip?: string;
  /** A new empty store: its environment, and a way to run SQL on it behind exhibit's back. */
  fresh(): { env: NodeJS.ProcessEnv; sql: (statement: string) => void };
}

const BACKENDS: Backend[] = [
  {
    name: 'SQLite',
    fresh() {
      const home = path.join(work, `sqlite-${++made}`);
      return {
        env: { EXHIBIT_HOME: home },
        sql: (s) => {
          const db = new Database(path.join(home, 'cases.db'));
          db.pragma('foreign_keys = OFF');
          db.exec(s);
          db.close();
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    ...(pgWhy ? { skip: pgWhy } : {}),
    fresh() {
      cluster ??= startCluster();
      const url = cluster.database(`store_${++made}`);
      return { env: { EXHIBIT_HOME: path.join(work, `pg-${made}`), EXHIBIT_STORE: url }, sql: (s) => void cluster!.sql(url, s) };
    },
  },
];

const json = (r: RunResult): any => JSON.parse(r.stdout);
const DRIVER = path.join(ROOT, 'dist', 'test', 'helpers', 'store-driver.js');

/** Run the store driver as a process of its own (a workstation); resolves with its exit code. */
export function driver(env: NodeJS.ProcessEnv, args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [DRIVER, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
    c.on('exit', (code) => resolve(code));
  });
}

describe.each(BACKENDS)('the case store on $name', (b) => {
  const t = b.skip ? it.skip : it;
  const run = (env: NodeJS.ProcessEnv, args: string[]): RunResult => inProcess(args, { env });

  t(because('brings a new store to the last schema, and an older one up to it keeping what it holds', b.skip), () => {
    expect(PG_MIGRATIONS.length).toBe(MIGRATIONS.length); // one schema version means the same tables on both
    const { env } = b.fresh();
    const paths = exhibitPaths({ ...process.env, ...env });
    const old = CaseStore.open(paths, 1);
    expect(old.schemaVersion()).toBe(1);
    const key = generateSigningKey();
    old.db.run('INSERT INTO examiner_keys (fingerprint, examiner, public_pem, private_file, encrypted, created_utc) VALUES (?, ?, ?, NULL, 0, ?)', [key.fingerprint, 'Old Examiner', key.publicPem, new Date().toISOString()]);
    old.close();
    expect(run(env, ['case', 'open', 'C-NEW', '-x', 'New Examiner']).code).toBe(0);
    const now = CaseStore.open(paths);
    try {
      expect(now.schemaVersion()).toBe(MIGRATIONS.length);
      expect(now.db.get<{ examiner: string }>('SELECT examiner FROM examiner_keys WHERE fingerprint = ?', [key.fingerprint])?.examiner).toBe('Old Examiner');
    } finally {
      now.close();
    }
  });

  t(because('logs a case\'s work and re-derives every projected row from the signed log', b.skip), () => {
    const { env } = b.fresh();
    const src = path.join(work, `src-${made}.bin`);
    makeSourceFile(src, 1 << 20);
    const a = run(env, ['acquire', src, '-o', path.join(work, `out-${made}`), '-c', 'C-1', '-e', 'EV-1', '-x', 'J. Doe']);
    expect(a.code, a.stderr).toBe(0);
    expect(run(env, ['evidence', 'add', 'C-1', 'EV-2', '--serial', 'S-2', '--seal', 'A-7', '-x', 'J. Doe']).code).toBe(0);
    for (const [from, to] of [['J. Doe', 'K. Smith'], ['K. Smith', 'J. Doe'], ['J. Doe', 'K. Smith']]) {
      const r = run(env, ['custody', 'transfer', 'C-1', 'EV-1', '--from', from!, '--to', to!, '--purpose', 'analysis', '--location', 'Lab 2']);
      expect(r.code, r.stderr).toBe(0);
    }
    const show = json(run(env, ['case', 'show', 'C-1', '--json']));
    expect(show.problems ?? []).toEqual([]);
    expect(show.acquisitions).toHaveLength(1);
    expect(show.evidence.map((e: { number: string }) => e.number)).toEqual(['EV-1', 'EV-2']);
    expect(show.transfers.map((e: { to_name: string }) => e.to_name)).toEqual(['K. Smith', 'J. Doe', 'K. Smith']);
    const store = CaseStore.open(exhibitPaths({ ...process.env, ...env }));
    try {
      const check = checkCase(store, store.getCase('C-1')); // every row compared with the entry it comes from
      expect(check.problems).toEqual([]);
      expect(check.entries.filter((e) => e.entry.kind === 'custody.transferred')).toHaveLength(3);
    } finally {
      store.close();
    }
    const log = json(run(env, ['custody', 'log', 'C-1', '--json']));
    expect(log.verified).toBe(true);
  });

  t(because('finds rows and entries edited behind its back, and adds nothing to that log', b.skip), () => {
    const { env, sql } = b.fresh();
    for (const args of [
      ['case', 'open', 'C-2', '-x', 'J. Doe'],
      ['evidence', 'add', 'C-2', 'EV-1', '--serial', 'S-1', '-x', 'J. Doe'],
      ['custody', 'transfer', 'C-2', 'EV-1', '--from', 'J. Doe', '--to', 'K. Smith', '--purpose', 'analysis', '--location', 'Lab 2'],
      ['key', 'create', '-x', 'K. Smith'],
    ]) expect(run(env, args).code).toBe(0);
    const entries = () => json(run(env, ['custody', 'log', 'C-2', '--json'])).log.length;
    const before = entries();
    sql("UPDATE evidence SET serial = 'XYZ'");
    const log = run(env, ['custody', 'log', 'C-2']);
    expect(log.code).toBe(4);
    expect(log.stdout).toMatch(/its row in the evidence table differs from the signed entry \(serial\)/);
    const w = run(env, ['custody', 'transfer', 'C-2', 'EV-1', '--from', 'K. Smith', '--to', 'J. Doe', '--purpose', 'return', '--location', 'Lab 2']);
    expect(w.code).toBe(4);
    expect(w.stderr).toMatch(/the custody log of case C-2 fails its check/);
    sql("UPDATE evidence SET serial = 'S-1'");
    expect(entries()).toBe(before);
    sql("UPDATE custody_entries SET line = replace(line, 'Lab 2', 'Lab 9') WHERE seq = 4"); // the transfer
    const w2 = run(env, ['custody', 'transfer', 'C-2', 'EV-1', '--from', 'K. Smith', '--to', 'J. Doe', '--purpose', 'return', '--location', 'Lab 2']);
    expect(w2.code).toBe(4);
    expect(w2.stderr).toMatch(/the custody log of case C-2 fails its check/);
  });

  t(because('an append checked from the checkpoint still refuses a row beyond the log, an edited last line and a rollback seen', b.skip), () => {
    const { env, sql } = b.fresh();
    for (const args of [
      ['case', 'open', 'C-4', '-x', 'J. Doe'],
      ['evidence', 'add', 'C-4', 'EV-1', '--serial', 'S-1', '-x', 'J. Doe'],
      ['key', 'create', '-x', 'K. Smith'],
      // Both signers' keys registered in the case, so the appends below are checked from the checkpoint.
      ...[['J. Doe', 'K. Smith'], ['K. Smith', 'J. Doe'], ['J. Doe', 'K. Smith']].map(([from, to]) => ['custody', 'transfer', 'C-4', 'EV-1', '--from', from!, '--to', to!, '--purpose', 'analysis', '--location', 'Lab 2', '--no-countersign']),
    ]) expect(run(env, args).code, args.join(' ')).toBe(0);
    const transfer = (from: string, to: string) => run(env, ['custody', 'transfer', 'C-4', 'EV-1', '--from', from, '--to', to, '--purpose', 'return', '--location', 'Lab 2', '--no-countersign']);
    const entries = () => json(run(env, ['custody', 'log', 'C-4', '--json'])).log.length as number;
    const count = entries();
    const caseId = "(SELECT id FROM cases WHERE number = 'C-4')";

    // A row for an entry the log does not have yet (in each table the check looks beyond).
    sql(`INSERT INTO verifications (case_id, entry_seq, evidence, examiner, time_utc, result) VALUES (${caseId}, ${count + 1}, 'EV-1', 'J. Doe', '2026-01-01T00:00:00Z', 'verified')`);
    const w1 = transfer('K. Smith', 'J. Doe');
    expect(w1.code).toBe(4);
    expect(w1.stderr).toMatch(new RegExp(`the verifications table holds a row \\(for entry ${count + 1}\\) that no signed entry accounts for`));
    sql(`DELETE FROM verifications WHERE entry_seq = ${count + 1}`);

    // The last line, edited where no row shows it: its hash is no longer the checkpoint's head.
    sql(`UPDATE custody_entries SET line = replace(line, '"signatures":[', '"signatures":[ ') WHERE seq = ${count}`);
    const w2 = transfer('K. Smith', 'J. Doe');
    expect(w2.code).toBe(4);
    expect(w2.stderr).toMatch(/the custody log of case C-4 fails its check/);
    sql(`UPDATE custody_entries SET line = replace(line, '"signatures":[ ', '"signatures":[') WHERE seq = ${count}`);

    // A rollback the store has seen: a sound copy longer than its log.
    sql(`INSERT INTO rollbacks_seen (case_id, size, head, place, seen_utc) VALUES (${caseId}, ${count + 5}, 'ab', '/media/copy', '2026-01-01T00:00:00Z')`);
    const w3 = transfer('K. Smith', 'J. Doe');
    expect(w3.code).toBe(4);
    expect(w3.stderr).toMatch(new RegExp(`was rolled back: a copy of it beside an image \\(/media/copy, seen 2026-01-01T00:00:00Z\\) holds ${count + 5} entries`));
    sql(`DELETE FROM rollbacks_seen WHERE size = ${count + 5}`);

    expect(entries()).toBe(count); // nothing was added to a log that failed
    expect(transfer('K. Smith', 'J. Doe').code).toBe(0); // and once repaired, it grows again
    expect(entries()).toBe(count + 1);
  });

  t(because('four processes appending to one case at once never fork its log', b.skip), async () => {
    const { env } = b.fresh();
    expect(run(env, ['case', 'open', 'C-3', '-x', 'J. Doe']).code).toBe(0);
    const codes = await Promise.all([1, 2, 3, 4].map((i) => driver({ ...env, EXHIBIT_HOME: `${env.EXHIBIT_STORE ? path.join(work, `ws-${made}-${i}`) : env.EXHIBIT_HOME}` }, ['C-3', `EV-${i}`, '10', String(i)])));
    expect(codes).toEqual([0, 0, 0, 0]);
    const log = json(run(env, ['custody', 'log', 'C-3', '--json']));
    expect(log.verified).toBe(true);
    expect(log.log.filter((e: { kind: string }) => e.kind === 'custody.transferred')).toHaveLength(40);
    expect(log.log.map((e: { seq: number }) => e.seq)).toEqual(log.log.map((_: unknown, i: number) => i + 1));
  });
});
