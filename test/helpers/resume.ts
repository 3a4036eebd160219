/**
 * What the two resume test files share (test/resume.e2e.test.ts and
 * test/resume-kill.e2e.test.ts): the commands they run, runs killed by progress
 * or at an exact step, and reading an image back. Images are compared and hashed
 * a MiB at a time through the same two buffers, not read whole: a fresh buffer of
 * tens of MiB per look cost the test process more system time (page faults) than
 * the look itself.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import YAML from 'yaml';
import { fileSha256, filesHold } from './bytes.js';
import { expectOneLineError } from './expect.js';
import { BIN, exhibitAsync, fileDigest, run as runInProcess, withoutNotices } from './cli.js';

export const MiB = 1024 * 1024;
export const EV = 'EV';
export const EXAMINER = 'Test Examiner';
export const RESUMER = 'Resuming Examiner';

export const expectResumableError = (stderr: string, pattern: RegExp): void => expectOneLineError(withoutNotices(stderr), pattern, /^exhibit: the image is incomplete and can be resumed/);

export type Format = 'raw' | 'split-raw';

/** The original acquisition command (resuming by re-running it must work too). */
export function acquireArgsOf(src: string, out: string, format: Format, extra: string[]): string[] {
  const fmt = format === 'split-raw' ? ['--format', 'split-raw', '--segment-size', '2MiB'] : [];
  return ['acquire', src, '--out', out, '--case', 'CASE-R', '--evidence', EV, '--examiner', EXAMINER, ...fmt, ...extra];
}
export const resumeArgs = (out: string, source?: string): string[] => ['acquire', ...(source ? [source] : []), '--resume', out, '--examiner', RESUMER];

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Where a kill lands: after a time, or (placed by progress, whatever the machine's speed) once the image in `dir` holds `bytes`. */
export type KillAt = number | { dir: string; bytes: number };

/** Run exhibit as a process of its own; with `killAt`, send `sig` then (if it is still running). */
export function spawnRun(args: string[], killAt?: KillAt, sig: NodeJS.Signals = 'SIGKILL'): Promise<Run> {
  const t0 = performance.now();
  const child = exhibitAsync(args);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const kill = (): void => void (child.exitCode === null && child.signalCode === null && child.kill(sig));
  const timer =
    killAt === undefined
      ? undefined
      : typeof killAt === 'number'
        ? setTimeout(kill, killAt)
        : setInterval(() => {
            if (imageBytes(killAt.dir) >= killAt.bytes) kill();
          }, 10);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/**
 * Run exhibit inside this process (test/helpers/cli.ts), for a run nobody kills: the same command with
 * the same output and exit code, without a Node start of its own.
 */
export function run(args: string[]): Run {
  const t0 = performance.now();
  const r = runInProcess(args);
  return { ...r, signal: null, ms: performance.now() - t0 };
}

/**
 * exhibit with a crash injected at an exact point: the module `writeCrashHook` made, preloaded, makes
 * the `n`-th fs.promises.<op> call whose target path ends with `suffix` SIGKILL the process before the
 * call runs. The same as a kill -9 landing there.
 */
export function runCrashingAt(hook: string, op: 'rename' | 'rm' | 'link', suffix: string, n: number, args: string[]): Promise<Run> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', hook, BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, EXHIBIT_TEST_CRASH_AT: `${op}:${suffix}:${n}` },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 }));
  });
}

