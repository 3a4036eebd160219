/**
 * Benchmark: custody appends and the full check (what `custody log`, `case show` and `custody verify`
 * run on a case in the store) for cases of 1,000, 10,000 and 100,000 entries in a store of
 * 1,000,000 entries, on both backends: SQLite (cases.db) and PostgreSQL (a throwaway cluster started
 * here as the tests start theirs: Debian's postgresql, run as root; fsync off in that cluster, so its
 * appends are not slowed by the disk while SQLite's are, with synchronous=FULL). Each backend is one
 * run of bench/custody-append.ts (the store filled by direct inserts of correctly signed entries
 * through the store's own writer). Targets (issue 21): append at most 20 ms at 100,000 entries in a
 * 1,000,000-entry store; the full check of 100,000 entries in under 30 s on two cores.
 * EXHIBIT_BENCH_STORE_TOTAL and EXHIBIT_BENCH_SIZES pass through; EXHIBIT_BENCH_BACKENDS=sqlite or
 * postgresql runs one only.
 *
 *   npm run bench:custody-store [-- --json]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { needsPostgres, startCluster, type Cluster } from '../test/helpers/postgres.js';
import { log, report, ROOT, table } from './lib.js';

interface Point { entries: number; append_ms: number; append_other_signer_ms: number; full_check_s: number }
interface Result { backend: string; store_entries: number; points: Point[] }

const TOTAL = process.env.EXHIBIT_BENCH_STORE_TOTAL ?? '1000000';
const WANT = (process.env.EXHIBIT_BENCH_BACKENDS ?? 'sqlite,postgresql').split(',');

function runAppendBench(extra: NodeJS.ProcessEnv, scratch: string): Result {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'bench', 'custody-append.js'), '--json'], {
    env: { ...process.env, EXHIBIT_BENCH_STORE_TOTAL: TOTAL, EXHIBIT_BENCH_SCRATCH: scratch, ...extra },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`the append bench failed (exit ${r.status})`);
  return JSON.parse(r.stdout) as Result;
}

function main(): void {
  const loadBefore = os.loadavg();
  const results: Result[] = [];
  const scratch = fs.mkdtempSync(path.join('/var/tmp', 'exhibit-bench-store-'));
  let cluster: Cluster | undefined;
  try {
    if (WANT.includes('sqlite')) {
      log(`SQLite: a store of ${TOTAL} entries`);
      results.push(runAppendBench({ EXHIBIT_STORE: '' }, path.join(scratch, 'sqlite')));
    }
    if (WANT.includes('postgresql')) {
      const why = needsPostgres();
      if (why) log(`PostgreSQL not measured: ${why}`);
      else {
        cluster = startCluster();
        log(`PostgreSQL: a store of ${TOTAL} entries`);
        results.push(runAppendBench({ EXHIBIT_STORE: cluster.database('bench') }, path.join(scratch, 'pg')));
      }
    }
  } finally {
    cluster?.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  const loadAfter = os.loadavg();
  report(
    () => ({ load_before: loadBefore, load_after: loadAfter, results }),
    () => [
      `load average before ${loadBefore.map((l) => l.toFixed(1)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(1)).join(' ')} (${os.availableParallelism()} cores)`,
      ...results.flatMap((r) => [
        `${r.backend}: ${r.store_entries} entries in the store`,
        ...table(
          [{ title: 'append ms', width: 10 }, { title: 'other signer ms', width: 16 }, { title: 'full check s', width: 13 }],
          r.points.map((p) => [`${p.entries} entries`, [p.append_ms.toFixed(2), p.append_other_signer_ms.toFixed(1), p.full_check_s.toFixed(2)]]),
          'case',
        ),
      ]),
    ],
  );
}

main();
