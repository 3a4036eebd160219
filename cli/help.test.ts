import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, main } from './main.js';
import { EXIT, EXIT_CODES, exitCodesHelp, exitCodesMarkdown } from './exit-codes.js';
import { tempDir } from '../test/helpers/cli.js';

const PROGRAM = await buildProgram('0.0.0'); // every command, as `exhibit --help` knows them

/** One command line run in this thread: its exit code and what it printed. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'exhibit', ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { EXHIBIT_HOME: '/nonexistent/exhibit-help-test', ...env },
  });
  return { code, stdout, stderr };
}

function commandPaths(): string[][] {
  const walk = (c: Command, at: string[]): string[][] => [at, ...c.commands.flatMap((s) => walk(s, [...at, s.name()]))];
  return walk(PROGRAM, []);
}

describe('the exit-code table', () => {
  it('is printed, the same, under the help of every command', async () => {
    const paths = commandPaths();
    expect(paths.length).toBeGreaterThan(15);
    for (const p of paths) {
      const r = await cli([...p, '--help']);
      expect(r.code, p.join(' ')).toBe(EXIT.OK);
      expect(r.stdout.endsWith(`\n${exitCodesHelp()}\n`), `exhibit ${p.join(' ')} --help`).toBe(true);
      // no command keeps a table of its own
      expect(r.stdout.match(/Exit codes/g), p.join(' ')).toHaveLength(1);
    }
  });
  it('names every code exhibit exits with, within 80 columns', () => {
    expect(EXIT_CODES.map((e) => e.code).sort((a, b) => a - b)).toEqual(Object.values(EXIT).sort((a, b) => a - b));
    for (const line of exitCodesHelp().split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });
  it('is the one in the README', () => {
    const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme.includes(`\n${exitCodesMarkdown()}\n`), 'the README has the table exitCodesMarkdown() gives').toBe(true);
  });
});

describe('required options', () => {
  it('come first in acquire --help, under their own heading, and in the usage line', async () => {
    const r = await cli(['acquire', '--help']);
    expect(r.stdout).toMatch(/^Usage: exhibit acquire <source> --out <dir> --case <id> --evidence <id> --examiner <name> \[options\]$/m);
    const required = r.stdout.indexOf('\nRequired options:\n');
    const others = r.stdout.indexOf('\nOptions:\n');
    expect(required).toBeGreaterThan(0);
    expect(others).toBeGreaterThan(required);
    const section = r.stdout.slice(required, others);
    for (const flag of ['--out <dir>', '--case <id>', '--evidence <id>', '--examiner <name>']) expect(section).toContain(flag);
    expect(section).not.toContain('--format');
    expect(section).toContain('EXHIBIT_EXAMINER');
  });
  it('come before the other options in the help of every command that has them', async () => {
    let withRequired = 0;
    for (const p of commandPaths()) {
      const help = (await cli([...p, '--help'])).stdout;
      const required = help.indexOf('\nRequired options:\n');
      if (required < 0) continue;
      withRequired++;
      expect(help.indexOf('\nOptions:\n'), p.join(' ')).toBeGreaterThan(required);
      expect(help.split('\n')[0], p.join(' ')).toMatch(/^Usage: exhibit .* --[a-z-]+ <[a-z]+> \[options\]$/);
    }
    expect(withRequired).toBeGreaterThanOrEqual(9); // acquire, convert, clone, report, case open, evidence add, key create, custody transfer and export
  });
  it('are all named in one error, with a missing source named as the source', async () => {
    const r = await cli(['acquire']);
    expect(r.code).toBe(EXIT.USAGE);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(
      'exhibit: error: missing the source (the drive, partition or file to image, e.g. /dev/sdb) and the required options --out <dir>, --case <id>, --evidence <id>, --examiner <name> (or EXHIBIT_EXAMINER)',
    );
    expect(lines[1]).toBe('exhibit: hint: exhibit acquire <source> --out <dir> --case <id> --evidence <id> --examiner <name> [options]');
  });
  it('name only what is missing; the environment stands in for --examiner', async () => {
    let r = await cli(['acquire', 'disk.img', '-o', 'out', '-c', '1']);
    expect(r.stderr.split('\n')[0]).toBe('exhibit: error: missing the required options --evidence <id>, --examiner <name> (or EXHIBIT_EXAMINER)');
    r = await cli(['acquire', '-o', 'out', '-c', '1', '-e', 'EV-1'], { EXHIBIT_EXAMINER: 'J. Doe' });
    expect(r.stderr.split('\n')[0]).toBe('exhibit: error: missing the source (the drive, partition or file to image, e.g. /dev/sdb)');
    r = await cli(['acquire', 'disk.img', '-o', 'out', '-c', '1', '-e', 'EV-1', '-x', ' ']);
    expect(r.stderr.split('\n')[0]).toBe('exhibit: error: missing the required option --examiner <name> (given empty)');
  });
  it('--resume needs only the examiner', async () => {
    const r = await cli(['acquire', '--resume', '/nonexistent/exhibit-help-test']);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr.split('\n')[0]).toBe('exhibit: error: missing the required option --examiner <name> (or EXHIBIT_EXAMINER)');
  });
  it('are reported together by every command that has them', async () => {
    const cases: [string[], string][] = [
      [['convert'], 'missing the image (the source image\'s first file: .raw, .001, .E01, .Ex01, .aff4 or .zst) and the required options --to <format>, --out <dir>'],
      [['convert', 'x.E01', '-o', 'out'], 'missing the required option --to <format>'],
      [['clone', 'a', 'b'], 'missing the required options --record <file>, --examiner <name> (or EXHIBIT_EXAMINER)'],
      [['report', '17'], 'missing the required options --out <file>, --examiner <name> (or EXHIBIT_EXAMINER)'],
      [['custody', 'transfer', '17', 'EV-1', '--from', 'A'], 'missing the required options --to <name>, --purpose <text>, --location <text>'],
      [['custody', 'export', '17'], 'missing the folder (the evidence folder) and the required option --evidence <id>'],
      [['case', 'open', '17'], 'missing the required option --examiner <name> (or EXHIBIT_EXAMINER)'],
      [['key', 'create'], 'missing the required option --examiner <name> (or EXHIBIT_EXAMINER)'],
      [['evidence', 'add', '17'], 'missing the number (the evidence number, e.g. EV-001 (also the name of its image files)) and the required option --examiner <name> (or EXHIBIT_EXAMINER)'],
      [['verify'], 'missing the target (the image (.raw, .001, .E01, .Ex01, .aff4, .zst), its record (<evidence>.acquisition.yaml), or the folder holding them)'],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(EXIT.USAGE);
      expect(r.stderr.split('\n')[0], args.join(' ')).toBe(`exhibit: error: ${message}`);
    }
  });
});

describe('a usage error (exit 2)', () => {
  it('leaves nothing behind: no case store, no key, no output folder', async () => {
    const dir = tempDir('exhibit-usage-');
    const src = path.join(dir, 'src.img');
    fs.writeFileSync(src, Buffer.alloc(64 * 1024, 1));
    const env = { EXHIBIT_HOME: path.join(dir, 'home') };
    const runs = [
      ['acquire', src, '-o', path.join(dir, 'out'), '-c', '1', '-e', 'EV-1', '-x', 'New Examiner', '--hash', 'crc32'],
      ['acquire', src, '-o', path.join(dir, 'out'), '-c', '1', '-e', 'EV-1', '-x', 'New Examiner', '--retries', '101'],
      ['convert', src, '--to', 'zst', '-o', path.join(dir, 'out'), '-x', 'New Examiner', '--level', '99'],
      ['convert', src, '--to', 'raw', '-o', path.join(dir, 'out'), '-x', 'New Examiner', '--hash', 'crc32'],
    ];
    for (const args of runs) {
      const r = await cli(args, env);
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(EXIT.USAGE);
      expect(fs.readdirSync(dir), args.join(' ')).toEqual(['src.img']);
    }
  });
});

describe('exhibit --version', () => {
  it("prints exhibit's version from its package.json and exits 0, also as -V", async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await cli([flag]);
      expect(r).toEqual({ code: EXIT.OK, stdout: `${pkg.version}\n`, stderr: '' });
    }
  });
});
