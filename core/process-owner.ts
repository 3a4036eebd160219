/**
 * Who is working on an output: a process named by host, pid, boot and start
 * time, as written into an output's lock file and resume journal, and whether
 * that process is still alive.
 *
 * A pid alone is not enough: after a crash or a reboot the number is given to
 * another process. The boot id (/proc/sys/kernel/random/boot_id) and the
 * process's start time (field 22 of /proc/<pid>/stat) tell the owner from a
 * stranger with its number. Only a process on this machine can be checked;
 * one on another host is "elsewhere", which callers treat as alive.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errnoOf, ExhibitError } from './errors.js';
import { readInputTextSync } from './input-file.js';

export interface ProcessOwner {
  pid: number;
  host: string;
  boot_id?: string;
  process_start?: string; // clock ticks since boot, as /proc/<pid>/stat gives it
  started: string; // ISO 8601, UTC
}

function bootId(): string | undefined {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The start time and state of a process, from /proc (undefined where there is no /proc or no such process). */
function procStat(pid: number): { start: string; state: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const start = fields[19];
  const state = fields[0];
  return start && state ? { start, state } : undefined;
}

export function thisProcess(): ProcessOwner {
  const boot = bootId();
  const start = procStat(process.pid)?.start;
  return { pid: process.pid, host: os.hostname(), ...(boot ? { boot_id: boot } : {}), ...(start ? { process_start: start } : {}), started: new Date().toISOString() };
}

/** A ProcessOwner read from a file, or undefined when its fields are not what exhibit writes. */
export function asOwner(v: unknown): ProcessOwner | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  // kill(0 or -n) would mean a group; Linux gives no pid above 2^22.
  if (typeof o.pid !== 'number' || !Number.isSafeInteger(o.pid) || o.pid <= 0 || o.pid > 2 ** 22) return undefined;
  if (typeof o.host !== 'string' || o.host === '' || typeof o.started !== 'string') return undefined;
  for (const k of ['boot_id', 'process_start'] as const) if (o[k] !== undefined && typeof o[k] !== 'string') return undefined;
  return o as unknown as ProcessOwner;
}

/**
 * `alive`: that very process still runs on this machine; `gone`: it does not
 * (no such pid, the machine was rebooted since, the pid now belongs to a
 * process started at another time, or it is a zombie, which holds nothing);
 * `elsewhere`: it ran on another host, which cannot be asked from here.
 */
export function ownerState(o: ProcessOwner): 'alive' | 'gone' | 'elsewhere' {
  if (o.host !== os.hostname()) return 'elsewhere';
  const boot = bootId();
  if (o.boot_id && boot && o.boot_id !== boot) return 'gone';
  try {
    process.kill(o.pid, 0);
  } catch (err) {
    if (errnoOf(err) !== 'EPERM') return 'gone'; // EPERM: it exists, owned by another user; anything else: no such process
  }
  const now = procStat(o.pid);
  if (now && (now.state === 'Z' || now.state === 'X')) return 'gone';
  if (now && o.process_start && now.start !== o.process_start) return 'gone';
  return 'alive';
}

/** "exhibit process 1234 on this machine (lab-3), started 2026-...", or "... on host lab-4, ...". */
export function describeOwner(o: ProcessOwner): string {
  const where = o.host === os.hostname() ? `on this machine (${o.host})` : `on host ${o.host}`;
  return `exhibit process ${o.pid} ${where}, started ${o.started}`;
}

/** The lock file a run keeps beside the output of `evidence` while it writes there. */
export function lockFileName(evidence: string): string {
  return `${evidence}.lock`;
}

/**
 * The name of the abstract Unix socket a run on Linux holds while it writes the output of `evidence` in
 * `dir` (acquire/output-lock.ts): the kernel lets one process hold it, and takes it back when that
 * process ends, however it ends. Undefined where `dir` cannot be read.
 */
export function outputClaimName(dir: string, evidence: string): string | undefined {
  let st: fs.BigIntStats;
  try {
    st = fs.statSync(dir, { bigint: true });
  } catch {
    return undefined;
  }
  const key = createHash('sha256').update(`${st.dev}:${st.ino}:${evidence}`).digest('hex').slice(0, 40);
  return `exhibit-output-lock-${key}`;
}

