/**
 * A throwaway PostgreSQL cluster for the tests (Debian's `postgresql`): initdb into a temporary
 * folder as the `postgres` user (initdb refuses root), the server on a Unix socket in that folder
 * and no TCP port, stopped with the test file. Outside CI a missing server is a skip with its
 * reason; with CI=true it is a failure.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isRoot, tempDir } from './cli.js';
import { TEMP_LIST_VARIABLE } from '../global-setup.js';

export interface Cluster {
  /** A new empty database on the cluster, as an EXHIBIT_STORE URL. */
  database(name: string): string;
  /** Run SQL on one database as the superuser (psql); returns its output. */
  sql(url: string, sql: string): string;
  stop(): void;
}

function pgBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(a) - Number(b));
  const v = versions[versions.length - 1];
  return v === undefined ? undefined : path.join(root, v, 'bin');
}

/** Why a cluster cannot be started here, or undefined. With CI=true this is never a reason to skip. */
export function needsPostgres(): string | undefined {
  const why = !pgBin() ? 'needs PostgreSQL (apt-get install postgresql)' : !isRoot ? 'needs root to start a PostgreSQL cluster as the postgres user' : undefined;
  if (why && process.env.CI === 'true') throw new Error(`CI=true, and the PostgreSQL tests cannot run: ${why}`);
  return why;
}

/**
 * A new cluster's data folder at `data` (made, empty, owned by postgres). initdb costs about 1.7 s
 * of CPU, so the first cluster of a test run keeps a copy of what it made in the run's own folder
 * (removed with the run, test/global-setup.ts) and later ones copy that: a data folder holds no
 * path of its own, and a stopped cluster's files copied are the cluster. Two files that both find
 * no copy each run initdb; the first to finish keeps its copy (rename is atomic), the other drops its.
 */
function initData(bin: string, data: string, as: (args: string[]) => string): void {
  const list = process.env[TEMP_LIST_VARIABLE];
  const kept = list ? path.join(path.dirname(list), `pg-template-${path.basename(path.dirname(bin))}`) : undefined;
  if (kept && fs.existsSync(path.join(kept, 'PG_VERSION'))) {
    fs.rmdirSync(data);
    const r = spawnSync('cp', ['-a', '--reflink=auto', kept, data], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cp -a ${kept} ${data} failed: ${r.stderr || r.error?.message}`);
    return;
  }
  // --no-sync: initdb's own flushes cost seconds of waiting on a busy disk, for a cluster thrown away.
  as([path.join(bin, 'initdb'), '--no-sync', '-D', data, '-A', 'trust', '-U', 'exhibit', '--locale=C', '-E', 'UTF8']);
  if (!kept) return;
  const mine = `${kept}.${process.pid}`;
  if (spawnSync('cp', ['-a', '--reflink=auto', data, mine]).status !== 0) return fs.rmSync(mine, { recursive: true, force: true });
  try {
    fs.renameSync(mine, kept);
  } catch {
    fs.rmSync(mine, { recursive: true, force: true }); // another file's copy was kept first
  }
}

export function startCluster(): Cluster {
  const bin = pgBin()!;
  const dir = tempDir('exhibit-pg-');
  fs.chmodSync(dir, 0o755);
  const data = path.join(dir, 'data');
  fs.mkdirSync(data, { mode: 0o700 });
  spawnSync('chown', ['-R', 'postgres:postgres', dir]);
  const as = (args: string[]): string => {
    const r = spawnSync('runuser', ['-u', 'postgres', '--', ...args], { encoding: 'utf8', cwd: dir, timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr || r.stdout || r.error?.message}`);
    return r.stdout;
  };
  initData(bin, data, as);
  // fsync off: a test cluster is thrown away, and durability is PostgreSQL's to prove, not ours.
  as([path.join(bin, 'pg_ctl'), '-D', data, '-o', `-k ${dir} -c listen_addresses= -c fsync=off -c max_connections=60`, '-l', path.join(dir, 'log'), '-w', 'start']);
  const url = (db: string) => `postgresql://exhibit@/${db}?host=${dir}`;
  // The server's process id, read now: at exit the temporary folders may be gone before this stop
  // runs (pg_ctl then finds no data folder), and the server must still end.
  const pid = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    spawnSync('runuser', ['-u', 'postgres', '--', path.join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop'], { timeout: 60_000 });
    try {
      process.kill(pid, 'SIGQUIT'); // PostgreSQL's immediate shutdown; ESRCH when pg_ctl already stopped it
    } catch {
      // already ended
    }
  };
  process.once('exit', stop);
  return {
    database(name) {
      as([path.join(bin, 'createdb'), '-h', dir, '-U', 'exhibit', name]);
      return url(name);
    },
    sql(u, sql) {
      const db = /^postgresql:\/\/[^/]*\/([^?]+)/.exec(u)![1]!;
      return as([path.join(bin, 'psql'), '-h', dir, '-U', 'exhibit', '-d', db, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql]);
    },
    stop,
  };
}
