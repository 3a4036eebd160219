/**
 * An Ex01 set's segment files: their names (.Ex01-.Ex99, then .ExAA-.ExZZ,
 * .EyAA ... .EzZZ), opening each with its 32-byte file header checked, and
 * walking its sections from the end of the file back to the first, each
 * descriptor checked before anything it points at is read.
 */
import fs from 'node:fs';
import type fsp from 'node:fs/promises';
import { describeSystemError, ExhibitError } from '../../core/errors.js';
import { openInput } from '../../core/input-file.js';
import { readAt } from '../ewf/model.js';
import { invalid } from '../ewf/sections.js';
import { DESCRIPTOR_SIZE, FILE_HEADER_SIZE, type FileHeader, parseDescriptor, parseFileHeader, SECTION, sectionName } from './layout.js';

/** A first segment's name: the prefix up to the dot, and the two letters before 01 (Ex, ex, EX). */
export const EX01_FIRST = /^(.*\.)([Ee][Xx])01$/;

/** Segment `n`'s name: .Ex01-.Ex99, then .ExAA-.ExZZ, .EyAA-.EzZZ; undefined past the last. */
export function ex01SegmentPath(prefix: string, letters: string, n: number): string | undefined {
  if (n < 1) return undefined;
  if (n <= 99) return `${prefix}${letters}${String(n).padStart(2, '0')}`;
  const k = n - 100;
  const second = 'x'.charCodeAt(0) + Math.floor(k / 676);
  if (second > 'z'.charCodeAt(0)) return undefined;
  const upper = letters[0] === 'E';
  const pair = String.fromCharCode(65 + (Math.floor(k / 26) % 26), 65 + (k % 26));
  const x = String.fromCharCode(second);
  return `${prefix}${letters[0]}${letters[1] === letters[1]!.toUpperCase() ? x.toUpperCase() : x}${upper ? pair : pair.toLowerCase()}`;
}

export interface Section {
  type: number;
  flags: number;
  /** Where its data begins, and how many bytes the descriptor says it holds (padding included). */
  start: number;
  dataSize: number;
  paddingSize: number;
  /** Where its descriptor lies (the data ends before it). */
  descriptor: number;
  md5: string;
}

export interface Ex01Segment {
  path: string;
  handle: fsp.FileHandle;
  size: number;
  header: FileHeader;
  sections: Section[];
}

/** Open a segment file and check its header; it is added to `opened` as soon as it is open. */
export async function openSegment(file: string, n: number, opened: Ex01Segment[], first?: FileHeader): Promise<Ex01Segment> {
  let handle: fsp.FileHandle;
  try {
    handle = await openInput(file);
  } catch (err) {
    if (err instanceof ExhibitError) throw err;
    throw invalid(file, `cannot open segment ${n}: ${describeSystemError(err)}`, err);
  }
  const seg: Ex01Segment = { path: file, handle, size: 0, header: undefined as unknown as FileHeader, sections: [] };
  opened.push(seg);
  try {
    seg.size = (await handle.stat()).size;
  } catch (err) {
    throw invalid(file, `cannot read: ${describeSystemError(err)}`, err);
  }
  if (seg.size < FILE_HEADER_SIZE + DESCRIPTOR_SIZE) throw invalid(file, seg.size === 0 ? 'empty file, not an Ex01 segment' : `only ${seg.size} bytes, too short for an Ex01 segment`);
  const h = parseFileHeader(await readAt(handle, 0, FILE_HEADER_SIZE, `file header of ${file}`));
  if (!h) throw invalid(file, 'not an Ex01 segment file (no EVF2 signature)');
  if (h.logical) throw new ExhibitError('IMAGE_UNSUPPORTED', `${file} is an EWF2 logical evidence file (Lx01), not a disk image: exhibit reads disk images only`);
  if (h.major !== 2) throw invalid(file, `EWF2 version ${h.major}.${h.minor}, not 2.x`);
  if (n === 1 && h.segment !== 1) throw new ExhibitError('IMAGE_UNSUPPORTED', `${file} is segment ${h.segment} of an Ex01 image, not its first: exhibit opens an Ex01 image by its first segment (.Ex01)`, { hints: ['name the .Ex01 file; the other segments are found beside it'] });
  if (h.segment !== n) throw invalid(file, `holds segment ${h.segment} but segment ${n} belongs here (files renamed, out of order, or from another image)`);
  if (first && h.setIdentifier !== first.setIdentifier) throw invalid(file, `belongs to another image (set identifier ${h.setIdentifier}, segment 1 has ${first.setIdentifier})`);
  if (first && h.compression !== first.compression) throw invalid(file, `declares compression method ${h.compression}, segment 1 declares ${first.compression}`);
  seg.header = h;
  return seg;
}

