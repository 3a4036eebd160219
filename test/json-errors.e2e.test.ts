/**
 * With --json, a caller reads every failure as one JSON object on stdout (the line on stderr stays):
 * usage errors that the command line parser finds too, not only errors of the work itself.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, tempDir } from './helpers/cli.js';

const work = tempDir();
const errorOf = (stdout: string) => JSON.parse(stdout) as { error: { code: string; message: string; hints: string[] } };

describe('errors with --json', () => {
  it.each([
    ['a missing argument', ['verify', '--json'], /^missing the target/],
    ['an unknown option', ['verify', path.join(work, 'x.raw'), '--json', '--bogus'], /^unknown option '--bogus'$/],
    ['a value out of its choices', ['acquire', path.join(work, 'x'), '--json', '-f', 'bogus'], /argument 'bogus' is invalid\. Allowed choices are raw, split-raw, e01, zst\.$/],
  ])('%s: exit 2, one JSON error on stdout, the line on stderr', (_name, args, message) => {
    const r = run(args);
    expect(r.code).toBe(2);
    const e = errorOf(r.stdout);
    expect(e.error.code).toBe('USAGE');
    expect(e.error.message).toMatch(message);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^exhibit: error: /);
  });

  it('a missing image: the error of the work itself, as JSON', () => {
    const r = run(['verify', path.join(work, 'none.raw'), '--json']);
    expect(r.code).toBe(1);
    expect(errorOf(r.stdout).error.message).toContain('none.raw');
  });

  it('--json after "--" is an argument, not the option: no JSON', () => {
    const r = run(['verify', '--bogus', '--', '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});
