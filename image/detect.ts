/**
 * What a file holds, from its first bytes (and, for the containers that keep
 * their signature at the end, its last): one of exhibit's formats, a container
 * exhibit does not read, or no known signature at all (raw media).
 */
import type { FileHandle } from 'node:fs/promises';
import type { ReadableFormat } from './descriptor.js';

export const HEAD_BYTES = 64 * 1024;

export type Detected =
  | { kind: 'format'; format: ReadableFormat }
  /** A container exhibit does not read, in words ("an EWF2 image (Ex01)"). */
  | { kind: 'unsupported'; what: string }
  /** A segment of an E01 set other than the first. */
  | { kind: 'later-segment'; segment: number }
  | { kind: 'none' };

const ascii = (b: Uint8Array, at: number, s: string): boolean => b.length >= at + s.length && Buffer.from(b.buffer, b.byteOffset + at, s.length).toString('latin1') === s;

/** Containers recognised by their first bytes that exhibit does not read. */
const UNSUPPORTED: { magic: string; what: string }[] = [
  { magic: 'LEF2\r\n\x81\x00', what: 'an EWF2 logical evidence file (Lx01)' },
  { magic: 'LVF\x09\x0d\x0a\xff\x00', what: 'a logical evidence file (L01)' },
  { magic: 'AFF10\r\n\x00', what: 'an AFF image' },
  { magic: 'KDMV', what: 'a VMware disk (VMDK)' },
  { magic: 'COWD', what: 'a VMware disk (VMDK)' },
  { magic: '# Disk DescriptorFile', what: 'a VMware disk descriptor (VMDK)' },
  { magic: 'vhdxfile', what: 'a Hyper-V disk (VHDX)' },
  { magic: 'conectix', what: 'a virtual PC disk (VHD)' },
  { magic: 'QFI\xfb', what: 'a QEMU disk (QCOW)' },
  { magic: '<<< Oracle VM VirtualBox Disk Image >>>', what: 'a VirtualBox disk (VDI)' },
  { magic: '<<< Sun VirtualBox Disk Image >>>', what: 'a VirtualBox disk (VDI)' },
  { magic: '<<< innotek VirtualBox Disk Image >>>', what: 'a VirtualBox disk (VDI)' },
  { magic: '<<< QEMU VM Virtual Disk Image >>>', what: 'a VirtualBox disk (VDI, written by QEMU)' },
  // Compressed streams: an image compressed whole (disk.dd.gz) read as raw media would hash the compressed bytes.
  { magic: '\x1f\x8b\x08', what: 'a gzip-compressed file (decompress it first, e.g. gzip -dk)' },
  { magic: '\xfd7zXZ\x00', what: 'an xz-compressed file (decompress it first, e.g. xz -dk)' },
  { magic: '\x04\x22\x4d\x18', what: 'an lz4-compressed file (decompress it first, e.g. lz4 -d)' },
];

const EWF1 = 'EVF\x09\x0d\x0a\xff\x00';

/** Tell what `head` (the first bytes) and `tail` (the last bytes) of a file hold. */
export function detect(head: Uint8Array, tail: Uint8Array, formats: readonly ReadableFormat[]): Detected {
  // bzip2: "BZh", the block size 1-9, then the first block's magic (pi in BCD) or the empty stream's end marker.
  if (ascii(head, 0, 'BZh') && head[3]! >= 0x31 && head[3]! <= 0x39 && (ascii(head, 4, '\x31\x41\x59\x26\x53\x59') || ascii(head, 4, '\x17\x72\x45\x38\x50\x90')))
    return { kind: 'unsupported', what: 'a bzip2-compressed file (decompress it first, e.g. bzip2 -dk)' };
  if (ascii(head, 0, EWF1) && head.length >= 11) {
    const segment = head[9]! | (head[10]! << 8);
    if (segment !== 1) return { kind: 'later-segment', segment };
  }
  for (const f of formats) if (f.recognise?.(head)) return { kind: 'format', format: f };
  for (const u of UNSUPPORTED) if (ascii(head, 0, u.magic)) return { kind: 'unsupported', what: u.what };
  // A VDI's own signature follows its text banner, whichever program wrote the banner.
  if (head.length >= 0x44 && head[0x40] === 0x7f && head[0x41] === 0x10 && head[0x42] === 0xda && head[0x43] === 0xbe && ascii(head, 0, '<<< ')) return { kind: 'unsupported', what: 'a VirtualBox disk (VDI)' };
  // A fixed-size VHD is the disk followed by a 512-byte footer (511 from some old tools).
  if (ascii(tail, Math.max(0, tail.length - 512), 'conectix') || ascii(tail, Math.max(0, tail.length - 511), 'conectix')) return { kind: 'unsupported', what: 'a virtual PC disk (VHD)' };
  if (ascii(head, 0, 'PK\x03\x04')) {
    // An AFF4 container whose first bytes did not say so keeps its volume URN in the zip comment, at the end.
    const aff4 = formats.find((f) => f.name === 'aff4');
    if (aff4 && Buffer.from(tail.buffer, tail.byteOffset, tail.length).toString('latin1').includes('aff4://')) return { kind: 'format', format: aff4 };
    return { kind: 'unsupported', what: 'a zip archive' };
  }
  return { kind: 'none' };
}

/** The first and last bytes of an open file (up to HEAD_BYTES each). */
export async function readEnds(h: FileHandle, size: number): Promise<{ head: Buffer; tail: Buffer }> {
  const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
  const { bytesRead } = await h.read(head, 0, head.length, 0);
  const tailLength = Math.min(HEAD_BYTES, size);
  const tail = Buffer.alloc(tailLength);
  const t = await h.read(tail, 0, tailLength, size - tailLength);
  return { head: head.subarray(0, bytesRead), tail: tail.subarray(0, t.bytesRead) };
}
