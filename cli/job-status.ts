/**
 * Publishing a running job's progress to the case store, every 2 seconds, for `exhibit status` and
 * the dashboard (`exhibit serve`). main() begins a job for acquire, verify, convert, restore, clone
 * and report and ends it with the exit code; every Progress update offers its numbers, and the
 * command's JobPublisher (cli/job.ts) what the dashboard shows besides. Status is advisory: when
 * there is no store here, or it cannot be written (a read-only store), nothing is published and
 * the job goes on unchanged.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { CaseStore, exhibitPaths, MAX_RANGES, publishJob, PUBLISH_EVERY_MS, storeExists, storeUrlOf, type JobDetails, type JobRow } from '../case-store/index.js';
import { io } from './io.js';

const SAMPLE_EVERY_MS = 250;
const JOB_COMMANDS = new Set(['acquire', 'verify', 'convert', 'restore', 'clone', 'report']);

interface Current {
  row: JobRow;
  details?: JobDetails;
  unreadable?: UnreadableSoFar;
  store?: CaseStore;
  failed: boolean;
  last: number;
  /** The command started its work as a job (JobPublisher.start): its end is published even if it never made progress. */
  started?: boolean;
  window: { t: number; bytes: number }[];
}
let current: Current | undefined;

/** The value of an option in an argument list (`-c X`, `--case X`, `--case=X`). */
function optionValue(args: readonly string[], short: string, long: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === short || a === long) return args[i + 1];
    if (a.startsWith(`${long}=`)) return a.slice(long.length + 1);
  }
  return undefined;
}

export function beginJob(argv: readonly string[]): void {
  const args = argv.slice(2);
  const command = args[0];
  current = undefined;
  if (command === undefined || !JOB_COMMANDS.has(command) || args.includes('--help') || args.includes('-h')) return;
  const now = new Date().toISOString();
  current = {
    row: {
      id: randomUUID(),
      command,
      host: os.hostname(),
      pid: process.pid,
      examiner: optionValue(args, '-x', '--examiner') ?? io().env.EXHIBIT_EXAMINER ?? null,
      case_number: optionValue(args, '-c', '--case') ?? null,
      evidence: optionValue(args, '-e', '--evidence') ?? null,
      started_utc: now,
      updated_utc: now,
      state: 'running',
      phase: null,
      bytes_done: null,
      bytes_total: null,
      rate: null,
      exit_code: null,
      unreadable_sectors: null,
      details: null,
    },
    failed: false,
    last: 0,
    window: [],
  };
}

/** Something that tells the unreadable sectors so far (the acquisition's BadSectorMap). */
export interface UnreadableSoFar {
  readonly sectorCount: number;
  readonly ranges: readonly { first_sector: number; sectors: number }[];
}

/** What the dashboard shows of the running job besides its numbers; `start`: the command's work begins. */
export function jobDetails(details: Partial<JobDetails>, start = false): void {
  const job = current;
  if (!job) return;
  job.details = { ...(job.details ?? { kind: 'acquisition', subject: job.row.command }), ...details };
  if (details.examiner && !job.row.examiner) job.row.examiner = details.examiner;
  if (details.case && !job.row.case_number) job.row.case_number = details.case;
  if (details.evidence && !job.row.evidence) job.row.evidence = details.evidence;
  if (start) {
    job.started = true;
    // Published at once (restore and clone refuse a drive an acquisition is reading, and know it by its
    // job); the first progress is still published as soon as it comes.
    if (!job.failed) {
      job.row.updated_utc = new Date().toISOString();
      publish(job);
    }
  }
}

/** The unreadable sectors so far, published with the next update. */
export function jobUnreadable(unreadable: UnreadableSoFar): void {
  if (current) current.unreadable = unreadable;
}

/** A new phase: its rate starts again. */
export function jobPhase(): void {
  if (current) current.window = [];
}

/** A Progress update: published when 2 seconds have passed since the last one. */
export function jobProgress(phase: string, done: number, total: number): void {
  const job = current;
  if (!job || job.failed) return;
  const now = Date.now();
  // One sample per quarter second is enough for a 10-second rate; a sample per update (verify makes
  // one per 32 KiB chunk) made the window tens of thousands long and its shift() costly.
  const latest = job.window[job.window.length - 1];
  if (!latest || now - latest.t >= SAMPLE_EVERY_MS) job.window.push({ t: now, bytes: done });
  while (job.window.length > 2 && now - job.window[0]!.t > 10_000) job.window.shift();
  const first = job.window[0]!;
  const rate = now > first.t ? ((done - first.bytes) * 1000) / (now - first.t) : job.row.rate;
  Object.assign(job.row, { phase, bytes_done: done, bytes_total: total, rate }); // the latest numbers, published now or at the end
  if (now - job.last < PUBLISH_EVERY_MS) return;
  publishNow(job);
}

function publishNow(job: Current): void {
  const now = Date.now();
  job.last = now;
  job.row.updated_utc = new Date(now).toISOString();
  publish(job);
}

export function endJob(code: number): void {
  const job = current;
  current = undefined;
  if (!job) return;
  if (!job.failed && (job.last > 0 || job.started)) {
    Object.assign(job.row, { state: code === 0 ? 'finished' : 'failed', exit_code: code, updated_utc: new Date().toISOString() });
    publish(job);
  }
  job.store?.close();
}

function publish(job: Current): void {
  if (job.unreadable) {
    job.row.unreadable_sectors = job.unreadable.sectorCount;
    if (job.details) job.details.bad_ranges = job.unreadable.ranges.slice(0, MAX_RANGES).map((r) => ({ first_sector: r.first_sector, sectors: r.sectors }));
  }
  if (job.details) job.row.details = JSON.stringify(job.details);
  try {
    if (!job.store) {
      const paths = exhibitPaths(io().env);
      if (!storeExists(paths)) return;
      if (storeUrlOf(paths) === undefined) fs.accessSync(paths.database, fs.constants.W_OK); // a store we may not write: no status
      job.store = CaseStore.open(paths);
    }
    publishJob(job.store, job.row);
  } catch {
    job.failed = true; // advisory: the job itself goes on as if nothing were published
    try {
      job.store?.close();
    } catch {
      /* already gone */
    }
    job.store = undefined;
  }
}
