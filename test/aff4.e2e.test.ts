/**
 * AFF4 end to end: the reference images Evimetry published (AFF4 Standard
 * v1.0) verify against every hash they store, convert to raw whose bytes
 * hold what pyaff4's own test says they hold, show their partitions in
 * inspect as mmls does on the raw, and restore; images built here go through
 * every command; hostile ones stay within 256 MiB and 10 s.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildAff4, expectedMedia, type Region } from './helpers/aff4-builder.js';
import { ROOT, run, tempDir } from './helpers/cli.js';
import { exhibitMeasured, noTime } from './helpers/rss.js';

const work = tempDir('exhibit-aff4-e2e-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

// The two reference images in the shared interop folder; more (Base-Allocated, Base-Linear-AllHashes)
// where EXHIBIT_AFF4_REFERENCE names a folder holding them (from the aff4/ReferenceImages project).
const interop = path.resolve(ROOT, '../shared/fixtures/interop/aff4');
const extra = process.env.EXHIBIT_AFF4_REFERENCE ?? '';
const find = (name: string) => [interop, extra].map((d) => path.join(d, name)).find((f) => f !== name && fs.existsSync(f));
const hasMmls = spawnSync('mmls', ['-V']).status === 0;

/** The partitions as mmls lists them: start, end and length of each allocated one. */
function mmlsPartitions(raw: string): string[] {
  const r = spawnSync('mmls', [raw], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => /^\d+:\s+\d+:\d+/.test(l)).map((l) => l.trim().split(/\s+/).slice(2, 5).map(Number).join(' '));
}

describe('the AFF4 reference images', () => {
  // Each stores a SHA-512 block map hash (over its block hashes and its map) and its stream's MD5 and SHA-1.
  const images = ['Base-Linear.aff4', 'Base-Linear-ReadError.aff4', 'Base-Allocated.aff4', 'Base-Linear-AllHashes.aff4'];
  for (const name of images) {
    const file = find(name);
    it.skipIf(!file)(`${name} verifies against every hash it stores, converts, and inspects as mmls reads the raw${file ? '' : ` (skipped: ${name} is not in ${interop}${extra ? ` or ${extra}` : ''})`}`, () => {
      const v = run(['verify', file!, '--json']);
      expect(v.code, v.stdout + v.stderr).toBe(0);
      const report = JSON.parse(v.stdout) as { verdict: string; comparisons: { against: string; equal: boolean; subject?: string }[] };
      expect(report.verdict).toBe('verified');
      expect(report.comparisons.filter((c) => /block map hash/.test(c.against) && c.equal).length).toBe(2);
      expect(report.comparisons.filter((c) => /\(imageStreamIndexHash\)$/.test(c.against) && c.equal).length).toBe(1);
      expect(report.comparisons.every((c) => c.equal)).toBe(true);
      const out = path.join(work, `conv-${name}`);
      const c = run(['convert', file!, '--to', 'raw', '-o', out, '-e', 'REF']);
      expect(c.code, c.stderr).toBe(0);
      const raw = path.join(out, 'REF.raw');
      expect(fs.statSync(raw).size).toBe(268435456);
      if (name === 'Base-Linear.aff4' || name === 'Base-Linear-AllHashes.aff4') {
        // pyaff4's reference test: a PDF at disk byte 0x10000 + 0xfc3000, 629,087 bytes, with this SHA-1.
        const fd = fs.openSync(raw, 'r');
        const pdf = Buffer.alloc(629087);
        fs.readSync(fd, pdf, 0, pdf.length, 0x10000 + 0xfc3000);
        fs.closeSync(fd);
        expect(crypto.createHash('sha1').update(pdf).digest('hex')).toBe('5a2fee16139c7b017b7f1961d842d355a860c7ac');
      }
      const record = fs.readFileSync(path.join(out, 'REF.acquisition.yaml'), 'utf8');
      expect(record).toMatch(/case: "Case ID: 1SR Canonical"/);
      expect(record).toMatch(/serial: SGAT5060001234/);
      if (name === 'Base-Linear-ReadError.aff4') expect(record).toMatch(/first_sector: 30720\n\s+sectors: 2048/); // 2 MiB unreadable in two runs of 1 MiB
      if (hasMmls) {
        const ins = run(['inspect', file!]);
        expect(ins.code, ins.stderr).toBe(0);
        for (const p of mmlsPartitions(raw)) {
          const [start, end, length] = p.split(' ').map((n) => String(n).padStart(10, '0'));
          expect(ins.stdout).toContain(`${start}  ${end}  ${length}`);
        }
      }
    });
  }

  const readError = find('Base-Linear-ReadError.aff4');
  it.skipIf(!readError)(`the read error Evimetry recorded is reported as unreadable sectors${readError ? '' : ` (skipped: Base-Linear-ReadError.aff4 is not in ${interop})`}`, () => {
    const v = run(['verify', readError!]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/4096 sectors could not be read at acquisition/);
  });
});

