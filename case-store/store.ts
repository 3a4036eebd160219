/**
 * The case store: cases, evidence, examiner keys and each case's signed custody log, behind one
 * interface (StoreBackend, ./backend.ts). SQLite (./sqlite-backend.ts) is the embedded default.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExhibitError } from '../core/errors.js';
import type { StoreBackend } from './backend.js';
import { loadConfig } from './config.js';
import { MIGRATIONS } from './migrations.js';
import { exhibitPaths, type ExhibitPaths } from './paths.js';
import { isPostgresUrl, PgBackend, safeLocation } from './pg-backend.js';
import { SqliteBackend } from './sqlite-backend.js';

/**
 * The PostgreSQL store to use, if any. Precedence: EXHIBIT_STORE, then `store:` in config.yaml; with
 * neither, the case store is cases.db on this machine.
 */
export function storeUrlOf(paths: ExhibitPaths): string | undefined {
  return paths.storeUrl ?? loadConfig(paths.configFile).store;
}

/** Whether there is a store to open without making one: a server named, or cases.db on this machine. */
export function storeExists(paths: ExhibitPaths): boolean {
  return storeUrlOf(paths) !== undefined || fs.existsSync(paths.database);
}

/** Where the store is, for messages, without opening it. */
export function storeLocation(paths: ExhibitPaths): string {
  const url = storeUrlOf(paths);
  return url !== undefined ? safeLocation(url) : paths.database;
}

function checkStoreUrl(url: string): string {
  if (!isPostgresUrl(url)) {
    throw new ExhibitError('USAGE', `EXHIBIT_STORE should be a postgresql:// URL, not "${url.replace(/:[^:@/]*@/, ':***@')}"`, {
      hints: ['unset it to use the case store on this machine, or e.g. EXHIBIT_STORE=postgresql://exhibit@lab-db/exhibit'],
    });
  }
  return url;
}

export interface CaseRow {
  id: number;
  number: string;
  title: string | null;
}

export class CaseStore {
  private constructor(
    readonly db: StoreBackend,
    readonly paths: ExhibitPaths,
  ) {}

  /**
   * Open (creating if needed) the store and bring its schema up to date.
   * `schemaVersion` stops at an older schema (for tests of upgrades).
   */
  static open(paths: ExhibitPaths = exhibitPaths(), schemaVersion = MIGRATIONS.length): CaseStore {
    const url = storeUrlOf(paths);
    if (url !== undefined) return new CaseStore(PgBackend.open(checkStoreUrl(url), schemaVersion), paths);
    return new CaseStore(SqliteBackend.open(paths.dataDir, paths.database, schemaVersion), paths);
  }

  /**
   * Open (creating if needed) the store at a location given on the command line: a postgresql:// URL,
   * or an SQLite case store file (cases.db). Keys and settings stay those of `paths`.
   */
  static at(location: string, paths: ExhibitPaths = exhibitPaths(), mustExist = false): CaseStore {
    if (isPostgresUrl(location)) return new CaseStore(PgBackend.open(location.trim()), paths);
    let file = path.resolve(location);
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (st ? st.isDirectory() : !file.endsWith('.db')) file = path.join(file, 'cases.db'); // a store's folder (an EXHIBIT_HOME)
    if (mustExist) {
      if (!fs.existsSync(file)) throw new ExhibitError('USAGE', `there is no case store at ${file}`, { hints: ['name a cases.db file or a postgresql:// URL'] });
      const db = SqliteBackend.openReadOnly(file);
      if (db) return new CaseStore(db, paths);
    }
    return new CaseStore(SqliteBackend.open(path.dirname(file), file), paths);
  }

  /** Open the store for reading only (see SqliteBackend.openReadOnly); a store that must first be made or upgraded is opened as by open(). */
  static openReadOnly(paths: ExhibitPaths = exhibitPaths()): CaseStore {
    if (storeUrlOf(paths) !== undefined) return CaseStore.open(paths); // the server decides who may write
    const db = SqliteBackend.openReadOnly(paths.database);
    return db ? new CaseStore(db, paths) : CaseStore.open(paths);
  }

  /** Where the store is, for messages. */
  get location(): string {
    return this.db.location;
  }

  close(): void {
    this.db.close();
  }

  /** Run `fn` in a write transaction taken at once: writers queue, none forks the log. */
  immediate<T>(fn: () => T): T {
    return this.db.immediate(fn);
  }

  /**
   * Take the store's write lock for work that is not one synchronous transaction (writing files
   * that must not interleave with another exhibit's); release it with unlock(). Waits like any writer.
   */
  lock(): void {
    this.db.lock();
  }

  unlock(commit: boolean): void {
    this.db.unlock(commit);
  }

  schemaVersion(): number {
    return this.db.schemaVersion();
  }

  findCase(number: string): CaseRow | undefined {
    return this.db.get<CaseRow>('SELECT id, number, title FROM cases WHERE number = ?', [number]);
  }

  getCase(number: string): CaseRow {
    const c = this.findCase(number);
    if (!c) throw new ExhibitError('NOT_FOUND', `there is no case "${number}" in the case store ${this.location}`, { hints: ['list the cases with: exhibit case list'] });
    return c;
  }

  listCases(): CaseRow[] {
    return this.db.all<CaseRow>('SELECT id, number, title FROM cases ORDER BY number');
  }
}
