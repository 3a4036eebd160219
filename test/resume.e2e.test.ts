/**
 * Resuming `exhibit acquire` through the real command: after Ctrl-C, after a
 * full destination; refusals of a different source and of a folder with
 * nothing to resume; and, at the end, kills at the exact moments between two
 * durable steps (each once a bug, now fixed). The kill -9 rounds at random
 * moments are in test/resume-kill.e2e.test.ts.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exhibitAsync, fileDigest, isRoot, makeSourceFile, tempDir, withoutNotices } from './helpers/cli.js';
import { expectOneLineError } from './helpers/expect.js';
import {
  acquireArgsOf,
  copyWithByteChanged,
  digests,
  EV,
  EXAMINER,
  expectResumableError,
  type Format,
  imageHolds,
  journalPath,
  MiB,
  readJournal,
  readRecord,
  recordPath,
  resignJournal,
  RESUMER,
  resumeArgs,
  run,
  runCrashingAt,
  snapshot,
  spawnRun,
  type Run,
  until,
  writeCrashHook,
} from './helpers/resume.js';

const work = tempDir('exhibit-resume-');
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts.reverse()) {
    if (spawnSync('umount', [m]).status !== 0) spawnSync('umount', ['-l', m]);
  }
  fs.rmSync(work, { recursive: true, force: true });
});

const acquireArgs = (src: string, out: string, format: Format = 'raw', extra: string[] = ['--sync-every', '4MiB', '--piece-size', '8MiB']): string[] => acquireArgsOf(src, out, format, extra);

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
// The sources of the tests that stop a run by a crash hook at a safe point, not by a signal: the ring's size does not matter there.
const SMALLER = 24 * MiB;
const SRC = path.join(work, 'source-64m.bin');
let source: Buffer;
let expected: Record<string, string>;
const ref = {} as { raw: { dir: string; record: any } };
let crashHook = '';

beforeAll(async () => {
  makeSourceFile(SRC, SIZE, 11);
  source = fs.readFileSync(SRC);
  expected = digests(SRC);
  crashHook = writeCrashHook(work);
  // The uninterrupted run: the reference record, and a complete acquisition to refuse.
  const dir = path.join(work, 'reference-raw');
  const r = run(acquireArgs(SRC, dir));
  expect(withoutNotices(r.stderr)).toBe('');
  expect(r.code).toBe(0);
  ref.raw = { dir, record: readRecord(dir) };
  expect(ref.raw.record.media.hashes).toEqual(expected);
}, 60_000);

/** The source with its byte 1000 changed (inside the first stretch a resume compares), made once by the first test that needs it. */
let otherBytesFile: string | undefined;
function otherBytes(): string {
  if (!otherBytesFile) copyWithByteChanged(SRC, (otherBytesFile = path.join(work, 'other-bytes.bin')), 1000);
  return otherBytesFile;
}

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
    expect(imageHolds(dir, source.subarray(0, stoppedAt))).toBe(true);

    // The same command with other settings asks for another acquisition: refused, nothing changes.
    const { [`${EV}.lock`]: _l, ...untouched } = snapshot(dir);
    const other = run(acquireArgsOf(SRC, dir, 'raw', ['--sync-every', '4MiB', '--piece-size', '16MiB', '--hash', 'sha256']).map((a) => (a === 'CASE-R' ? 'CASE-OTHER' : a)));
    expect(other.code).toBe(2);
    expectOneLineError(withoutNotices(other.stderr), /an unfinished acquisition of EV in .* was begun with other settings: --case \("CASE-R" then, "CASE-OTHER" now\); --hash .*; --piece-size \(8388608 then, 16777216 now\); exhibit finishes it only as it was begun/);
    const { [`${EV}.lock`]: _l2, ...after } = snapshot(dir);
    expect(after).toEqual(untouched);

    const again = run(args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/resuming at .* of 64\.0 MiB/);
    expect(again.stdout).toContain(expected.sha256);
    const done = readRecord(dir);
    expect(done.result).toBe('complete');
    expect(done.media.hashes).toEqual(expected);
    expect(done.media.hashes).toEqual(ref.raw.record.media.hashes);
    expect(done.image).toEqual(ref.raw.record.image);
    expect(imageHolds(dir, source)).toBe(true);
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
/** Byte `at` of the partial image `raw` changed as someone between sessions would; then the resume, which must refuse (exit 1). */
function flippedThenResumed(raw: string, at: number, dir: string): Run {
  const fd = fs.openSync(raw, 'r+');
  fs.writeSync(fd, Buffer.from([source[at]! ^ 0xff]), 0, 1, at);
  fs.closeSync(fd);
  const refused = run(resumeArgs(dir));
  expect(refused.code).toBe(1);
  return refused;
}

