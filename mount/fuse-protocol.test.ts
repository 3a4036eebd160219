/** The FUSE structures laid out as <linux/fuse.h> declares them (offsets checked by field). */
import { describe, expect, it } from 'vitest';
import { attrOut, dirent, entryOut, initOut, openOut, parseRequest, readIn, replyHeader, statfsOut, type Attr } from './fuse-protocol.js';

const attr: Attr = { ino: 7, size: 5_000_000_123, mode: 0o100440, nlink: 1, uid: 1000, gid: 1001, mtime: 1_700_000_000 };

describe('FUSE structures', () => {
  it('fuse_attr_out: valid time, then ino, size, blocks, times, mode, nlink, uid, gid, blksize (104 bytes)', () => {
    const b = attrOut(attr, 3600);
    expect(b.length).toBe(104);
    expect(b.readBigUInt64LE(0)).toBe(3600n);
    expect(b.readBigUInt64LE(16)).toBe(7n);
    expect(b.readBigUInt64LE(24)).toBe(5_000_000_123n);
    expect(b.readBigUInt64LE(32)).toBe(BigInt(Math.ceil(5_000_000_123 / 512)));
    expect(b.readBigUInt64LE(48)).toBe(1_700_000_000n); // mtime
    expect(b.readUInt32LE(16 + 60)).toBe(0o100440);
    expect(b.readUInt32LE(16 + 64)).toBe(1);
    expect(b.readUInt32LE(16 + 68)).toBe(1000);
    expect(b.readUInt32LE(16 + 72)).toBe(1001);
    expect(b.readUInt32LE(16 + 80)).toBe(4096);
  });

  it('fuse_entry_out: node id, generation, valid times, then the attributes (128 bytes)', () => {
    const b = entryOut(attr, 60);
    expect(b.length).toBe(128);
    expect(b.readBigUInt64LE(0)).toBe(7n);
    expect(b.readBigUInt64LE(16)).toBe(60n);
    expect(b.readBigUInt64LE(24)).toBe(60n);
    expect(b.readBigUInt64LE(40)).toBe(7n); // attr.ino
  });

  it('fuse_dirent: padded to 8 bytes, the next offset and the type', () => {
    const d = dirent(9, 3, 'info.txt', false);
    expect(d.length).toBe(32);
    expect(d.readBigUInt64LE(8)).toBe(3n);
    expect(d.readUInt32LE(16)).toBe(8);
    expect(d.readUInt32LE(20)).toBe(8); // DT_REG
    expect(d.subarray(24, 32).toString()).toBe('info.txt');
    expect(dirent(2, 1, 'fs', true).length).toBe(32);
    expect(dirent(2, 1, 'fs', true).readUInt32LE(20)).toBe(4); // DT_DIR
  });

  it('fuse_init_out: version 7, the minor, read-ahead, flags, max_write and max_pages (64 bytes)', () => {
    const b = initOut({ minor: 31, maxReadahead: 1 << 20, flags: 5, maxPages: 256 });
    expect(b.length).toBe(64);
    expect([b.readUInt32LE(0), b.readUInt32LE(4), b.readUInt32LE(8), b.readUInt32LE(12)]).toEqual([7, 31, 1 << 20, 5]);
    expect(b.readUInt32LE(20)).toBe(4096);
    expect(b.readUInt16LE(28)).toBe(256);
  });

  it('the reply header carries the length, the negated errno and the request id', () => {
    const h = replyHeader(42n, 30, 8);
    expect([h.readUInt32LE(0), h.readInt32LE(4), h.readBigUInt64LE(8)]).toEqual([24, -30, 42n]);
  });

  it('a request is taken only when its header gives the length read', () => {
    const b = Buffer.alloc(80);
    b.writeUInt32LE(80, 0);
    b.writeUInt32LE(15, 4);
    b.writeBigUInt64LE(99n, 8);
    b.writeBigUInt64LE(3n, 16);
    b.writeBigUInt64LE(1n, 40); // fh
    b.writeBigUInt64LE(4096n, 48); // offset
    b.writeUInt32LE(131072, 56); // size
    const r = parseRequest(b, 80);
    expect([r.opcode, r.unique, r.nodeid]).toEqual([15, 99n, 3]);
    expect(readIn(r.body)).toEqual({ fh: 1, offset: 4096, size: 131072 });
    expect(() => parseRequest(b, 64)).toThrow();
  });

  it('fuse_open_out and fuse_statfs_out', () => {
    expect(openOut(0, 2).readUInt32LE(8)).toBe(2);
    const s = statfsOut(8192, 5);
    expect([s.length, Number(s.readBigUInt64LE(0)), Number(s.readBigUInt64LE(24)), s.readUInt32LE(40), s.readUInt32LE(44)]).toEqual([80, 2, 5, 4096, 255]);
  });
});
