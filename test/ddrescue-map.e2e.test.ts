/**
 * Raw media that GNU ddrescue made, with its mapfile beside it: verify says which areas the map
 * gives as never read (the image holds zeros there), convert carries them into the new image's
 * list of unreadable sectors (an E01's error table, which ewfinfo shows), and a map that does not
 * fit the image is not used.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { have, makeSourceFile, run, tempDir } from './helpers/cli.js';
import { because, needsTools } from './helpers/skip.js';

const work = tempDir('exhibit-ddrescue-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const MiB = 1024 * 1024;
const missing = needsTools('ddrescue');

describe.skipIf(missing !== undefined)(because('an image ddrescue made, with its mapfile', missing), () => {
  const src = path.join(work, 'disk.bin');
  const image = path.join(work, 'rescued.img');
  beforeAll(() => {
    makeSourceFile(src, 6 * MiB, 31);
    // Read 1 MiB to 3 MiB only, as a rescue of a drive whose first and last areas were never reached.
    const r = spawnSync('ddrescue', ['-q', '-i', '1MiB', '-s', '2MiB', src, image, path.join(work, 'rescued.map')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('verify names the areas the map says were never read, and that the image stops before the source\'s end', () => {
    const v = run(['verify', image, '--no-record', '--json']);
    expect(v.code, v.stdout).toBe(4); // nothing records what it should hold: unverifiable, with what the map says
    expect(JSON.parse(v.stdout).verdict).toBe('unverifiable');
    const notes = JSON.parse(v.stdout).notes.join('\n');
    expect(notes).toMatch(/rescued\.map beside the image is a ddrescue mapfile \(not signed: its word alone\): it lists 2048 sectors of 512 bytes in 1 range, the first at sector 0 it never tried/);
    expect(notes).toMatch(/by rescued\.map, the source held 6291456 bytes and the image stops at 3145728: its last 3145728 bytes were never read into the image/);
  });

  it('convert carries them into the new image\'s unreadable sectors, saying where they come from', () => {
    const out = path.join(work, 'e01');
    const c = run(['convert', image, '--to', 'e01', '-o', out, '-x', 'D. Rescue']);
    expect(c.code, c.stderr).toBe(0);
    const rec = YAML.parse(fs.readFileSync(path.join(out, 'rescued.acquisition.yaml'), 'utf8'));
    expect(rec.read_errors.ranges).toEqual([{ first_sector: 0, sectors: 2048, error: 'never tried (ddrescue map: ?)' }]);
    expect(rec.read_errors.strategy).toBe('as the ddrescue mapfile rescued.map beside it lists them');
    if (!have('ewfinfo')) return console.warn('skipped the ewfinfo check: ewfinfo is not installed');
    expect(spawnSync('ewfinfo', [path.join(out, 'rescued.E01')], { encoding: 'utf8' }).stdout).toMatch(/at sector\(s\): 0 - 2047 number: 2048/);
  });

  it('a map of another image is not used, and says why', () => {
    const other = path.join(work, 'other.img');
    fs.copyFileSync(image, other);
    fs.writeFileSync(path.join(work, 'other.map'), '# Mapfile\n0x00000000     +               1\n0x00000000  0x00800000  +\n');
    const v = run(['verify', other, '--no-record', '--json']);
    expect(v.code).toBe(4);
    expect(JSON.parse(v.stdout).notes.join('\n')).toMatch(/other\.map beside the image reads as a ddrescue mapfile of a 8388608-byte source, which does not fit the image's 3145728 bytes: it is not this image's map, and was not used/);
  });
});
