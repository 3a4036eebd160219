/** `exhibit ... | head`: a reader that goes away early costs exhibit nothing, and it prints no stack trace. */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.js';

function withStdoutClosed(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy(); // closed before exhibit has even started: its first write meets a pipe with no reader
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('stdout closed by its reader', () => {
  it('help ends with exit 0 and nothing on stderr', async () => {
    for (const args of [['--help'], ['acquire', '--help'], ['completion', 'bash']]) {
      const r = await withStdoutClosed(args);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
    }
  });
});