/** Whether byte `b` lies in one of the eight evenly spread places a resume compares with the source. */
const sampledPlace = (safeBytes: number, b: number): boolean => Array.from({ length: 8 }, (_, i) => Math.floor(((safeBytes - 65536) * i) / 7)).some((p) => b >= p && b < p + 65536);

/** Run an acquisition into `dir` and stop it with Ctrl-C once its raw image holds 12 MiB; the image's path. */
async function stoppedAt12MiB(args: string[], dir: string): Promise<string> {
  const child = exhibitAsync(args);
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const raw = path.join(dir, `${EV}.raw`);
  await until('12 MiB of image', () => fs.existsSync(raw) && fs.statSync(raw).size >= 12 * MiB);
  child.kill('SIGINT');
  expect(await closed).toBe(130);
  return raw;
}

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
    expect(imageHolds(dir, src40, { upTo: safe })).toBe(true);

    fs.rmSync(filler);
    const again = run(resumeArgs(dir));
    expect(again.code, again.stderr).toBe(0);
    const rec = readRecord(dir);
    expect(rec.result).toBe('complete');
    expect(rec.media.hashes).toEqual(digests40);
    expect(imageHolds(dir, src40)).toBe(true);
    expect(rec.sessions).toHaveLength(2);
    expect(rec.sessions[1]).toMatchObject({ examiner: RESUMER, from_byte: safe, to_byte: 40 * MiB, outcome: 'complete' });
    expect(fs.existsSync(journalPath(dir))).toBe(false);
  });
});

// ---------------------------------------------------------------- 4. a different source

/** Start an acquisition of `source` into `dir` and stop it with Ctrl-C once 8 MiB of image exist. */
async function interruptedAt8MiB(source: string, dir: string): Promise<void> {
  const child = exhibitAsync(acquireArgs(source, dir));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const raw = path.join(dir, `${EV}.raw`);
  await until('8 MiB of image', () => fs.existsSync(raw) && fs.statSync(raw).size >= 8 * MiB);
  child.kill('SIGINT');
  expect(await closed).toBe(130);
}

