/**
 * The bytes of a seekable zstd image (see SPEC.md): independent zstd frames,
 * then the seek table in a skippable frame. Little-endian throughout.
 */
export const ZSTD_FRAME_MAGIC = 0xfd2fb528;
export const SKIPPABLE_MAGIC = 0x184d2a5e; // any of 0x184D2A50..5F; the seekable format uses ...5E
export const SEEKABLE_MAGIC = 0x8f92eab1; // the last 4 bytes of the file
export const FOOTER_SIZE = 9; // number of frames u32, descriptor u8, seekable magic u32
export const CHECKSUM_FLAG = 0x80; // in the descriptor: entries carry a checksum
export const ENTRY_SIZE = 12; // compressed size u32, decompressed size u32, checksum u32
/** The most media one frame may hold: decoding a frame needs its whole size in memory (`--frame-size` stops here too). */
export const MAX_FRAME_SIZE = 32 * 1024 * 1024;
/** The shortest zstd frame: magic, header descriptor, one more header byte, one block header. */
export const MIN_FRAME_LENGTH = 4 + 1 + 1 + 3;

export interface FrameEntry {
  compressed: number;
  decompressed: number;
  checksum: number; // low 32 bits of XXH64 of the frame's content (what the frame itself ends with)
  offset?: number; // where it starts in the file, when found by a scan (skippable frames may lie between frames)
  noContentSize?: true; // found by a scan: its header gives no content size
  window?: number; // found by a scan: the window its header says decoding needs, in bytes
  dictionary?: number; // found by a scan: the dictionary its header says decoding needs (not read by exhibit)
}

export function seekTable(entries: readonly FrameEntry[]): Buffer {
  const content = entries.length * ENTRY_SIZE + FOOTER_SIZE;
  const b = Buffer.alloc(8 + content);
  b.writeUInt32LE(SKIPPABLE_MAGIC, 0);
  b.writeUInt32LE(content, 4);
  for (const [i, e] of entries.entries()) {
    b.writeUInt32LE(e.compressed, 8 + i * ENTRY_SIZE);
    b.writeUInt32LE(e.decompressed, 12 + i * ENTRY_SIZE);
    b.writeUInt32LE(e.checksum, 16 + i * ENTRY_SIZE);
  }
  const f = 8 + entries.length * ENTRY_SIZE;
  b.writeUInt32LE(entries.length, f);
  b[f + 4] = CHECKSUM_FLAG;
  b.writeUInt32LE(SEEKABLE_MAGIC, f + 5);
  return b;
}

/**
 * The length of the zstd frame starting at `at`, walking its header and block
 * headers without decompressing (RFC 8878 section 3.1.1); undefined when the
 * bytes there are not a whole zstd frame. Used to find frames when the seek
 * table is missing, and to check it.
 */
export function frameLength(b: Uint8Array, at: number): number | undefined {
  return frameInfo(b, at)?.length;
}

/**
 * The header of the frame at `at`: where its first block header is, whether a checksum ends it,
 * and its content size when the header says; undefined when `b` holds no whole frame header there.
 */
export function frameHeader(b: Uint8Array, at: number): { blocksAt: number; checksum: boolean; contentSize?: number; window?: number; dictionary?: number } | undefined {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (at + 6 > b.length || v.getUint32(at, true) !== ZSTD_FRAME_MAGIC) return undefined;
  const fhd = b[at + 4]!;
  const fcsFlag = fhd >>> 6;
  const single = (fhd >>> 5) & 1;
  const checksum = ((fhd >>> 2) & 1) === 1;
  const dictFlag = fhd & 3;
  if (fhd & 0x08) return undefined; // reserved bit
  const fcsAt = at + 5 + (single ? 0 : 1) + [0, 1, 2, 4][dictFlag]!;
  const fcsBytes = [single ? 1 : 0, 2, 4, 8][fcsFlag]!;
  const blocksAt = fcsAt + fcsBytes;
  if (blocksAt > b.length) return undefined;
  let contentSize: number | undefined;
  if (fcsBytes === 1) contentSize = b[fcsAt]!;
  else if (fcsBytes === 2) contentSize = v.getUint16(fcsAt, true) + 256;
  else if (fcsBytes === 4) contentSize = v.getUint32(fcsAt, true);
  else if (fcsBytes === 8) contentSize = Number(v.getBigUint64(fcsAt, true));
  // The window the decoder must keep: its descriptor (RFC 8878, 3.1.1.1.2), or the whole content for a single segment.
  const w = single ? contentSize : 2 ** (10 + (b[at + 5]! >>> 3)) * (1 + (b[at + 5]! & 7) / 8);
  const dictAt = at + 5 + (single ? 0 : 1);
  const dictionary = dictFlag === 0 ? 0 : dictFlag === 1 ? b[dictAt]! : dictFlag === 2 ? v.getUint16(dictAt, true) : v.getUint32(dictAt, true);
  return { blocksAt, checksum, ...(contentSize === undefined ? {} : { contentSize }), ...(w === undefined ? {} : { window: w }), ...(dictionary !== 0 ? { dictionary } : {}) };
}

/**
 * The block header (3 bytes) at `p`: the bytes the block takes after its header, whether it is
 * the frame's last; undefined for the reserved block type.
 */
export function blockHeader(b: Uint8Array, p: number): { bytes: number; last: boolean } | undefined {
  const h = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16);
  const type = (h >>> 1) & 3;
  if (type === 3) return undefined;
  return { bytes: type === 1 ? 1 : h >>> 3, last: (h & 1) === 1 };
}

/** The frame at `at`: its length and, when its header says, its content size. */
export function frameInfo(b: Uint8Array, at: number): { length: number; contentSize?: number; window?: number; dictionary?: number } | undefined {
  const head = frameHeader(b, at);
  if (!head) return undefined;
  let p = head.blocksAt;
  for (;;) {
    if (p + 3 > b.length) return undefined;
    const block = blockHeader(b, p);
    if (!block) return undefined;
    p += 3 + block.bytes;
    if (p > b.length) return undefined;
    if (block.last) break;
  }
  p += head.checksum ? 4 : 0;
  if (p > b.length) return undefined;
  return { length: p - at, ...(head.contentSize === undefined ? {} : { contentSize: head.contentSize }), ...(head.window === undefined ? {} : { window: head.window }), ...(head.dictionary === undefined ? {} : { dictionary: head.dictionary }) };
}

/** What zstd's own error message says of a frame, in plain words (the message itself where it is not one of these). */
export function zstdFailureWords(message: string): string {
  const known: [RegExp, string][] = [
    [/doesn't match checksum/i, 'its content does not match its checksum'],
    [/corrupted block/i, 'a block of it is corrupt'],
    [/unknown frame descriptor|prefix unknown/i, 'it does not begin as a zstd frame'],
    [/src size is incorrect|srcSize wrong/i, 'its size is not what its header says'],
    [/destination buffer is too small/i, 'it decompresses to more than it declares'],
    [/data corruption/i, 'its data is corrupt'],
  ];
  for (const [re, words] of known) if (re.test(message)) return words;
  return `zstd says: ${message.trim().toLowerCase()}`;
}
