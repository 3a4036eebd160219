/**
 * The lab's backend: the case store in a PostgreSQL database, shared by every workstation, through
 * the `pg` driver. The store interface is synchronous (ARCHITECTURE.md says why) and `pg` is not, so
 * the connection lives in a worker thread (pg-worker.ts, one per thread however many stores it opens,
 * each store with a connection of its own): each call posts its query there and sleeps on an
 * Atomics.wait until the answer is back, as a call into SQLite waits for the disk.
 *
 * Writers are serialised inside PostgreSQL: every write transaction first takes one transaction-level
 * advisory lock (held until COMMIT or ROLLBACK, freed by the server if the connection dies), the
 * counterpart of SQLite's BEGIN IMMEDIATE, so two workstations never fork a custody log.
 */
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { workerUrl } from '../core/worker-url.js';
import { ExhibitError } from '../core/errors.js';
import type { Row, SqlValue, StoreBackend } from './backend.js';
import { PG_MIGRATIONS } from './pg-migrations.js';

const WRITE_LOCK = 0x65786869; // "exhi": the advisory lock every write transaction takes
const WAIT_MS = 60_000;

/**
 * The one worker thread holding this thread's PostgreSQL connections. It stays when the last store
 * closes: it then holds no connection and does not keep the process alive (unref), and the next store
 * this process opens (the next command run in process, by the dashboard or a test) finds it started,
 * its driver loaded, where a new one costs about 0.4 s of a core. A worker that ends is forgotten,
 * and the next store starts another.
 */
let shared: Worker | undefined;

function sharedWorker(): Worker {
  if (shared) return shared;
  const worker = new Worker(workerUrl(import.meta.url, 'pg-worker'));
  worker.unref();
  const forget = (): void => {
    if (shared === worker) shared = undefined;
  };
  worker.on('error', forget); // its stores' waits time out and report the store unreachable
  worker.on('exit', forget);
  return (shared = worker);
}

export function isPostgresUrl(s: string | undefined): boolean {
  return s !== undefined && /^postgres(ql)?:\/\//i.test(s.trim());
}

/** The URL without its password, for messages. */
export function safeLocation(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '';
    return u.toString();
  } catch {
    return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@/]*@/i, '$1@'); // no host (a Unix socket): the URL class refuses it
  }
}

export class PgBackend implements StoreBackend {
  readonly kind = 'PostgreSQL';
  readonly location: string;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly wake: Int32Array;
  private depth = 0;
  private closed = false;

  private constructor(url: string) {
    this.location = safeLocation(url);
    const flag = new SharedArrayBuffer(4);
    this.wake = new Int32Array(flag);
    const { port1, port2 } = new MessageChannel();
    this.port = port1 as unknown as MessagePort;
    this.worker = sharedWorker();
    this.worker.postMessage({ url, flag, port: port2 }, [port2]); // a connection of its own, in the process's one worker
  }

  /** Connect and bring the schema up to date (`schemaVersion` stops earlier, for tests of upgrades). */
  static open(url: string, schemaVersion = PG_MIGRATIONS.length): PgBackend {
    const db = new PgBackend(url);
    try {
      // A store already at this schema needs nothing written: one read, without the write lock that appends queue on.
      const reply = db.send({ sql: 'SELECT version FROM exhibit_schema', params: [] }, WAIT_MS);
      if (reply.error && reply.error.code !== '42P01') throw pgError(reply.error, db.location); // 42P01: no such table, a new store
      const found = reply.rows?.length === 1 ? Number(reply.rows[0]!.version) : undefined;
      if (found !== undefined && found >= schemaVersion && found <= PG_MIGRATIONS.length) return db;
      db.immediate(() => {
        db.run('CREATE TABLE IF NOT EXISTS exhibit_schema (version INTEGER NOT NULL)'); // under the write lock: two first opens do not race
        if (!db.get('SELECT version FROM exhibit_schema')) db.run('INSERT INTO exhibit_schema (version) VALUES (0)');
        const version = db.schemaVersion();
        if (version > PG_MIGRATIONS.length) {
          throw new ExhibitError('STORE', `the case store ${db.location} was written by a newer exhibit (schema ${version}; this exhibit knows ${PG_MIGRATIONS.length})`, {
            hints: ['use the newer exhibit, or open another store by setting EXHIBIT_STORE'],
          });
        }
        for (let v = version; v < schemaVersion; v++) db.run(PG_MIGRATIONS[v]!);
        if (schemaVersion > version) db.run('UPDATE exhibit_schema SET version = ?', [schemaVersion]);
      });
    } catch (err) {
      db.close();
      throw err;
    }
    return db;
  }

  all<T = Row>(sql: string, params: readonly SqlValue[] = []): T[] {
    return this.query(sql, params) as T[];
  }

