/**
 * Every number on every command line is bounded: for each numeric option of
 * each command, zero, negative, exponent, NaN, fractional, huge and empty
 * values (where they are outside the option's range) are refused with exit 2
 * and one error line naming the option and its range, before anything is
 * made (no key, no folder, no store entry). Good values are exercised by the
 * other end-to-end tests.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSourceFile, run, tempDir } from './helpers/cli.js';

const work = tempDir('exhibit-numbers-');
const home = path.join(work, 'home');
const src = path.join(work, 'source.bin');
const image = path.join(work, 'image', 'EV.raw');
const out = path.join(work, 'out');

beforeAll(() => {
  makeSourceFile(src, 1024 * 1024, 3);
  fs.mkdirSync(path.dirname(image));
  fs.copyFileSync(src, image);
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const BAD = {
  zero: '0',
  negative: '-1',
  exponent: '1e20',
  nan: 'NaN',
  fraction: '1.5',
  huge: '99999999999999999999',
  empty: '',
} as const;

interface Row {
  command: string;
  option: string;
  args: (value: string) => string[];
  /** Which of BAD are in range for this option (and so not bad). */
  valid?: (keyof typeof BAD)[];
  /** A value just above the range. */
  above: string;
}

const acquire = (o: string) => (v: string) => ['acquire', src, '-o', out, '-c', 'N-1', '-e', 'EV', '-x', 'N. Examiner', o, v];
const convert = (o: string) => (v: string) => ['convert', image, '--to', 'e01', '-o', out, o, v];
const ROWS: Row[] = [
  { command: 'acquire', option: '--retries', args: acquire('--retries'), valid: ['zero'], above: '101' },
  { command: 'acquire', option: '--max-bad-run', args: acquire('--max-bad-run'), valid: ['zero'], above: '1025TiB' },
  { command: 'acquire', option: '--sync-every', args: acquire('--sync-every'), above: '1025GiB' },
  { command: 'acquire', option: '--segment-size', args: acquire('--segment-size'), above: '17TiB' },
  { command: 'acquire', option: '--chunk-sectors', args: acquire('--chunk-sectors'), above: '65536' },
  { command: 'acquire', option: '--level', args: acquire('--level'), above: '20' },
  { command: 'acquire', option: '--frame-size', args: acquire('--frame-size'), above: '2GiB' },
  { command: 'convert', option: '--segment-size', args: convert('--segment-size'), above: '17TiB' },
  { command: 'convert', option: '--chunk-sectors', args: convert('--chunk-sectors'), above: '65536' },
  { command: 'convert', option: '--level', args: convert('--level'), above: '20' },
  { command: 'convert', option: '--frame-size', args: convert('--frame-size'), above: '2GiB' },
  { command: 'clone', option: '--retries', args: (v) => ['clone', src, path.join(work, 'clone.dd'), '--record', path.join(work, 'clone.yaml'), '-x', 'N. Examiner', '--retries', v], valid: ['zero'], above: '101' },
  { command: 'evidence add', option: '--capacity', args: (v) => ['evidence', 'add', 'N-1', 'EV-9', '-x', 'N. Examiner', '--capacity', v], above: '2PiB' },
];

const cases = ROWS.flatMap((row) => [
  ...Object.entries(BAD)
    .filter(([k]) => !row.valid?.includes(k as keyof typeof BAD))
    .map(([kind, value]) => ({ row, kind, value })),
  { row, kind: 'above the range', value: row.above },
]);

describe('numbers on the command line', () => {
  it.each(cases.map((c) => [`${c.row.command} ${c.row.option} "${c.value}" (${c.kind})`, c] as const))('%s: exit 2, one line naming the option and its range', (_name, c) => {
    const r = run(c.row.args(c.value), { env: { EXHIBIT_HOME: home } });
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^exhibit: error: ${c.row.option} must be .*from .+ to .+, not "${c.value.replace(/\./g, '\\.')}"$`));
    // Refused before anything was made.
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.existsSync(path.join(work, 'clone.dd'))).toBe(false);
    expect(fs.existsSync(path.join(home, 'keys'))).toBe(false);
  });

  it('a size in range but not whole blocks says so, and gives examples the option takes', () => {
    const r = run(['acquire', src, '-o', out, '-c', 'N-1', '-e', 'EV-1', '-x', 'N. Examiner', '-f', 'split-raw', '--segment-size', '2MB'], { env: { EXHIBIT_HOME: home } });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('exhibit: error: --segment-size must be a size from 1 MiB to 16 TiB in whole blocks of 4 KiB (such as 1MiB, 64MiB, 2GiB), not "2MB" (2000000 bytes, not a whole number of 4 KiB blocks)');
  });
});