describe('AFF4 images built here, through every command', () => {
  const size = 3 * 1024 * 1024;
  const media = crypto.randomBytes(size);
  media.fill(0, 1 << 20, 2 << 20);
  const regions: Region[] = [
    { start: 0, length: 1 << 20, kind: 'data' },
    { start: 1 << 20, length: 1 << 20, kind: 'zero' },
    { start: 2 << 20, length: 4096, kind: 'unreadable' },
    { start: (2 << 20) + 4096, length: (1 << 20) - 4096, kind: 'data' },
  ];
  const want = expectedMedia(media, regions);
  const md5 = crypto.createHash('md5').update(want).digest('hex');

  it('verify, convert, restore and inspect read the media the standard defines; an altered copy fails verify by chunk', () => {
    const file = path.join(work, 'built.aff4');
    fs.writeFileSync(file, buildAff4(media, { compression: 'deflate', regions, chunkSize: 32768, chunksInSegment: 16 }));
    const v = run(['verify', file]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain(`md5     ${md5}`);
    expect(v.stdout).toMatch(/8 sectors could not be read at acquisition/);
    const c = run(['convert', file, '--to', 'raw', '-o', path.join(work, 'built-raw')]);
    expect(c.code, c.stderr).toBe(0);
    expect(fs.readFileSync(path.join(work, 'built-raw', 'EV-7.raw')).equals(want)).toBe(true);
    const r = run(['restore', file, path.join(work, 'restored.img')]);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(work, 'restored.img')).equals(want)).toBe(true);
    const i = run(['inspect', file]);
    expect(i.code, i.stderr).toBe(0);
    // A copy with one stored byte changed inside chunk 3 of the stream (stored chunks are verbatim).
    const altered = path.join(work, 'altered.aff4');
    const img = buildAff4(media, { compression: 'stored', regions, chunkSize: 32768, chunksInSegment: 16 });
    const at = img.indexOf(media.subarray(3 * 32768 + 100, 3 * 32768 + 164));
    img[at] = img[at]! ^ 1;
    fs.writeFileSync(altered, img);
    const bad = run(['verify', altered]);
    expect(bad.code).toBe(4);
    expect(bad.stdout).toMatch(/FAILED/);
    expect(bad.stdout).toMatch(/chunk 3 of stream .*media bytes 98304 to 131071, sectors 192 to 255: its MD5 block hash differs/);
    const cb = run(['convert', altered, '--to', 'raw', '-o', path.join(work, 'altered-raw')]);
    expect(cb.code).toBe(4);
    expect(cb.stderr).toMatch(/does not match what it stores about itself/);
  });

  it('an image whose map nothing stored checks (only its stream\'s own hashes) vouches for no media: UNVERIFIABLE, not VERIFIED', () => {
    const file = path.join(work, 'no-map-hashes.aff4');
    fs.writeFileSync(file, buildAff4(media, { compression: 'deflate', regions, chunkSize: 32768, chunksInSegment: 16, mapHashes: false }));
    const v = run(['verify', file, '--no-record', '--json']);
    expect(v.code, v.stdout).toBe(4);
    const j = JSON.parse(v.stdout);
    expect(j.verdict).toBe('unverifiable');
    expect(j.problems).toEqual([]);
    expect(j.comparisons.some((c: { subject?: string; equal: boolean }) => c.subject?.startsWith('image stream') && c.equal)).toBe(true); // the stream itself checks
    // With its media hashes stored on the image, those vouch for the media as it is assembled.
    fs.writeFileSync(file, buildAff4(media, { compression: 'deflate', regions, chunkSize: 32768, chunksInSegment: 16, mapHashes: false, imageHashes: true }));
    expect(run(['verify', file, '--no-record']).code).toBe(0);
  });

  it('a stream that is the whole media: verify says how its block hashes were proven, and a changed byte is still named by chunk', () => {
    const file = path.join(work, 'linear.aff4');
    fs.writeFileSync(file, buildAff4(media, { compression: 'snappy', chunkSize: 32768, chunksInSegment: 16 }));
    const v = run(['verify', file, '--json', '--no-record']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const report = JSON.parse(v.stdout) as { verdict: string; notes: string[]; comparisons: { against: string; equal: boolean }[] };
    expect(report.notes.join('\n')).toMatch(/the SHA-1 block hashes of image stream \S+ were computed from every chunk as the media was read/);
    expect(report.comparisons.filter((c) => /block map hash|block hashes of/.test(c.against) && c.equal)).toHaveLength(4); // two list hashes, the block map hash in the map and on the image
    const img = buildAff4(media, { compression: 'stored', chunkSize: 32768, chunksInSegment: 16 });
    const at = img.indexOf(media.subarray(70 * 32768 + 7, 70 * 32768 + 71)); // random bytes, found once
    img[at] = img[at]! ^ 2;
    fs.writeFileSync(path.join(work, 'linear-altered.aff4'), img);
    const bad = run(['verify', path.join(work, 'linear-altered.aff4'), '--no-record']);
    expect(bad.code).toBe(4);
    expect(bad.stdout).toMatch(/bevy 4 chunk 6 of stream .*media bytes 2293760 to 2326527, sectors 4480 to 4543: its MD5 block hash differs/);
    expect(bad.stdout).not.toMatch(/computed from every chunk as the media was read/);
    expect(bad.stdout).toMatch(/decoded 96 chunks: each one decodes to its size \(AFF4 chunks carry no checksum of their own/);
  });

  it.skipIf(noTime !== undefined)(`an AFF4 whose map has 200,000 points stays within 256 MiB${noTime ? ` (skipped: ${noTime})` : ''}`, () => {
    // 200,000 one-sector points of unknown data between gaps: a 5.6 MB map, 400,001 ranges (time is printed, not asserted).
    const file = path.join(work, 'points.aff4');
    const small = crypto.randomBytes(4096);
    const regs: Region[] = [{ start: 0, length: 4096, kind: 'data' }];
    for (let k = 0; k < 200_000; k++) regs.push({ start: 4096 + k * 1024, length: 512, kind: 'unknown' });
    const m = Buffer.concat([small, Buffer.alloc(200_000 * 1024)]);
    fs.writeFileSync(file, buildAff4(m, { regions: regs }));
    expect(fs.statSync(file).size).toBeLessThan(10 << 20);
    const t = Date.now();
    const r = exhibitMeasured(['verify', file]);
    expect(r.rssMiB).toBeLessThan(256);
    expect(r.code).toBe(0);
    console.log(`hostile AFF4: ${fs.statSync(file).size} bytes, verify in ${Date.now() - t} ms, peak ${r.rssMiB.toFixed(0)} MiB`);
  });
});
