/**
 * The one interface the case store is kept behind. Everything in exhibit that
 * reads or writes the store goes through CaseStore, and CaseStore speaks to a
 * StoreBackend only: plain SQL with `?` parameters, rows as objects, and one
 * write transaction at a time. A backend owns how it connects, its schema's
 * dialect (its own migrations, numbered alike) and how its errors read.
 *
 * The interface is synchronous (see ARCHITECTURE.md, "The case store behind
 * one interface"): a custody append checks the log, signs and writes inside
 * one transaction that nothing else in the process may interleave with, and
 * every caller already works that way with SQLite.
 */
export type SqlValue = string | number | bigint | Buffer | null;
export type Row = Record<string, unknown>;

export interface StoreBackend {
  /** What the store is, in plain words: "SQLite" or "PostgreSQL". */
  readonly kind: string;
  /** Where the store is, for messages: a file, or a server and database (never a password). */
  readonly location: string;
  all<T = Row>(sql: string, params?: readonly SqlValue[]): T[];
  get<T = Row>(sql: string, params?: readonly SqlValue[]): T | undefined;
  run(sql: string, params?: readonly SqlValue[]): void;
  /**
   * Run `fn` in a write transaction taken at once: writers queue, none forks a custody log.
   * Rolled back if `fn` throws; a transaction inside another runs as part of it.
   */
  immediate<T>(fn: () => T): T;
  /**
   * Run `fn`'s reads on one consistent state of the store (a read transaction), so a check that reads
   * the log and then the tables never sees an append land between them. Inside a transaction, `fn` just runs.
   */
  snapshot<T>(fn: () => T): T;
  /** Take the write lock for work that is not one synchronous function (files written meanwhile); release with unlock(). */
  lock(): void;
  unlock(commit: boolean): void;
  /** How many of its migrations the store has had applied. */
  schemaVersion(): number;
  close(): void;
}
