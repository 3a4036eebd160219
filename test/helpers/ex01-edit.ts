/**
 * Editing Ex01 segment files for the tests (layout: image/ewf2/SPEC.md): list
 * the sections of a file, change a descriptor or a section's data and seal it
 * again (Adler-32, and the integrity MD5 when the descriptor holds one), and
 * add a section before the last (an error table, an encryption keys section).
 * Sections point back at the one before, so a section added before 'done' only
 * moves 'done'.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { adler32 } from '../../core/adler32.js';

export const DESCRIPTOR = 64;

export interface RawSection {
  type: number;
  flags: number;
  descriptor: number; // file offset
  start: number; // data offset
  dataSize: number;
}

export function sections(file: string): RawSection[] {
  const b = fs.readFileSync(file);
  const out: RawSection[] = [];
  let at = b.length - DESCRIPTOR;
  for (;;) {
    const prev = Number(b.readBigUInt64LE(at + 8));
    const start = prev === 0 ? 32 : prev + DESCRIPTOR;
    out.push({ type: b.readUInt32LE(at), flags: b.readUInt32LE(at + 4), descriptor: at, start, dataSize: Number(b.readBigUInt64LE(at + 16)) });
    if (prev === 0) break;
    at = prev;
  }
  return out.reverse();
}

/** A 64-byte descriptor, sealed. */
export function descriptor(type: number, previous: number, data: Buffer, flags = 0, padding = 0): Buffer {
  const d = Buffer.alloc(DESCRIPTOR);
  d.writeUInt32LE(type, 0);
  d.writeUInt32LE(flags, 4);
  d.writeBigUInt64LE(BigInt(previous), 8);
  d.writeBigUInt64LE(BigInt(data.length), 16);
  d.writeUInt32LE(DESCRIPTOR, 24);
  d.writeUInt32LE(padding, 28);
  if (flags & 1) crypto.createHash('md5').update(data).digest().copy(d, 32);
  d.writeUInt32LE(adler32(d, 1, 0, 60), 60);
  return d;
}

/** Seal the descriptor at `at` again after its fields were changed (and its integrity MD5, from the data it now describes). */
export function reseal(b: Buffer, at: number): void {
  const prev = Number(b.readBigUInt64LE(at + 8));
  const start = prev === 0 ? 32 : prev + DESCRIPTOR;
  if (b.readUInt32LE(at + 4) & 1) crypto.createHash('md5').update(b.subarray(start, start + Number(b.readBigUInt64LE(at + 16)))).digest().copy(b, at + 32);
  b.writeUInt32LE(adler32(b, 1, 0 + at, at + 60), at + 60);
}

/** Insert a section with `data` before the file's last section ('done' or 'next'). */
export function insertBeforeLast(file: string, type: number, data: Buffer, flags = 0): void {
  const b = fs.readFileSync(file);
  const lastAt = b.length - DESCRIPTOR;
  const last = Buffer.from(b.subarray(lastAt));
  const prevOfLast = Number(last.readBigUInt64LE(8));
  const body = b.subarray(0, lastAt);
  const added = Buffer.concat([data, descriptor(type, prevOfLast, data, flags)]);
  const newDescriptorAt = body.length + data.length;
  last.writeBigUInt64LE(BigInt(newDescriptorAt), 8);
  last.writeUInt32LE(adler32(last, 1, 0, 60), 60);
  fs.writeFileSync(file, Buffer.concat([body, added, last]));
}

/** An error table section's data: the ranges [first sector, count]. */
export function errorTable(ranges: readonly (readonly [number, number])[]): Buffer {
  const head = Buffer.alloc(32);
  head.writeUInt32LE(ranges.length, 0);
  head.writeUInt32LE(adler32(head, 1, 0, 16), 16);
  const entries = Buffer.alloc(16 * ranges.length);
  ranges.forEach(([first, count], i) => {
    entries.writeBigUInt64LE(BigInt(first), 16 * i);
    entries.writeUInt32LE(count, 16 * i + 8);
  });
  const foot = Buffer.alloc(16);
  foot.writeUInt32LE(adler32(entries, 1, 0, entries.length), 0);
  return Buffer.concat([head, entries, foot]);
}

/** Change a sector table's header (first chunk, count) in place, resealing the header checksum and the descriptor. */
export function rewriteTableHeader(file: string, s: RawSection, first: bigint, count: number): void {
  const b = fs.readFileSync(file);
  b.writeBigUInt64LE(first, s.start);
  b.writeUInt32LE(count, s.start + 8);
  b.writeUInt32LE(adler32(b, 1, s.start, s.start + 16), s.start + 16);
  reseal(b, s.descriptor);
  fs.writeFileSync(file, b);
}

/** Add `count` sections of `type`, each with 48 bytes of data, before the file's last section (a 10 MiB file of tiny sections). */
export function addManySections(file: string, count: number, type: number): void {
  const src = fs.readFileSync(file);
  const lastAt = src.length - DESCRIPTOR;
  const last = Buffer.from(src.subarray(lastAt));
  let prev = Number(last.readBigUInt64LE(8));
  const data = Buffer.alloc(48, 0x41);
  const parts: Buffer[] = [src.subarray(0, lastAt)];
  let at = lastAt;
  for (let i = 0; i < count; i++) {
    parts.push(data, descriptor(type, prev, data));
    prev = at + data.length;
    at += data.length + DESCRIPTOR;
  }
  last.writeBigUInt64LE(BigInt(prev), 8);
  last.writeUInt32LE(adler32(last, 1, 0, 60), 60);
  parts.push(last);
  fs.writeFileSync(file, Buffer.concat(parts));
}
