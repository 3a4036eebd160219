/**
 * The live status of this machine's jobs (acquisitions, verifications,
 * conversions, restores, clones, reports), for `exhibit serve`.
 *
 * Each running exhibit writes one small JSON file, `<EXHIBIT_HOME>/jobs/<id>.json`
 * (replaced atomically: written beside, then renamed), when it starts, at most
 * once a second while it works, and when it ends. The dashboard lists the
 * folder. A job whose file says "running" but whose process is gone is shown as
 * stopped. This is the whole interface between jobs and the dashboard, kept in
 * this one module so that a status published in the case store (for a lab of
 * several machines) can replace it.
 *
 * Publishing never fails a job: a home that cannot be written only means the
 * dashboard does not see it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { EVIDENCE_DIR_MODE, EVIDENCE_FILE_MODE } from '../core/modes.js';
import { asOwner, ownerState, thisProcess, type ProcessOwner } from '../core/process-owner.js';
import { RateMeter } from '../core/rate.js';
import { isRecord } from '../core/text.js';
import type { ExhibitPaths } from './paths.js';

export const JOB_KINDS = ['acquisition', 'verification', 'conversion', 'restore', 'clone', 'report'] as const;
export type JobKind = (typeof JOB_KINDS)[number];
/** `stopped`: the file says running, but its process is gone (killed, crashed, machine restarted). */
export type JobState = 'running' | 'complete' | 'failed' | 'interrupted' | 'stopped';

/** What a job says about itself; every field but the first few is optional. */
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
  map?: string; // the ddrescue mapfile it will leave
}

export interface JobStatus extends JobFacts {
  v: 1;
  id: string;
  owner: ProcessOwner;
  state: JobState;
  phase: string; // e.g. "acquiring", "verifying"
  started_utc: string;
  updated_utc: string;
  finished_utc?: string;
  done_bytes: number;
  total_bytes: number;
  rate: number; // bytes per second, over the last ten seconds
  seconds_left?: number;
  unreadable_sectors?: number;
  sector_size?: number;
  /** Unreadable ranges so far, in sectors (the first 1,000; the mapfile has them all at the end). */
  bad_ranges?: { first_sector: number; sectors: number }[];
  result?: string; // how it ended, in a few words
}

const MAX_FILE = 256 * 1024;
const MAX_RANGES = 1000;
const KEEP_FINISHED_MS = 7 * 24 * 3600 * 1000;
const ID = /^[0-9a-z-]{8,64}$/;

export function jobsDir(paths: ExhibitPaths): string {
  return path.join(paths.dataDir, 'jobs');
}

/** Something that tells the unreadable sectors so far (the acquisition's BadSectorMap). */
export interface UnreadableSoFar {
  readonly sectorCount: number;
  readonly ranges: readonly { first_sector: number; sectors: number }[];
}

