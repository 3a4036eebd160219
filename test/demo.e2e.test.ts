/** The commands the demo prints at its end work, on a case made as the demo makes it (one small acquisition instead of four). */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, makeSourceFile, run, tempDir } from './helpers/cli.js';
import { CASE, continueCommands, evidenceRel, homeRel } from './demo-commands.js';

/** `NAME=value exhibit args...` as a shell reads it: the assignments, and the arguments (double quotes group words). */
function parse(line: string): { env: Record<string, string>; args: string[] } {
  const words = [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0]!)) {
    const [name, value] = words.shift()!.split(/=(.*)/s);
    env[name!] = value!;
  }
  expect(words.shift()).toBe('exhibit');
  return { env, args: words };
}

describe('the commands the demo ends with', () => {
  it('go on from its case, from the project folder', () => {
    const folder = tempDir('exhibit-demo-'); // stands for the project folder
    const src = path.join(folder, 'sample-disk.img');
    makeSourceFile(src, 3 * 1024 * 1024);
    const home = path.join(folder, homeRel);
    const acquired = run(['acquire', src, '--out', path.join(folder, evidenceRel), '--case', CASE, '--evidence', 'EV-001', '--examiner', 'Demo Examiner'], { env: { EXHIBIT_HOME: home } });
    expect(acquired.code, acquired.stderr).toBe(0);
    const noStore = tempDir('exhibit-demo-nostore-'); // a command without EXHIBIT_HOME must not need the demo's store
    const commands = continueCommands();
    expect(commands.filter((c) => c.startsWith(`EXHIBIT_HOME=${homeRel} exhibit`)).length).toBeGreaterThanOrEqual(3);
    for (const line of commands) {
      const { env, args } = parse(line);
      const r = spawnSync(process.execPath, [BIN, ...args], { cwd: folder, encoding: 'utf8', env: { ...process.env, EXHIBIT_HOME: noStore, ...env } });
      expect(r.status, `${line}\n${r.stderr}`).toBe(0);
      expect(r.stdout.length, line).toBeGreaterThan(0);
    }
    expect(fs.existsSync(path.join(folder, 'demo-output', `${CASE}-again.pdf`))).toBe(true);
  });
});
