/**
 * What `verify` says: one problem line per hash, naming every reference it
 * was compared with (not one line per hash and reference), and words for the
 * integrity units that say what was checked.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSourceFile, run as inProcess, type RunResult, tempDir } from './helpers/cli.js';

const work = tempDir('exhibit-verify-words-');
const env = { EXHIBIT_HOME: path.join(work, 'home') };
const run = (args: string[]): RunResult => inProcess(args, { env });
const src = path.join(work, 'src.bin');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
beforeAll(() => {
  makeSourceFile(src, 3 * 1024 * 1024, 8);
  for (const [dir, fmt] of [['raw', 'raw'], ['e01', 'e01'], ['zst', 'zst']]) {
    const r = run(['acquire', src, '-o', path.join(work, dir!), '-c', 'VW', '-e', `EV-${dir}`, '-x', 'Vera Words', '-f', fmt!]);
    expect(r.code, r.stderr).toBe(0);
  }
});

describe('verify', () => {
  it('says what the integrity units are and what was checked in each', () => {
    const raw = run(['verify', path.join(work, 'raw', 'EV-raw.raw')]);
    expect(raw.code, raw.stderr).toBe(0);
    expect(raw.stdout).not.toMatch(/all sound/);
    expect(raw.stdout).toMatch(/read the media in 1 range: every byte read \(raw media holds no checksums of its own: the hashes above are its check\)/);
    const e01 = run(['verify', path.join(work, 'e01', 'EV-e01.E01')]);
    expect(e01.stdout).toMatch(/checked \d+ chunks: each one decompresses to its size and its Adler-32 checksum holds/);
    const zst = run(['verify', path.join(work, 'zst', 'EV-zst.zst')]);
    expect(zst.stdout).toMatch(/decompressed 2 frames: each one is whole, of the size the image gives it, and its own checksum holds where it has one/);
  });

  it('lists each differing hash once, naming every reference it was compared with', () => {
    const img = path.join(work, 'raw', 'EV-raw.raw');
    const fd = fs.openSync(img, 'r+');
    fs.writeSync(fd, Buffer.from('X'), 0, 1, 100);
    fs.closeSync(fd);
    const v = run(['verify', img, '--json', '--no-record']);
    expect(v.code).toBe(4);
    const problems = (JSON.parse(v.stdout) as { problems: string[] }).problems;
    for (const a of ['MD5', 'SHA1', 'SHA256']) {
      const lines = problems.filter((p) => p.startsWith(`${a} of the media`));
      expect(lines, problems.join('\n')).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^${a} of the media is [0-9a-f]+, the record, custody log entry \\d+ and the case store's entry \\d+ \\(case VW\\) say [0-9a-f]+$`));
    }
    // The changed piece is located on a line of its own (the pieces file is not a media hash).
    expect(problems.filter((p) => p.startsWith('EV-raw.raw: piece 0 ')), problems.join('\n')).toHaveLength(1);
    const file = problems.filter((p) => p.startsWith('EV-raw.raw: its SHA-256'));
    expect(file, problems.join('\n')).toHaveLength(1);
    expect(file[0]).toMatch(/^EV-raw\.raw: its SHA-256 is [0-9a-f]{64}, the record, custody log entry \d+ and the case store's entry \d+ \(case VW\) say [0-9a-f]{64}$/);
  });
});
