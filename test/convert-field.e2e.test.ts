/**
 * `convert` on what the field brings: E01s from other tools whose evidence
 * number is empty, blank or not a file name; a `.zst` with no whole frame;
 * a damaged chunk; an interruption. Outputs are written under `<name>.partial`
 * and take their final names only once checked.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { BIN, have, makeSourceFile, run, tempDir } from './helpers/cli.js';

const why = have('ewfacquire') ? undefined : 'needs ewfacquire (ewf-tools)';
if (why) console.warn(`skipping convert field tests: ${why}`);
const work = tempDir('exhibit-convert-field-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const record = (file: string): any => YAML.parse(fs.readFileSync(file, 'utf8'));

/** An E01 written by ewfacquire with `evidence` as its evidence number. */
function peerE01(name: string, src: string, evidence: string, extra: string[] = []): string {
  const target = path.join(work, 'peer', name);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const r = spawnSync('ewfacquire', ['-u', '-t', target, '-C', 'C-9', '-E', evidence, '-e', 'Peer Examiner', '-D', 'peer', ...extra, src], { encoding: 'utf8' });
  expect(r.status, r.stdout + r.stderr).toBe(0);
  return `${target}.E01`;
}

describe.skipIf(why !== undefined)('convert: E01s whose evidence number is no file name', () => {
  const src = path.join(work, 'small.bin');
  beforeAll(() => makeSourceFile(src, 1024 * 1024, 17));

  it.each([
    ['empty', '', 'FTK-EMPTY'],
    ['blank', ' ', 'FTK-BLANK'],
    ['text with a slash and spaces', 'Item 3/B', 'Item-3-B'],
  ])('an evidence number that is %s converts without -e, under a safe name, keeping the original', (_what, evidence, expected) => {
    // The stem of the file is the fallback name, so give each image its own.
    const e01 = peerE01(evidence.trim() === '' ? expected : `item-${expected}`, src, evidence);
    const out = path.join(work, 'out', expected);
    const r = run(['convert', e01, '--to', 'raw', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`the new files are named ${expected}`);
    expect(fs.readFileSync(path.join(out, `${expected}.raw`)).equals(fs.readFileSync(src))).toBe(true);
    const rec = record(path.join(out, `${expected}.acquisition.yaml`));
    expect(rec.evidence).toBe(expected);
    expect(rec.converted_from.evidence_number).toBe(evidence);
    expect(fs.readdirSync(out).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('an evidence number that is already a safe name is used as it is, and no original is added', () => {
    const e01 = peerE01('plain', src, 'EV-7');
    const out = path.join(work, 'out', 'plain');
    const r = run(['convert', e01, '--to', 'raw', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('the new files are named');
    const rec = record(path.join(out, 'EV-7.acquisition.yaml'));
    expect(rec.converted_from.evidence_number).toBeUndefined();
  });
});

describe('convert: a .zst with no whole zstd frame', () => {
  it('seven bytes starting with the zstd magic are a damaged image: one line, exit 4 for verify and convert (damage met), 1 for inspect, and nothing is written', () => {
    const dir = path.join(work, 'zst7');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'EV.zst');
    fs.writeFileSync(file, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0]));
    const out = path.join(dir, 'out');
    for (const args of [['convert', file, '--to', 'raw', '-o', out], ['verify', file], ['inspect', file]]) {
      const r = run(args);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(args[0] === 'inspect' ? 1 : 4);
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('exhibit: error:'));
      expect(errors, r.stderr).toHaveLength(1);
      expect(errors[0]).toMatch(/EV\.zst holds no whole zstd frame/);
    }
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe.skipIf(why !== undefined)('convert: damage and interruption', () => {
  const src = path.join(work, 'big.bin');
  beforeAll(() => makeSourceFile(src, 12 * 1024 * 1024, 23));

  it('a damaged chunk: exit 4, nothing under a final name, an incomplete record with the bytes converted and the damaged range', () => {
    const e01 = peerE01('damaged', src, 'EV-D', ['-c', 'none', '-b', '64']);
    // Uncompressed chunks lie in media order: a byte 9 MiB into the file is in a chunk past the first 8 MiB of media.
    const fd = fs.openSync(e01, 'r+');
    fs.writeSync(fd, Buffer.from('DAMAGE'), 0, 6, 9 * 1024 * 1024);
    fs.closeSync(fd);
    const out = path.join(work, 'out-damaged');
    const r = run(['convert', e01, '--to', 'raw', '-o', out]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/exhibit: error: .*chunk \d+ \(media bytes \d+\.\.\d+\)/);
    expect(fs.existsSync(path.join(out, 'EV-D.raw'))).toBe(false);
    const rec = record(path.join(out, 'EV-D.acquisition.yaml'));
    expect(rec.result).toBe('incomplete');
    const damaged = rec.converted_from.damaged;
    expect(damaged.first_byte).toBeGreaterThan(8 * 1024 * 1024);
    expect(damaged.last_byte).toBeGreaterThan(damaged.first_byte);
    expect(rec.media.bytes_acquired).toBeLessThanOrEqual(damaged.first_byte);
    expect(rec.media.bytes_acquired).toBeLessThan(rec.media.size_bytes);
    expect(rec.image.files.map((f: any) => f.name)).toEqual(['EV-D.raw.partial']);
    const partial = path.join(out, 'EV-D.raw.partial');
    expect(fs.statSync(partial).size).toBe(rec.media.bytes_acquired);
    expect(fs.readFileSync(partial).equals(fs.readFileSync(src).subarray(0, rec.media.bytes_acquired))).toBe(true);
    expect(r.stderr).toMatch(/EV-D\.raw\.partial/);
  });

  it('an interrupted conversion leaves its .partial file and an incomplete record, and says so', async () => {
    const out = path.join(work, 'out-stopped');
    const big = path.join(work, 'huge.bin');
    makeSourceFile(big, 64 * 1024 * 1024, 29);
    const child = spawn(process.execPath, [BIN, 'convert', big, '--to', 'zst', '-o', out, '-e', 'EV-S', '--level', '19'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const partial = path.join(out, 'EV-S.zst.partial');
    // Stopped once the output holds something: placed by progress, not by time.
    const final = path.join(out, 'EV-S.zst');
    while (!(fs.existsSync(partial) && fs.statSync(partial).size > 0) && !fs.existsSync(final) && child.exitCode === null) await new Promise((res) => setTimeout(res, 20));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((res) => child.on('close', res));
    expect(code, stderr).toBe(130);
    expect(fs.existsSync(final)).toBe(false);
    expect(fs.existsSync(partial)).toBe(true);
    expect(record(path.join(out, 'EV-S.acquisition.yaml')).result).toBe('incomplete');
    expect(stderr).toMatch(/EV-S\.zst\.partial/);
  }, 120_000);
});
