/**
 * One run at a time on an output: `<evidence>.lock` in the output folder,
 * held by an acquisition or a conversion from before it reads or changes
 * anything there until after its journal is gone.
 *
 * - The lock file is created exclusively (a temporary file linked into place,
 *   so it never exists without its content) and names its owner: pid, host,
 *   boot and start time. Of two runs starting at the same instant, one link
 *   succeeds; the other reads the winner and is refused, naming it.
 * - A lock whose owner is gone (the pid is dead on this machine, or now
 *   belongs to another process, or the machine was rebooted) is stale, as a
 *   run killed with SIGKILL leaves it, and is taken over. A lock from another
 *   host is never taken over: only a person can know that run has ended.
 * - On Linux the run also binds an abstract Unix socket named after the
 *   folder's device and inode and the evidence id. The kernel holds it for
 *   exactly as long as the process lives (SIGKILL included) and refuses a
 *   second binder, so on one machine the check of a stale lock and its
 *   takeover cannot race another run doing the same.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { describeSystemError, errnoOf, ExhibitError } from '../core/errors.js';
import { writeFileAtomic } from '../core/record.js';
import { describeOwner, lockFileName, outputClaimName, ownerState, readLockFile, taskWords, thisProcess, type LockFile, type LockTask, type ProcessOwner } from '../core/process-owner.js';

export { lockFileName, type LockTask };

export interface OutputLock {
  readonly owner: ProcessOwner;
  /** Remove the lock file, then let go of the machine-wide claim. */
  release(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The kernel-held claim on this machine: a server on an abstract socket, or 'busy'; undefined where there are none. */
async function claimOnThisMachine(dir: string, evidence: string): Promise<net.Server | 'busy' | undefined> {
  if (process.platform !== 'linux') return undefined;
  const name = outputClaimName(dir, evidence);
  if (name === undefined) throw new ExhibitError('OUTPUT_WRITE', `cannot read the folder ${dir}`);
  return new Promise((resolve) => {
    const server = net.createServer((c) => c.destroy());
    server.once('error', (err) => resolve(errnoOf(err) === 'EADDRINUSE' ? 'busy' : undefined));
    server.listen({ path: `\0${name}`, exclusive: true }, () => {
      server.unref();
      resolve(server);
    });
  });
}

async function readLock(file: string): Promise<{ text: string; lock: LockFile | undefined } | undefined> {
  try {
    return readLockFile(file);
  } catch (err) {
    throw new ExhibitError('OUTPUT_WRITE', `cannot read the lock file ${file}: ${describeSystemError(err)}`, { cause: err });
  }
}

function underWay(dir: string, evidence: string, l: LockFile): ExhibitError {
  return new ExhibitError('OUTPUT_LOCKED', `${taskWords(l.task)} of ${evidence} is already under way in ${dir}: ${describeOwner(l)}; exhibit changes nothing while it runs`, {
    hints: ['wait for it to end; an acquisition that was stopped resumes with the same command'],
  });
}

/** Lock `dir` if it is a folder that exists; one yet to be made is locked once made (nothing can be in it before). */
export async function lockIfFolderExists(dir: string, evidence: string, task: LockTask): Promise<OutputLock | undefined> {
  const isFolder = await fs.stat(dir).then((st) => st.isDirectory(), () => false);
  return isFolder ? lockOutput(dir, evidence, task) : undefined;
}

/** Refuse a second run while another is alive, naming it; take over a lock its owner left behind. */
export async function lockOutput(dir: string, evidence: string, task: LockTask): Promise<OutputLock> {
  const file = path.join(dir, lockFileName(evidence));
  const claim = await claimOnThisMachine(dir, evidence);
  const letGo = async () => {
    if (claim && claim !== 'busy') await new Promise<void>((r) => claim.close(() => r()));
  };
  try {
    if (claim === 'busy') {
      // Another exhibit on this machine holds the folder: name it from its lock file (which it may be
      // writing this very moment, or have removed while it finishes: look again for a moment).
      for (let i = 0; i < 40; i++) {
        const seen = await readLock(file);
        if (seen?.lock) throw underWay(dir, evidence, seen.lock);
        await sleep(25);
      }
      throw new ExhibitError('OUTPUT_LOCKED', `another exhibit on this machine is working on ${evidence} in ${dir}; exhibit changes nothing while it runs`, {
        hints: ['wait for it to end, then run the command again'],
      });
    }
    const owner = thisProcess();
    const mine: LockFile = { lock: 'exhibit output lock', task, evidence, ...owner };
    const text = `${JSON.stringify(mine, null, 1)}\n`;
    try {
      await writeFileAtomic(file, text); // exclusive: EEXIST when a lock is there
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') throw new ExhibitError('OUTPUT_WRITE', `cannot create the lock file ${file}: ${describeSystemError(err)}`, { cause: err });
      const seen = await readLock(file);
      if (seen && !seen.lock) {
        throw new ExhibitError('OUTPUT_LOCKED', `the lock file ${file} cannot be read, so exhibit cannot tell whether another run is working on ${evidence}`, {
          hints: [`if you are sure no exhibit, on any machine, is working on this folder, remove ${file} by hand and run the command again`],
        });
      }
      if (seen?.lock) {
        const state = ownerState(seen.lock);
        // With the machine-wide claim in hand, no run on this machine is writing here (a live one would hold
        // it): a lock naming a live local process names some other process (its number reused, or the lock
        // forged), and is stale. Without claims (not Linux), the process's being alive is all there is to go by.
        if (state === 'alive' && claim === undefined) throw underWay(dir, evidence, seen.lock);
        if (state === 'elsewhere') {
          throw new ExhibitError('OUTPUT_LOCKED', `${file} says ${taskWords(seen.lock.task)} of ${evidence} is under way: ${describeOwner(seen.lock)}; exhibit cannot tell from here whether it still runs`, {
            hints: [`if you are sure no exhibit on ${seen.lock.host} is working on this folder any more, remove ${file} by hand and run the command again`],
          });
        }
      }
      // Stale (its owner is gone), or removed in the meantime: ours now. Without the machine-wide claim
      // (not Linux), two runs could both get here; the journal's owner check is then the last guard.
      await writeFileAtomic(file, text, true);
    }
    return {
      owner,
      release: async () => {
        try {
          const now = await readLock(file);
          if (now?.text === text) await fs.rm(file, { force: true });
        } finally {
          await letGo();
        }
      },
    };
  } catch (err) {
    await letGo();
    throw err;
  }
}
