/**
 * Resuming `exhibit acquire` through the real command: after kill -9 at random
 * moments, after Ctrl-C, after a full destination; refusals of a different
 * source and of a folder with nothing to resume; and, at the end, kills at the
 * exact moments between two durable steps (each once a bug, now fixed).
 *
 * The kill -9 rounds are random but reproducible: the seed is printed and can
 * be set with EXHIBIT_RESUME_SEED.
 */
import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { expectOneLineError } from './helpers/expect.js';
import { BIN, exhibitAsync, fileDigest, isRoot, makeSourceFile, run as runInProcess, tempDir, withoutNotices } from './helpers/cli.js';

const expectResumableError = (stderr: string, pattern: RegExp) => expectOneLineError(withoutNotices(stderr), pattern, /^exhibit: the image is incomplete and can be resumed/);
const MiB = 1024 * 1024;
const EV = 'EV';
const EXAMINER = 'Test Examiner';
const RESUMER = 'Resuming Examiner';

const work = tempDir('exhibit-resume-');
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts.reverse()) {
    if (spawnSync('umount', [m]).status !== 0) spawnSync('umount', ['-l', m]);
  }
  fs.rmSync(work, { recursive: true, force: true });
});

// ---------------------------------------------------------------- helpers

type Format = 'raw' | 'split-raw';

/** The original acquisition command (resuming by re-running it must work too). */
function acquireArgsOf(src: string, out: string, format: Format, extra: string[]): string[] {
  const fmt = format === 'split-raw' ? ['--format', 'split-raw', '--segment-size', '2MiB'] : [];
  return ['acquire', src, '--out', out, '--case', 'CASE-R', '--evidence', EV, '--examiner', EXAMINER, ...fmt, ...extra];
}
const acquireArgs = (src: string, out: string, format: Format = 'raw', extra: string[] = ['--sync-every', '4MiB', '--piece-size', '8MiB']): string[] => acquireArgsOf(src, out, format, extra);
const resumeArgs = (out: string, source?: string): string[] => ['acquire', ...(source ? [source] : []), '--resume', out, '--examiner', RESUMER];

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Where a kill lands: after a time, or (placed by progress, whatever the machine's speed) once the image in `dir` holds `bytes`. */
type KillAt = number | { dir: string; bytes: number };

/** Run exhibit as a process of its own; with `killAt`, send `sig` then (if it is still running). */
function spawnRun(args: string[], killAt?: KillAt, sig: NodeJS.Signals = 'SIGKILL'): Promise<Run> {
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
function run(args: string[]): Run {
  const t0 = performance.now();
  const r = runInProcess(args);
  return { ...r, signal: null, ms: performance.now() - t0 };
}

/** How many bytes the image files in `dir` hold now (sizes only: cheap enough to poll). */
function imageBytes(dir: string): number {
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
 * exhibit with a crash injected at an exact point: a preloaded module makes the
 * `n`-th fs.promises.<op> call whose target path ends with `suffix` SIGKILL the
 * process before the call runs. The same as a kill -9 landing there.
 */
let crashHook = '';
function runCrashingAt(op: 'rename' | 'rm' | 'link', suffix: string, n: number, args: string[]): Promise<Run> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', crashHook, BIN, ...args], {
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, timeoutMs = 20_000, everyMs = 2): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** mulberry32: a small seeded PRNG, so a failing round can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function digests(file: string): Record<string, string> {
  return { md5: fileDigest('md5', file), sha1: fileDigest('sha1', file), sha256: fileDigest('sha256', file) };
}
const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

const recordPath = (dir: string) => path.join(dir, `${EV}.acquisition.yaml`);
const journalPath = (dir: string) => path.join(dir, `${EV}.journal.json`);
const readRecord = (dir: string): any => YAML.parse(fs.readFileSync(recordPath(dir), 'utf8'));
const readJournal = (dir: string): any => JSON.parse(fs.readFileSync(journalPath(dir), 'utf8'));

/** The image files of EV in `dir`, in media order: EV.raw, or EV.001, EV.002, ... */
function imageFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const names = fs.readdirSync(dir).filter((n) => new RegExp(`^${EV}\\.(raw|\\d{3,})$`).test(n));
  return names.sort((a, b) => Number(a.slice(EV.length + 1)) - Number(b.slice(EV.length + 1))).map((n) => path.join(dir, n));
}
const readImage = (dir: string): Buffer => Buffer.concat(imageFiles(dir).map((f) => fs.readFileSync(f)));

/** Each file of `dir` by name: size and SHA-256, and with `mtimes` its modification time too. */
function snapshot(dir: string, mtimes = false): Record<string, string> {
  const s: Record<string, string> = {};
  for (const n of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, n);
    const st = fs.statSync(p);
    s[n] = st.isDirectory() ? `folder ${JSON.stringify(snapshot(p, mtimes))}` : `${st.size} ${sha256(fs.readFileSync(p))}${mtimes ? ` ${st.mtimeMs}` : ''}`;
  }
  return s;
}

