/**
 * The custody check of each case, as the dashboard shows it: computed on a
 * worker thread by the same checker as `exhibit custody log` and kept while
 * the store is unchanged. "Unchanged" is decided by SQLite itself (`PRAGMA
 * data_version` moves whenever any other connection commits, exhibit or
 * anything else) and by the database files' size, time and inode, so an edit
 * behind exhibit's back is checked again on the next page; neither scans the
 * log, so a page of a 100,000-entry case does not pay for the question. On
 * PostgreSQL, by the entries' count and last number.
 */
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { CaseStore, ExhibitPaths } from '../case-store/index.js';
import type { HolderTimeline } from '../core/custody-holders.js';
import { workerUrl } from '../core/worker-url.js';

export interface EntrySummary {
  seq: number;
  kind: string;
  utc: string;
  signers: { name: string; key: string }[];
  evidence?: string;
}

export interface CaseCheck {
  caseId: number;
  entryCount: number; // entries the log holds that could be read
  /** Each item's entries, in log order, as JSON (see check-worker.ts); read with entriesOf(). */
  itemEntries: Map<string, string>;
  problems: { entry?: number; message: string }[];
  /** Each item's holders over time, as JSON (read with holdersOf()), and its holder now. */
  itemHolders: Map<string, string>;
  currentHolders: Map<string, string>;
  keys: { fingerprint: string; name: string }[]; // as registered in the log
  checkedUtc?: string;
}

const parsed = new WeakMap<CaseCheck, Map<string, EntrySummary[]>>();

/** One item's holders over time, or undefined when the log registers none. */
export function holdersOf(check: CaseCheck, evidence: string): HolderTimeline | undefined {
  const json = check.itemHolders.get(evidence);
  return json === undefined ? undefined : (JSON.parse(json) as HolderTimeline);
}

/** The entries about one item, in log order (parsed once per check and item). */
export function entriesOf(check: CaseCheck, evidence: string): EntrySummary[] {
  let cache = parsed.get(check);
  if (!cache) parsed.set(check, (cache = new Map()));
  let list = cache.get(evidence);
  if (!list) {
    const json = check.itemEntries.get(evidence);
    list = json === undefined ? [] : (JSON.parse(json) as EntrySummary[]);
    cache.set(evidence, list);
  }
  return list;
}

export interface CheckRequest {
  id: number;
  paths: ExhibitPaths;
  caseId: number;
}

export class CustodyCache {
  private stamp = '';
  private readonly done = new Map<number, CaseCheck>();
  private readonly pending = new Map<number, Promise<CaseCheck>>();
  private readonly waiting = new Map<number, (c: CaseCheck) => void>();
  private worker?: Worker;
  private nextId = 1;

  constructor(
    private readonly store: CaseStore,
    private readonly onChecked: (caseId: number) => void,
  ) {}

  /** What identifies the store's present state; a change forgets every check. */
  private currentStamp(): string {
    if (this.store.db.kind === 'SQLite') {
      // data_version moves whenever another connection commits (exhibit or anything else); an edit of the
      // files' bytes behind SQLite's back changes their size, time or inode. Both are read without scanning the log.
      const v = this.store.db.get<{ data_version: number }>('PRAGMA data_version');
      const file = (f: string): string => {
        const st = fs.statSync(f, { throwIfNoEntry: false });
        return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '-';
      };
      const db = this.store.paths.database;
      return `${Number(v?.data_version ?? 0)}|${file(db)}|${file(`${db}-wal`)}`;
    }
    // PostgreSQL: any append changes the entries' count and last number.
    const n = this.store.db.get<{ n: number; m: number }>('SELECT count(*) AS n, coalesce(max(seq), 0) AS m FROM custody_entries');
    return `${Number(n?.n ?? 0)}:${Number(n?.m ?? 0)}`;
  }

  /** Forget the checks when the store changed since they were made; true when it did. */
  refresh(): boolean {
    const now = this.currentStamp();
    if (now === this.stamp) return false;
    this.stamp = now;
    this.done.clear();
    return true;
  }

  /** The case's check if it is ready (starting it if not), else undefined. */
  peek(caseId: number): CaseCheck | undefined {
    this.refresh();
    const have = this.done.get(caseId);
    if (have) return have;
    void this.get(caseId);
    return undefined;
  }

  /** The case's check, waiting for it. */
  get(caseId: number): Promise<CaseCheck> {
    this.refresh();
    const have = this.done.get(caseId);
    if (have) return Promise.resolve(have);
    const running = this.pending.get(caseId);
    if (running) return running;
    const stampAtStart = this.stamp;
    const p = new Promise<CaseCheck>((resolve) => {
      const id = this.nextId++;
      this.waiting.set(id, resolve);
      this.thread().postMessage({ id, paths: this.store.paths, caseId } satisfies CheckRequest);
    }).then((check) => {
      this.pending.delete(caseId);
      const stamped = { ...check, checkedUtc: new Date().toISOString() };
      if (this.stamp === stampAtStart) this.done.set(caseId, stamped);
      this.onChecked(caseId);
      return stamped;
    });
    this.pending.set(caseId, p);
    return p;
  }

  /** Start the checks of these cases in the background, so their pages are ready when opened. */
  warm(caseIds: number[]): void {
    for (const id of caseIds) void this.get(id);
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(workerUrl(import.meta.url, 'check-worker'));
    w.unref();
    w.on('message', (m: { id: number; check: CaseCheck }) => {
      const resolve = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      resolve?.(m.check);
    });
    w.on('error', (err) => {
      for (const resolve of this.waiting.values()) resolve({ caseId: -1, entryCount: 0, itemEntries: new Map(), problems: [{ message: `the custody check stopped: ${err.message}` }], itemHolders: new Map(), currentHolders: new Map(), keys: [] });
      this.waiting.clear();
      this.worker = undefined;
    });
    this.worker = w;
    return w;
  }

  close(): Promise<number> | undefined {
    return this.worker?.terminate();
  }
}
