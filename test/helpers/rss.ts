/** Run the real exhibit command under /usr/bin/time and report its peak resident memory. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { BIN, type RunResult } from './cli.js';

export const TIME = '/usr/bin/time';
export const noTime = fs.existsSync(TIME) ? undefined : 'needs /usr/bin/time (apt-get install time)';

export interface MeasuredRun extends RunResult {
  /** Peak resident set size of the exhibit process, in MiB. */
  rssMiB: number;
}

export function exhibitMeasured(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): MeasuredRun {
  // time writes its line last on stderr; a marker keeps it apart from exhibit's own output.
  const r = spawnSync(TIME, ['-f', 'exhibit-peak-rss-kib %M', process.execPath, BIN, ...args], {
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
