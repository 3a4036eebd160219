/** Publishing a command's progress as a job of this machine, for the dashboard (`exhibit serve`). */
import { exhibitPaths } from '../case-store/paths.js';
import { JobPublisher, type JobFacts } from '../case-store/job-status.js';
import { ExhibitError } from '../core/errors.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { io } from './io.js';

export function startJob(facts: JobFacts): JobPublisher {
  return JobPublisher.start(exhibitPaths(io().env), facts);
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
