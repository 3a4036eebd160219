/**
 * Benchmark: what one custody append costs the case store, on both backends: SQLite (cases.db) and
 * PostgreSQL (a throwaway cluster started as the tests start theirs; fsync off). Per custody
 * transfer (two signers, the quick check before it, in a case of a few hundred entries): the
 * queries sent to the store (every call through the StoreBackend interface, BEGIN/COMMIT included;
 * counted by wrapping the store's own object), and this process's CPU time (main thread and
 * PostgreSQL's worker thread) and wall time. Per acquisition (`exhibit acquire` of a 4 MiB file into
 * that case, as a process of its own, its examiner already known to the case): CPU time and wall
 * time of the whole process, measured by /usr/bin/time. Rounds alternate the backends;
 * medians are printed. EXHIBIT_BENCH_TRANSFERS (default 200) and EXHIBIT_BENCH_ROUNDS (default 3).
 *
 *   npm run bench:store-round-trips [-- --json]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaseStore, createKey, exhibitPaths, loadSigner, openCase, recordTransfer, registerEvidence, type Signer } from '../case-store/index.js';
import { makeSourceFile } from '../test/helpers/cli.js';
import { needsPostgres, startCluster, type Cluster } from '../test/helpers/postgres.js';
import { EXHIBIT, log, report, ROUNDS, table } from './lib.js';

const TRANSFERS = Number(process.env.EXHIBIT_BENCH_TRANSFERS ?? 200);
const CASE = 'RT-1';

interface Point { backend: string; round: number; queries_per_transfer: number; transfer_cpu_ms: number; transfer_wall_ms: number; acquire_cpu_s: number; acquire_wall_s: number }

interface Backend { name: string; env: NodeJS.ProcessEnv; home: string; round: number; holder?: Signer; other?: Signer }

/** Count every query the store sends, at the StoreBackend interface (all, get and run; lock and unlock run through run). */
function countQueries(store: CaseStore): { count: () => number } {
  let n = 0;
  const db = store.db as unknown as Record<'all' | 'get' | 'run', (...a: unknown[]) => unknown>;
  for (const m of ['all', 'get', 'run'] as const) {
    const orig = db[m]!.bind(db);
    db[m] = (...a: unknown[]) => {
      n++;
      return orig(...a);
    };
  }
  return { count: () => n };
}

function transfers(b: Backend, evidence: string): Pick<Point, 'queries_per_transfer' | 'transfer_cpu_ms' | 'transfer_wall_ms'> {
  const store = CaseStore.open(exhibitPaths(b.env));
  try {
    let holder = loadSigner(store, 'Examiner A');
    let other = loadSigner(store, 'Clerk B');
    registerEvidence(store, CASE, { number: evidence, serial: `S-${evidence}` }, holder);
    const counter = countQueries(store);
    const q0 = counter.count();
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 1; i <= TRANSFERS; i++) {
      recordTransfer(store, CASE, evidence, holder, { name: other.name, signer: other }, `hand-over ${i}`, 'bench desk');
      [holder, other] = [other, holder];
    }
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    return { queries_per_transfer: (counter.count() - q0) / TRANSFERS, transfer_cpu_ms: (cpu.user + cpu.system) / 1000 / TRANSFERS, transfer_wall_ms: wallMs / TRANSFERS };
  } finally {
    store.close();
  }
}

function acquire(b: Backend, scratch: string, evidence: string): { cpu: number; wall: number } {
  const src = path.join(scratch, `${evidence}.bin`);
  makeSourceFile(src, 4 << 20, b.round + 1);
  const out = path.join(scratch, `${b.name}-${evidence}`);
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %U %S %e', process.execPath, EXHIBIT, 'acquire', src, '-o', out, '-c', CASE, '-e', evidence, '-x', 'Imager C'], { env: b.env, encoding: 'utf8' });
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`exhibit acquire failed (exit ${r.status}): ${r.stderr.slice(-500)}`);
  fs.rmSync(src);
  fs.rmSync(out, { recursive: true, force: true });
  return { cpu: Number(m[1]) + Number(m[2]), wall: Number(m[3]) };
}