/**
 * Small reads from a segment file served from one window of up to 1 MiB, so
 * walking many small sections costs a few reads, not one per section.
 */
export class WindowedReader {
  private start = 0;
  private data: Buffer = Buffer.alloc(0);
  constructor(private readonly seg: Ex01Segment) {}

  /** `length` bytes at `offset`; `backwards` places a new window to end at them (for the walk from the end). */
  async bytes(offset: number, length: number, where: string, backwards = false): Promise<Buffer> {
    if (offset >= this.start && offset + length <= this.start + this.data.length) return this.data.subarray(offset - this.start, offset - this.start + length);
    if (length > WINDOW) return readAt(this.seg.handle, offset, length, where);
    const start = backwards ? Math.max(0, offset + length - WINDOW) : offset;
    const end = Math.min(this.seg.size, start + WINDOW);
    if (offset + length > end) return readAt(this.seg.handle, offset, length, where); // cut short: let readAt say so
    this.data = await readAt(this.seg.handle, start, end - start, where);
    this.start = start;
    return this.data.subarray(offset - start, offset - start + length);
  }
}

const WINDOW = 1024 * 1024;

/**
 * The sections of a segment in file order. The last descriptor ends the file;
 * each names the offset of the one before, which must lie strictly earlier, so
 * the walk ends (at most one step per 64 bytes of file).
 */
export async function walkSections(seg: Ex01Segment, reader: WindowedReader): Promise<Section[]> {
  const out: Section[] = [];
  let at = seg.size - DESCRIPTOR_SIZE;
  for (;;) {
    const where = `section descriptor in ${seg.path} at ${at}`;
    const d = parseDescriptor(await reader.bytes(at, DESCRIPTOR_SIZE, where, true));
    if (typeof d === 'string') {
      if (out.length === 0) throw invalid(seg.path, `the file does not end with a section descriptor (${d}): truncated, or bytes added after its end`);
      throw invalid(where, d);
    }
    const named = `${sectionName(d.type)} section in ${seg.path} at ${at}`;
    if (out.length === 0 && d.type !== SECTION.done && d.type !== SECTION.next) throw invalid(seg.path, `the last section is a ${sectionName(d.type)}, not 'done' or 'next': truncated or incomplete`);
    if (d.previous !== 0 && (d.previous < FILE_HEADER_SIZE || d.previous >= at)) throw invalid(named, `previous section offset ${d.previous} does not lie before it`);
    const start = d.previous === 0 ? FILE_HEADER_SIZE : d.previous + DESCRIPTOR_SIZE;
    if (start > at) throw invalid(named, `its data would begin at ${start}, after its descriptor`);
    if (d.dataSize > at - start) throw invalid(named, `data size ${d.dataSize} is larger than the room before its descriptor (${at - start} bytes)`);
    if (d.paddingSize > d.dataSize) throw invalid(named, `padding size ${d.paddingSize} is larger than its data (${d.dataSize} bytes)`);
    out.push({ type: d.type, flags: d.flags, start, dataSize: d.dataSize, paddingSize: d.paddingSize, descriptor: at, md5: d.md5 });
    if (d.previous === 0) break;
    at = d.previous;
  }
  out.reverse();
  return out;
}

/** Segment `n` beside the first, in the first file's letter case or all upper or all lower. */
export function findSegment(prefix: string, letters: string, n: number): string | undefined {
  for (const l of new Set([letters, letters.toUpperCase(), letters.toLowerCase()])) {
    const p = ex01SegmentPath(prefix, l, n);
    if (p && fs.existsSync(p)) return p;
  }
  return undefined;
}
