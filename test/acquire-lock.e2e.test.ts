/**
 * One run at a time on an output: a second `exhibit acquire` (or `convert`) of
 * the same evidence into the same folder while the first runs is refused and
 * changes nothing; a lock left by a killed run is taken over and the
 * acquisition resumes; a journal whose owner still runs is never resumed.
 *
 * The first run is held still with SIGSTOP once its journal has a safe point
 * (placed by progress, not by time), so the second always meets it mid-copy.
 */
import { createHash } from 'node:crypto';
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { expectOneLineError } from './helpers/expect.js';
import { resignJournal } from './helpers/resume.js';
import { exhibit, exhibitAsync, fileDigest, makeSourceFile, run, tempDir, withoutNotices } from './helpers/cli.js';

const MiB = 1024 * 1024;
const EV = 'EV-L';
const SIZE = 64 * MiB; // twice the copy ring (8 x 4 MiB): a run held at its first safe point is far from done
const work = tempDir('exhibit-lock-');
const SRC = path.join(work, 'source.bin');
const children: ChildProcess[] = [];

beforeAll(() => {
  makeSourceFile(SRC, SIZE, 23);
  // The examiner's key exists before any test: runs started at the same instant would otherwise all
  // try to make it (a separate race, in key creation, that these tests are not about).
  const k = run(['key', 'create', '-x', 'Lock Examiner']);
  expect(k.code, k.stderr).toBe(0);
});
afterEach(() => {
  // A test that failed half-way must not leave a stopped exhibit behind.
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGCONT');
      c.kill('SIGKILL');
    }
  }
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const acquireArgs = (out: string, extra: string[] = []) => ['acquire', SRC, '--out', out, '--case', 'CASE-L', '--evidence', EV, '--examiner', 'Lock Examiner', '--sync-every', '2MiB', ...extra];
const journalPath = (dir: string) => path.join(dir, `${EV}.journal.json`);
const lockPath = (dir: string) => path.join(dir, `${EV}.lock`);
const readJournal = (dir: string): any => JSON.parse(fs.readFileSync(journalPath(dir), 'utf8'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

function journalSafeBytes(dir: string): number {
  try {
    return readJournal(dir).safe_bytes as number;
  } catch {
    return 0; // not there yet, or being replaced
  }
}

/** SIGSTOP a process and wait until every one of its threads is stopped (no write of it is still in flight). */
async function hold(child: { pid?: number | undefined; kill(sig: NodeJS.Signals): boolean }): Promise<void> {
  child.kill('SIGSTOP');
  const pid = child.pid!;
  const state = (tid: string) => {
    try {
      const s = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      return s.slice(s.lastIndexOf(')') + 2).split(' ')[0];
    } catch {
      return 'T'; // the thread ended
    }
  };
  const tasks = () => {
    try {
      return fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      return []; // it has ended: the caller says so
    }
  };
  await until('every thread stopped', () => tasks().every((t) => state(t) === 'T' || state(t) === 'Z'));
}

interface Started {
  pid: number;
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  stop(): void;
  cont(): void;
  kill(): void;
}

/** Start an acquisition and hold it still (SIGSTOP) once its journal has a safe point and the copy is not done. */
async function startAndStop(args: string[], dir: string): Promise<Started> {
  const child = exhibitAsync(args);
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
  let exited = false;
  void closed.then(() => (exited = true));
  await until('a safe point in the journal', () => exited || journalSafeBytes(dir) > 0);
  await hold(child);
  expect(exited, `the first run ended before it could be held: ${stderr}`).toBe(false);
  const image = path.join(dir, fs.readdirSync(dir).find((n) => /\.(raw|E01)$/.test(n))!);
  expect(fs.statSync(image).size, 'the first run is mid-copy').toBeLessThan(SIZE);
  return { pid: child.pid!, closed, stop: () => child.kill('SIGSTOP'), cont: () => child.kill('SIGCONT'), kill: () => child.kill('SIGKILL') };
}

/** Each file of `dir`: size, SHA-256 and modification time. */
function snapshot(dir: string): Record<string, string> {
  const s: Record<string, string> = {};
  for (const n of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, n);
    const st = fs.statSync(p);
    s[n] = st.isDirectory() ? `folder ${JSON.stringify(snapshot(p))}` : `${st.size} ${createHash('sha256').update(fs.readFileSync(p)).digest('hex')} ${st.mtimeMs}`;
  }
  return s;
}

function acquisitionEntries(dir: string): string[] {
  const log = path.join(dir, `${EV}.custody.jsonl`);
  return fs
    .readFileSync(log, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l).entry)
    .filter((e: any) => e.kind.startsWith('acquisition.') && e.payload.folder === path.resolve(dir))
    .map((e: any) => e.kind as string);
}