/** Write the preload module runCrashingAt uses into `dir`; returns its path. */
export function writeCrashHook(dir: string): string {
  const file = path.join(dir, 'crash-hook.mjs');
  fs.writeFileSync(
    file,
    [
      "import fsp from 'node:fs/promises';",
      "const [op, suffix, nth] = (process.env.EXHIBIT_TEST_CRASH_AT ?? '').split(':');",
      'let seen = 0;',
      'const orig = fsp[op];',
      'fsp[op] = function (...args) {',
      "  const target = String(op === 'rename' || op === 'link' ? args[1] : args[0]);",
      "  if (target.endsWith(suffix) && ++seen === Number(nth)) process.kill(process.pid, 'SIGKILL');",
      '  return orig.apply(this, args);',
      '};',
      '',
    ].join('\n'),
  );
  return file;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(what: string, cond: () => boolean, timeoutMs = 20_000, everyMs = 2): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** mulberry32: a small seeded PRNG, so a failing round can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** MD5, SHA-1 and SHA-256 of a file, by the system's own tools (not the library exhibit hashes with). */
export function digests(file: string): Record<string, string> {
  return { md5: fileDigest('md5', file), sha1: fileDigest('sha1', file), sha256: fileDigest('sha256', file) };
}

export const recordPath = (dir: string): string => path.join(dir, `${EV}.acquisition.yaml`);
export const journalPath = (dir: string): string => path.join(dir, `${EV}.journal.json`);
export const readRecord = (dir: string): any => YAML.parse(fs.readFileSync(recordPath(dir), 'utf8'));
export const readJournal = (dir: string): any => JSON.parse(fs.readFileSync(journalPath(dir), 'utf8'));

/** The image files of EV in `dir`, in media order: EV.raw, or EV.001, EV.002, ... */
export function imageFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const names = fs.readdirSync(dir).filter((n) => new RegExp(`^${EV}\\.(raw|\\d{3,})$`).test(n));
  return names.sort((a, b) => Number(a.slice(EV.length + 1)) - Number(b.slice(EV.length + 1))).map((n) => path.join(dir, n));
}

/** How many bytes the image files in `dir` hold now (sizes only: cheap enough to poll). */
export function imageBytes(dir: string): number {
  let n = 0;
  for (const f of imageFiles(dir)) {
    try {
      n += fs.statSync(f).size;
    } catch {
      // a file being created or removed: counted next time
    }
  }
  return n;
}

/**
 * Whether the image in `dir` (its files in media order) holds exactly the bytes of `expected` (a buffer,
 * or the path of a file); with `upTo`, whether both hold at least that many bytes and the first `upTo`
 * are the same.
 */
export const imageHolds = (dir: string, expected: Buffer | string, opts: { upTo?: number } = {}): boolean => filesHold(imageFiles(dir), expected, opts);

/** Each file of `dir` by name: size and SHA-256, and with `mtimes` its modification time too. */
export function snapshot(dir: string, mtimes = false): Record<string, string> {
  const s: Record<string, string> = {};
  for (const n of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, n);
    const st = fs.statSync(p);
    s[n] = st.isDirectory() ? `folder ${JSON.stringify(snapshot(p, mtimes))}` : `${st.size} ${fileSha256(p)}${mtimes ? ` ${st.mtimeMs}` : ''}`;
  }
  return s;
}

/** Put a byte other than the source's at `at` in a copy of `src` named `copy`. */
export function copyWithByteChanged(src: string, copy: string, at: number): void {
  fs.copyFileSync(src, copy);
  const fd = fs.openSync(copy, 'r+');
  try {
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, at);
    b[0] = b[0]! ^ 0xff;
    fs.writeSync(fd, b, 0, 1, at);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Sign an edited journal again with the examiner's own key from this test's exhibit home, as someone
 * holding that key could: for the checks that stand behind the journal's signature.
 */
export function resignJournal(dir: string, examiner = EXAMINER, evidence = EV): void {
  const keys = JSON.parse(runInProcess(['key', 'list', '--json']).stdout) as { examiner: string; fingerprint: string; private_key_file: string; revoked_utc?: string }[];
  const k = keys.find((x) => x.examiner === examiner && !x.revoked_utc)!;
  const priv = crypto.createPrivateKey(fs.readFileSync(k.private_key_file, 'utf8'));
  const file = path.join(dir, `${evidence}.journal.json`);
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  delete j.signature;
  const text = JSON.stringify(j);
  const message = `exhibit acquisition journal ${crypto.createHash('sha256').update(text).digest('hex')}`;
  j.signature = { key: k.fingerprint, sig: crypto.sign(null, Buffer.from(message), priv).toString('base64') };
  fs.writeFileSync(file, JSON.stringify(j, null, 1));
}
