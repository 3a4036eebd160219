import { fillSpec } from '../../source/bad-sectors.js';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExhibitError } from '../../core/errors.js';
import { readRecord } from '../../core/record/read.js';
import { formatOf } from '../../image/registry.js';
import type { ImageWriter } from '../../image/types.js';
import { acquire } from '../acquire.js';
import { acquisitionJobs, digestsOf, fileSha256s, mediaJobs, PieceDigests } from '../digests.js';
import { journalFileName } from '../journal.js';
import { checkResume } from './check-resume.js';
import { checkOptions, newJournal, prepare } from './prepare.js';
import { release } from './seal.js';
import type { AcquireOptions } from './session.js';
import { tempDir } from '../../test/helpers/cli.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('exhibit-phases-');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function options(over: Partial<AcquireOptions> = {}): AcquireOptions {
  return {
    outDir: path.join(dir, 'out'),
    evidence: 'EV-001',
    caseId: '2026-0117',
    examiner: 'J. Doe',
    settings: { format: 'raw' },
    hashes: ['md5', 'sha1', 'sha256'],
    fill: fillSpec('zero'),
    retries: 0,
    maxBadRun: 0,
    allowMounted: false,
    commandLine: ['exhibit', 'acquire'],
    version: '0.0.0-test',
    ...over,
  };
}

function source(bytes: Buffer): string {
  const p = path.join(dir, 'source.bin');
  fs.writeFileSync(p, bytes);
  return p;
}

async function refusal(p: Promise<unknown>): Promise<ExhibitError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ExhibitError);
  return err as ExhibitError;
}

const slices = (segmentSize: number | null) => ({ layout: { kind: 'slices', segmentSize } }) as unknown as ImageWriter;
const container = { layout: { kind: 'container' } } as unknown as ImageWriter;

describe('digests: the jobs asked for and their results, typed', () => {
  it('a single raw file holding the media has the media SHA-256; otherwise each file gets its own', () => {
    const ids = (jobs: { id: string }[]) => jobs.map((j) => j.id);
    expect(ids(acquisitionJobs(['md5', 'sha256'], slices(null), 512))).toEqual(['media:md5', 'media:sha256', 'zero-sectors']);
    expect(ids(acquisitionJobs(['md5'], slices(null), 512))).toEqual(['media:md5', 'file:sha256', 'zero-sectors']);
    expect(acquisitionJobs(['sha256'], slices(4096), 512)).toContainEqual({ id: 'file:sha256', algorithm: 'sha256', segmentSize: 4096 });
    expect(ids(acquisitionJobs(['md5'], container, 4096))).toEqual(['media:md5', 'zero-sectors']);
    expect(ids(mediaJobs(['sha1'], slices(null), { wholeFileSha256: false }))).toEqual(['media:sha1']);
    // With a piece size: one more SHA-256 stream, restarted at each piece boundary, its digests handed over as each piece ends.
    expect(acquisitionJobs(['md5'], container, 512, 1 << 20)).toContainEqual({ id: 'pieces:sha256', algorithm: 'sha256', segmentSize: 1 << 20, emit: true });
  });

  it('PieceDigests: the pieces handed over, in order up to the first missing, and a finished pass completed with them', () => {
    const p = new PieceDigests();
    p.take([{ id: 'pieces:sha256', index: 1, digest: 'p1' }, { id: 'file:sha256', index: 0, digest: 'not a piece' }]);
    expect(p.before(4 << 20, 1 << 20)).toEqual([]); // piece 0 not handed over yet
    p.take([{ id: 'pieces:sha256', index: 0, digest: 'p0' }, { id: 'pieces:sha256', index: 3, digest: 'p3' }]);
    expect(p.at(0)).toBe('p0');
    expect(p.before(4 << 20, 1 << 20)).toEqual(['p0', 'p1']); // stops where piece 2 is missing
    expect(p.before((2 << 20) - 1, 1 << 20)).toEqual(['p0']); // only pieces ending by the safe point
    expect(() => p.complete(new Map([['pieces:sha256', []]]))).toThrow(/was not handed over/);
    p.take([{ id: 'pieces:sha256', index: 2, digest: 'p2' }]);
    expect(p.complete(new Map([['media:md5', ['aa']], ['pieces:sha256', []]]))?.get('pieces:sha256')).toEqual(['p0', 'p1', 'p2', 'p3']);
    expect(p.complete(undefined)).toBeUndefined();
  });

  it('digestsOf reads the results back by name, and nothing from an unfinished pass', () => {
    const d = digestsOf(new Map([['media:md5', ['aa']], ['media:sha256', ['bb']], ['file:sha256', ['c1', 'c2']], ['zero-sectors', ['7']]]));
    expect(d).toEqual({ media: { md5: 'aa', sha256: 'bb' }, files: ['c1', 'c2'], zeroSectors: 7 });
    expect(digestsOf(new Map([['media:md5', ['aa']], ['pieces:sha256', ['p0', 'p1']]]))?.pieces).toEqual(['p0', 'p1']);
    expect(fileSha256s(d)).toEqual(['c1', 'c2']);
    expect(fileSha256s(digestsOf(new Map([['media:sha256', ['bb']]])))).toEqual(['bb']);
    expect(digestsOf(undefined)).toBeUndefined();
    expect(fileSha256s(undefined)).toBeUndefined();
  });
});

