/**
 * A command's job as the dashboard (`exhibit serve`) and `exhibit status` show it: what it works on
 * and how it ended, published into the case store with the job's progress (cli/job-status.ts).
 */
import type { JobDetails, JobFacts } from '../case-store/index.js';
import { ExhibitError } from '../core/errors.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { jobDetails, jobPhase, jobUnreadable, type UnreadableSoFar } from './job-status.js';

export type { UnreadableSoFar } from './job-status.js';

export class JobPublisher {
  private constructor() {}

  /** The running command's work begins as a job: published at once, then with its progress, and when it ends. */
  static start(facts: JobFacts): JobPublisher {
    jobDetails(facts, true);
    return new JobPublisher();
  }

  /** Add facts learnt on the way (the drive's model and serial once it is open). */
  describe(facts: Partial<JobFacts> & { sector_size?: number }): void {
    jobDetails(facts);
  }

  /** A new phase: the rate starts again (its numbers come from the progress line, cli/job-status.ts jobProgress). */
  phase(): void {
    jobPhase();
  }

  /** The unreadable sectors so far, published with the next update. */
  unreadable(unreadable: UnreadableSoFar): void {
    jobUnreadable(unreadable);
  }

  finish(outcome: NonNullable<JobDetails['outcome']>, result: string): void {
    jobDetails({ outcome, result });
  }
}

export function startJob(facts: JobFacts): JobPublisher {
  return JobPublisher.start(facts);
}

/** End the job with what the command's exit code says, in a few words. */
export function finishJob(job: JobPublisher | undefined, code: number, words?: string): void {
  if (!job) return;
  if (code === EXIT.OK) job.finish('complete', words ?? 'done');
  else if (code === EXIT.UNREADABLE) job.finish('complete', words ?? 'complete, with unreadable sectors');
  else if (code === EXIT.INTERRUPTED) job.finish('interrupted', words ?? 'interrupted');
  else job.finish('failed', words ?? `failed (exit ${code})`);
}

/** The first line of an error, for a job that failed. */
export function failureWords(err: unknown): string {
  return err instanceof ExhibitError || err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

/** Run a command's work as a published job: it ends with the work's exit code, or with the error it throws (rethrown). */
export async function asJob(job: JobPublisher, work: () => Promise<number>, words?: (code: number) => string | undefined): Promise<number> {
  let code: number;
  try {
    code = await work();
  } catch (err) {
    finishJob(job, err instanceof ExhibitError ? exitCodeFor(err.code) : EXIT.FAILURE, failureWords(err));
    throw err;
  }
  finishJob(job, code, words?.(code));
  return code;
}
