/** Run the real exhibit command: as a child process (`exhibit`), or inside this process (`run`). */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { RunReply, RunRequest } from './in-process-worker.js';
import { TEMP_LIST_VARIABLE } from '../global-setup.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin', 'exhibit.js');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function exhibit(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): RunResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...opts.env }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Run exhibit inside this process: the same compiled `main()` that bin/exhibit.js
 * calls, on a thread of its own with its output captured, so a command costs no
 * Node start. Synchronous like `exhibit()` (this thread sleeps until the command
 * ends), with the same environment rule (this process's, plus `env`). Use
 * `exhibit()` where a separate process is the point: signals, kills, crash hooks,
 * memory measured, locks held by another process, another user. (A umask is the
 * whole process's: set this one's around a `run` and restore it after.)
 */
export function run(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): RunResult {
  const w = runner();
  const req: RunRequest = { argv: [process.execPath, BIN, ...args], env: { ...process.env, ...opts.env } };
  Atomics.store(w.flag, 0, 0);
  w.port.postMessage(req);
  const woke = Atomics.wait(w.flag, 0, 0, 120_000);
  const msg = receiveMessageOnPort(w.port)?.message as RunReply | undefined;
  if (woke === 'timed-out' || !msg || msg.crashed) {
    current = undefined; // a thread that timed out or crashed is not used again
    void w.worker.terminate();
  }
  if (!msg) return { code: null, stdout: '', stderr: '' }; // as spawnSync reports a timeout
  return { code: msg.code, stdout: msg.stdout, stderr: msg.stderr };
}

let current: { worker: Worker; port: MessagePort; flag: Int32Array } | undefined;

function runner(): { worker: Worker; port: MessagePort; flag: Int32Array } {
  if (current) return current;
  const file = path.join(ROOT, 'dist', 'test', 'helpers', 'in-process-worker.js');
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: build first (npm run build)`);
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(file, { workerData: { port: port2, flag }, transferList: [port2] });
  worker.unref();
  port1.unref();
  current = { worker, port: port1, flag };
  return current;
}

export function exhibitAsync(args: string[]): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * A fresh folder under the system's temporary folder. Every one is removed when the test process
 * exits, and in any case at the end of the run by test/global-setup.ts, which it is listed for:
 * also when the file's tests were all skipped (then its own afterAll hooks never run) and when
 * vitest ends the worker without an exit event.
 */
export function tempDir(prefix = 'exhibit-test-'): string {
  if (!prefix.startsWith('exhibit-')) throw new Error(`tempDir: the prefix must start with exhibit- (${prefix})`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const list = process.env[TEMP_LIST_VARIABLE];
  if (list) fs.appendFileSync(list, `${dir}\n`);
  const g = globalThis as { exhibitTempDirs?: string[] };
  if (!g.exhibitTempDirs) {
    const made: string[] = (g.exhibitTempDirs = []);
    process.once('exit', () => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  }
  g.exhibitTempDirs.push(dir);
  return dir;
}

/** Run a system command; throws with its stderr on failure. */
export function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** A deterministic file of `size` bytes: text, zeros and pseudo-random data. */
export function makeSourceFile(file: string, size: number, seed = 1): void {
  const fd = fs.openSync(file, 'wx');
  let x = seed >>> 0 || 1;
  const chunk = Buffer.alloc(1 << 20);
  const text = Buffer.from('exhibit test source: The quick brown fox jumps over the lazy dog.\n');
  let pos = 0;
  while (pos < size) {
    const n = Math.min(chunk.length, size - pos);
    const kind = Math.floor(pos / chunk.length) % 3;
    if (kind === 0) {
      for (let i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        chunk[i] = x & 0xff;
      }
    } else if (kind === 1) chunk.fill(0, 0, n);
    else {
      const at = pos % text.length; // the text repeated, from where this chunk falls in it
      chunk.fill(Buffer.concat([text.subarray(at), text.subarray(0, at)]), 0, n);
    }
    fs.writeSync(fd, chunk, 0, n, pos);
    pos += n;
  }
  fs.closeSync(fd);
}

export function fileDigest(alg: string, file: string): string {
  const tool = { md5: 'md5sum', sha1: 'sha1sum', sha256: 'sha256sum', sha512: 'sha512sum' }[alg]!;
  return sh(tool, [file]).split(/\s+/)[0]!;
}

/** stderr less the notices of a fresh case store (a signing key made, a case opened), which a first run prints. */
export function withoutNotices(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => !/^exhibit: (created a signing key for |  private key |case .* was new: opened it)/.test(l))
    .join('\n');
}

/** The descriptors this process holds open on `file` (a device, an image): none should outlive the command that opened them. */
export function openDescriptorsOn(file: string): string[] {
  const held: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${fd}`) === file) held.push(fd);
    } catch {
      // closed between the listing and the look
    }
  }
  return held;
}
