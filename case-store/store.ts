/**
 * The case store: cases, evidence, examiner keys and each case's signed custody log, behind one
 * interface (StoreBackend, ./backend.ts). SQLite (./sqlite-backend.ts) is the embedded default.
 */
import fs from 'node:fs';
import { ExhibitError } from '../core/errors.js';
import type { StoreBackend } from './backend.js';
import { MIGRATIONS } from './migrations.js';
import { exhibitPaths, type ExhibitPaths } from './paths.js';
import { isPostgresUrl, PgBackend, safeLocation } from './pg-backend.js';
import { SqliteBackend } from './sqlite-backend.js';

/** Whether there is a store to open without making one: a server named, or cases.db on this machine. */
export function storeExists(paths: ExhibitPaths): boolean {
  return paths.storeUrl !== undefined || fs.existsSync(paths.database);
}

/** Where the store is, for messages, without opening it. */
export function storeLocation(paths: ExhibitPaths): string {
  return paths.storeUrl !== undefined ? safeLocation(paths.storeUrl) : paths.database;
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
    if (paths.storeUrl !== undefined) return new CaseStore(PgBackend.open(checkStoreUrl(paths.storeUrl), schemaVersion), paths);
    return new CaseStore(SqliteBackend.open(paths.dataDir, paths.database, schemaVersion), paths);
  }

  /** Open the store for reading only (see SqliteBackend.openReadOnly); a store that must first be made or upgraded is opened as by open(). */
  static openReadOnly(paths: ExhibitPaths = exhibitPaths()): CaseStore {
    if (paths.storeUrl !== undefined) return CaseStore.open(paths); // the server decides who may write
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
