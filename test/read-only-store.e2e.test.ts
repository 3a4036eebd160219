/**
 * A case store that cannot be written (an archive on read-only media, a
 * folder the user may only read) can still be read: custody log, case show,
 * case list and key list open it read-only, create nothing beside it, and
 * print what they print on a writable store. As root, file modes do not stop
 * writes, so the store is made read-only for real: read by an unprivileged
 * user (files 0444, folder 0555), and through a read-only bind mount.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../core/crypto.js';
import { BIN, have, isRoot, makeSourceFile, run as inProcess, type RunResult, tempDir } from './helpers/cli.js';
import { expectOneLineError } from './helpers/expect.js';
import { anyOf, because, needsRoot, needsTools } from './helpers/skip.js';

const work = tempDir('exhibit-rostore-');
const home = path.join(work, 'home');
const db = path.join(home, 'cases.db');
const CASE = 'C-RO';
const run = (args: string[], env: NodeJS.ProcessEnv = {}): RunResult => inProcess(args, { env: { EXHIBIT_HOME: home, ...env } });
const READS = [
  ['custody', 'log', CASE, '--json'],
  ['custody', 'log', CASE],
  ['case', 'show', CASE, '--json'],
  ['case', 'show', CASE],
  ['case', 'list', '--json'],
];
const expected = new Map<string, string>();

afterAll(() => {
  fs.chmodSync(home, 0o700);
  fs.rmSync(work, { recursive: true, force: true });
});

beforeAll(() => {
  fs.chmodSync(work, 0o755); // an unprivileged user must reach the store
  const src = path.join(work, 'source.bin');
  makeSourceFile(src, 64 * 1024, 9);
  expect(run(['acquire', src, '-o', path.join(work, 'out'), '-c', CASE, '-e', 'EV-1', '-x', 'J. Doe']).code).toBe(0);
  expect(run(['custody', 'transfer', CASE, 'EV-1', '--from', 'J. Doe', '--to', 'K. Smith', '--purpose', 'storage', '--location', 'Store room']).code).toBe(0);
  for (const args of READS) {
    const r = run(args);
    expect(r.code, r.stderr).toBe(0);
    expected.set(args.join(' '), r.stdout);
  }
  // Every exhibit closed the store, so it is all in cases.db; a reader may leave an empty -wal and the -shm.
  expect(fs.statSync(`${db}-wal`, { throwIfNoEntry: false })?.size ?? 0).toBe(0);
});

/** The store's folder as it is: each name, and each file's SHA-256. */
function snapshot(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .sort()
    .map((n) => {
      const f = path.join(dir, n);
      return fs.statSync(f).isFile() ? `${n} ${sha256Hex(fs.readFileSync(f))}` : `${n}/`;
    });
}

function expectReadsWork(runAs: (args: string[]) => RunResult, dir: string): void {
  const before = snapshot(dir);
  for (const args of READS) {
    const r = runAs(args);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    expect(r.stdout, args.join(' ')).toBe(expected.get(args.join(' ')));
  }
  const keys = runAs(['key', 'list', '--json']);
  expect(keys.code, keys.stderr).toBe(0);
  expect((JSON.parse(keys.stdout) as { examiner: string }[]).map((k) => k.examiner)).toEqual(['J. Doe']);
  // A command that writes says, in one line, that it cannot (the key file comes first for a user who may not read it).
  const w = runAs(['custody', 'transfer', CASE, 'EV-1', '--from', 'J. Doe', '--to', 'K. Smith', '--purpose', 'return', '--location', 'Lab']);
  expect(w.code).toBe(1);
  expectOneLineError(w.stderr, /cannot open the case store .* for writing|cannot read the private key of J\. Doe/);
  expect(snapshot(dir)).toEqual(before); // nothing changed, nothing created beside it
}

describe('a read-only case store can be read', () => {
  it.skipIf(!isRoot || !have('setpriv'))(because('by a user who may not write it (files 0444, folder 0555), with the -wal and -shm a reader left', anyOf(needsRoot('run exhibit as another user (setpriv)'), needsTools('setpriv'))), () => {
    const modes = new Map(fs.readdirSync(home).map((n) => [n, fs.statSync(path.join(home, n)).mode & 0o777]));
    for (const n of fs.readdirSync(home)) if (fs.statSync(path.join(home, n)).isFile()) fs.chmodSync(path.join(home, n), 0o444);
    fs.chmodSync(home, 0o555);
    try {
      expectReadsWork((args) => {
        const r = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, BIN, ...args], {
          encoding: 'utf8',
          env: { ...process.env, EXHIBIT_HOME: home },
          timeout: 120_000,
        });
        return { code: r.status, stdout: r.stdout, stderr: r.stderr };
      }, home);
    } finally {
      fs.chmodSync(home, 0o700);
      for (const [n, m] of modes) fs.chmodSync(path.join(home, n), m);
    }
  });

  it.skipIf(!isRoot)(because('through a read-only mount, even by root', needsRoot('bind-mount a folder read-only')), (ctx) => {
    const ro = path.join(work, 'ro');
    fs.mkdirSync(ro);
    const bind = spawnSync('mount', ['--bind', home, ro], { encoding: 'utf8' });
    if (bind.status !== 0) return ctx.skip(`cannot bind-mount here: ${bind.stderr.trim()}`);
    try {
      const remount = spawnSync('mount', ['-o', 'remount,ro,bind', ro], { encoding: 'utf8' });
      if (remount.status !== 0) return ctx.skip(`cannot remount read-only here: ${remount.stderr.trim()}`);
      // This time with cases.db alone, as a store copied or archived without SQLite's empty side files.
      for (const side of ['-wal', '-shm']) fs.rmSync(`${db}${side}`, { force: true });
      expect(() => fs.writeFileSync(path.join(ro, 'probe'), '')).toThrow(/EROFS/);
      expectReadsWork((args) => run(args, { EXHIBIT_HOME: ro }), ro);
    } finally {
      spawnSync('umount', [ro]);
    }
  });
});