  get<T = Row>(sql: string, params: readonly SqlValue[] = []): T | undefined {
    return this.query(sql, params)[0] as T | undefined;
  }

  run(sql: string, params: readonly SqlValue[] = []): void {
    this.query(sql, params);
  }

  immediate<T>(fn: () => T): T {
    if (this.depth > 0) {
      const name = `exhibit_${this.depth}`;
      this.run(`SAVEPOINT ${name}`);
      this.depth++;
      try {
        const out = fn();
        this.run(`RELEASE SAVEPOINT ${name}`);
        return out;
      } catch (err) {
        this.run(`ROLLBACK TO SAVEPOINT ${name}`);
        throw err;
      } finally {
        this.depth--;
      }
    }
    this.lock();
    let out: T;
    try {
      out = fn();
    } catch (err) {
      this.unlock(false);
      throw err;
    }
    this.unlock(true);
    return out;
  }

  snapshot<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.run('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    this.depth = 1;
    try {
      return fn();
    } finally {
      this.unlock(false); // read only: nothing to keep
    }
  }

  lock(): void {
    // One round trip: both statements in one simple query (no parameters), the lock taken first thing.
    this.depth = 1;
    try {
      this.run(`BEGIN; SELECT pg_advisory_xact_lock(${WRITE_LOCK})`);
    } catch (err) {
      try {
        this.unlock(false);
      } catch {
        /* the connection is gone: the server ends the transaction, and the first error says why */
      }
      throw err;
    }
  }

  unlock(commit: boolean): void {
    if (this.depth === 0) return;
    this.depth = 0;
    this.run(commit ? 'COMMIT' : 'ROLLBACK');
  }

  schemaVersion(): number {
    return Number(this.get<{ version: number }>('SELECT version FROM exhibit_schema')?.version ?? 0);
  }

  close(): void {
    if (this.closed) return;
    try {
      this.send('close', 5_000);
    } catch {
      // No answer: the worker may still hold the connection. It is not kept for the next store.
      if (shared === this.worker) shared = undefined;
      void this.worker.terminate();
    }
    this.closed = true; // an answered close leaves the worker for the next store (see `shared`)
  }

  private query(sql: string, params: readonly SqlValue[]): Row[] {
    if (this.closed) throw new ExhibitError('INTERNAL', `the case store ${this.location} was closed`);
    const reply = this.send({ sql: toPostgres(sql), params: [...params] }, WAIT_MS);
    if (reply.error) throw pgError(reply.error, this.location);
    return (reply.rows ?? []).map(fromWorker);
  }

  private send(req: unknown, timeoutMs: number): { rows?: Row[]; error?: { message: string; code: string } } {
    Atomics.store(this.wake, 0, 0);
    this.port.postMessage(req);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const msg = receiveMessageOnPort(this.port as never);
      if (msg) return msg.message as { rows?: Row[]; error?: { message: string; code: string } };
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ExhibitError('STORE', `the case store ${this.location} did not answer in ${timeoutMs / 1000} seconds`, {
          hints: ['check that the PostgreSQL server is running and reachable from here'],
        });
      }
      // Woken (or the flag already set) with no answer to read yet: look again shortly, never spin.
      Atomics.wait(this.wake, 0, Atomics.load(this.wake, 0), Math.min(left, Atomics.load(this.wake, 0) === 0 ? left : 2));
    }
  }
}

type MessagePort = import('node:worker_threads').MessagePort;

/** `?` parameters become $1, $2 ... (outside quotes), and SQLite's instr() PostgreSQL's strpos(). */
export function toPostgres(sql: string): string {
  let n = 0;
  let out = '';
  let quote: string | undefined;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = undefined;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else out += ch === '?' ? `$${++n}` : ch;
  }
  return out.replace(/\binstr\(/g, 'strpos(');
}

/** Rows come back through structured clone: a bytea arrives as a Uint8Array, and is given back as a Buffer. */
function fromWorker(row: Row): Row {
  for (const [k, v] of Object.entries(row)) if (v instanceof Uint8Array && !Buffer.isBuffer(v)) row[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return row;
}

function pgError(e: { message: string; code: string }, location: string): ExhibitError {
  const code = e.code;
  if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === '57P03') {
    return new ExhibitError('STORE', `cannot reach the case store ${location}: ${e.message}`, { hints: ['check that the PostgreSQL server is running and that EXHIBIT_STORE names it'] });
  }
  if (code === '28P01' || code === '28000' || code === '3D000') return new ExhibitError('STORE', `the case store ${location} refused the connection: ${e.message}`);
  if (code === '42501' || code === '25006') return new ExhibitError('STORE', `cannot write to the case store ${location}: ${e.message}`);
  return new ExhibitError('STORE', `the case store ${location} failed: ${e.message}`);
}
