/**
 * Publishing a running job's progress to the case store, every 2 seconds, for `exhibit status`.
 * main() begins a job for acquire, verify, convert, restore and clone and ends it with the exit
 * code; every Progress update offers its numbers. Status is advisory: when there is no store here,
 * or it cannot be written (a read-only store), nothing is published and the job goes on unchanged.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { CaseStore, exhibitPaths, publishJob, PUBLISH_EVERY_MS, storeExists, type JobRow } from '../case-store/index.js';
import { io } from './io.js';

const SAMPLE_EVERY_MS = 250;
const JOB_COMMANDS = new Set(['acquire', 'verify', 'convert', 'restore', 'clone']);

interface Current {
  row: JobRow;
  store?: CaseStore;
  failed: boolean;
  last: number;
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
    },
    failed: false,
    last: 0,
    window: [],
  };
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
  job.last = now;
  job.row.updated_utc = new Date(now).toISOString();
  publish(job);
}

export function endJob(code: number): void {
  const job = current;
  current = undefined;
  if (!job) return;
  if (!job.failed && job.last > 0) {
    Object.assign(job.row, { state: code === 0 ? 'finished' : 'failed', exit_code: code, updated_utc: new Date().toISOString() });
    publish(job);
  }
  job.store?.close();
}

function publish(job: Current): void {
  try {
    if (!job.store) {
      const paths = exhibitPaths(io().env);
      if (!storeExists(paths)) return;
      if (paths.storeUrl === undefined) fs.accessSync(paths.database, fs.constants.W_OK); // a store we may not write: no status
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
