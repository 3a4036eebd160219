import fs from 'node:fs';
import path from 'node:path';
import YAML, { Lexer } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Hex } from './crypto.js';
import { ExhibitError } from './errors.js';
import { checkYamlBounds, evidenceOfRecordName, isRecordFileName, RANGES_AS_LIST, TOKENS_PER_BYTE_AT_MOST, recordBesideImage, recordFileName, recordPathFor, renderRecord, type AcquisitionRecord } from './record.js';
import { assembleRecord } from './record/build.js';
import { readRecord, readRecordClaims } from './record/read.js';
import { tempDir } from '../test/helpers/cli.js';

const work = tempDir('exhibit-record-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const t0 = { utc: '2026-11-22T09:00:00.000Z', local: '2026-11-22T10:00:00.000+01:00' };
const t1 = { utc: '2026-11-22T09:01:00.000Z', local: '2026-11-22T10:01:00.000+01:00' };

/** A complete acquisition record as exhibit writes one (an 8 MiB loop device, split raw, one bad range). */
function goodRecord(): AcquisitionRecord {
  return assembleRecord({
    kind: 'exhibit acquisition',
    version: '0.1.0',
    commandLine: ['exhibit', 'acquire', '/dev/loop3', '-o', 'out'],
    case: 'C-1',
    evidence: 'EV-1',
    examiner: 'Ann Example',
    description: 'a test drive',
    started: t0,
    finished: t1,
    durationSeconds: 60.25,
    source: {
      path: '/dev/loop3',
      resolved_path: '/dev/loop3',
      kind: 'block-device',
      size_bytes: 8 << 20,
      logical_sector_size: 512,
      device: { kernel_name: 'loop3', is_partition: false, model: 'Loop', serial: 'S-1', removable: false, loop_backing_file: '/tmp/disk.img' },
    },
    readOnly: { opened_read_only: true, method: 'blockdev --setro, write counters compared', unchanged: true, limits: 'none', ro_flag_before: false, ro_flag_after: true },
    format: 'split-raw',
    settings: { segment_size: 4 << 20 },
    files: [
      { name: 'EV-1.001', size: 4 << 20, sha256: 'a'.repeat(64) },
      { name: 'EV-1.002', size: 4 << 20, sha256: 'b'.repeat(64) },
    ],
    media: {
      size_bytes: 8 << 20,
      sector_size: 512,
      sectors: 16384,
      trailing_bytes: 0,
      bytes_acquired: 8 << 20,
      hashes: { md5: '0'.repeat(32), sha1: '1'.repeat(40), sha256: '2'.repeat(64) },
      hashes_computed: 'in-stream, from the bytes as they were written',
      zero_sectors: { total: 10, filled: 2, read_as_zero: 8 },
    },
    readErrors: { unreadable_sectors: 2, ranges: [{ first_sector: 100, sectors: 2, error: 'EIO' }], fill: 'zero', retries: 2, strategy: 'in order', note: 'unreadable sectors hold the fill' },
    sessions: [{ examiner: 'Ann Example', command_line: ['exhibit', 'acquire'], started: t0, ended: t1, from_byte: 0, to_byte: 8 << 20, outcome: 'complete', read_only: { opened_read_only: true, unchanged: true, method: 'm', limits: 'l' } }],
  });
}

let n = 0;
function write(text: string): string {
  const file = path.join(work, `R${++n}.acquisition.yaml`);
  fs.writeFileSync(file, text);
  return file;
}

describe('readRecord', () => {
  it('a good record round-trips through renderRecord unchanged, with its bytes and SHA-256', () => {
    const rec = goodRecord();
    const text = renderRecord(rec);
    const file = write(text);
    const r = readRecord(file);
    expect(r.record).toEqual(rec);
    expect(r.bytes.toString('utf8')).toBe(text);
    expect(r.sha256).toBe(sha256Hex(Buffer.from(text)));
    expect(r.path).toBe(file);
    expect(renderRecord(r.record)).toBe(text);
  });

  it('the same record read again gives an equal record of its own; a changed file is read anew', () => {
    const rec = goodRecord();
    const file = write(renderRecord(rec));
    const first = readRecord(file).record;
    first.case = 'CHANGED BY A CALLER';
    first.media.size_bytes = 1;
    const second = readRecord(file).record;
    expect(second).toEqual(rec);
    expect(second).not.toBe(first);
    fs.writeFileSync(file, renderRecord({ ...rec, case: 'CASE-OTHER' }));
    expect(readRecord(file).record.case).toBe('CASE-OTHER');
    fs.writeFileSync(file, renderRecord(rec).replace('record_version: 1', 'record_version: [1'));
    expect(() => readRecord(file)).toThrow(/cannot be read/);
  });

  it('a conversion record of an image with no record of its own round-trips', () => {
    const rec = assembleRecord({
      ...partsOfConversion(),
    });
    const file = write(renderRecord(rec));
    expect(readRecord(file).record).toEqual(JSON.parse(JSON.stringify(rec))); // undefined fields are not written
  });

  it(`more than ${RANGES_AS_LIST} unreadable ranges are written as text and read back as the list`, () => {
    const rec = goodRecord();
    const ranges = Array.from({ length: RANGES_AS_LIST + 500 }, (_, i) => ({ first_sector: i * 3, sectors: 1 + (i % 2), error: 'EIO' }));
    const big = { ...rec, read_errors: { ...rec.read_errors, unreadable_sectors: ranges.reduce((a, r) => a + r.sectors, 0), ranges } };
    const text = renderRecord(big);
    expect(YAML.parse(text).read_errors.ranges).toBeTypeOf('string');
    const back = readRecord(write(text)).record;
    expect(back).toEqual(big);
    expect(renderRecord(back)).toBe(text);
  });

  // Each damage, and the field the message must name.
  const damages: [string, (r: any) => void, RegExp][] = [
    ['not a mapping', () => undefined, /it is not a mapping of fields/],
    ['record kind', (r) => (r.record = 'exhibit clone'), /record is missing or not one of: exhibit acquisition, exhibit conversion/],
    ['result', (r) => (r.result = 'done'), /result is missing or not one of: complete, incomplete/],
    ['result missing', (r) => delete r.result, /result is missing/],
    ['case', (r) => (r.case = 17), /case is missing or not text/],
    ['evidence', (r) => delete r.evidence, /evidence is missing or not text/],
    ['examiner', (r) => (r.examiner = ['a']), /examiner is missing or not text/],
    ['started', (r) => (r.started = '2026'), /started is missing or not a mapping/],
    ['finished utc', (r) => delete r.finished.utc, /finished\.utc is missing or not text/],
    ['tool', (r) => delete r.tool, /tool is missing or not a mapping/],
    ['command line', (r) => (r.command_line = 'exhibit'), /command_line is missing or not a list of text/],
    ['media', (r) => delete r.media, /media is missing or not a mapping/],
    ['media size', (r) => (r.media.size_bytes = 2 ** 53), /media\.size_bytes is missing or not a whole number of 0 or more/],
    ['media size negative', (r) => (r.media.size_bytes = -1), /media\.size_bytes is missing or not a whole number/],
    ['media size as text', (r) => (r.media.size_bytes = '8388608'), /media\.size_bytes is missing or not a whole number/],
    ['sector size zero', (r) => (r.media.sector_size = 0), /media\.sector_size is missing or not a whole number of 1 or more/],
    ['padding', (r) => (r.media.padding_bytes = 1.5), /media\.padding_bytes is not a whole number/],
    ['md5 too short', (r) => (r.media.hashes.md5 = 'abc'), /media\.hashes\.md5 is not 32 hexadecimal digits/],
    ['sha1 not hex', (r) => (r.media.hashes.sha1 = 'g'.repeat(40)), /media\.hashes\.sha1 is not 40 hexadecimal digits/],
    ['sha256 a number', (r) => (r.media.hashes.sha256 = 12), /media\.hashes\.sha256 is not 64 hexadecimal digits/],
    ['unknown hash', (r) => (r.media.hashes.crc32 = 'abcd1234'), /media\.hashes\.crc32 is not a hash exhibit knows/],
    ['zero sectors', (r) => (r.media.zero_sectors.total = 'ten'), /media\.zero_sectors\.total is missing or not a whole number/],
    ['image files', (r) => (r.image.files = 'EV-1.001'), /image\.files is missing or not a list/],
    ['image file a path', (r) => (r.image.files[1].name = '../other/EV-1.002'), /image\.files entry 2: name is not a plain file name/],
    ['image file absolute', (r) => (r.image.files[0].name = '/etc/passwd'), /image\.files entry 1: name is not a plain file name/],
    ['image file backslash', (r) => (r.image.files[0].name = 'a\\b'), /image\.files entry 1: name is not a plain file name/],
    ['image file dot-dot', (r) => (r.image.files[0].name = '..'), /image\.files entry 1: name is not a plain file name/],
    ['image file size', (r) => (r.image.files[0].size = 1e300), /image\.files entry 1: size is missing or not a whole number/],
    ['image file sha256', (r) => (r.image.files[1].sha256 = 'b'.repeat(63)), /image\.files entry 2: sha256 is not 64 hexadecimal digits/],
    ['image file entry', (r) => (r.image.files[0] = 'EV-1.001'), /image\.files entry 1: is missing or not a mapping/],
    ['image format', (r) => delete r.image.format, /image\.format is missing or not text/],
    ['segment size', (r) => (r.image.segment_size = 0), /image\.segment_size is not a whole number of 1 or more/],
    ['ranges', (r) => (r.read_errors.ranges = 5), /read_errors\.ranges is missing or not a list/],
    ['range first sector', (r) => (r.read_errors.ranges[0].first_sector = -4), /read_errors\.ranges entry 1: first_sector is missing or not a whole number of 0 or more/],
    ['range of no sectors', (r) => (r.read_errors.ranges[0].sectors = 0), /read_errors\.ranges entry 1: sectors is missing or not a whole number of 1 or more/],
    ['range past the largest number', (r) => (r.read_errors.ranges[0].first_sector = Number.MAX_SAFE_INTEGER), /read_errors\.ranges entry 1: sectors runs past the largest sector number/],
    ['range error', (r) => delete r.read_errors.ranges[0].error, /read_errors\.ranges entry 1: error is missing or not text/],
    ['unreadable sectors', (r) => (r.read_errors.unreadable_sectors = null), /read_errors\.unreadable_sectors is missing or not a whole number/],
    ['fill', (r) => delete r.read_errors.fill, /read_errors\.fill is missing or not text/],
    ['source', (r) => (r.source = 'sdb'), /source is missing or not a mapping/],
    ['source kind', (r) => (r.source.kind = 'tape'), /source\.kind is missing or not one of: block-device, file, image/],
    ['source path', (r) => delete r.source.resolved_path, /source\.resolved_path is missing or not text/],
    ['source serial', (r) => (r.source.device.serial = 12345), /source\.device\.serial is not text/],
    ['source device', (r) => (r.source.device = ['sdb']), /source\.device is missing or not a mapping/],
    ['read-only verdict', (r) => (r.read_only.unchanged = 'yes'), /read_only\.unchanged is not true or false/],
    ['read-only method', (r) => (r.read_only.method = { a: 1 }), /read_only\.method is not text/],
    ['sessions', (r) => (r.sessions = {}), /sessions is missing or not a list/],
    ['session examiner', (r) => delete r.sessions[0].examiner, /sessions entry 1: examiner is missing or not text/],
    ['session from byte', (r) => (r.sessions[0].from_byte = -1), /sessions entry 1: from_byte is missing or not a whole number/],
    ['session read-only', (r) => (r.sessions[0].read_only.unchanged = 1), /sessions entry 1: read_only\.unchanged is not true or false/],
    ['converted from', (r) => (r.converted_from = { format: 'raw' }), /converted_from\.files is missing or not a list of text/],
  ];

  it.each(damages)('a damaged field is named: %s', (_what, damage, message) => {
    const rec = JSON.parse(JSON.stringify(goodRecord()));
    const file = write(_what === 'not a mapping' ? '- a list\n- of things\n' : YAML.stringify((damage(rec), rec)));
    let err: unknown;
    try {
      readRecord(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExhibitError);
    expect((err as ExhibitError).code).toBe('IMAGE_INVALID');
    const text = (err as ExhibitError).message;
    expect(text.startsWith(`the record ${file} is damaged: `), text).toBe(true);
    expect(text).toMatch(message);
    expect(text).not.toMatch(/\n/);
  });

  it('a file that is not there, or not YAML, cannot be read, and the message says so', () => {
    expect(() => readRecord(path.join(work, 'none.acquisition.yaml'))).toThrow(/the record .*none\.acquisition\.yaml cannot be read: /);
    expect(() => readRecord(write('record: [unclosed\n'))).toThrow(/the record .* cannot be read: /);
    const ranges = renderRecord({ ...goodRecord(), read_errors: { ...goodRecord().read_errors, ranges: Array.from({ length: RANGES_AS_LIST + 1 }, (_, i) => ({ first_sector: i, sectors: 1, error: 'EIO' })) } });
    const broken = ranges.replace(/^( *)5 1 EIO$/m, '$15 one EIO');
    expect(broken).not.toBe(ranges);
    expect(() => readRecord(write(broken))).toThrow(/cannot be read: its unreadable range on line 6 of the list/);
  });
});

describe('checkYamlBounds', () => {
  const tokens = (text: string) => [...new Lexer().lex(text)].filter((t) => !/^[ \t\r\n]*$/.test(t)).length;

  it('skips counting only where the count cannot pass the limit: the lexer makes fewer tokens than TOKENS_PER_BYTE_AT_MOST of a byte', () => {
    // The densest inputs found: one-byte documents, flow markers, keys, tags, anchors, documents.
    const dense = ['.', '0', '[', '{', ',', ':', '?', '-', '!', '&a', '*a', '|', '>', '"', "'", '#', '%', '@', '`', '[,,,]', '{:,:,:}', '[[[[]]]]', '- - - -', '? ? ?', '!a !a', '---\n---\n', '[0,0,0,0]', '{a: [b, {c: d}]}'];
    let x = 99;
    const rand = () => ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const alphabet = '[]{},:-?!&*|>#\'"%@`0a .\n\t';
    for (let i = 0; i < 3000; i++) dense.push(Array.from({ length: 1 + Math.floor(rand() * 24) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(''));
    for (const text of dense) expect(tokens(text), JSON.stringify(text)).toBeLessThan(TOKENS_PER_BYTE_AT_MOST * Buffer.byteLength(text) + 1);
  });

  it('refuses a text over either limit, counted or not', () => {
    expect(() => checkYamlBounds('a: 1\n', { maxBytes: 4, maxValues: 100 })).toThrow(/5 bytes, more than the 4/);
    const list = `[${Array(300).fill('0').join(',')}]`;
    expect(() => checkYamlBounds(list, { maxBytes: 10_000, maxValues: 500 })).toThrow(/more than 500 YAML values/);
    expect(() => checkYamlBounds(list, { maxBytes: 10_000, maxValues: TOKENS_PER_BYTE_AT_MOST * list.length })).not.toThrow(); // not counted: it cannot pass
  });
});

describe('readRecordClaims', () => {
  it('a record damaged elsewhere still names its image files and its source', () => {
    const rec = JSON.parse(JSON.stringify(goodRecord()));
    rec.media.hashes.md5 = 'not a hash';
    delete rec.sessions;
    const file = write(YAML.stringify(rec));
    expect(() => readRecord(file)).toThrow(/is damaged: media\.hashes\.md5/);
    expect(readRecordClaims(file)).toEqual({
      kind: 'exhibit acquisition',
      evidence: 'EV-1',
      case: 'C-1',
      files: ['EV-1.001', 'EV-1.002'],
      source: { kind: 'block-device', resolved_path: '/dev/loop3', serial: 'S-1', loop_backing_file: '/tmp/disk.img' },
    });
  });

  it('a file that cannot be parsed names nothing', () => {
    expect(readRecordClaims(write('record: [unclosed\n'))).toBeUndefined();
    expect(readRecordClaims(path.join(work, 'absent.acquisition.yaml'))).toBeUndefined();
  });
});

describe('record paths', () => {
  it('are made in one place', () => {
    expect(recordFileName('EV-1')).toBe('EV-1.acquisition.yaml');
    expect(recordPathFor('/cases/c1', 'EV-1')).toBe('/cases/c1/EV-1.acquisition.yaml');
    expect(recordBesideImage('/cases/c1/EV-1')).toBe('/cases/c1/EV-1.acquisition.yaml');
    expect(isRecordFileName('EV-1.acquisition.yaml')).toBe(true);
    expect(isRecordFileName('EV-1.acquisition.yml')).toBe(false);
    expect(evidenceOfRecordName('/cases/c1/EV.1.acquisition.yaml')).toBe('EV.1');
  });
});

function partsOfConversion(): Parameters<typeof assembleRecord>[0] {
  return {
    kind: 'exhibit conversion',
    version: '0.1.0',
    commandLine: ['exhibit', 'convert'],
    case: '',
    evidence: 'X',
    examiner: '',
    started: t0,
    finished: t1,
    durationSeconds: 1,
    source: { kind: 'image', model: undefined, serial: 'SN' },
    readOnly: { note: 'not known: the source image carries no exhibit record' },
    format: 'zst',
    settings: { zstd: { level: 3, frame_size: 2 << 20 } },
    files: [{ name: 'X.zst', size: 1000, sha256: 'c'.repeat(64) }],
    media: { size_bytes: 4096, sector_size: 512, sectors: 8, trailing_bytes: 0, bytes_acquired: 4096, hashes: { md5: 'd'.repeat(32) }, hashes_computed: 'in-stream, while converting' },
    readErrors: { unreadable_sectors: 0, ranges: [], fill: 'unknown', retries: 0, strategy: 'as the source image lists them', note: 'carried over from the source image' },
    sessions: [],
    convertedFrom: {
      format: 'e01',
      files: ['/in/X.E01'],
      hashes_compared: [{ algorithm: 'md5', recorded: 'd'.repeat(32), computed: 'd'.repeat(32), equal: true }],
      verified: true,
      converted: { started: t0, finished: t1, by: 'Ann Example' },
    },
  };
}
