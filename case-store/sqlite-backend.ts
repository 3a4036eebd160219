/**
 * The embedded backend: one SQLite file (better-sqlite3) in WAL mode with
 * foreign keys on and full fsync, so a case's custody log survives a crash
 * the moment exhibit reports it written.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import { ExhibitError } from '../core/errors.js';
import type { Row, SqlValue, StoreBackend } from './backend.js';
import { MIGRATIONS } from './migrations.js';

export class SqliteBackend implements StoreBackend {
  readonly kind = 'SQLite';
  private constructor(
    readonly db: Database.Database,
    readonly location: string,
  ) {}

  /**
   * Open (creating if needed) the store and bring its schema up to date.
   * `schemaVersion` stops at an older schema (for tests of upgrades).
   */
  static open(dataDir: string, file: string, schemaVersion = MIGRATIONS.length): SqliteBackend {
    let db: Database.Database;
    try {
      fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const fresh = !fs.existsSync(file);
      db = new Database(file, { timeout: 20_000 });
      if (fresh) fs.chmodSync(file, 0o600); // case details are confidential
    } catch (err) {
      throw storeError(err, file);
    }
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrate(db, file, schemaVersion);
    } catch (err) {
      db.close();
      throw storeError(err, file);
    }
    return new SqliteBackend(db, file);
  }

  /**
   * Open the store for reading only: no folder or file is created, no migration run, no pragma
   * that writes, and every statement that would write refused (query_only), so a store on a
   * read-only disk, folder or file can be read. Undefined when the store does not exist yet, or was
   * written by an older exhibit (it must be upgraded before it is read): open it as by open().
   */
  static openReadOnly(file: string): SqliteBackend | undefined {
    if (!fs.existsSync(file)) return undefined;
    let db: Database.Database;
    try {
      db = readOnlyDatabase(file);
    } catch (err) {
      throw storeError(err, file, 'reading');
    }
    let version: number;
    try {
      version = Number(db.pragma('user_version', { simple: true }));
      db.pragma('query_only = ON');
    } catch (err) {
      db.close();
      throw storeError(err, file, 'reading');
    }
    if (version > MIGRATIONS.length) {
      db.close();
      throw newerStore(file, version);
    }
    if (version < MIGRATIONS.length) {
      db.close();
      return undefined;
    }
    return new SqliteBackend(db, file);
  }

  all<T = Row>(sql: string, params: readonly SqlValue[] = []): T[] {
    return this.db.prepare(sql).all(...params) as T[];
  }

  get<T = Row>(sql: string, params: readonly SqlValue[] = []): T | undefined {
    return this.db.prepare(sql).get(...params) as T | undefined;
  }

  run(sql: string, params: readonly SqlValue[] = []): void {
    this.db.prepare(sql).run(...params);
  }

  immediate<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      throw storeError(err, this.location);
    }
  }

  snapshot<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    try {
      return this.db.transaction(fn).deferred(); // in WAL mode: one snapshot from its first read on
    } catch (err) {
      throw storeError(err, this.location, 'reading');
    }
  }

  lock(): void {
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      throw storeError(err, this.location);
    }
  }

  unlock(commit: boolean): void {
    if (this.db.inTransaction) this.db.exec(commit ? 'COMMIT' : 'ROLLBACK');
  }

  schemaVersion(): number {
    return Number(this.db.pragma('user_version', { simple: true }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function migrate(db: Database.Database, file: string, target: number): void {
  // Most opens find the schema current: only an upgrade takes the write lock.
  const current = Number(db.pragma('user_version', { simple: true }));
  if (current === target) return;
  const run = db.transaction(() => {
    const version = Number(db.pragma('user_version', { simple: true }));
    if (version > MIGRATIONS.length) throw newerStore(file, version);
    for (let v = version; v < target; v++) db.exec(MIGRATIONS[v]!);
    if (target > version) db.pragma(`user_version = ${target}`);
  });
  run.immediate();
}

function newerStore(file: string, version: number): ExhibitError {
  return new ExhibitError('STORE', `the case store ${file} was written by a newer exhibit (schema ${version}; this exhibit knows ${MIGRATIONS.length})`, {
    hints: ['use the newer exhibit, or open another store by setting EXHIBIT_HOME'],
  });
}

/**
 * A read-only connection. The store is in WAL mode, whose readers need the shared-memory file
 * beside it (cases.db-shm); when that is absent and cannot be made (a read-only folder or disk), no
 * exhibit can be writing the store either, and when no write-ahead log holds changes the database
 * file holds it all: it is then read from a copy in memory, marked as a rollback-journal database
 * (bytes 18 and 19 of the header) so that SQLite reads it without the shared-memory file.
 */
function readOnlyDatabase(file: string): Database.Database {
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 20_000 });
  try {
    db.pragma('schema_version', { simple: true }); // the first read: where reading a WAL database starts, or fails
    return db;
  } catch (err) {
    db.close();
    const code = (err as { code?: string }).code ?? '';
    if (!code.startsWith('SQLITE_READONLY') && code !== 'SQLITE_CANTOPEN') throw err;
    if ((fs.statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0) > 0) {
      throw new ExhibitError('STORE', `the case store ${file} has changes in ${file}-wal that can only be read where the folder can be written`, {
        cause: err,
        hints: ['copy the folder (cases.db with its -wal file) somewhere writable and set EXHIBIT_HOME to it'],
      });
    }
    const bytes = fs.readFileSync(file);
    if (bytes.length >= 20 && bytes[18] === 2 && bytes[19] === 2) bytes[18] = bytes[19] = 1;
    return new Database(bytes, { readonly: true });
  }
}

function storeError(err: unknown, file: string, doing: 'reading' | 'writing' = 'writing'): ExhibitError {
  if (err instanceof ExhibitError) return err;
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new ExhibitError('STORE', `the case store ${file} stayed busy for 20 seconds: another exhibit is writing to it`, { cause: err, hints: ['try again when it has finished'] });
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new ExhibitError('STORE', `${file} is not an exhibit case store, or it is damaged`, { cause: err });
  }
  if (code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_READONLY') || code === 'EACCES' || code === 'EROFS') {
    if (doing === 'reading') return new ExhibitError('STORE', `cannot read the case store ${file}`, { cause: err, hints: ['check that you may read it and its folder'] });
    return new ExhibitError('STORE', `cannot open the case store ${file} for writing`, { cause: err, hints: ['set EXHIBIT_HOME to a folder you can write to'] });
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return new ExhibitError('STORE', `the disk holding the case store ${file} is full`, { cause: err });
  // SQLite's "disk I/O error" says no more; a full disk (even to read, SQLite makes its shared-memory file) is the usual cause.
  if (code.startsWith('SQLITE_IOERR')) {
    return new ExhibitError('STORE', `the case store ${file} could not be ${doing === 'reading' ? 'read' : 'written'}: the disk reported an error (${code})`, { cause: err, hints: ['check that the disk holding it has room left (df) and that the disk is sound'] });
  }
  return new ExhibitError('STORE', `the case store ${file} failed: ${(err as Error).message ?? String(err)}`, { cause: err });
}
