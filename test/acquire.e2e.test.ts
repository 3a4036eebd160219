/**
 * `exhibit acquire` end to end, through the real command, on files.
 * (Block devices: loop-device.e2e.test.ts.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { expectOneLineError } from './helpers/expect.js';
import { BIN, exhibitAsync, fileDigest, isRoot, makeSourceFile, run, tempDir, withoutNotices } from './helpers/cli.js';
import { because, needsRoot } from './helpers/skip.js';

const work = tempDir();
afterAll(() => {
  spawnSync('umount', [path.join(work, 'small')]);
  fs.rmSync(work, { recursive: true, force: true });
});

const base = (out: string, ev = 'EV-1') => ['--out', out, '--case', 'CASE-7', '--evidence', ev, '--examiner', 'Test Examiner'];

function readRecord(dir: string, ev = 'EV-1'): any {
  return YAML.parse(fs.readFileSync(path.join(dir, `${ev}.acquisition.yaml`), 'utf8'));
}

describe('acquire to raw', () => {
  const src = path.join(work, 'source.bin');
  makeSourceFile(src, 24 * 1024 * 1024 + 512 * 7);
  const out = path.join(work, 'raw-out');
  const r = run(['acquire', src, ...base(out), '--description', 'USB stick from the desk', '--notes', 'seal 44812']);

  it('exits 0 and prints the hashes', () => {
    expect(withoutNotices(r.stderr)).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(fileDigest('sha256', src));
  });
  it('writes an image equal to the source, byte for byte', () => {
    expect(fs.readFileSync(path.join(out, 'EV-1.raw')).equals(fs.readFileSync(src))).toBe(true);
  });
  it('records hashes equal to md5sum, sha1sum and sha256sum of the source', () => {
    const rec = readRecord(out);
    expect(rec.result).toBe('complete');
    expect(rec.media.hashes).toEqual({ md5: fileDigest('md5', src), sha1: fileDigest('sha1', src), sha256: fileDigest('sha256', src) });
    expect(rec.image.files).toEqual([{ name: 'EV-1.raw', size: fs.statSync(src).size, sha256: fileDigest('sha256', src) }]);
  });
  it('records who, what, when and the source facts', () => {
    const rec = readRecord(out);
    expect(rec).toMatchObject({ case: 'CASE-7', evidence: 'EV-1', examiner: 'Test Examiner', description: 'USB stick from the desk', notes: 'seal 44812' });
    expect(rec.tool.name).toBe('exhibit');
    expect(rec.started.utc).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(rec.finished.local).toMatch(/[+-]\d\d:\d\d$/);
    expect(rec.source).toMatchObject({ kind: 'file', size_bytes: fs.statSync(src).size, whole_sectors: true });
    expect(rec.read_only).toMatchObject({ opened_read_only: true, unchanged: true });
    expect(rec.media).toMatchObject({ sector_size: 512, sectors: fs.statSync(src).size / 512, bytes_acquired: fs.statSync(src).size });
  });
  it('leaves no temporary files behind', () => {
    expect(fs.readdirSync(out).sort()).toEqual(['EV-1.acquisition.yaml', 'EV-1.checkpoint', 'EV-1.custody.jsonl', 'EV-1.keys', 'EV-1.map', 'EV-1.pieces', 'EV-1.raw']);
  });
});

describe('acquire to split-raw', () => {
  const src = path.join(work, 'split-source.bin');
  const size = 5 * 1024 * 1024 + 4096 * 3;
  makeSourceFile(src, size, 7);
  const out = path.join(work, 'split-out');
  const r = run(['acquire', src, ...base(out), '--format', 'split-raw', '--segment-size', '2MiB']);

  it('writes segments of the segment size that concatenate to the source', () => {
    expect(r.code).toBe(0);
    const names = ['EV-1.001', 'EV-1.002', 'EV-1.003'];
    const sizes = names.map((n) => fs.statSync(path.join(out, n)).size);
    expect(sizes).toEqual([2 << 20, 2 << 20, size - (4 << 20)]);
    expect(Buffer.concat(names.map((n) => fs.readFileSync(path.join(out, n)))).equals(fs.readFileSync(src))).toBe(true);
  });
  it('records each segment with its own SHA-256 and the media hashes', () => {
    const rec = readRecord(out);
    expect(rec.image).toMatchObject({ format: 'split-raw', segment_size: 2 << 20 });
    for (const f of rec.image.files) expect(f.sha256).toBe(fileDigest('sha256', path.join(out, f.name)));
    expect(rec.media.hashes.md5).toBe(fileDigest('md5', src));
  });
});

describe('zeros in the media are holes in raw and split-raw files, read back as zeros', () => {
  const MiB = 1024 * 1024;
  const src = path.join(work, 'zeros-source.bin');
  // Zeros across a segment boundary, and at the end (a trailing hole the length must still cover).
  const rnd = (n: number, seed: number) => { const p = path.join(work, `rnd-${seed}`); makeSourceFile(p, n, seed); const b = fs.readFileSync(p); fs.rmSync(p); return b; };
  const media = Buffer.concat([rnd(MiB + 512, 3), Buffer.alloc(6 * MiB), rnd(3 * 512, 4), Buffer.alloc(6 * MiB - 2048)]);
  fs.writeFileSync(src, media);
  const outRaw = path.join(work, 'zeros-raw');
  const outSplit = path.join(work, 'zeros-split');
  const raw = run(['acquire', src, ...base(outRaw)]);
  const split = run(['acquire', src, ...base(outSplit), '--format', 'split-raw', '--segment-size', '4MiB']);
  // Whether the temp folder's file system keeps holes (ext4, tmpfs and XFS do).
  const probe = path.join(work, 'hole-probe');
  fs.writeFileSync(probe, '');
  fs.truncateSync(probe, 4 * MiB);
  const keepsHoles = fs.statSync(probe).blocks === 0;

  it('writes every byte of the media, zeros included, and records the hashes of the source', () => {
    expect([raw.code, split.code]).toEqual([0, 0]);
    expect(fs.readFileSync(path.join(outRaw, 'EV-1.raw')).equals(media)).toBe(true);
    const names = ['EV-1.001', 'EV-1.002', 'EV-1.003', 'EV-1.004'];
    expect(names.map((n) => fs.statSync(path.join(outSplit, n)).size)).toEqual([4 * MiB, 4 * MiB, 4 * MiB, media.length - 12 * MiB]);
    expect(Buffer.concat(names.map((n) => fs.readFileSync(path.join(outSplit, n)))).equals(media)).toBe(true);
    expect(readRecord(outRaw).media.hashes.sha256).toBe(fileDigest('sha256', src));
    for (const f of readRecord(outSplit).image.files) expect(f.sha256).toBe(fileDigest('sha256', path.join(outSplit, f.name)));
  });
  it.skipIf(!keepsHoles)('leaves the zeros as holes: the files take less room than their length', () => {
    expect(fs.statSync(path.join(outRaw, 'EV-1.raw')).blocks * 512).toBeLessThan(2 * MiB);
    expect(fs.statSync(path.join(outSplit, 'EV-1.004')).blocks).toBe(0); // zeros only
  });
  it('verifies', () => {
    expect(run(['verify', path.join(outRaw, 'EV-1.raw'), '--no-record']).code).toBe(0);
    expect(run(['verify', path.join(outSplit, 'EV-1.001'), '--no-record']).code).toBe(0);
  });
});

describe('sources that are not whole sectors, and other hashes', () => {
  it('copies an odd-sized file exactly and records the trailing bytes', () => {
    const src = path.join(work, 'odd.bin');
    makeSourceFile(src, 3 * 1024 * 1024 + 333, 3);
    const out = path.join(work, 'odd-out');
    const r = run(['acquire', src, ...base(out), '--hash', 'sha512,md5']);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(out, 'EV-1.raw')).equals(fs.readFileSync(src))).toBe(true);
    const rec = readRecord(out);
    expect(rec.source).toMatchObject({ whole_sectors: false, trailing_bytes: 333 });
    expect(rec.media).toMatchObject({ sectors: 6144, trailing_bytes: 333 });
    expect(rec.media.hashes).toEqual({ md5: fileDigest('md5', src), sha512: fileDigest('sha512', src) });
    // With no SHA-256 among the media hashes, the file's SHA-256 is still computed.
    expect(rec.image.files[0].sha256).toBe(fileDigest('sha256', src));
  });
  it('prints the record as JSON with --json', () => {
    const src = path.join(work, 'json.bin');
    makeSourceFile(src, 1024 * 1024, 5);
    const r = run(['acquire', src, ...base(path.join(work, 'json-out')), '--json']);
    expect(r.code).toBe(0);
    const { custody, ...rec } = JSON.parse(r.stdout);
    expect(rec.media.hashes.sha1).toBe(fileDigest('sha1', src));
    expect(rec).toEqual(readRecord(path.join(work, 'json-out')));
    expect(custody).toMatchObject({ case: rec.case, log: path.join(work, 'json-out', 'EV-1.custody.jsonl'), signed_by: { name: rec.examiner } });
  });
});

describe('refusals: a clear one-line error, the right exit code, nothing left behind', () => {
  const src = path.join(work, 'refuse.bin');
  makeSourceFile(src, 1024 * 1024, 9);

  it('refuses to overwrite an existing image, and leaves it as it was', () => {
    const out = path.join(work, 'exists');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'EV-1.raw'), 'earlier evidence');
    const r = run(['acquire', src, ...base(out)]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /EV-1\.raw already exists; exhibit never overwrites/);
    expect(fs.readFileSync(path.join(out, 'EV-1.raw'), 'utf8')).toBe('earlier evidence');
    expect(fs.readdirSync(out)).toEqual(['EV-1.raw']);
  });
  it("refuses custody files already there for the evidence id (a checkpoint, its token, a keys folder or a link in its place), before reading, and changes none", () => {
    for (const [name, make] of [
      ['EV-1.checkpoint', (p: string) => fs.writeFileSync(p, 'another checkpoint')],
      ['EV-1.checkpoint.tsr', (p: string) => fs.writeFileSync(p, 'a token')],
      ['EV-1.custody.jsonl', (p: string) => fs.writeFileSync(p, 'another log\n')],
      ['EV-1.keys', (p: string) => fs.symlinkSync('/tmp', p)],
      ['EV-1.checkpoint', (p: string) => fs.symlinkSync(path.join(work, 'nowhere'), p)],
    ] as const) {
      const out = path.join(work, `custody-there-${name}-${fs.readdirSync(work).length}`);
      fs.mkdirSync(out);
      make(path.join(out, name));
      const r = run(['acquire', src, ...base(out)]);
      expect(r.code, name).toBe(1);
      expectOneLineError(r.stderr, new RegExp(`${name.replace(/\./g, '\\.')} already exists; exhibit never overwrites`));
      expect(fs.readdirSync(out), name).toEqual([name]);
    }
  });
  it('prints a name with a line break in it on one line, in an error and in the summary', () => {
    const r = run(['acquire', '/tmp/none\nexhibit: acquired OK', ...base(path.join(work, 'nl-none'))]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /^exhibit: error: source \/tmp\/none\[U\+000A\]exhibit: acquired OK does not exist$/);
    const odd = path.join(work, 'card\n  sha256  0000\n  x.img');
    fs.copyFileSync(src, odd);
    const ok = run(['acquire', odd, ...base(path.join(work, 'nl-out'))]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('card[U+000A]  sha256  0000[U+000A]  x.img: 1.00 MiB');
    expect(ok.stdout).not.toMatch(/^\s*sha256\s+0000$/m);
  });
  it('refuses when the record exists, and when a split segment exists', () => {
    const out = path.join(work, 'exists2');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'EV-1.acquisition.yaml'), 'x');
    expectOneLineError(run(['acquire', src, ...base(out)]).stderr, /EV-1\.acquisition\.yaml already exists/);
    fs.rmSync(path.join(out, 'EV-1.acquisition.yaml'));
    fs.writeFileSync(path.join(out, 'EV-1.001'), 'x');
    const r = run(['acquire', src, ...base(out), '--format', 'split-raw', '--segment-size', '1MiB']);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /EV-1\.001 already exists/);
    expect(fs.readdirSync(out)).toEqual(['EV-1.001']);
  });
  it('refuses evidence ids that are not safe file names (usage, exit 2)', () => {
    for (const ev of ['../escape', '.hidden', 'a/b', 'two words', '']) {
      const out = path.join(work, 'badid');
      const r = run(['acquire', src, ...base(out, ev)]);
      expect(r.code).toBe(2);
      expectOneLineError(r.stderr, /evidence id|--evidence/);
      expect(fs.existsSync(out)).toBe(false);
    }
  });
  it('refuses an empty source', () => {
    const empty = path.join(work, 'empty.bin');
    fs.writeFileSync(empty, '');
    const out = path.join(work, 'empty-out');
    const r = run(['acquire', empty, ...base(out)]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /is empty/);
    expect(fs.existsSync(out)).toBe(false);
  });
  it('says why a source cannot be opened', () => {
    const out = path.join(work, 'missing-out');
    let r = run(['acquire', path.join(work, 'no-such-disk'), ...base(out)]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /does not exist/);
    r = run(['acquire', work, ...base(out)]);
    expectOneLineError(r.stderr, /is a folder/);
    r = run(['acquire', '/dev/null', ...base(out)]);
    expectOneLineError(r.stderr, /neither a block device nor a regular file/);
    expect(fs.existsSync(out)).toBe(false);
  });
  it.skipIf(!isRoot)(because('says so when the source may not be read (run as an unprivileged user)', needsRoot('run exhibit as another user (runuser)')), () => {
    const dir = path.join(work, 'perm');
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.chmodSync(work, 0o755);
    const secret = path.join(dir, 'secret.bin');
    makeSourceFile(secret, 4096, 4);
    fs.chmodSync(secret, 0o600);
    const out = path.join(dir, 'out');
    const home = path.join(dir, 'home'); // a case store the unprivileged user can write to
    fs.mkdirSync(home, { mode: 0o777 });
    fs.chmodSync(home, 0o777);
    const r = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, BIN, 'acquire', secret, ...base(out)], { encoding: 'utf8', env: { ...process.env, EXHIBIT_HOME: home } });
    expect(r.status).toBe(1);
    expectOneLineError(withoutNotices(r.stderr), /cannot open source .*secret\.bin: permission denied/);
    expect(r.stderr).toMatch(/exhibit: hint: run exhibit as root/);
    expect(fs.existsSync(out)).toBe(false);
  });
  it('refuses an output that is the source itself', () => {
    const r = run(['acquire', src, ...base(src)]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /is the source itself/);
  });
  it('rejects wrong usage with exit 2', () => {
    let r = run(['acquire', src, '--out', path.join(work, 'u')]);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /^exhibit: error: missing the required options --case <id>, --evidence <id>, --examiner <name>/);
    r = run(['acquire', src, ...base(path.join(work, 'u')), '--hash', 'crc32']);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /unknown hash algorithm "crc32"/);
    r = run(['acquire', src, ...base(path.join(work, 'u')), '--format', 'split-raw', '--segment-size', 'big']);
    expect(r.code).toBe(2);
    r = run(['acquire', src, ...base(path.join(work, 'u')), '--format', 'zip']);
    expect(r.code).toBe(2);
    r = run(['acquire', src, ...base(path.join(work, 'u')), '--description', 'two\nlines']);
    expect(r.code).toBe(2);
    expect(fs.existsSync(path.join(work, 'u'))).toBe(false);
  });
  it.skipIf(!isRoot)(because('refuses a destination without room for the image, before reading', needsRoot('mount a small tmpfs')), () => {
    const small = path.join(work, 'small');
    fs.mkdirSync(small);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small]);
    expect(m.status).toBe(0);
    const big = path.join(work, 'big.bin');
    makeSourceFile(big, 4 * 1024 * 1024, 2);
    const r = run(['acquire', big, ...base(path.join(small, 'case'))]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /has .* free but the image needs 5\.00 MiB/);
    expect(fs.readdirSync(small)).toEqual([]);
  });
});

describe('interruption', () => {
  it('stops on Ctrl-C with exit 130 and a record that says incomplete', async () => {
    const src = path.join(work, 'long.bin');
    fs.writeFileSync(src, '');
    fs.truncateSync(src, 3 * 1024 * 1024 * 1024); // sparse: reads fast, hashing takes seconds
    const out = path.join(work, 'int-out');
    const child = exhibitAsync(['acquire', src, ...base(out)]);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const image = path.join(out, 'EV-1.raw');
    const t0 = Date.now();
    while (!(fs.existsSync(image) && fs.statSync(image).size > 64 << 20) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(130);
    expect(stderr).toMatch(/exhibit: error: interrupted after/);
    const rec = readRecord(out);
    expect(rec.result).toBe('incomplete');
    expect(rec.incomplete_reason).toMatch(/interrupted/);
    expect(rec.media.hashes).toBeUndefined();
    expect(rec.media.bytes_acquired).toBeLessThan(3 * 1024 ** 3);
    expect(fs.statSync(image).size).toBeGreaterThanOrEqual(rec.media.bytes_acquired);
    fs.rmSync(out, { recursive: true });
  });
});