describe('prepare: checks, settings, refusals, folder and lock', () => {
  it('refuses a bad evidence id or an empty examiner before touching anything', () => {
    expect(() => checkOptions(options({ evidence: '../x' }))).toThrow(ExhibitError);
    expect(() => checkOptions(options({ examiner: '  ' }))).toThrow(/examiner must not be empty/);
    expect(checkOptions(options({ outDir: 'rel' }))).toBe(path.resolve('rel'));
  });

  it('keeps the format settings in the one shape the writer reads, and adds the hashes a format requires', () => {
    const settings = { format: 'e01', segment_size: 1 << 30, ewf: { compression: 'fast', chunk_sectors: 64, media_type: 'fixed' } } as const;
    const j = newJournal(options({ settings, hashes: ['sha256'] }), formatOf('e01'), '/dev/null');
    expect({ format: j.format, segment_size: j.segment_size, ewf: j.ewf, zstd: j.zstd }).toEqual({ ...settings, zstd: undefined });
    expect(formatOf('e01').requiresHashes).toEqual(['md5']);
    expect(j.hashes).toEqual(['md5', 'sha256']);
    const z = newJournal(options({ settings: { format: 'zst', zstd: { level: 3, frame_size: 2 << 20 } }, skipBad: true, fill: fillSpec('pattern:DEADbeef') }), formatOf('zst'), '/x');
    expect(z).toMatchObject({ format: 'zst', zstd: { level: 3, frame_size: 2 << 20 }, skip_bad: true, deferred: [], hashes: ['md5', 'sha1', 'sha256'] });
    expect(z.fill).toBe('pattern:deadbeef');
    expect('segment_size' in z).toBe(false);
  });

  it('refuses an empty source and a resume with nothing to resume, creating no folder', async () => {
    const empty = source(Buffer.alloc(0));
    expect((await refusal(prepare(options({ source: empty })))).code).toBe('SOURCE_EMPTY');
    expect((await refusal(prepare(options({ source: empty, resumeOnly: true })))).message).toMatch(/nothing to resume/);
    expect((await refusal(prepare(options({ source: empty, caseId: undefined })))).message).toMatch(/case id is needed/);
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
  });

  it('makes and locks the folder; checkResume finds nothing to resume; release unlocks', async () => {
    const s = await prepare(options({ source: source(Buffer.alloc(4096 + 100, 1)), settings: { format: 'e01', segment_size: 1 << 30, ewf: { compression: 'none', chunk_sectors: 64 } } }));
    try {
      expect(s.resuming).toBe(false);
      expect(s.mediaBytes).toBe(4096 + 512); // E01 holds whole sectors
      expect(fs.existsSync(path.join(dir, 'out', 'EV-001.lock'))).toBe(true);
      expect(await refusal(prepare(options({ source: path.join(dir, 'source.bin') })))).toMatchObject({ code: 'OUTPUT_LOCKED' });
      const from = await checkResume(s);
      expect(from.resumedAt).toBe(0);
      expect(from.replay).toBeUndefined();
    } finally {
      await s.writer.close();
      await release(s);
    }
    expect(fs.existsSync(path.join(dir, 'out', 'EV-001.lock'))).toBe(false);
  });
});

describe('acquire: the phases end to end on a file', () => {
  it('copies, seals, writes the record and the map, and removes the journal', async () => {
    const bytes = crypto.randomBytes(3 * 65536 + 512);
    bytes.fill(0, 0, 1024); // two zero sectors
    const recorded: string[] = [];
    const out = await acquire(options({ source: source(bytes), onRecorded: async (_r, p) => void recorded.push(p) }));
    expect(out.error).toBeUndefined();
    expect(out.resumedAt).toBe(0);
    expect(recorded).toEqual([out.recordPath]);
    const { record } = readRecord(out.recordPath);
    expect(record.result).toBe('complete');
    expect(record.media.hashes).toEqual({
      md5: crypto.createHash('md5').update(bytes).digest('hex'),
      sha1: crypto.createHash('sha1').update(bytes).digest('hex'),
      sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    });
    expect(record.media.zero_sectors).toEqual({ total: 2, filled: 0, read_as_zero: 2 });
    expect(record.image.files).toEqual([{ name: 'EV-001.raw', size: bytes.length, sha256: record.media.hashes!.sha256 }]);
    expect(fs.readFileSync(path.join(dir, 'out', 'EV-001.raw')).equals(bytes)).toBe(true);
    expect(fs.existsSync(path.join(dir, 'out', 'EV-001.map'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'out', journalFileName('EV-001')))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'out', 'EV-001.lock'))).toBe(false);
    // A second run never overwrites: the record says complete.
    expect((await refusal(acquire(options({ source: path.join(dir, 'source.bin') })))).code).toBe('OUTPUT_EXISTS');
  });

  it('split raw: each segment file gets its own SHA-256', async () => {
    const bytes = crypto.randomBytes(3 * 4096 + 10);
    const out = await acquire(options({ source: source(bytes), settings: { format: 'split-raw', segment_size: 8192 }, hashes: ['md5'] }));
    const { record } = readRecord(out.recordPath);
    const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
    expect(record.image.files).toEqual([
      { name: 'EV-001.001', size: 8192, sha256: sha(bytes.subarray(0, 8192)) },
      { name: 'EV-001.002', size: bytes.length - 8192, sha256: sha(bytes.subarray(8192)) },
    ]);
    expect(record.media.hashes).toEqual({ md5: crypto.createHash('md5').update(bytes).digest('hex') });
  });
});
