import { execFileSync, spawnSync } from 'node:child_process';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { adler32 } from '../../core/adler32.js';
import { parseDescriptor, parseFileHeader } from './layout.js';
import { objectAttributes, parseErrorTable, parseHashSection } from './metadata.js';
import { ex01SegmentPath } from './segments.js';

describe('Ex01 segment names', () => {
  it.each([
    [1, 'Ex', 'x.Ex01'],
    [99, 'Ex', 'x.Ex99'],
    [100, 'Ex', 'x.ExAA'],
    [101, 'Ex', 'x.ExAB'],
    [775, 'Ex', 'x.ExZZ'],
    [776, 'Ex', 'x.EyAA'],
    [2127, 'Ex', 'x.EzZZ'],
    [100, 'ex', 'x.exaa'],
    [776, 'EX', 'x.EYAA'],
  ])('segment %i with %s is %s', (n, letters, name) => {
    expect(ex01SegmentPath('x.', letters, n)).toBe(name);
  });
  it('there is none past .EzZZ, nor before 1', () => {
    expect(ex01SegmentPath('x.', 'Ex', 2128)).toBeUndefined();
    expect(ex01SegmentPath('x.', 'Ex', 0)).toBeUndefined();
  });
});

describe('Ex01 structures', () => {
  it('tells Ex01 and Lx01 file headers apart, and EWF1 from neither', () => {
    const h = Buffer.alloc(32);
    Buffer.from('EVF2\r\n\x81\x00', 'latin1').copy(h);
    h.set([2, 1, 1, 0, 3, 0, 0, 0], 8);
    expect(parseFileHeader(h)).toMatchObject({ logical: false, major: 2, minor: 1, compression: 1, segment: 3 });
    h.write('LEF2', 0, 'latin1');
    expect(parseFileHeader(h)?.logical).toBe(true);
    h.write('EVF\x09', 0, 'latin1');
    expect(parseFileHeader(h)).toBeUndefined();
  });

  it('a descriptor whose checksum fails, or whose sizes are past 2^53, is refused with a reason', () => {
    const d = Buffer.alloc(64);
    d.writeUInt32LE(0x0f, 0);
    d.writeUInt32LE(adler32(d, 1, 0, 60), 60);
    expect(parseDescriptor(d)).toMatchObject({ type: 0x0f, previous: 0, dataSize: 0 });
    d[5] = 1;
    expect(parseDescriptor(d)).toBe('checksum mismatch');
    d[5] = 0;
    d.writeBigUInt64LE(1n << 60n, 16);
    d.writeUInt32LE(adler32(d, 1, 0, 60), 60);
    expect(parseDescriptor(d)).toMatch(/out of range/);
  });

  it('an error table declaring more entries than its section holds is refused before anything is allocated', () => {
    const p = Buffer.alloc(48);
    p.writeUInt32LE(0xffffffff, 0);
    p.writeUInt32LE(adler32(p, 1, 0, 16), 16);
    expect(() => parseErrorTable(p, 'here')).toThrow(/its 4294967295 entries run past the end of the section/);
  });

  it('hash sections: the digest, its checksum checked, all zeros as absent', () => {
    const p = Buffer.alloc(32);
    p.write('0123456789abcdef', 0, 'latin1');
    p.writeUInt32LE(adler32(p, 1, 0, 16), 16);
    expect(parseHashSection(p, 16, 'here')).toBe(Buffer.from('0123456789abcdef').toString('hex'));
    p[3] = 0;
    expect(() => parseHashSection(p, 16, 'here')).toThrow(/checksum mismatch/);
    const z = Buffer.alloc(32);
    z.writeUInt32LE(adler32(z, 1, 0, 16), 16);
    expect(parseHashSection(z, 16, 'here')).toBeUndefined();
  });

  it.skipIf(spawnSync('bzip2', ['--help']).error !== undefined)('object strings (needs the bzip2 command): deflate or bzip2, UTF-16 with a byte-order mark, the escaped line breaks and tabs restored', () => {
    const text = '\ufeff1\nmain\ncn\tnt\tex\n2026-7\tline one\x01line two\x03tabbed\tJ. Doe\n\n';
    const utf16 = Buffer.from(text, 'utf16le');
    const want = { cn: '2026-7', nt: 'line one\nline two\ttabbed', ex: 'J. Doe' };
    expect(objectAttributes(zlib.deflateSync(utf16), 1, 'here')).toEqual(want);
    expect(objectAttributes(execFileSync('bzip2', ['-c'], { input: utf16 }), 2, 'here')).toEqual(want);
    expect(() => objectAttributes(Buffer.from('not compressed at all'), 1, 'here')).toThrow(/does not decompress/);
  });
});