describe('resuming against a different source', () => {
  it('refuses a source with other bytes or another size, changes nothing, and resumes with the right one', async () => {
    const dir = path.join(work, 'other-source');
    await interruptedAt8MiB(SRC, dir);
    expect(readJournal(dir).safe_bytes).toBeGreaterThan(1000);

    // B: same size, one byte different (inside the first sampled stretch); C: 4 KiB shorter.
    const b = otherBytes();
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
    expect(imageHolds(dir, source)).toBe(true);
    expect(rec.sessions).toHaveLength(2); // the refused attempts are no sessions
  });

  it('never calls complete an image whose source was written between sessions, where the partial image cannot show it', async () => {
    const source = path.join(work, 'written-between.bin');
    fs.copyFileSync(SRC, source);
    const dir = path.join(work, 'written-between');
    await interruptedAt8MiB(source, dir);
    const fd = fs.openSync(source, 'r+');
    fs.writeSync(fd, Buffer.from('WRITTEN!'), 0, 8, SIZE - 4096); // past what the partial image holds
    fs.closeSync(fd);
    const before = snapshot(dir);
    const r = run(resumeArgs(dir, source));
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toMatch(/the source changed since an earlier session read it: its size or modification time changed between sessions .*nothing was added to it/);
    expect(snapshot(dir)).toEqual(before); // refused before anything was read or written
    expect(readRecord(dir).result).toBe('incomplete');
    // Asked again: still refused, for the same reason.
    const again = run(resumeArgs(dir, source));
    expect(again.code, again.stderr).not.toBe(0);
    expect(again.stderr).toMatch(/changed between sessions/);
    expect(readRecord(dir).result).toBe('incomplete');
  });

  it('compares with the readings a killed session took as it began: a write after kill -9 is found', async () => {
    const source = path.join(work, 'written-after-kill.bin');
    fs.copyFileSync(SRC, source);
    const dir = path.join(work, 'written-after-kill');
    const child = exhibitAsync(acquireArgs(source, dir));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const raw = path.join(dir, `${EV}.raw`);
    await until('8 MiB of image', () => fs.existsSync(raw) && fs.statSync(raw).size >= 8 * MiB);
    child.kill('SIGKILL');
    await closed;
    const fd = fs.openSync(source, 'r+');
    fs.writeSync(fd, Buffer.from('WRITTEN!'), 0, 8, SIZE - 4096);
    fs.closeSync(fd);
    const r = run(resumeArgs(dir, source));
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toMatch(/its size or modification time changed between sessions/);
    expect(readRecord(dir).result).toBe('incomplete');
  });

  it('refuses an edited journal before writing anything: an evidence id that is a path, no hashes, a negative safe point, a bad range', async () => {
    // A source of its own, a third the size of SRC, stopped by the crash hook at its second safe point (4 MiB).
    const dir = path.join(work, 'edited-journal');
    const src = path.join(work, 'edited-journal-source.bin');
    makeSourceFile(src, SMALLER, 13);
    expect((await runCrashingAt(crashHook, 'rename', `/${EV}.journal.json`, 2, acquireArgs(src, dir))).signal).toBe('SIGKILL');
    // A finished acquisition beside it, which a journal aimed at it must not touch.
    const other = path.join(work, 'edited-journal-neighbour');
    expect(run(acquireArgs(src, other)).code).toBe(0);
    const theirs = snapshot(other, true);
    const original = fs.readFileSync(journalPath(dir), 'utf8');
    const before = snapshot(dir);
    const edits: [string, (j: Record<string, any>) => void, RegExp][] = [
      ['evidence', (j) => (j.evidence = `../${path.basename(other)}/${EV}`), /its evidence id "\.\.\/.*" is not the one its name EV\.journal\.json gives/],
      ['hashes', (j) => (j.hashes = []), /its list of hashes is empty/],
      ['safe_bytes', (j) => (j.safe_bytes = -4096), /safe_bytes -4096 is not a byte count within the source/],
      ['bad_ranges', (j) => (j.bad_ranges = [{ first_sector: 10, sectors: -16, error: 'EIO' }]), /bad_ranges holds a range that is not whole/],
      ['piece_size', (j) => (j.piece_size = null), /piece_size null is not a whole number of sectors/],
      ['pieces_sha256', (j) => (j.pieces_sha256 = ['not a digest']), /pieces_sha256 is not a list of SHA-256 values of its pieces/],
      ['pieces_sha256', (j) => (j.pieces_sha256 = ['0'.repeat(64)]), /pieces_sha256 lists 1 pieces, more than the 4194304 safe bytes hold/],
    ];
    for (const [field, edit, said] of edits) {
      const j = JSON.parse(original);
      edit(j);
      fs.writeFileSync(journalPath(dir), JSON.stringify(j));
      const r = run(resumeArgs(dir));
      expect(r.code, `${field}: ${r.stderr}`).toBe(1);
      expectResumableError(r.stderr, said);
      expect(snapshot(other, true), field).toEqual(theirs);
    }
    fs.writeFileSync(journalPath(dir), original);
    expect(snapshot(dir)).toEqual(before);
    const r = run(resumeArgs(dir));
    expect(r.code, r.stderr).toBe(0);
    expect(readRecord(dir).media.hashes).toEqual(digests(src));
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
    const r = await runCrashingAt(crashHook, 'link', `/${EV}.journal.json`, 1, acquireArgs(small, dir));
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
    const r = await runCrashingAt(crashHook, 'link', `/${EV}.acquisition.yaml`, 1, acquireArgs(small, dir));
    expect(r.signal).toBe('SIGKILL');
    expect(fs.existsSync(journalPath(dir))).toBe(true);
    const resumed = run(resumeArgs(dir));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readRecord(dir).result).toBe('complete');
    expect(imageHolds(dir, small)).toBe(true);
  });

  it('a complete record put beside a stale journal by someone else is never logged: only the one the run signed into its journal', async () => {
    const dir = path.join(work, 'win-forged-complete');
    const r = await runCrashingAt(crashHook, 'rm', `/${EV}.journal.json`, 1, acquireArgs(small, dir));
    expect(r.signal).toBe('SIGKILL');
    const j = readJournal(dir);
    expect(j.final_record.sha256).toBe(fileDigest('sha256', recordPath(dir)));
    expect(j.final_record.sig).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    // The record swapped for one of other media (its hashes and size changed), and the image with it.
    const forged = fs.readFileSync(recordPath(dir), 'utf8').replace(/(sha256: )[0-9a-f]{64}/, `$1${'f'.repeat(64)}`);
    fs.writeFileSync(recordPath(dir), forged);
    const entriesBefore = run(['custody', 'log', 'CASE-R', '--json']).stdout;
    const before = snapshot(dir);
    const again = run(resumeArgs(dir));
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/^exhibit: error: .*EV\.acquisition\.yaml says the acquisition is complete, but it is not the record this acquisition wrote: its SHA-256 [0-9a-f]{64} is not the one the run signed into its journal before writing its record; nothing was logged and nothing changed$/m);
    expect(run(['custody', 'log', 'CASE-R', '--json']).stdout).toBe(entriesBefore);
    const { [`${EV}.lock`]: _lock, ...after } = snapshot(dir);
    const { [`${EV}.lock`]: _l, ...was } = before;
    expect(after).toEqual(was);
  });

  it('killed after the final record, before the journal is removed: the stale journal goes, nothing else changes', async () => {
    const dir = path.join(work, 'win-complete-with-journal');
    const r = await runCrashingAt(crashHook, 'rm', `/${EV}.journal.json`, 1, acquireArgs(small, dir));
    expect(r.signal).toBe('SIGKILL');
    expect(readRecord(dir).result).toBe('complete');
    expect(fs.existsSync(journalPath(dir))).toBe(true);
    const image = snapshot(dir);
    const again = run(resumeArgs(dir));
    // All that was left was the stale journal: done (the killed run had logged it), not an error.
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/the acquisition had already finished \(its record says complete\); it was logged already \(entry \d+\) of case .*'s custody log, copied beside it: /);
    expect(fs.existsSync(journalPath(dir))).toBe(false);
    expect(imageHolds(dir, small)).toBe(true);
    expect(snapshot(dir)[`${EV}.raw`]).toEqual(image[`${EV}.raw`]);
  });

  it('killed after the result was logged in the case store, before the log was copied beside the image: the next run copies it, logging nothing twice', async () => {
    const dir = path.join(work, 'win-custody-copy');
    const r = await runCrashingAt(crashHook, 'link', `/${EV}.custody.jsonl`, 1, acquireArgs(small, dir));
    expect(r.signal).toBe('SIGKILL');
    expect(readRecord(dir).result).toBe('complete');
    expect(fs.existsSync(journalPath(dir))).toBe(true); // the journal goes only once the log is beside the image
    expect(fs.existsSync(path.join(dir, `${EV}.custody.jsonl`))).toBe(false);
    const again = run(resumeArgs(dir));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/the acquisition had already finished \(its record says complete\); it was logged already \(entry \d+\)/);
    expect(fs.existsSync(journalPath(dir))).toBe(false);
    const entries = fs.readFileSync(path.join(dir, `${EV}.custody.jsonl`), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).entry);
    expect(entries.filter((e: any) => e.kind === 'acquisition.completed' && e.payload.folder === path.resolve(dir))).toHaveLength(1);
    const check = run(['custody', 'verify', dir]);
    expect(check.code, check.stdout).toBe(0);
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('killed inside an atomic write: the resumed acquisition leaves no temporary file', async () => {
    const dir = path.join(work, 'win-stale-temp');
    const r = await runCrashingAt(crashHook, 'rename', `/${EV}.map`, 1, acquireArgs(small, dir));
    expect(r.signal).toBe('SIGKILL');
    expect(fs.readdirSync(dir).filter((n) => n.startsWith(`.${EV}.map.`))).toHaveLength(1);
    const resumed = run(resumeArgs(dir));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readRecord(dir).result).toBe('complete');
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('a resume refused for another source changes nothing, not even the bytes past the safe point', async () => {
    const dir = path.join(work, 'win-refusal');
    // The journal is created (link), then replaced at each safe point (rename): the crash comes at the
    // second replacement, so the journal says 4 MiB are safe while the image holds 8 MiB.
    const r = await runCrashingAt(crashHook, 'rename', `/${EV}.journal.json`, 2, acquireArgs(SRC, dir));
    expect(r.signal).toBe('SIGKILL');
    expect(readJournal(dir).safe_bytes).toBe(4 * MiB);
    expect(fs.statSync(path.join(dir, `${EV}.raw`)).size).toBe(8 * MiB);
    const other = otherBytes();
    // The killed run's lock is stale: the refused run takes it over (and lets go of it), and changes nothing else.
    const { [`${EV}.lock`]: staleLock, ...before } = snapshot(dir);
    expect(staleLock, 'the killed run left its lock').toBeDefined();
    const refused = run(resumeArgs(dir, other));
    expect(refused.code).toBe(1);
    expectResumableError(refused.stderr, /the source differs from the partial image at byte 1000\b/);
    expect(snapshot(dir)).toEqual(before);
  });

  it('a partial image swapped for a link to the source (hard or symbolic) is refused, and the source is not touched', async () => {
    // A source of its own, a third the size of SRC: the run is killed at its second safe point (4 MiB), and
    // the refusals read no more than that.
    const dir = path.join(work, 'win-linked');
    const src = path.join(work, 'linked-source.bin');
    makeSourceFile(src, SMALLER, 12);
    const r = await runCrashingAt(crashHook, 'rename', `/${EV}.journal.json`, 2, acquireArgs(src, dir));
    expect(r.signal).toBe('SIGKILL');
    expect(readJournal(dir).safe_bytes).toBe(4 * MiB);
    const raw = path.join(dir, `${EV}.raw`);
    fs.rmSync(raw);
    const sourceBefore = fileDigest('sha256', src);
    for (const [kind, link] of [['hard link', (to: string) => fs.linkSync(src, to)], ['symbolic link', (to: string) => fs.symlinkSync(src, to)]] as const) {
      link(raw);
      const refused = run(resumeArgs(dir, src));
      expect(refused.code, kind).toBe(1);
      expectResumableError(refused.stderr, kind === 'hard link' ? /EV\.raw is the source itself; exhibit resumes only the image files it wrote/ : /is a symbolic link; exhibit resumes only the image files it wrote/);
      expect(fs.statSync(src).size, kind).toBe(SMALLER);
      expect(fileDigest('sha256', src), `${kind}: the source is unchanged`).toBe(sourceBefore);
      fs.rmSync(raw);
    }
  });

  it('a resume from another, mostly empty drive of the same size is refused where the partial image holds data', async () => {
    // Two sparse "cards": the same size, zeros but for a few bytes at 10 MiB that differ. Evenly spread
    // samples of the first 12 MiB all fall on zeros; the replay of the partial image finds the data.
    const dir = path.join(work, 'win-other-card');
    const cards = ['A', 'B'].map((c) => {
      const f = path.join(work, `card-${c}.bin`);
      fs.writeFileSync(f, '');
      fs.truncateSync(f, SMALLER); // beyond the 12 MiB the killed run keeps, so the resume has data to copy
      const fd = fs.openSync(f, 'r+');
      fs.writeSync(fd, c === 'A' ? 'photo of suspect A' : 'photo of person  B', 10 * MiB);
      fs.closeSync(fd);
      return f;
    });
    const r = await runCrashingAt(crashHook, 'rename', `/${EV}.journal.json`, 4, acquireArgs(cards[0]!, dir));
    expect(r.signal).toBe('SIGKILL');
    expect(readJournal(dir).safe_bytes).toBe(12 * MiB);
    const refused = run(resumeArgs(dir, cards[1]!));
    // Refused once the replay has read the partial image, before a byte of card B is copied: the attempt
    // is a session of its own in the record, which says why it stopped.
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`^exhibit: error: the source differs from the partial image at byte ${10 * MiB + 9}: it is not the drive this acquisition started on`, 'm'));
    expect(refused.stderr).toMatch(/^exhibit: the image is incomplete and can be resumed \(exhibit acquire --resume .*\)/m); // from the right card
    const rec = readRecord(dir);
    expect(rec.result).toBe('incomplete');
    expect(rec.sessions.at(-1).outcome).toMatch(/the source differs from the partial image/);
    expect(readJournal(dir).safe_bytes).toBe(12 * MiB);
    const resumed = run(resumeArgs(dir, cards[0]!));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readRecord(dir).media.hashes).toEqual(digests(cards[0]!));
  });

  it('a session that found its source written cannot be edited out of the journal: the signed entry that logged it refuses the resume, also from a copied folder', async () => {
    const src = path.join(work, 'written-while-read.bin');
    makeSourceFile(src, SIZE, 17);
    const dir = path.join(work, 'win-written-edited');
    const child = exhibitAsync(acquireArgs(src, dir));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const raw = path.join(dir, `${EV}.raw`);
    await until('12 MiB of image', () => fs.existsSync(raw) && fs.statSync(raw).size >= 12 * MiB);
    const fd = fs.openSync(src, 'r+');
    fs.writeSync(fd, 'WRITTEN', 50 * MiB);
    fs.closeSync(fd);
    child.kill('SIGINT');
    expect(await closed).not.toBe(0);
    const j = readJournal(dir);
    expect(j.sessions[0].read_only.unchanged).toBe(false);
    // The journal edited to say the source never moved.
    for (const session of j.sessions) {
      session.read_only.unchanged = true;
      session.read_only.file_before = session.read_only.file_after;
      session.source_at_start = { file: session.read_only.file_after };
      delete session.outcome;
    }
    fs.writeFileSync(journalPath(dir), JSON.stringify(j));
    // Edited, it is refused for its signature; signed again by someone holding the examiner's key, the case's entry still refuses it.
    const unsigned = run(resumeArgs(dir));
    expect(unsigned.code).toBe(1);
    expectResumableError(unsigned.stderr, /the resume journal in .* is not what Test Examiner's key signed: it was changed after it was written; the acquisition cannot be resumed from it/);
    resignJournal(dir);
    const copy = path.join(work, 'win-written-edited-copy');
    fs.cpSync(dir, copy, { recursive: true });
    fs.rmSync(path.join(copy, `${EV}.lock`), { force: true });
    for (const folder of [dir, copy]) {
      const refused = run(resumeArgs(folder));
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr).toMatch(/^exhibit: error: the source changed while an earlier session read it \(the case's custody log, entry \d+, says so\)/m);
      expect(readRecord(folder).result).toBe('incomplete');
    }
  });

  it('a source path edited into the journal is not opened: the signature is checked first', async () => {
    const src = path.join(work, 'fifo-path-source.bin');
    makeSourceFile(src, SMALLER, 29);
    const dir = path.join(work, 'win-fifo-path');
    expect((await runCrashingAt(crashHook, 'rename', `/${EV}.acquisition.yaml`, 1, acquireArgs(src, dir))).signal).toBe('SIGKILL');
    const fifo = path.join(work, 'not-a-drive.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const j = readJournal(dir);
    j.source.path = fifo;
    fs.writeFileSync(journalPath(dir), JSON.stringify(j));
    // No source on the command line: the journal's would be used, and is not even looked at (a pipe is refused when opened, but a device path would be opened). The kill after a minute is a guard, not a figure.
    const refused = await spawnRun(resumeArgs(dir), 60_000);
    expect(refused.signal, 'the resume hung opening the pipe').toBeNull();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the resume journal in .* is not what Test Examiner's key signed: it was changed after it was written; the acquisition cannot be resumed from it/);
    expect(fs.readFileSync(journalPath(dir), 'utf8')).toBe(JSON.stringify(j));
  });

  it('an E01 killed just before its final record resumes from its last safe point and completes', async () => {
    const dir = path.join(work, 'win-e01-final');
    const src = path.join(work, 'e01-final-source.bin');
    makeSourceFile(src, SMALLER, 23);
    const args = ['acquire', src, '--out', dir, '--case', 'CASE-R', '--evidence', EV, '--examiner', EXAMINER, '-f', 'e01', '--sync-every', '4MiB'];
    expect((await runCrashingAt(crashHook, 'rename', `/${EV}.acquisition.yaml`, 1, args)).signal).toBe('SIGKILL');
    const j = readJournal(dir);
    expect(j.final_record.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(j.safe_bytes).toBeLessThan(SMALLER); // the last safe point's state, not the finished image's
    const r = run(resumeArgs(dir));
    expect(r.code, r.stderr).toBe(0);
    expect(readRecord(dir).result).toBe('complete');
    expect(readRecord(dir).media.hashes).toEqual(digests(src));
  });

  it("an E01 journal edited to name a segment outside the folder is refused before anything is written there", async () => {
    const dir = path.join(work, 'win-e01-names');
    const src = path.join(work, 'e01-names-source.bin');
    makeSourceFile(src, SMALLER, 19);
    const args = ['acquire', src, '--out', dir, '--case', 'CASE-R', '--evidence', EV, '--examiner', EXAMINER, '-f', 'e01', '--segment-size', '4MiB', '--sync-every', '4MiB'];
    expect((await runCrashingAt(crashHook, 'rename', `/${EV}.journal.json`, 4, args)).signal).toBe('SIGKILL');
    const j = readJournal(dir);
    expect(j.writer_state.segments.length).toBeGreaterThanOrEqual(2);
    const aside = path.join(work, 'e01-names-aside');
    fs.mkdirSync(aside);
    const last = j.writer_state.segments.at(-1);
    fs.copyFileSync(path.join(dir, last.name), path.join(aside, last.name));
    const was = fs.readFileSync(path.join(aside, last.name));
    last.name = `../${path.basename(aside)}/${last.name}`;
    fs.writeFileSync(journalPath(dir), JSON.stringify(j));
    resignJournal(dir); // as someone with the examiner's key could: the names are still checked
    const r = run(resumeArgs(dir));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the journal names segment \d+ "\.\.\/e01-names-aside\/EV\.E0\d", not EV\.E0\d: it was edited/);
    expect(fs.readFileSync(path.join(aside, `${path.basename(last.name)}`)).equals(was)).toBe(true);
  });

  it('a partial image changed between sessions where no sample falls is refused by the pieces the journal noted', async () => {
    const dir = path.join(work, 'win-edited-partial');
    const raw = await stoppedAt12MiB(acquireArgs(SRC, dir), dir);
    // A clean stop hashes what it wrote: the journal notes every whole 8 MiB piece up to its safe point, as read.
    const j = readJournal(dir);
    const piece = 8 * MiB;
    expect(j.pieces_sha256.length).toBe(Math.floor(j.safe_bytes / piece));
    expect(j.pieces_sha256.length).toBeGreaterThanOrEqual(1);
    j.pieces_sha256.forEach((d: string, i: number) => expect(d, `piece ${i}`).toBe(crypto.createHash('sha256').update(source.subarray(i * piece, (i + 1) * piece)).digest('hex')));
    // One byte of piece 0 changed where neither the eight evenly spread places nor the first byte
    // of any of the 64 stretches (what the resume compares with the source) lies.
    const bucket = Math.ceil(j.safe_bytes / 64);
    const at = 3 * bucket + Math.floor(bucket / 2);
    for (let i = 0; i < 8; i++) {
      const place = Math.floor(((j.safe_bytes - 65536) * i) / 7);
      expect(at < place || at >= place + 65536, `byte ${at} is not a sampled place`).toBe(true);
    }
    expect(at).toBeLessThan(piece);
    const refused = flippedThenResumed(raw, at, dir);
    expect(refused.stderr).toMatch(/^exhibit: error: the partial image changed since an earlier session wrote it: piece 0 \(bytes 0 to 8388607\) no longer has the SHA-256 noted when it was read from the source$/m);
    // No resume mends it: the run does not say it can be resumed.
    expect(refused.stderr).toMatch(/^exhibit: the image is incomplete, and going on would not make it a faithful copy/m);
    expect(refused.stderr).not.toMatch(/can be resumed/);
    expect(readRecord(dir).result).toBe('incomplete');
    // Refused before a new byte was read: the journal and the image are as the interrupted run left them.
    expect(readJournal(dir).safe_bytes).toBe(j.safe_bytes);
    expect(readJournal(dir).pieces_sha256).toEqual(j.pieces_sha256);
    expect(fs.statSync(raw).size).toBe(j.safe_bytes);
  });

  it('a partial image changed between sessions after the last whole piece noted, before the safe point, is refused', async () => {
    const dir = path.join(work, 'win-edited-tail');
    const piece = 5 * MiB + 512; // no safe point (every 4 MiB, or where Ctrl-C stops) falls on a piece's end
    const raw = await stoppedAt12MiB(acquireArgs(SRC, dir, 'raw', ['--sync-every', '4MiB', '--piece-size', String(piece)]), dir);
    const j = readJournal(dir);
    const tail = j.pieces_sha256.length * piece; // no digest covers [tail, safe_bytes)
    expect(j.safe_bytes).toBeGreaterThan(tail);
    // A byte of the tail inside a stretch of random data (not its first non-zero byte, which the resume compares)
    // where none of the eight evenly spread places lies.
    const sampled = (b: number) => sampledPlace(j.safe_bytes, b);
    let at = -1;
    const bucket = Math.ceil(j.safe_bytes / 64); // the stretches whose first non-zero byte the resume compares
    for (let stripe = Math.floor(tail / MiB); stripe * MiB < j.safe_bytes && at < 0; stripe++) {
      if (stripe % 3 === 1) continue; // the source's 1 MiB stripes: random, zeros, text
      for (let b = stripe * MiB + 70_000; b < Math.min((stripe + 1) * MiB, j.safe_bytes) && at < 0; b += 70_000) {
        if (b > tail && !sampled(b) && b % bucket > 16) at = b;
      }
    }
    expect(at, `a byte of random data between ${tail} and ${j.safe_bytes}`).toBeGreaterThan(tail);
    const refused = flippedThenResumed(raw, at, dir);
    expect(refused.stderr).toMatch(new RegExp(`^exhibit: error: the source differs from the partial image at byte ${at}, which an earlier session read and wrote: it is not the drive`, 'm'));
    expect(readRecord(dir).result).toBe('incomplete');
    expect(readJournal(dir).safe_bytes).toBe(j.safe_bytes);
    expect(fs.statSync(raw).size).toBe(j.safe_bytes);
  });

  it('with --skip-bad (no piece noted), a partial image changed between sessions anywhere outside the samples is refused', async () => {
    const dir = path.join(work, 'win-edited-skip-bad');
    const raw = await stoppedAt12MiB(acquireArgs(SRC, dir, 'raw', ['--sync-every', '4MiB', '--skip-bad']), dir);
    const j = readJournal(dir);
    expect(j.skip_bad).toBe(true);
    expect(j.pieces_sha256 ?? []).toEqual([]);
    // A byte in the first stripe of random data, between the sampled places and past its first non-zero byte.
    const sampled = (b: number) => sampledPlace(j.safe_bytes, b);
    let at = 300_000;
    while (sampled(at)) at += 70_000;
    expect(at).toBeLessThan(MiB);
    const refused = flippedThenResumed(raw, at, dir);
    expect(refused.stderr).toMatch(new RegExp(`^exhibit: error: the source differs from the partial image at byte ${at}, which an earlier session read and wrote`, 'm'));
    expect(readRecord(dir).result).toBe('incomplete');
  });

  it('a conversion onto a destination that fills up says which file could not be written, and what is left, in plain words', async (ctx) => {
    ctx.skip(!isRoot, 'needs root to mount a tmpfs');
    const { file: src40 } = source40();
    const image = path.join(work, 'convert-full-src');
    expect(run(acquireArgs(src40, image)).code).toBe(0);
    const mnt = path.join(work, 'tmpfs-convert');
    mountTmpfs(mnt, '48m');
    const out = path.join(mnt, 'converted');
    const running = spawnRun(['convert', path.join(image, `${EV}.raw`), '--to', 'e01', '--compression', 'none', '-o', out, '-x', 'Resuming Examiner']);
    let exited = false;
    void running.then(() => (exited = true));
    await until('the partial E01', () => exited || fs.existsSync(path.join(out, `${EV}.E01.partial`)), 20_000, 1);
    const filler = fs.openSync(path.join(mnt, 'filler'), 'w');
    try {
      for (let i = 0; i < 48; i++) fs.writeSync(filler, Buffer.alloc(MiB, 0x5a));
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOSPC') throw err;
    } finally {
      fs.closeSync(filler);
    }
    const r = await running;
    expect(exited).toBe(true);
    expect(r.code).toBe(1);
    expectOneLineError(withoutNotices(r.stderr), new RegExp(`^exhibit: error: cannot write ${out}/${EV}\\.E01\\.partial: no space left on the device`));
    expect(r.stderr).toMatch(/hint: its partial output is left in .*: EV\.E01\.partial; delete it, make room, and run the conversion again/);
    expect(fs.existsSync(path.join(out, `${EV}.E01`))).toBe(false); // never given the name of a finished image
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