export class JobPublisher {
  private status: JobStatus;
  private meter = new RateMeter();
  private dirty = false;
  private broken = false;
  private lastWrite = 0;
  private unreadable?: UnreadableSoFar;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly dir: string,
    facts: JobFacts,
  ) {
    const now = new Date();
    const id = `${now.toISOString().replace(/[^0-9]/g, '').slice(0, 14)}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    this.status = { v: 1, ...facts, id, owner: thisProcess(), state: 'running', phase: 'starting', started_utc: now.toISOString(), updated_utc: now.toISOString(), done_bytes: 0, total_bytes: 0, rate: 0 };
    this.timer = setInterval(() => this.flush(), 1000);
    this.timer.unref();
  }

  /** Start publishing a job; old finished jobs' files (over a week) are cleared away. */
  static start(paths: ExhibitPaths, facts: JobFacts): JobPublisher {
    const dir = jobsDir(paths);
    const p = new JobPublisher(dir, facts);
    try {
      fs.mkdirSync(dir, { recursive: true, mode: EVIDENCE_DIR_MODE });
      pruneFinished(dir);
    } catch {
      p.broken = true;
    }
    p.write();
    return p;
  }

  get id(): string {
    return this.status.id;
  }

  /** Add facts learnt on the way (the drive's model and serial once it is open). */
  describe(facts: Partial<JobFacts> & { sector_size?: number }): void {
    this.status = { ...this.status, ...facts };
    this.dirty = true;
    this.flush();
  }

  /** A new phase: the rate starts again. */
  phase(label: string, total: number): void {
    this.status = { ...this.status, phase: label, total_bytes: total, done_bytes: 0, rate: 0 };
    delete this.status.seconds_left;
    this.meter = new RateMeter();
    this.dirty = true;
    this.flush(true);
  }

  progress(done: number, unreadable?: UnreadableSoFar): void {
    this.status.done_bytes = done;
    if (unreadable) this.unreadable = unreadable;
    this.dirty = true;
    this.flush();
  }

  finish(state: Exclude<JobState, 'running' | 'stopped'>, result: string): void {
    clearInterval(this.timer);
    this.status.state = state;
    this.status.result = result;
    this.status.finished_utc = new Date().toISOString();
    this.dirty = true;
    this.flush(true);
  }

  private flush(force = false): void {
    const now = Date.now();
    if (!this.dirty || (!force && now - this.lastWrite < 1000)) return;
    const s = this.status;
    const { rate, secondsLeft } = this.meter.sample(s.done_bytes, s.total_bytes, now);
    s.rate = Math.round(rate);
    if (secondsLeft !== undefined && s.state === 'running') s.seconds_left = Math.round(secondsLeft);
    if (this.unreadable) {
      s.unreadable_sectors = this.unreadable.sectorCount;
      s.bad_ranges = this.unreadable.ranges.slice(0, MAX_RANGES).map((r) => ({ first_sector: r.first_sector, sectors: r.sectors }));
    }
    s.updated_utc = new Date(now).toISOString();
    this.write();
  }

  private write(): void {
    this.lastWrite = Date.now();
    this.dirty = false;
    if (this.broken) return;
    const file = path.join(this.dir, `${this.status.id}.json`);
    const tmp = `${file}.tmp`;
    try {
      fs.writeFileSync(tmp, JSON.stringify(this.status), { mode: EVIDENCE_FILE_MODE });
      fs.renameSync(tmp, file);
    } catch {
      this.broken = true; // the dashboard will not see this job; the job itself goes on
    }
  }
}

function pruneFinished(dir: string): void {
  const now = Date.now();
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    const file = path.join(dir, name);
    const job = readJob(file);
    const finished = job?.finished_utc ? Date.parse(job.finished_utc) : NaN;
    if (now - finished > KEEP_FINISHED_MS) fs.rmSync(file, { force: true });
  }
}

function readJob(file: string): JobStatus | undefined {
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > MAX_FILE) return undefined;
    const v: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (!isRecord(v) || v.v !== 1 || typeof v.id !== 'string' || !ID.test(v.id) || !JOB_KINDS.includes(v.kind as JobKind)) return undefined;
    if (typeof v.subject !== 'string' || typeof v.state !== 'string' || typeof v.started_utc !== 'string' || !asOwner(v.owner)) return undefined;
    for (const k of ['done_bytes', 'total_bytes', 'rate'] as const) if (typeof v[k] !== 'number') return undefined;
    return v as unknown as JobStatus;
  } catch {
    return undefined;
  }
}

/**
 * This machine's jobs: running ones first, then the most recent; at most `limit`. A job whose file
 * says running but whose process is gone is reported as stopped.
 */
export function listJobs(paths: ExhibitPaths, limit = 50): JobStatus[] {
  const dir = jobsDir(paths);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json') && ID.test(n.slice(0, -5)));
  } catch {
    return [];
  }
  const jobs: JobStatus[] = [];
  for (const name of names) {
    const job = readJob(path.join(dir, name));
    if (!job || job.id !== name.slice(0, -5)) continue;
    if (job.state === 'running' && ownerState(job.owner) === 'gone') jobs.push({ ...job, state: 'stopped', result: 'its process ended without saying how (killed, crashed, or the machine restarted)' });
    else jobs.push(job);
  }
  const rank = (j: JobStatus): number => (j.state === 'running' ? 0 : 1);
  jobs.sort((a, b) => rank(a) - rank(b) || b.started_utc.localeCompare(a.started_utc));
  return jobs.slice(0, limit);
}

/** One job by its id, among those listJobs gives. */
export function findJob(paths: ExhibitPaths, id: string): JobStatus | undefined {
  return ID.test(id) ? listJobs(paths, 1000).find((j) => j.id === id) : undefined;
}
