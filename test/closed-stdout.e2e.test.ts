/**
 * A reader that stops early (`exhibit --help | head -1`) closes exhibit's
 * standard output: exhibit ends quietly, with no stack trace, and a command
 * still finishes what it was doing.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.js';

/** Run exhibit with its stdout a pipe whose reading end is closed before exhibit writes to it. */
function withClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy(); // the reader is gone before exhibit has started
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((res) => child.on('close', (code) => res({ code, stderr })));
}

describe('a closed standard output', () => {
  it.each([[['--help']], [['acquire', '--help']], [['completion', 'bash']], [['convert', '--help']], [['verify', '--help']], [['key', 'list', '--help']]])('exhibit %j ends quietly', async (args) => {
    const r = await withClosedStdout(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
