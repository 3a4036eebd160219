/**
 * `restore` and `clone` into a new file write `<target>.partial` and give it
 * its name only after the read-back check, so an interrupted run never leaves
 * a file that looks finished; an interrupted clone still writes its record,
 * saying incomplete. A clone of an evidence item (`--case`, `--evidence`) is
 * logged in the case's custody log.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { CustodyEntry } from '../core/custody.js';
import { BIN, makeSourceFile, run as inProcess, type RunResult, tempDir } from './helpers/cli.js';

const work = tempDir('exhibit-partial-');
const home = path.join(work, 'home');
const run = (args: string[]): RunResult => inProcess(args, { env: { EXHIBIT_HOME: home } });
// The runs that finish copy a small disk; those that are stopped copy a big one, which cannot be done
// before they are stopped. Its bytes are one 3 MiB stretch of makeSourceFile's (random, zero, text) over
// and over: as slow to copy as fresh bytes, and cheap to make.
const small = path.join(work, 'small.raw');
const big = path.join(work, 'disk.raw');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
beforeAll(() => {
  makeSourceFile(small, 3 * 1024 * 1024, 41);
  const stretch = fs.readFileSync(small);
  const fd = fs.openSync(big, 'wx');
  for (let i = 0; i < 64; i++) fs.writeSync(fd, stretch, 0, stretch.length, i * stretch.length); // 192 MiB
  fs.closeSync(fd);
});

/** Start exhibit, stop it with SIGTERM once `partial` holds something (placed by progress, not by time). */
async function stopWhenWritten(args: string[], partial: string, final: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, EXHIBIT_HOME: home } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  while (!(fs.existsSync(partial) && fs.statSync(partial).size > 0) && !fs.existsSync(final) && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => child.on('close', r));
  return { code, stderr };
}

describe('restore into a new file', () => {
  it('writes <target>.partial and renames it once read back and checked', () => {
    const target = path.join(work, 'restored-ok.dd');
    const r = run(['restore', small, target, '--no-record']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(`${target}.partial`)).toBe(false);
    expect(fs.statSync(target).size).toBe(fs.statSync(small).size);
  });

  it('interrupted, it leaves only the .partial file, and says so', async () => {
    const target = path.join(work, 'restored-stopped.dd');
    const r = await stopWhenWritten(['restore', big, target, '--no-record'], `${target}.partial`, target);
    expect(r.code, r.stderr).toBe(130);
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.existsSync(`${target}.partial`)).toBe(true);
    expect(r.stderr).toContain(`${target}.partial`);
  }, 60_000);
});

describe('clone into a new file', () => {
  it('writes <target>.partial, renames it once checked, and logs the clone of an evidence item', () => {
    expect(run(['case', 'open', 'C-CL', '-x', 'J. Doe']).code).toBe(0);
    expect(run(['evidence', 'add', 'C-CL', 'EV-C', '--serial', 'S-C', '-x', 'J. Doe']).code).toBe(0);
    const target = path.join(work, 'clone-ok.dd');
    const rec = path.join(work, 'clone-ok.clone.yaml');
    const r = run(['clone', small, target, '--record', rec, '-x', 'J. Doe', '--case', 'C-CL', '--evidence', 'EV-C', '--hash', 'sha256']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(`${target}.partial`)).toBe(false);
    expect(fs.statSync(target).size).toBe(fs.statSync(small).size);
    expect(YAML.parse(fs.readFileSync(rec, 'utf8')).result).toBe('complete');
    expect(r.stderr).toMatch(/logged in case C-CL's custody log as entry \d+/);
    const log = JSON.parse(run(['custody', 'log', 'C-CL', '--json']).stdout) as { verified: boolean; log: CustodyEntry[] };
    expect(log.verified).toBe(true);
    const last = log.log.at(-1)!;
    expect(last.kind).toBe('drive.cloned');
    expect(last.payload).toMatchObject({ evidence: 'EV-C', target, result: 'cloned and checked', bytes: fs.statSync(small).size });
    expect((last.payload as { hashes: { sha256: string } }).hashes.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses --evidence that the case does not hold, before reading a byte', () => {
    const target = path.join(work, 'clone-no.dd');
    const r = run(['clone', big, target, '--record', path.join(work, 'no.clone.yaml'), '-x', 'J. Doe', '--case', 'C-CL', '--evidence', 'EV-404']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/there is no evidence EV-404 in case C-CL/);
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.existsSync(`${target}.partial`)).toBe(false);
  });

  it('interrupted, it leaves the .partial file and an incomplete record, and says so', async () => {
    const target = path.join(work, 'clone-stopped.dd');
    const rec = path.join(work, 'clone-stopped.clone.yaml');
    const r = await stopWhenWritten(['clone', big, target, '--record', rec, '-x', 'J. Doe'], `${target}.partial`, target);
    expect(r.code, r.stderr).toBe(130);
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.existsSync(`${target}.partial`)).toBe(true);
    const record = YAML.parse(fs.readFileSync(rec, 'utf8'));
    expect(record.result).toBe('incomplete');
    expect(record.incomplete_reason).toMatch(/interrupted/);
    expect(record.target.path).toBe(`${target}.partial`);
    expect(r.stderr).toContain(`${target}.partial`);
    expect(r.stderr).toContain(rec);
  }, 60_000);
});
