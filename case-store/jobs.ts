/**
 * Live status: what each running job (acquire, verify, convert, restore, clone) last published,
 * one row per job. A running job that has not published for 30 seconds is shown as lost.
 */
import type { CaseStore } from './store.js';

export interface JobRow {
  id: string;
  command: string;
  host: string;
  pid: number;
  examiner: string | null;
  case_number: string | null;
  evidence: string | null;
  started_utc: string;
  updated_utc: string;
  state: 'running' | 'finished' | 'failed' | 'lost';
  phase: string | null;
  bytes_done: number | null;
  bytes_total: number | null;
  rate: number | null;
  exit_code: number | null;
}

export const PUBLISH_EVERY_MS = 2_000;
export const LOST_AFTER_MS = 30_000;
const COLUMNS = ['id', 'command', 'host', 'pid', 'examiner', 'case_number', 'evidence', 'started_utc', 'updated_utc', 'state', 'phase', 'bytes_done', 'bytes_total', 'rate', 'exit_code'] as const;

export function publishJob(store: CaseStore, job: JobRow): void {
  const updates = COLUMNS.filter((c) => c !== 'id' && c !== 'started_utc').map((c) => `${c} = excluded.${c}`);
  store.db.run(`INSERT INTO jobs (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (id) DO UPDATE SET ${updates.join(', ')}`, COLUMNS.map((c) => job[c]));
}

/** Running jobs, and those that ended in the last `recentMs`; newest first. Silent running jobs are lost. */
export function listJobs(store: CaseStore, now = Date.now(), recentMs = 24 * 3600_000): JobRow[] {
  const since = new Date(now - recentMs).toISOString();
  const rows = store.db.all<JobRow>("SELECT * FROM jobs WHERE state = 'running' OR updated_utc >= ? ORDER BY started_utc DESC", [since]);
  return rows.map((r) => (r.state === 'running' && now - Date.parse(r.updated_utc) > LOST_AFTER_MS ? { ...r, state: 'lost' } : r));
}
