/**
 * Which process serves a mount: `/run/exhibit/mounts/<key>.pid`, written by
 * the serving process once its mount is made and removed when it ends, so
 * `exhibit umount` can wait until the image's files are closed. Only a
 * convenience: releasing a mount never depends on it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { mountPath } from './release.js';

const DIR = '/run/exhibit/mounts';

function fileFor(dir: string): string {
  return path.join(DIR, `${crypto.createHash('sha256').update(mountPath(dir)).digest('hex').slice(0, 24)}.pid`);
}

export function noteServer(dir: string): void {
  fs.mkdirSync(DIR, { recursive: true, mode: 0o750 });
  fs.writeFileSync(fileFor(dir), `${process.pid}\n`, { mode: 0o640 });
}

export function forgetServer(dir: string): void {
  try {
    const f = fileFor(dir);
    if (fs.readFileSync(f, 'utf8').trim() === String(process.pid)) fs.rmSync(f, { force: true });
  } catch {
    /* already gone */
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Wait (up to `ms`) for the process that served `dir` to end; true when it has (or none was known). */
export async function waitForServer(dir: string, ms = 15_000): Promise<boolean> {
  const f = fileFor(dir);
  const deadline = Date.now() + ms;
  for (;;) {
    let pid: number;
    try {
      pid = Number(fs.readFileSync(f, 'utf8').trim());
    } catch {
      return true;
    }
    if (!Number.isSafeInteger(pid) || pid <= 0 || !alive(pid)) {
      fs.rmSync(f, { force: true }); // left by a process that was killed
      return true;
    }
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
