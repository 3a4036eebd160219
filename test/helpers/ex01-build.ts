/**
 * A hand-made single-segment Ex01 for the tests that need what libewf's
 * ewfacquire does not write from a file: a drive's model and serial, a
 * removable drive, bzip2 chunks stored as bare blocks (without the stream
 * header, as the EWF2 working document says EnCase stores them). Layout:
 * image/ewf2/SPEC.md. Not an exhibit writer: exhibit writes no Ex01.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { adler32 } from '../../core/adler32.js';
import { descriptor } from './ex01-edit.js';

export interface Ex01Build {
  media: Buffer; // a whole number of sectors
  sectorsPerChunk: number;
  method: 'deflate' | 'bzip2';
  /** bzip2 chunks without their "BZh9" stream header. */
  bareBzip2?: boolean;
  /** A chunk that does not shrink is stored as it is, with its Adler-32 after it (as EnCase does). */
  rawWhenLarger?: boolean;
  device: Record<string, string>;
  caseData: Record<string, string>;
}

const pad16 = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((16 - (b.length % 16)) % 16)]);
const bzip2 = (b: Buffer): Buffer => execFileSync('bzip2', ['-c', '-9'], { input: b });

function objectString(fields: Record<string, string>, method: Ex01Build['method']): Buffer {
  const text = `\ufeff1\nmain\n${Object.keys(fields).join('\t')}\n${Object.values(fields).join('\t')}\n\n`;
  const raw = Buffer.from(text, 'utf16le');
  return method === 'deflate' ? zlib.deflateSync(raw) : bzip2(raw);
}

export function buildEx01(file: string, s: Ex01Build): void {
  const bps = Number(s.device.bp ?? 512);
  const chunkSize = s.sectorsPerChunk * bps;
  const chunks = Math.ceil(s.media.length / chunkSize);
  const header = Buffer.alloc(32);
  Buffer.from('EVF2\r\n\x81\x00', 'latin1').copy(header);
  header.set([2, 1, s.method === 'deflate' ? 1 : 2, 0, 1, 0, 0, 0], 8);
  crypto.randomBytes(16).copy(header, 16);
  const parts: Buffer[] = [header];
  let at = 32;
  let prev = 0;
  const section = (type: number, data: Buffer): number => {
    const start = at;
    parts.push(data, descriptor(type, prev, data));
    prev = at + data.length;
    at += data.length + 64;
    return start;
  };
  section(1, pad16(objectString({ ...s.device, ts: String(s.media.length / bps), bp: String(bps) }, s.method)));
  section(2, pad16(objectString({ ...s.caseData, sb: String(s.sectorsPerChunk), tb: String(chunks) }, s.method)));
  // Sector data: each chunk compressed, 16-byte aligned; the table entries point at them in this file.
  const entries = Buffer.alloc(16 * chunks);
  const stored: Buffer[] = [];
  let offset = at;
  for (let i = 0; i < chunks; i++) {
    const chunk = s.media.subarray(i * chunkSize, (i + 1) * chunkSize);
    let z = s.method === 'deflate' ? zlib.deflateSync(chunk) : bzip2(chunk);
    if (s.bareBzip2) z = z.subarray(4);
    const raw = s.rawWhenLarger === true && z.length >= chunk.length;
    if (raw) {
      z = Buffer.alloc(chunk.length + 4);
      chunk.copy(z);
      z.writeUInt32LE(adler32(chunk, 1, 0, chunk.length), chunk.length);
    }
    entries.writeBigUInt64LE(BigInt(offset), 16 * i);
    entries.writeUInt32LE(z.length, 16 * i + 8);
    entries.writeUInt32LE(raw ? 2 : 1, 16 * i + 12);
    const p = pad16(z);
    stored.push(p);
    offset += p.length;
  }
  section(3, Buffer.concat(stored));
  const tableHead = Buffer.alloc(32);
  tableHead.writeUInt32LE(chunks, 8);
  tableHead.writeUInt32LE(adler32(tableHead, 1, 0, 16), 16);
  const tableFoot = Buffer.alloc(16);
  tableFoot.writeUInt32LE(adler32(entries, 1, 0, entries.length), 0);
  section(4, Buffer.concat([tableHead, entries, tableFoot]));
  const md5 = Buffer.alloc(32);
  crypto.createHash('md5').update(s.media).digest().copy(md5);
  md5.writeUInt32LE(adler32(md5, 1, 0, 16), 16);
  section(8, md5);
  parts.push(descriptor(0x0f, prev, Buffer.alloc(0)));
  fs.writeFileSync(file, Buffer.concat(parts));
}