/** A store with the case open, its examiners' keys made, and one acquisition by Imager C logged (so later ones take the quick check). */
function prepare(b: Backend, scratch: string): void {
  fs.mkdirSync(b.home, { recursive: true });
  const store = CaseStore.open(exhibitPaths(b.env));
  try {
    for (const name of ['Examiner A', 'Clerk B']) createKey(store, name);
    openCase(store, CASE, 'round trips', loadSigner(store, 'Examiner A'));
  } finally {
    store.close();
  }
  acquire(b, scratch, 'WARM-UP');
  transfers(b, 'EV-WARM'); // the clerk's key registered, the case a few hundred entries long
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function main(): void {
  const loadBefore = os.loadavg();
  const scratch = fs.mkdtempSync(path.join('/var/tmp', 'exhibit-bench-round-trips-'));
  const backends: Backend[] = [];
  let cluster: Cluster | undefined;
  const points: Point[] = [];
  try {
    const sqliteHome = path.join(scratch, 'sqlite-home');
    backends.push({ name: 'SQLite', home: sqliteHome, env: { ...process.env, EXHIBIT_HOME: sqliteHome, EXHIBIT_STORE: '', EXHIBIT_NO_PROGRESS: '1' }, round: 0 });
    const why = needsPostgres();
    if (why) log(`PostgreSQL not measured: ${why}`);
    else {
      cluster = startCluster();
      const pgHome = path.join(scratch, 'pg-home');
      backends.push({ name: 'PostgreSQL', home: pgHome, env: { ...process.env, EXHIBIT_HOME: pgHome, EXHIBIT_STORE: cluster.database('trips'), EXHIBIT_NO_PROGRESS: '1' }, round: 0 });
    }
    for (const b of backends) {
      log(`${b.name}: preparing the case`);
      prepare(b, scratch);
    }
    for (let round = 1; round <= ROUNDS; round++) {
      for (const b of backends) {
        b.round = round;
        log(`${b.name}: round ${round}`);
        const t = transfers(b, `EV-${round}`);
        const a = acquire(b, scratch, `DISK-${round}`);
        points.push({ backend: b.name, round, ...t, acquire_cpu_s: a.cpu, acquire_wall_s: a.wall });
      }
    }
  } finally {
    cluster?.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  const loadAfter = os.loadavg();
  const summary = backends.map((b) => {
    const mine = points.filter((p) => p.backend === b.name);
    const m = (k: keyof Omit<Point, 'backend' | 'round'>) => median(mine.map((p) => p[k]));
    return { backend: b.name, queries_per_transfer: m('queries_per_transfer'), transfer_cpu_ms: m('transfer_cpu_ms'), transfer_wall_ms: m('transfer_wall_ms'), acquire_cpu_s: m('acquire_cpu_s'), acquire_wall_s: m('acquire_wall_s') };
  });
  report(
    () => ({ load_before: loadBefore, load_after: loadAfter, transfers_per_round: TRANSFERS, rounds: ROUNDS, points, summary }),
    () => [
      `load average before ${loadBefore.map((l) => l.toFixed(1)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(1)).join(' ')} (${os.availableParallelism()} cores); medians of ${ROUNDS} rounds of ${TRANSFERS} transfers and one acquisition`,
      ...table(
        [{ title: 'queries/transfer', width: 17 }, { title: 'CPU ms/transfer', width: 16 }, { title: 'wall ms/transfer', width: 17 }, { title: 'acquire CPU s', width: 14 }, { title: 'acquire wall s', width: 15 }],
        summary.map((s) => [s.backend, [s.queries_per_transfer.toFixed(1), s.transfer_cpu_ms.toFixed(2), s.transfer_wall_ms.toFixed(2), s.acquire_cpu_s.toFixed(2), s.acquire_wall_s.toFixed(2)]]),
        'store',
      ),
    ],
  );
}

main();