/** The start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat). */
function startTicks(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

describe('a second run while the first is alive', () => {
  it('is refused with one line naming the running one, changes nothing, and the first completes and verifies', async () => {
    const dir = path.join(work, 'live');
    const first = await startAndStop(acquireArgs(dir), dir);
    const before = snapshot(dir);
    expect(before[`${EV}.lock`], 'the first run holds a lock file').toBeDefined();

    // The very same command, and an explicit --resume: both refused while the first (another process) is alive.
    // The refused runs need no process of their own: they run inside this one.
    for (const args of [acquireArgs(dir), ['acquire', '--resume', dir, '--examiner', 'Lock Examiner']]) {
      const second = run(args);
      expect(second.code, second.stderr).toBe(1);
      expectOneLineError(withoutNotices(second.stderr), new RegExp(`already under way .*process ${first.pid} on this machine \\(${os.hostname().replace(/[.]/g, '\\.')}\\)`));
      expect(snapshot(dir), 'the refused run changed nothing').toEqual(before);
    }
    // Reading the image being written is refused too: it is neither whole nor damaged yet. Its folder,
    // its file, and each command that reads an image; none says VERIFIED, none reports damage.
    const raw = path.join(dir, `${EV}.raw`);
    for (const args of [['verify', dir], ['verify', raw], ['verify', raw, '--no-record'], ['inspect', raw], ['convert', raw, '--to', 'raw', '-o', path.join(work, 'live-copy')]]) {
      const r = run(args);
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(1);
      expect(r.stdout).not.toMatch(/VERIFIED|damage|changed/i);
      expectOneLineError(withoutNotices(r.stderr), new RegExp(`is not finished: an acquisition of ${EV} is under way in .*process ${first.pid} on this machine`));
      expect(snapshot(dir), `${args[0]} changed nothing`).toEqual(before);
    }
    expect(fs.existsSync(path.join(work, 'live-copy')), 'the refused conversion made no folder').toBe(false);
    first.cont();
    const done = await first.closed;
    expect(done.code, done.stderr).toBe(0);
    const rec = YAML.parse(fs.readFileSync(path.join(dir, `${EV}.acquisition.yaml`), 'utf8'));
    expect(rec.result).toBe('complete');
    expect(rec.media.hashes.sha256).toBe(fileDigest('sha256', SRC));
    expect(rec.sessions).toHaveLength(1);
    expect(fs.existsSync(journalPath(dir))).toBe(false);
    expect(fs.existsSync(lockPath(dir)), 'the lock goes when the run ends').toBe(false);
    const v = run(['verify', dir, '--no-record']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(acquisitionEntries(dir)).toEqual(['acquisition.completed']);
  });

  it('an E01 being written is not verified, inspected or converted: each is refused with one line, and the acquisition then verifies', async () => {
    const dir = path.join(work, 'live-e01');
    const first = await startAndStop(acquireArgs(dir, ['--format', 'e01', '--segment-size', '16MiB']), dir);
    const before = snapshot(dir);
    const e01 = path.join(dir, `${EV}.E01`);
    for (const args of [['verify', dir], ['verify', e01], ['verify', path.join(dir, `${EV}.acquisition.yaml`)], ['inspect', e01], ['convert', e01, '--to', 'raw', '-o', path.join(work, 'live-e01-copy')]]) {
      const r = run(args);
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(1);
      expect(r.stdout).not.toMatch(/VERIFIED|damage|changed/i);
      expectOneLineError(withoutNotices(r.stderr), new RegExp(`is not finished: an acquisition of ${EV} is under way in .*process ${first.pid} on this machine`));
    }
    expect(snapshot(dir), 'the refused commands changed nothing').toEqual(before);
    first.cont();
    const done = await first.closed;
    expect(done.code, done.stderr).toBe(0);
    const v = run(['verify', dir, '--no-record']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toMatch(/VERIFIED/);
  });

  it('a conversion holds the lock too: an acquisition of the same id into its folder is refused while it runs', async () => {
    // A complete acquisition to convert from, then a conversion held still mid-copy.
    const from = path.join(work, 'conv-from');
    const a = run(acquireArgs(from));
    expect(a.code, a.stderr).toBe(0);
    const to = path.join(work, 'conv-to');
    const child = exhibitAsync(['convert', path.join(from, `${EV}.raw`), '--to', 'raw', '-o', to]);
    children.push(child);
    let exited = false;
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    void closed.then(() => (exited = true));
    // It writes under <name>.partial until the image is checked (the final name comes at the very end).
    const partial = path.join(to, `${EV}.raw.partial`);
    await until('the conversion to start writing', () => exited || (fs.existsSync(partial) && fs.statSync(partial).size > 0));
    await hold(child);
    expect(exited, 'the conversion ended before it could be held').toBe(false);
    expect(fs.existsSync(path.join(to, `${EV}.lock`)), 'the conversion holds a lock file').toBe(true);
    const before = snapshot(to);
    const r = run(acquireArgs(to));
    expect(r.code).toBe(1);
    expectOneLineError(withoutNotices(r.stderr), new RegExp(`already under way .*process ${child.pid} `));
    expect(snapshot(to)).toEqual(before);
    child.kill('SIGCONT');
    expect(await closed).toBe(0);
    expect(fs.existsSync(path.join(to, `${EV}.lock`))).toBe(false);
  });
});

describe('runs starting at the same instant', () => {
  it('into a folder that does not exist yet: exactly one acquires, the others are refused with one line each', async () => {
    const dir = path.join(work, 'race', 'case');
    const small = path.join(work, 'race-source.bin');
    makeSourceFile(small, 8 * MiB, 7);
    const runs = [0, 1, 2].map(() => {
      const child = exhibitAsync(['acquire', small, '--out', dir, '--case', 'CASE-L', '--evidence', EV, '--examiner', 'Lock Examiner']);
      children.push(child);
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      return new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
    });
    const results = await Promise.all(runs);
    const won = results.filter((r) => r.code === 0);
    expect(won, results.map((r) => r.stderr).join('\n')).toHaveLength(1);
    for (const r of results.filter((x) => x.code !== 0)) {
      expect(r.code, r.stderr).toBe(1);
      // Refused by the lock while the winner runs, or by its finished files once it is done.
      expectOneLineError(withoutNotices(r.stderr), /already under way|already exists; exhibit never overwrites/);
    }
    const v = run(['verify', dir, '--no-record']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(acquisitionEntries(dir)).toEqual(['acquisition.completed']);
    expect(fs.existsSync(lockPath(dir))).toBe(false);
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});

describe('a lock whose owner is gone', () => {
  it('a run killed with SIGKILL leaves its lock; the next run sees the owner is dead, takes it over and resumes', async () => {
    const dir = path.join(work, 'stale');
    const first = await startAndStop(acquireArgs(dir), dir);
    first.kill();
    await first.closed;
    const lock = JSON.parse(fs.readFileSync(lockPath(dir), 'utf8'));
    expect(lock).toMatchObject({ pid: first.pid, host: os.hostname() });
    expect(readJournal(dir).owner).toMatchObject({ pid: first.pid, host: os.hostname() });

    const r = run(['acquire', '--resume', dir, '--examiner', 'Lock Examiner']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/resuming at /);
    const rec = YAML.parse(fs.readFileSync(path.join(dir, `${EV}.acquisition.yaml`), 'utf8'));
    expect(rec.result).toBe('complete');
    expect(rec.media.hashes.sha256).toBe(fileDigest('sha256', SRC));
    expect(rec.sessions).toHaveLength(2);
    expect(fs.existsSync(lockPath(dir))).toBe(false);
    expect(fs.existsSync(journalPath(dir))).toBe(false);
  });

  it('a lock from another machine is refused with a hint to remove it by hand, changing nothing', async () => {
    const dir = path.join(work, 'other-host');
    const first = await startAndStop(acquireArgs(dir), dir);
    first.kill();
    await first.closed;
    const other = { ...JSON.parse(fs.readFileSync(lockPath(dir), 'utf8')), host: 'evidence-station-2' };
    fs.writeFileSync(lockPath(dir), JSON.stringify(other));
    const before = snapshot(dir);
    const r = run(['acquire', '--resume', dir, '--examiner', 'Lock Examiner']);
    expect(r.code).toBe(1);
    expectOneLineError(withoutNotices(r.stderr), new RegExp(`process ${first.pid} on host evidence-station-2\\b`));
    expect(r.stderr).toMatch(/^exhibit: hint: .*remove .*EV-L\.lock by hand/m);
    expect(snapshot(dir)).toEqual(before);
    // Nor is the image read as finished or damaged while that run may still be writing it.
    for (const args of [['verify', dir], ['verify', path.join(dir, `${EV}.raw`)]]) {
      const v = run(args);
      expect(v.code, v.stdout + v.stderr).toBe(1);
      expect(v.stdout).not.toMatch(/VERIFIED|damage/i);
      expectOneLineError(withoutNotices(v.stderr), new RegExp(`may not be finished: .*EV-L\\.lock says an acquisition of ${EV} is under way there \\(exhibit process ${first.pid} on host evidence-station-2\\b.*cannot tell from this machine whether it still runs`));
      expect(v.stderr).toMatch(/^exhibit: hint: once sure that run has ended, remove .*EV-L\.lock/m);
    }
    expect(snapshot(dir)).toEqual(before);
    // Removed by hand: the image reads as the interrupted acquisition it is, and the acquisition resumes.
    fs.rmSync(lockPath(dir));
    const unfinished = run(['verify', dir, '--no-record']);
    expect(unfinished.code, unfinished.stdout + unfinished.stderr).toBe(4);
    expect(unfinished.stdout).not.toMatch(/VERIFIED/);
    expectOneLineError(withoutNotices(unfinished.stderr), /EV-L\.acquisition\.yaml is of an acquisition that did not finish \(.*\): there is no finished image to verify/);
    expect(unfinished.stderr).toMatch(/^exhibit: hint: if it stopped, resume it with: exhibit acquire --resume /m);
    const again = run(['acquire', '--resume', dir, '--examiner', 'Lock Examiner']);
    expect(again.code, again.stderr).toBe(0);
    const v = run(['verify', dir, '--no-record']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });

  it('a journal whose owner is alive is not resumed, even when its lock file was removed by hand', async () => {
    const dir = path.join(work, 'journal-owner');
    const first = await startAndStop(acquireArgs(dir), dir);
    first.kill();
    await first.closed;
    // The journal names a live process on this machine (this test's own), as if its lock had been deleted.
    const j = readJournal(dir);
    j.owner = { ...j.owner, pid: process.pid, process_start: startTicks(process.pid) };
    fs.writeFileSync(journalPath(dir), JSON.stringify(j));
    resignJournal(dir, 'Lock Examiner', 'EV-L'); // as the run itself would have signed it
    fs.rmSync(lockPath(dir));
    const before = snapshot(dir);
    // A process of its own: the live owner the journal names is this test's process, not the refused run.
    const r = exhibit(['acquire', '--resume', dir, '--examiner', 'Lock Examiner']);
    expect(r.code).toBe(1);
    expectOneLineError(withoutNotices(r.stderr), new RegExp(`already under way .*process ${process.pid} on this machine`));
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('lock files that are not what exhibit writes', () => {
  it('a pipe, a huge file or junk named as the lock beside a finished image: verify reads the image as it is, nothing blocks; an acquisition there is refused', async () => {
    const dir = path.join(work, 'odd-locks');
    const a = run(acquireArgs(dir));
    expect(a.code, a.stderr).toBe(0);
    const lock = lockPath(dir);
    const apart = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const c = exhibitAsync(args);
        children.push(c);
        let stdout = '';
        c.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
        const guard = setTimeout(() => c.kill('SIGKILL'), 60_000);
        c.on('close', (code) => (clearTimeout(guard), resolve({ code, stdout })));
      });
    const cases: [() => void, boolean][] = [
      [() => expect(spawnSync('mkfifo', [lock]).status).toBe(0), true], // a pipe blocks whoever opens it to read: in a process of its own, with a guard
      [() => fs.writeFileSync(lock, Buffer.alloc(1024 * 1024, 0x7b)), false],
      [() => fs.writeFileSync(lock, '{"pid": 1}'), false],
    ];
    for (const [make, inOwnProcess] of cases) {
      make();
      const v = inOwnProcess ? await apart(['verify', dir, '--no-record']) : run(['verify', dir, '--no-record']);
      expect(v.code, v.stdout).toBe(0);
      expect(v.stdout).toMatch(/^VERIFIED/m);
      const again = run(['acquire', '--resume', dir, '--examiner', 'Lock Examiner']);
      expect(again.code).not.toBe(0);
      fs.rmSync(lock);
    }
    // A lock of exhibit's shape naming a process of this machine without its start time (process 1 never
    // ends): exhibit cannot tell that process is the run, and says to remove the lock once sure.
    const forged = { lock: 'exhibit output lock', task: 'acquisition', evidence: EV, pid: 1, host: os.hostname(), started: '2020-01-01T00:00:00Z' };
    fs.writeFileSync(lock, JSON.stringify(forged));
    const v = run(['verify', dir, '--no-record']);
    expect(v.code).toBe(1);
    expectOneLineError(withoutNotices(v.stderr), /may not be finished: .*EV-L\.lock says an acquisition of EV-L is under way there \(exhibit process 1 on this machine.*does not give that process's start time/);
    expect(v.stderr).toMatch(/^exhibit: hint: once sure that run has ended, remove .*EV-L\.lock/m);
    fs.rmSync(lock);
    // With process 1's true start time copied in, the lock names a live process of this machine, but not one
    // that holds the output's claim (a run writing there holds it): no run, and the image is read. A pid no
    // process can have is no run either.
    for (const lie of [{ ...forged, process_start: startTicks(1) }, { ...forged, pid: 1099511627776 }, { ...forged, pid: 2 ** 22 + 1 }]) {
      fs.writeFileSync(lock, JSON.stringify(lie));
      const r = run(['verify', dir, '--no-record']);
      expect(r.code, `${JSON.stringify(lie)}: ${r.stdout}${r.stderr}`).toBe(0);
      // Nor does an acquisition take it for a run under way: it finds nothing to resume (the acquisition is complete).
      const res = run(['acquire', '--resume', dir, '--examiner', 'Lock Examiner']);
      expect(res.code).not.toBe(0);
      expect(res.stderr).not.toMatch(/under way/);
    }
    fs.rmSync(lock);
    // The same lock under another evidence name, or naming another evidence, is not this image's: it is read.
    fs.writeFileSync(path.join(dir, 'OTHER.lock'), JSON.stringify({ ...forged, evidence: 'OTHER' }));
    fs.writeFileSync(lock, JSON.stringify({ ...forged, evidence: 'OTHER' }));
    const w = run(['verify', dir, '--no-record']);
    expect(w.code, w.stdout + w.stderr).toBe(0);
    fs.rmSync(lock);
    fs.rmSync(path.join(dir, 'OTHER.lock'));
  });

  it('a placeholder record put where a finished one was, with no journal beside it, fails as a record that is not the image\'s, not as an acquisition to resume', () => {
    const dir = path.join(work, 'placeholder');
    expect(run(acquireArgs(dir)).code).toBe(0);
    const recFile = path.join(dir, `${EV}.acquisition.yaml`);
    // A record is not an image: inspect and convert name it so, rather than read its text as a disk.
    for (const args of [['inspect', recFile], ['convert', recFile, '--to', 'raw', '-o', path.join(work, 'record-as-image')]]) {
      const r = run(args);
      expect(r.code).toBe(2);
      expectOneLineError(withoutNotices(r.stderr), /EV-L\.acquisition\.yaml is an acquisition record, not an image/);
    }
    const rec = YAML.parse(fs.readFileSync(recFile, 'utf8'));
    fs.writeFileSync(recFile, YAML.stringify({ ...rec, result: 'incomplete', incomplete_reason: 'interrupted (SIGTERM)', image: { ...rec.image, files: [] } }));
    const v = run(['verify', dir, '--json']);
    expect(v.code, v.stdout + v.stderr).toBe(4);
    const j = JSON.parse(v.stdout);
    expect(j.problems.join('\n')).toMatch(/says the acquisition did not finish \(interrupted \(SIGTERM\)\) and lists no image file, but no resume journal is beside it/);
    expect(v.stderr).not.toMatch(/resume it with/);
    expect(j.hashes.sha256).toBe(fileDigest('sha256', SRC)); // the image itself was still read and hashed
    // Neither a decoy named like another evidence's image nor a folder named as the journal keeps the image from being hashed.
    fs.writeFileSync(path.join(dir, `${EV}.0.raw`), Buffer.alloc(4096));
    fs.mkdirSync(path.join(dir, `${EV}.journal.json`));
    const again = run(['verify', dir, '--json']);
    expect(again.code).toBe(4);
    expect(JSON.parse(again.stdout).hashes.sha256).toBe(fileDigest('sha256', SRC));
    expect(again.stderr).not.toMatch(/resume it with/);
  });
});

describe('file modes', () => {
  const stat = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);

  /** Every file and folder under `dir` (itself included) with its permission bits. */
  function modes(dir: string): Record<string, string> {
    const out: Record<string, string> = { '.': stat(dir) };
    const walk = (d: string, rel: string) => {
      for (const n of fs.readdirSync(d)) {
        const p = path.join(d, n);
        out[path.join(rel, n)] = stat(p);
        if (fs.statSync(p).isDirectory()) walk(p, path.join(rel, n));
      }
    };
    walk(dir, '');
    return out;
  }

  /**
   * Run exhibit inside this process under `mask`: a umask belongs to the whole process, so this one takes
   * it for the run (the command's threads create their files under it, as a process of its own would).
   */
  function runUnderUmask(mask: string, args: string[]) {
    const old = process.umask(parseInt(mask, 8));
    try {
      return run(args);
    } finally {
      process.umask(old);
    }
  }
  const small = path.join(work, 'small.bin');
  beforeAll(() => makeSourceFile(small, 6 * MiB, 3));

  for (const [umask, format] of [
    ['022', 'raw'],
    ['000', 'split-raw'],
    ['000', 'e01'],
    ['000', 'zst'],
  ] as const) {
    it(`an acquisition (${format}) under umask ${umask} creates its folders 0750 and its files 0640`, () => {
      const parent = path.join(work, `modes-${format}`); // created by exhibit too
      const dir = path.join(parent, 'case');
      const fmt = format === 'raw' ? [] : ['--format', format, ...(format === 'split-raw' ? ['--segment-size', '2MiB'] : [])];
      const r = runUnderUmask(umask, ['acquire', small, '--out', dir, '--case', 'CASE-M', '--evidence', EV, '--examiner', 'Lock Examiner', ...fmt]);
      expect(r.code, r.stderr).toBe(0);
      const m = modes(dir);
      expect(Object.keys(m).length).toBeGreaterThan(5);
      for (const [name, mode] of Object.entries(m)) {
        const isDir = fs.statSync(path.join(dir, name)).isDirectory();
        expect(`${name} ${mode}`).toBe(`${name} ${isDir ? '750' : '640'}`);
      }
      expect(stat(parent)).toBe('750');
    });
  }

  it('an image restored to a new file is created 0640', () => {
    const target = path.join(work, 'restored.bin');
    const image = path.join(work, 'modes-raw', 'case', `${EV}.raw`);
    const r = runUnderUmask('000', ['restore', image, target, '--no-record']);
    expect(r.code, r.stderr).toBe(0);
    expect(stat(target)).toBe('640');
  });

  it('a report is created 0640', () => {
    const out = path.join(work, 'report.jsonld');
    const r = runUnderUmask('000', ['report', 'CASE-M', '--format', 'jsonld', '-x', 'Lock Examiner', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(stat(out)).toBe('640');
  });
});