/** Whether some process on this machine holds the claim named so (Linux: /proc/net/unix lists abstract sockets as @name); undefined where that cannot be read. */
function claimHeld(name: string): boolean | undefined {
  let table: string;
  try {
    table = fs.readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return undefined;
  }
  // Node pads an abstract name with NULs, which the table shows as '@': the name (of fixed length) is looked for as a prefix.
  return table.includes(`@${name}`);
}

/** The evidence name a lock file is kept for, or undefined for a file that is not one. */
export function evidenceOfLockFileName(name: string): string | undefined {
  return name.endsWith('.lock') && name.length > '.lock'.length ? name.slice(0, -'.lock'.length) : undefined;
}

export type LockTask = 'acquisition' | 'conversion';

/** A lock's task in words: "an acquisition", "a conversion". */
export function taskWords(task: LockTask): string {
  return task === 'conversion' ? 'a conversion' : 'an acquisition';
}

/** What a lock file holds: the run that writes the output, and what it is doing. */
export interface LockFile extends ProcessOwner {
  lock: 'exhibit output lock';
  task: LockTask;
  evidence: string;
}

/** A lock file is a few hundred bytes: one larger is not exhibit's. */
const LOCK_MAX_BYTES = 64 * 1024;

/**
 * The lock file `file`: undefined when there is none; `lock` undefined when it is not one exhibit
 * wrote (not JSON, other fields, a pipe or a device, too large: nothing that blocks or floods the
 * reader). Other errors from the system are thrown.
 */
export function readLockFile(file: string): { text: string; lock: LockFile | undefined } | undefined {
  let text: string;
  try {
    // exhibit writes a lock as a regular file, never a link: a link is not its lock, and is not followed.
    if (!fs.lstatSync(file).isFile()) return { text: '', lock: undefined };
    text = readInputTextSync(file, { max: { bytes: LOCK_MAX_BYTES, what: 'a lock file' } });
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    if (err instanceof ExhibitError) return { text: '', lock: undefined }; // not a regular file, or too large
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { text, lock: undefined };
  }
  const p = parsed as Partial<LockFile>;
  const ok = asOwner(parsed) !== undefined && p.lock === 'exhibit output lock' && (p.task === 'acquisition' || p.task === 'conversion');
  return { text, lock: ok ? (parsed as LockFile) : undefined };
}

/** What the lock beside an output says of the run writing it (see liveRunIn). */
export type LiveRun =
  | { state: 'alive' | 'elsewhere' | 'unconfirmed'; task: string; owner: ProcessOwner; file: string }
  | { state: 'unreadable'; file: string; why: string };

/**
 * Another run still writing the output of `evidence` in `dir`, as its lock file names it: an image
 * there is not finished and reads as neither whole nor damaged. `alive`: that run, on this machine,
 * still runs; `elsewhere`: it is on another host, which cannot be asked; `unconfirmed`: the lock names
 * a process on this machine but not its start time (exhibit always writes it), so that the process
 * with its number is that run cannot be told; `unreadable`: there is a lock exhibit cannot read
 * (permissions). Undefined when there is no lock, it is not one exhibit wrote for this evidence (a
 * pipe, a device, junk: nothing is read from those), its run is gone, or it is this process.
 */
export function liveRunIn(dir: string, evidence: string): LiveRun | undefined {
  const file = path.join(dir, lockFileName(evidence));
  let lock: LockFile | undefined;
  try {
    lock = readLockFile(file)?.lock;
  } catch (err) {
    // Permission denied: a lock is there that this user cannot read. Anything else (a loop of links, a
    // path through a file) is no lock of exhibit's.
    const code = errnoOf(err);
    if (code === 'EACCES' || code === 'EPERM') return { state: 'unreadable', file, why: 'permission denied' };
    return undefined;
  }
  if (!lock || lock.evidence !== evidence || (lock.pid === process.pid && lock.host === os.hostname())) return undefined;
  const state = ownerState(lock);
  if (state === 'gone') return undefined;
  const task = taskWords(lock.task);
  if (state === 'alive' && lock.process_start === undefined) return { state: 'unconfirmed', task, owner: lock, file };
  // A run alive on this machine holds the output's claim too: a lock naming a process that holds none
  // (some other process, with its number and start time copied into a forged lock) names no run.
  if (state === 'alive' && process.platform === 'linux') {
    const claim = outputClaimName(dir, evidence);
    if (claim !== undefined && claimHeld(claim) === false) return undefined;
  }
  return { state, task, owner: lock, file };
}