function mountTmpfs(dir: string, size: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (m.status !== 0) throw new Error(`mount -t tmpfs failed: ${m.stderr}`);
  mounts.push(dir);
}

// ---------------------------------------------------------------- shared sources and reference runs

// Twice the copy ring (8 slots of 4 MiB): a Ctrl-C sent once 12 MiB are written still finds reads to do.
// (With a source the ring holds whole, every read can be done by then, and the run completes whatever
// the signal: the Ctrl-C tests failed that way on a loaded machine.)
const SIZE = 64 * MiB;
const SRC = path.join(work, 'source-64m.bin');
let source: Buffer;
let expected: Record<string, string>;
const ref = {} as { raw: { dir: string; record: any } };

beforeAll(async () => {
  makeSourceFile(SRC, SIZE, 11);
  source = fs.readFileSync(SRC);
  expected = digests(SRC);
  crashHook = path.join(work, 'crash-hook.mjs');
  fs.writeFileSync(
    crashHook,
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
  // The uninterrupted run: the reference record, and a complete acquisition to refuse.
  const dir = path.join(work, 'reference-raw');
  const r = run(acquireArgs(SRC, dir));
  expect(withoutNotices(r.stderr)).toBe('');
  expect(r.code).toBe(0);
  ref.raw = { dir, record: readRecord(dir) };
  expect(ref.raw.record.media.hashes).toEqual(expected);
}, 60_000);

// ---------------------------------------------------------------- 1. kill -9 at random points

describe('kill -9 at random points, then resume', () => {
  const SEED = Number(process.env.EXHIBIT_RESUME_SEED ?? 20260117);
  const ROUNDS = 12;
  // Rounds are stratified: bucket k covers the k-th twelfth of the run. The first and last buckets are
  // placed by the clock (they reach the windows before any output and after the copy); the others by
  // progress, once the image holds that share of the source, so they land mid-copy on any machine.
  const SPLIT_BUCKETS = new Set([2, 6, 10]); // early, mid-run and late, with split-raw
  // Mid-copy rounds whose resumes are killed as well (bucket 7: the first and the second resume).
  const RESUME_KILLS = new Map([
    [5, 1],
    [6, 1],
    [7, 2],
  ]);
  // The rounds copy a source of 16 MiB: in four pieces of 4 MiB, with a safe point every 2 MiB and, for
  // split raw, in 8 files: four pieces and seven safe points, as a 32 MiB copy with 8 MiB pieces and a
  // safe point every 4 MiB has, at half its cost. Kills placed by progress are shares of it.
  const SIZE = 16 * MiB;
  const SRC = path.join(work, 'source-16m.bin');
  const acquireArgs = (src: string, out: string, format: Format): string[] => acquireArgsOf(src, out, format, ['--sync-every', '2MiB', '--piece-size', '4MiB']);
  let source: Buffer;
  let expected: Record<string, string>;
  const ref: Record<Format, { dir: string; record: any; ms: number }> = {} as never;
  beforeAll(async () => {
    makeSourceFile(SRC, SIZE, 11);
    source = fs.readFileSync(SRC);
    expected = digests(SRC);
    // Uninterrupted runs, as processes: the reference records, and the typical run time the kill delays are spread over.
    for (const format of ['raw', 'split-raw'] as const) {
      const dir = path.join(work, `kill-reference-${format}`);
      const r = await spawnRun(acquireArgs(SRC, dir, format));
      expect(withoutNotices(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      ref[format] = { dir, record: readRecord(dir), ms: r.ms };
      expect(ref[format].record.media.hashes).toEqual(expected);
    }
  }, 60_000);

  it(`survives ${ROUNDS} kills (seed ${SEED}): image equals the source, hashes equal the uninterrupted run's`, async () => {
    const rnd = prng(SEED);
    const order = [...Array(ROUNDS).keys()];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const log: string[] = [`seed ${SEED}; uninterrupted run: raw ${Math.round(ref.raw.ms)} ms, split-raw ${Math.round(ref['split-raw'].ms)} ms`];
    let midCopyKills = 0;
    let roundsWithKilledResume = 0;
    const t0 = performance.now();

    try {
      for (const [round, bucket] of order.entries()) {
        const format: Format = SPLIT_BUCKETS.has(bucket) ? 'split-raw' : 'raw';
        const T = ref[format].ms;
        const share = (bucket + rnd()) / ROUNDS;
        const dir = path.join(work, `kill-${round}`);
        const byClock = bucket === 0 || bucket === ROUNDS - 1;
        const firstKill: KillAt = byClock ? Math.round(50 + share * (T - 50)) : { dir, bytes: Math.round((share * SIZE) / 512) * 512 };
        const original = acquireArgs(SRC, dir, format);
        const line: string[] = [`round ${round} ${format.padEnd(9)} kill ${typeof firstKill === 'number' ? `at ${String(firstKill).padStart(4)} ms` : `once ${(firstKill.bytes / MiB).toFixed(1)} MiB are written`}`];
        let resumeKills = RESUME_KILLS.get(bucket) ?? 0;
        let last = await spawnRun(original, firstKill);
        let lastExaminer = EXAMINER;
        let endedCompleteWithJournal = false;
        let resumeKilled = false;

        for (let step = 0; ; step++) {
          expect(step, 'too many resume attempts').toBeLessThan(8);
          // What the kill left behind; none of it may claim more than is there.
          const image = readImage(dir);
          const record = fs.existsSync(recordPath(dir)) ? readRecord(dir) : undefined;
          const journal = fs.existsSync(journalPath(dir)) ? readJournal(dir) : undefined;
          expect(image.length).toBeLessThanOrEqual(SIZE);
          expect(image.equals(source.subarray(0, image.length)), 'the partial image is a prefix of the source').toBe(true);
          if (record) {
            expect(['complete', 'incomplete']).toContain(record.result);
            if (record.result === 'complete') {
              expect(image.equals(source), 'a record that says complete has the whole image').toBe(true);
              expect(record.media.hashes).toEqual(expected);
            } else expect(record.media.hashes).toBeUndefined();
          }
          if (journal) {
            expect(journal.safe_bytes).toBeLessThanOrEqual(image.length);
            expect(journal.safe_bytes % 512).toBe(0);
          }
          if (record && record.result !== 'complete') {
            // The journal is made before the record, so an unfinished record always has one to resume from.
            expect(journal, 'an incomplete record never exists without a journal').toBeDefined();
          }
          if (last.signal !== 'SIGKILL') {
            line.push(`-> exit ${last.code} (${Math.round(last.ms)} ms)`);
            break; // it ended by itself: checked below
          }
          const phase = !record
            ? 'before any output'
            : !journal
              ? record.result === 'complete'
                ? 'after the journal was removed'
                : 'record written, no journal yet'
              : record.result === 'complete'
                ? 'final record written, journal not yet removed'
                : image.length === SIZE
                  ? `final flush (safe ${journal.safe_bytes / MiB} MiB)`
                  : `copying (${(image.length / MiB).toFixed(1)} MiB written, ${journal.safe_bytes / MiB} MiB safe)`;
          line.push(`[${phase}]`);
          if (step === 0 && journal && image.length > 0 && image.length < SIZE) midCopyKills++;

          let next: string[];
          if (journal && record?.result === 'complete') {
            // Killed after the final record, before the journal's removal: complete; the stale journal goes.
            const r = run(resumeArgs(dir));
            expect(r.code).toBe(1);
            expectResumableError(r.stderr, /says the acquisition is complete/);
            expect(fs.existsSync(journalPath(dir))).toBe(false);
            endedCompleteWithJournal = true; // the completing session was the killed one
            break;
          } else if (journal) {
            next = resumeArgs(dir);
          } else if (record?.result === 'complete') {
            if (fs.existsSync(path.join(dir, `${EV}.lock`))) {
              // Killed after the journal was removed, before its lock was: the owner is dead, so the
              // next run on this folder takes the lock over (and, refused here, lets go of it).
              const again = run(original);
              expect(again.code).toBe(1);
              expectResumableError(again.stderr, /already exists; exhibit never overwrites/);
              expect(fs.existsSync(path.join(dir, `${EV}.lock`))).toBe(false);
            }
            last = { ...last, code: 0 };
            break;
          } else if (record) {
            // The journal is made before the record: a record without one would be stranded.
            expect.fail(`round ${round}: an incomplete record without a journal cannot be resumed`);
          } else {
            next = original; // nothing was started: run the command again
          }
          // A resume takes about as long as a whole run (it re-reads what is there): kill it while it works.
          // Planned kills, plus more in the later rounds while fewer than two resumes were killed (timing decides
          // where a round's first kill lands, and so whether a planned round has a resume to kill at all).
          const wanted = resumeKills > 0 || (next !== original && !resumeKilled && roundsWithKilledResume < 2 && round >= ROUNDS / 2);
          // A resume is killed by progress too: once it has copied part of what is left (it first cuts the
          // image back to the safe point and reads it again, then copies on), or by the clock near the end.
          const r = rnd();
          const have = image.length;
          const killAt: KillAt | undefined = !wanted
            ? undefined
            : have < SIZE - SIZE / 8
              ? { dir, bytes: Math.round((have + (0.1 + 0.6 * r) * (SIZE - SIZE / 16 - have)) / 512) * 512 }
              : Math.round((0.2 + 0.55 * r) * T);
          if (resumeKills > 0) resumeKills--;
          lastExaminer = next === original ? EXAMINER : RESUMER;
          line.push(next === original ? 'rerun' : 'resume', ...(killAt !== undefined ? [typeof killAt === 'number' ? `(kill at ${killAt} ms)` : `(kill once ${(killAt.bytes / MiB).toFixed(1)} MiB are written)`] : []));
          last = killAt === undefined ? run(next) : await spawnRun(next, killAt);
          if (killAt !== undefined && last.signal === 'SIGKILL' && next !== original) resumeKilled = true;
        }

        // The end of the round: the complete image, as an uninterrupted run makes it.
        const rec = readRecord(dir);
        expect(readImage(dir).equals(source), `round ${round}: image equals the source`).toBe(true);
        expect(rec.result).toBe('complete');
        expect(rec.media.hashes).toEqual(expected);
        expect(rec.media.hashes).toEqual(ref[format].record.media.hashes);
        expect(rec.media.pieces).toEqual(ref[format].record.media.pieces); // four pieces of 4 MiB, rebuilt across the kills
        expect(rec.media.pieces.count).toBe(4);
        expect(rec.image).toEqual(ref[format].record.image);
        expect(rec.media.zero_sectors).toEqual(ref[format].record.media.zero_sectors);
        expect(rec.media.bytes_acquired).toBe(SIZE);
        expect(rec.read_errors.unreadable_sectors).toBe(0);
        expect(fs.readFileSync(path.join(dir, `${EV}.map`), 'utf8')).toMatch(/^# Finished$[^]*^0x00000000 {2}0x01000000 {2}\+$/m);
        const sessions = rec.sessions as any[];
        expect(sessions[0].from_byte).toBe(0);
        for (let k = 1; k < sessions.length; k++) expect(sessions[k].from_byte).toBeGreaterThanOrEqual(sessions[k - 1].from_byte);
        expect(sessions.at(-1)).toMatchObject({ outcome: 'complete', to_byte: SIZE });
        if (!endedCompleteWithJournal) {
          expect(last.code, `round ${round}: ${last.stderr}`).toBe(0);
          expect(sessions.at(-1).examiner).toBe(lastExaminer);
        }
        expect(fs.existsSync(journalPath(dir)), 'no journal is left').toBe(false);
        const names = fs.readdirSync(dir).filter((n) => !n.startsWith('.'));
        expect(names.sort()).toEqual(fs.readdirSync(ref[format].dir).sort());
        expect(fs.readdirSync(dir).filter((n) => n.startsWith('.')), 'no temporary file is left').toEqual([]);
        if (resumeKilled) roundsWithKilledResume++;
        line.push(`sessions ${sessions.length}`);
        log.push(line.join(' '));
        fs.rmSync(dir, { recursive: true }); // keep /tmp small
      }
    } finally {
      log.push(`total ${((performance.now() - t0) / 1000).toFixed(1)} s; kills mid-copy: ${midCopyKills}; rounds with a resume killed: ${roundsWithKilledResume}`);
      console.log(log.join('\n'));
    }
    expect(midCopyKills, 'some kills land mid-copy').toBeGreaterThanOrEqual(3);
    expect(roundsWithKilledResume, 'some resumes are killed too').toBeGreaterThanOrEqual(2);
  }, 400_000); // a guard against a hang only: twelve rounds of two or three runs each take minutes on a loaded machine
});

// ---------------------------------------------------------------- 2. Ctrl-C, then the same command again

describe('Ctrl-C, then the very same command again', () => {
  it('stops with exit 130 and a resumable incomplete record; the same command completes it', async () => {
    const dir = path.join(work, 'sigint');
    const args = acquireArgs(SRC, dir);
    const child = exhibitAsync(args);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const raw = path.join(dir, `${EV}.raw`);
    await until('12 MiB of image', () => fs.existsSync(raw) && fs.statSync(raw).size >= 12 * MiB);
    child.kill('SIGINT');
    expect(await closed).toBe(130);
    expect(stderr).toMatch(/^exhibit: error: interrupted after .* of 64\.0 MiB$/m);
    const rec = readRecord(dir);
    expect(rec.result).toBe('incomplete');
    expect(rec.incomplete_reason).toMatch(/interrupted/);
    expect(rec.media.hashes).toBeUndefined();
    const j = readJournal(dir);
    const stoppedAt = fs.statSync(raw).size;
    // A clean stop makes everything written durable: the journal covers all of it.
    expect(j.safe_bytes).toBe(stoppedAt);
    expect(stoppedAt).toBeGreaterThanOrEqual(12 * MiB);
    expect(stoppedAt).toBeLessThan(SIZE);
    expect(j.sessions).toHaveLength(1);
    expect(readImage(dir).equals(source.subarray(0, stoppedAt))).toBe(true);

    const again = run(args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/resuming at .* of 64\.0 MiB/);
    expect(again.stdout).toContain(expected.sha256);
    const done = readRecord(dir);
    expect(done.result).toBe('complete');
    expect(done.media.hashes).toEqual(expected);
    expect(done.media.hashes).toEqual(ref.raw.record.media.hashes);
    expect(done.image).toEqual(ref.raw.record.image);
    expect(readImage(dir).equals(source)).toBe(true);
    expect(done.sessions).toHaveLength(2);
    expect(done.sessions[0]).toMatchObject({ examiner: EXAMINER, from_byte: 0, to_byte: stoppedAt });
    expect(done.sessions[0].outcome).toMatch(/interrupted/);
    expect(done.sessions[1]).toMatchObject({ examiner: EXAMINER, from_byte: stoppedAt, to_byte: SIZE, outcome: 'complete' });
    expect(done.command_line).toEqual(done.sessions[0].command_line);
    expect(fs.readdirSync(dir).sort()).toEqual([`${EV}.acquisition.yaml`, `${EV}.checkpoint`, `${EV}.custody.jsonl`, `${EV}.keys`, `${EV}.map`, `${EV}.pieces`, `${EV}.raw`]);
    // The pieces are rebuilt exactly: the same file as the uninterrupted run's.
    expect(done.media.pieces).toEqual(ref.raw.record.media.pieces);
    expect(fs.readFileSync(path.join(dir, `${EV}.pieces`), 'utf8')).toBe(fs.readFileSync(path.join(ref.raw.dir, `${EV}.pieces`), 'utf8'));
    // Both runs are in the custody log beside the image: the interrupted one, then the one that completed it.
    const entries = fs.readFileSync(path.join(dir, `${EV}.custody.jsonl`), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).entry);
    const here = entries.filter((e: any) => e.kind.startsWith('acquisition.') && e.payload.folder === path.resolve(dir));
    expect(here.map((e: any) => e.kind)).toEqual(['acquisition.incomplete', 'acquisition.completed']);
  });
});

// ---------------------------------------------------------------- 3. a full destination

/** Start an acquisition onto a 48 MiB tmpfs and, once the image appears, fill the tmpfs so that it cannot finish. */
async function acquireUntilFull(mnt: string, src: string, extra: string[]): Promise<{ dir: string; args: string[]; r: Run; filler: string }> {
  const dir = path.join(mnt, 'case');
  const filler = path.join(mnt, 'filler');
  const args = acquireArgs(src, dir, 'raw', extra);
  const running = spawnRun(args);
  let exited = false;
  void running.then(() => (exited = true));
  await until('the image file', () => exited || fs.existsSync(path.join(dir, `${EV}.raw`)), 20_000, 1);
  expect(exited, 'the acquisition was still running when its image appeared').toBe(false);
  const fd = fs.openSync(filler, 'w');
  const mib = Buffer.alloc(MiB, 0x5a);
  try {
    for (let i = 0; i < 24; i++) fs.writeSync(fd, mib); // 40 MiB image + 24 MiB filler > 48 MiB
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd);
  }
  return { dir, args, r: await running, filler };
}

/** The 40 MiB source both full-destination tests use, made once by the first that runs, with its digests. */
let made40: { file: string; digests: Record<string, string> } | undefined;
function source40(): { file: string; digests: Record<string, string> } {
  if (!made40) {
    const file = path.join(work, 'source-40m.bin');
    makeSourceFile(file, 40 * MiB, 5);
    made40 = { file, digests: digests(file) };
  }
  return made40;
}

describe('a full destination', () => {
  it('stops with exit 1 and one line saying there is no space; after making room, --resume completes', async (ctx) => {
    ctx.skip(!isRoot, 'needs root to mount a tmpfs');
    const { file: src40, digests: digests40 } = source40();
    const mnt = path.join(work, 'tmpfs-full');
    mountTmpfs(mnt, '48m');
    // --sync-every 4MiB: the resume point stays near what was written (see the known bug about room below).
    const { dir, r, filler } = await acquireUntilFull(mnt, src40, ['--sync-every', '4MiB']);
    expect(r.code).toBe(1);
    expectResumableError(r.stderr, /no space left on the device \(ENOSPC\)/);
    expect(readRecord(dir).result).toBe('incomplete');
    expect(fs.existsSync(journalPath(dir))).toBe(true);
    const safe = readJournal(dir).safe_bytes;
    expect(readImage(dir).subarray(0, safe).equals(fs.readFileSync(src40).subarray(0, safe))).toBe(true);

    fs.rmSync(filler);
    const again = run(resumeArgs(dir));
    expect(again.code, again.stderr).toBe(0);
    const rec = readRecord(dir);
    expect(rec.result).toBe('complete');
    expect(rec.media.hashes).toEqual(digests40);
    expect(readImage(dir).equals(fs.readFileSync(src40))).toBe(true);
    expect(rec.sessions).toHaveLength(2);
    expect(rec.sessions[1]).toMatchObject({ examiner: RESUMER, from_byte: safe, to_byte: 40 * MiB, outcome: 'complete' });
    expect(fs.existsSync(journalPath(dir))).toBe(false);
  });
});

// ---------------------------------------------------------------- 4. a different source

describe('resuming against a different source', () => {
  it('refuses a source with other bytes or another size, changes nothing, and resumes with the right one', async () => {
    const dir = path.join(work, 'other-source');
    const child = exhibitAsync(acquireArgs(SRC, dir));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const raw = path.join(dir, `${EV}.raw`);
    await until('8 MiB of image', () => fs.existsSync(raw) && fs.statSync(raw).size >= 8 * MiB);
    child.kill('SIGINT');
    expect(await closed).toBe(130);
    expect(readJournal(dir).safe_bytes).toBeGreaterThan(1000);

    // B: same size, one byte different (inside the first sampled stretch); C: 4 KiB shorter.
    const b = path.join(work, 'other-bytes.bin');
    fs.copyFileSync(SRC, b);
    const fd = fs.openSync(b, 'r+');
    fs.writeSync(fd, Buffer.from([source[1000]! ^ 0xff]), 0, 1, 1000);
    fs.closeSync(fd);
    const c = path.join(work, 'other-size.bin');
    fs.copyFileSync(SRC, c);
    fs.truncateSync(c, SIZE - 4096);

    const before = snapshot(dir);
    let r = run(resumeArgs(dir, b));
    expect(r.code).toBe(1);
    expectResumableError(r.stderr, /the source differs from the partial image at byte 1000\b/);
    expect(snapshot(dir)).toEqual(before);
    r = run(resumeArgs(dir, c));
    expect(r.code).toBe(1);
    expectResumableError(r.stderr, new RegExp(`its size is ${SIZE - 4096} bytes, the journal says ${SIZE} bytes`));
    expect(snapshot(dir)).toEqual(before);

    r = run(resumeArgs(dir, SRC));
    expect(r.code, r.stderr).toBe(0);
    const rec = readRecord(dir);
    expect(rec.result).toBe('complete');
    expect(rec.media.hashes).toEqual(expected);
    expect(readImage(dir).equals(source)).toBe(true);
    expect(rec.sessions).toHaveLength(2); // the refused attempts are no sessions
  });
});

// ---------------------------------------------------------------- 5. nothing to resume

describe('nothing to resume', () => {
  it('--resume on a folder without an unfinished acquisition is wrong usage (exit 2)', async () => {
    const empty = path.join(work, 'empty');
    fs.mkdirSync(empty);
    let r = run(resumeArgs(empty));
    expect(r.code).toBe(2);
    expectResumableError(r.stderr, /there is nothing to resume in .*empty: no unfinished acquisition/);
    expect(fs.readdirSync(empty)).toEqual([]);
    r = run(resumeArgs(path.join(work, 'no-such-folder')));
    expect(r.code).toBe(2);
    expectResumableError(r.stderr, /cannot resume: .*no-such-folder is not a folder exhibit can read/);
    expect(fs.existsSync(path.join(work, 'no-such-folder'))).toBe(false);
    // A complete acquisition has nothing to resume either.
    const before = snapshot(ref.raw.dir, true);
    r = run(resumeArgs(ref.raw.dir));
    expect(r.code).toBe(2);
    expectResumableError(r.stderr, /there is nothing to resume in .*: no unfinished acquisition/);
    r = run([...resumeArgs(ref.raw.dir), '--evidence', EV]);
    expect(r.code).toBe(2);
    expectResumableError(r.stderr, /there is nothing to resume: no journal EV\.journal\.json in /);
    expect(snapshot(ref.raw.dir, true)).toEqual(before);
  });

  it('running a completed acquisition again is refused (exit 1) and changes nothing', async () => {
    const before = snapshot(ref.raw.dir, true);
    const r = run(acquireArgs(SRC, ref.raw.dir));
    expect(r.code).toBe(1);
    expectResumableError(r.stderr, /already exists; exhibit never overwrites/);
    expect(snapshot(ref.raw.dir, true)).toEqual(before);
    expect(readRecord(ref.raw.dir).result).toBe('complete');
  });
});

// ---------------------------------------------------------------- crash windows

/*
 * Kills at the exact moments between two durable steps (a preload module
 * SIGKILLs exhibit just before the n-th link, rename or rm of a named file).
 * Each window once left a state that could not be resumed or cleaned up.
 */
describe('crash windows', () => {
  const SMALL = 8 * MiB;
  const small = path.join(work, 'source-8m.bin');
  beforeAll(() => makeSourceFile(small, SMALL, 3));

  it('killed before the journal exists: nothing is claimed, and the same command starts afresh', async () => {
    const dir = path.join(work, 'win-before-journal');
    const r = await runCrashingAt('link', `/${EV}.journal.json`, 1, acquireArgs(small, dir));
    expect(r.signal).toBe('SIGKILL');
    expect(fs.existsSync(journalPath(dir))).toBe(false);
    expect(fs.existsSync(path.join(dir, `${EV}.acquisition.yaml`))).toBe(false);
    const again = run(acquireArgs(small, dir));
    expect(again.code, again.stderr).toBe(0);
    expect(readRecord(dir).media.hashes).toEqual(digests(small));
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('killed after the journal, before the first record: --resume completes it', async () => {
    const dir = path.join(work, 'win-journal-no-record');
    const r = await runCrashingAt('link', `/${EV}.acquisition.yaml`, 1, acquireArgs(small, dir));
    expect(r.signal).toBe('SIGKILL');
    expect(fs.existsSync(journalPath(dir))).toBe(true);
    const resumed = run(resumeArgs(dir));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readRecord(dir).result).toBe('complete');
    expect(readImage(dir).equals(fs.readFileSync(small))).toBe(true);
  });

  it('killed after the final record, before the journal is removed: the stale journal goes, nothing else changes', async () => {
    const dir = path.join(work, 'win-complete-with-journal');
    const r = await runCrashingAt('rm', `/${EV}.journal.json`, 1, acquireArgs(small, dir));
    expect(r.signal).toBe('SIGKILL');
    expect(readRecord(dir).result).toBe('complete');
    expect(fs.existsSync(journalPath(dir))).toBe(true);
    const image = snapshot(dir);
    const again = run(resumeArgs(dir));
    expect(again.code).toBe(1);
    expectResumableError(again.stderr, /says the acquisition is complete/);
    expect(fs.existsSync(journalPath(dir))).toBe(false);
    expect(readImage(dir).equals(fs.readFileSync(small))).toBe(true);
    expect(snapshot(dir)[`${EV}.raw`]).toEqual(image[`${EV}.raw`]);
  });

  it('killed after the result was logged in the case store, before the log was copied beside the image: the next run copies it, logging nothing twice', async () => {
    const dir = path.join(work, 'win-custody-copy');
    const r = await runCrashingAt('link', `/${EV}.custody.jsonl`, 1, acquireArgs(small, dir));
    expect(r.signal).toBe('SIGKILL');
    expect(readRecord(dir).result).toBe('complete');
    expect(fs.existsSync(journalPath(dir))).toBe(true); // the journal goes only once the log is beside the image
    expect(fs.existsSync(path.join(dir, `${EV}.custody.jsonl`))).toBe(false);
    const again = run(resumeArgs(dir));
    expect(again.code).toBe(1);
    expectResumableError(again.stderr, /says the acquisition is complete/);
    expect(fs.existsSync(journalPath(dir))).toBe(false);
    const entries = fs.readFileSync(path.join(dir, `${EV}.custody.jsonl`), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).entry);
    expect(entries.filter((e: any) => e.kind === 'acquisition.completed' && e.payload.folder === path.resolve(dir))).toHaveLength(1);
    const check = run(['custody', 'verify', dir]);
    expect(check.code, check.stdout).toBe(0);
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('killed inside an atomic write: the resumed acquisition leaves no temporary file', async () => {
    const dir = path.join(work, 'win-stale-temp');
    const r = await runCrashingAt('rename', `/${EV}.map`, 1, acquireArgs(small, dir));
    expect(r.signal).toBe('SIGKILL');
    expect(fs.readdirSync(dir).filter((n) => n.startsWith(`.${EV}.map.`))).toHaveLength(1);
    const resumed = run(resumeArgs(dir));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readRecord(dir).result).toBe('complete');
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('a resume refused for another source changes nothing, not even the bytes past the safe point', async () => {
    const dir = path.join(work, 'win-refusal');
    const other = path.join(work, 'other-source.bin');
    // The journal is created (link), then replaced at each safe point (rename): the crash comes at the
    // second replacement, so the journal says 4 MiB are safe while the image holds 8 MiB.
    const r = await runCrashingAt('rename', `/${EV}.journal.json`, 2, acquireArgs(SRC, dir));
    expect(r.signal).toBe('SIGKILL');
    expect(readJournal(dir).safe_bytes).toBe(4 * MiB);
    expect(fs.statSync(path.join(dir, `${EV}.raw`)).size).toBe(8 * MiB);
    fs.copyFileSync(SRC, other);
    const fd = fs.openSync(other, 'r+');
    fs.writeSync(fd, Buffer.from([source[1000]! ^ 0xff]), 0, 1, 1000);
    fs.closeSync(fd);
    // The killed run's lock is stale: the refused run takes it over (and lets go of it), and changes nothing else.
    const { [`${EV}.lock`]: staleLock, ...before } = snapshot(dir);
    expect(staleLock, 'the killed run left its lock').toBeDefined();
    const refused = run(resumeArgs(dir, other));
    expect(refused.code).toBe(1);
    expectResumableError(refused.stderr, /the source differs from the partial image at byte 1000\b/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('after a full destination, --resume counts the image already on disk as room', async (ctx) => {
    ctx.skip(!isRoot, 'needs root to mount a tmpfs');
    const mnt = path.join(work, 'tmpfs-room');
    const { file: src40, digests: digests40 } = source40();
    mountTmpfs(mnt, '48m');
    const { dir, r, filler } = await acquireUntilFull(mnt, src40, []);
    expect(r.code).toBe(1);
    expectResumableError(r.stderr, /no space left/);
    fs.rmSync(filler);
    const resumed = run(resumeArgs(dir));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readRecord(dir).media.hashes).toEqual(digests40);
  });
});
