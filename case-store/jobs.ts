/**
 * Live status: what each running job (acquire, verify, convert, restore, clone, report) last
 * published, one row per job, in the case store, so `exhibit status` and the dashboard (`exhibit
 * serve`) see every workstation's jobs in a lab's shared store. A running job that has not
 * published for 30 seconds is shown as lost (the dashboard says stopped).
 */
import { isRecord } from '../core/text.js';
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
  unreadable_sectors?: number | null;
  /** JSON of JobDetails: what the dashboard shows besides. */
  details?: string | null;
}

export const JOB_KINDS = ['acquisition', 'verification', 'conversion', 'restore', 'clone', 'report'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** What a job says about itself for the dashboard; every field but the first two is optional. */
export interface JobFacts {
  kind: JobKind;
  subject: string; // what it works on: the source, the image, the case
  drive?: string;
  model?: string;
  serial?: string;
  examiner?: string;
  case?: string;
  evidence?: string;
  format?: string;
  out?: string; // the folder it writes to
  backing_file?: string; // an acquisition of a loop device: the file it reads (restore and clone refuse it while the acquisition is unfinished)
  map?: string; // the ddrescue mapfile it will leave
}

export interface JobDetails extends JobFacts {
  sector_size?: number;
  /** Unreadable ranges so far, in sectors (the first 1,000; the mapfile has them all at the end). */
  bad_ranges?: { first_sector: number; sectors: number }[];
  /** How it ended, in the dashboard's words, and in a few words. */
  outcome?: 'complete' | 'failed' | 'interrupted';
  result?: string;
}

/** `stopped`: it said running, but has been silent for 30 seconds (killed, crashed, cut off). */
export type JobState = 'running' | 'complete' | 'failed' | 'interrupted' | 'stopped';

/** A job as the dashboard shows it. */
export interface JobStatus extends JobDetails {
  id: string;
  host: string;
  state: JobState;
  phase: string;
  started_utc: string;
  updated_utc: string;
  finished_utc?: string;
  done_bytes: number;
  total_bytes: number;
  rate: number; // bytes per second, over the last ten seconds
  seconds_left?: number;
  unreadable_sectors?: number;
}

export const PUBLISH_EVERY_MS = 2_000;
export const LOST_AFTER_MS = 30_000;
export const MAX_RANGES = 1000;
const COLUMNS = ['id', 'command', 'host', 'pid', 'examiner', 'case_number', 'evidence', 'started_utc', 'updated_utc', 'state', 'phase', 'bytes_done', 'bytes_total', 'rate', 'exit_code', 'unreadable_sectors', 'details'] as const;
const ID = /^[0-9a-z-]{8,64}$/;

export function publishJob(store: CaseStore, job: JobRow): void {
  const updates = COLUMNS.filter((c) => c !== 'id' && c !== 'started_utc').map((c) => `${c} = excluded.${c}`);
  store.db.run(`INSERT INTO jobs (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (id) DO UPDATE SET ${updates.join(', ')}`, COLUMNS.map((c) => job[c] ?? null));
}

/** Running jobs, and those that ended in the last `recentMs`; newest first. Silent running jobs are lost. */
export function listJobs(store: CaseStore, now = Date.now(), recentMs = 24 * 3600_000, limit?: number): JobRow[] {
  const since = new Date(now - recentMs).toISOString();
  const rows = store.db.all<JobRow>(`SELECT * FROM jobs WHERE state = 'running' OR updated_utc >= ? ORDER BY started_utc DESC${limit ? ` LIMIT ${Math.floor(limit)}` : ''}`, [since]);
  return rows.map((r) => (r.state === 'running' && now - Date.parse(r.updated_utc) > LOST_AFTER_MS ? { ...r, state: 'lost' } : r));
}

/** The dashboard's jobs: running first, then the most recent; at most `limit`. */
export function jobStatuses(store: CaseStore, limit = 50, now = Date.now()): JobStatus[] {
  const jobs = listJobs(store, now, 7 * 24 * 3600_000, 1000).map((r) => asJobStatus(r));
  const rank = (j: JobStatus): number => (j.state === 'running' ? 0 : 1);
  jobs.sort((a, b) => rank(a) - rank(b) || b.started_utc.localeCompare(a.started_utc));
  return jobs.slice(0, limit);
}

/** One job by its id, as the dashboard shows it. */
export function findJobStatus(store: CaseStore, id: string, now = Date.now()): JobStatus | undefined {
  if (!ID.test(id)) return undefined;
  const row = store.db.get<JobRow>('SELECT * FROM jobs WHERE id = ?', [id]);
  if (!row) return undefined;
  return asJobStatus(row.state === 'running' && now - Date.parse(row.updated_utc) > LOST_AFTER_MS ? { ...row, state: 'lost' } : row);
}

function detailsOf(row: JobRow): JobDetails {
  try {
    const d: unknown = row.details ? JSON.parse(row.details) : undefined;
    if (isRecord(d) && (JOB_KINDS as readonly unknown[]).includes(d.kind) && typeof d.subject === 'string') {
      // Any workstation may write a shared store's rows: only whole, bounded ranges reach the map.
      const ranges = Array.isArray(d.bad_ranges) ? d.bad_ranges.slice(0, MAX_RANGES) : [];
      const bad_ranges = ranges.filter((r): r is { first_sector: number; sectors: number } => isRecord(r) && Number.isSafeInteger(r.first_sector) && Number.isSafeInteger(r.sectors) && (r.first_sector as number) >= 0 && (r.sectors as number) > 0);
      const sector_size = Number.isSafeInteger(d.sector_size) && (d.sector_size as number) > 0 ? (d.sector_size as number) : undefined;
      // The count of unreadable sectors comes from its own column alone (a number), never from the details' text.
      const { bad_ranges: _r, sector_size: _s, unreadable_sectors: _u, ...rest } = d;
      return { ...(rest as unknown as JobDetails), ...(bad_ranges.length > 0 ? { bad_ranges } : {}), ...(sector_size !== undefined ? { sector_size } : {}) };
    }
  } catch {
    /* not JSON: shown from its columns alone */
  }
  const kinds: Record<string, JobKind> = { acquire: 'acquisition', verify: 'verification', convert: 'conversion', restore: 'restore', clone: 'clone', report: 'report' };
  return { kind: kinds[row.command] ?? 'acquisition', subject: row.evidence ?? row.command };
}

function asJobStatus(row: JobRow): JobStatus {
  const d = detailsOf(row);
  const done = Number(row.bytes_done ?? 0);
  const total = Number(row.bytes_total ?? 0);
  const rate = Math.round(Number(row.rate ?? 0));
  const state: JobState =
    row.state === 'running' ? 'running' : row.state === 'lost' ? 'stopped' : (d.outcome ?? (row.state === 'finished' ? 'complete' : 'failed'));
  return {
    ...d,
    ...(row.examiner && !d.examiner ? { examiner: row.examiner } : {}),
    ...(row.case_number && !d.case ? { case: row.case_number } : {}),
    ...(row.evidence && !d.evidence ? { evidence: row.evidence } : {}),
    id: row.id,
    host: row.host,
    state,
    phase: row.phase ?? 'starting',
    started_utc: row.started_utc,
    updated_utc: row.updated_utc,
    ...(row.state !== 'running' && row.state !== 'lost' ? { finished_utc: row.updated_utc } : {}),
    done_bytes: done,
    total_bytes: total,
    rate,
    ...(row.state === 'running' && rate > 0 && total > done ? { seconds_left: Math.round((total - done) / rate) } : {}),
    ...(row.unreadable_sectors !== null && row.unreadable_sectors !== undefined ? { unreadable_sectors: Number(row.unreadable_sectors) } : {}),
    ...(state === 'stopped' ? { result: `silent since ${row.updated_utc} (killed, crashed, or its workstation cut off)` } : {}),
  };
}
