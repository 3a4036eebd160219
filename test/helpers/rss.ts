/** Run the real exhibit command under /usr/bin/time and report its peak resident memory. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { BatchResult } from './batch-runner.js';
import { BIN, ROOT, tempDir, type RunResult } from './cli.js';

export const TIME = '/usr/bin/time';
export const noTime = fs.existsSync(TIME) ? undefined : 'needs /usr/bin/time (apt-get install time)';

export interface MeasuredRun extends RunResult {
  /** Peak resident set size of the exhibit process, in MiB. */
  rssMiB: number;
}

export function exhibitMeasured(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): MeasuredRun {
  return measured([BIN, ...args], opts);
}

/** `node <script...>` under /usr/bin/time: its output, exit code and peak resident memory. */
function measured(script: string[], opts: { env?: NodeJS.ProcessEnv }): MeasuredRun {
  // time writes its line last on stderr; a marker keeps it apart from exhibit's own output.
  const r = spawnSync(TIME, ['-f', 'exhibit-peak-rss-kib %M', process.execPath, ...script], {
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    timeout: 120_000,
    maxBuffer: 64 << 20,
  });
  const m = /exhibit-peak-rss-kib (\d+)\s*$/.exec(r.stderr);
  if (!m) throw new Error(`no memory figure from ${TIME}: ${r.stderr.slice(-500)}`);
  // time prints "Command exited with non-zero status N" before its line when exhibit fails.
  const stderr = r.stderr.slice(0, m.index).replace(/Command exited with non-zero status \d+\n$/, '');
  return { code: r.status, stdout: r.stdout, stderr, rssMiB: Number(m[1]) / 1024 };
}

/**
 * Several exhibit command lines run in turn in one process (test/helpers/batch-runner.ts: the
 * main() that bin/exhibit.js calls, output captured per command) under /usr/bin/time. Each
 * command's exit code and output, and the process's peak resident memory: a bound on every
 * command's own peak, as memory one command held is never less than the process's peak. For
 * groups of commands whose memory is what is tested, at one Node start for the group.
 */
export function exhibitMeasuredBatch(commands: string[][], opts: { env?: NodeJS.ProcessEnv } = {}): { runs: RunResult[]; rssMiB: number } {
  const runner = path.join(ROOT, 'dist', 'test', 'helpers', 'batch-runner.js');
  if (!fs.existsSync(runner)) throw new Error(`${runner} is missing: build first (npm run build)`);
  const dir = tempDir('exhibit-batch-');
  try {
    const list = path.join(dir, 'commands.json');
    const out = path.join(dir, 'results.json');
    fs.writeFileSync(list, JSON.stringify(commands));
    const r = measured([runner, list, out], opts);
    if (r.code !== 0 || !fs.existsSync(out)) throw new Error(`the batch of exhibit commands did not finish (exit ${r.code}): ${r.stderr.slice(-2000)}`);
    const runs = JSON.parse(fs.readFileSync(out, 'utf8')) as BatchResult[];
    return { runs, rssMiB: r.rssMiB };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
