/**
 * A bzip2 decoder for EWF2 chunks, bounded by what the chunk may hold.
 *
 * Node has no bzip2; the npm decoders are unmaintained or pull in a command
 * line. This one decodes a whole stream ("BZh1".."BZh9", blocks, end marker,
 * combined CRC) or a bare run of blocks that starts at a block marker (the
 * form the EWF2 documentation describes for EnCase, without the stream header
 * and end marker). Every count read from the input is checked before it is
 * used, each block's CRC is checked, and the output never grows past
 * `maxOutput`: a hostile stream costs at most one 900 kB block of work per
 * block it declares, and is refused once it would expand further.
 */

const BLOCK_MAGIC_HI = 0x314159;
const BLOCK_MAGIC_LO = 0x265359;
const END_MAGIC_HI = 0x177245;
const END_MAGIC_LO = 0x385090;
const MAX_GROUPS = 6;
const MAX_CODE_LEN = 20;
const GROUP_SIZE = 50;
const MAX_SELECTORS = 18002;

export class Bzip2Error extends Error {}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

class Bits {
  private at = 0; // next byte to load
  private acc = 0; // loaded bits not yet used, right-aligned
  private count = 0; // how many
  constructor(private readonly data: Uint8Array) {}

  get bitsLeft(): number {
    return (this.data.length - this.at) * 8 + this.count;
  }

  bit(): number {
    if (this.count === 0) {
      if (this.at >= this.data.length) throw new Bzip2Error('the stream ends in the middle of a block');
      this.acc = this.data[this.at++]!;
      this.count = 8;
    }
    this.count--;
    return (this.acc >>> this.count) & 1;
  }

  /** Up to 24 bits, most significant first. */
  bits(n: number): number {
    while (this.count < n) {
      if (this.at >= this.data.length) throw new Bzip2Error('the stream ends in the middle of a block');
      this.acc = ((this.acc & 0xffffff) << 8) | this.data[this.at++]!;
      this.count += 8;
    }
    this.count -= n;
    return (this.acc >>> this.count) & ((1 << n) - 1);
  }
}

/** Canonical Huffman decoding tables for one group. */
interface Table {
  minLen: number;
  limit: Int32Array; // by length: the largest code of that length (-1: none)
  base: Int32Array; // by length: code minus index into perm
  perm: Uint16Array; // symbols sorted by code length
}

function makeTable(lengths: Uint8Array, alphaSize: number): Table {
  let minLen = MAX_CODE_LEN;
  let maxLen = 0;
  for (let i = 0; i < alphaSize; i++) {
    minLen = Math.min(minLen, lengths[i]!);
    maxLen = Math.max(maxLen, lengths[i]!);
  }
  const perm = new Uint16Array(alphaSize);
  let pp = 0;
  for (let len = minLen; len <= maxLen; len++) for (let s = 0; s < alphaSize; s++) if (lengths[s] === len) perm[pp++] = s;
  const limit = new Int32Array(MAX_CODE_LEN + 2).fill(-1);
  const base = new Int32Array(MAX_CODE_LEN + 2);
  let code = 0;
  let index = 0;
  for (let len = minLen; len <= maxLen; len++) {
    let count = 0;
    for (let s = 0; s < alphaSize; s++) if (lengths[s] === len) count++;
    base[len] = code - index;
    code += count;
    index += count;
    limit[len] = code - 1;
    if (code > 1 << len) throw new Bzip2Error('a Huffman table is over-subscribed');
    code <<= 1;
  }
  return { minLen, limit, base, perm };
}

function decodeSymbol(bits: Bits, t: Table): number {
  let len = t.minLen;
  let code = bits.bits(len);
  for (;;) {
    if (len > MAX_CODE_LEN) throw new Bzip2Error('a Huffman code is longer than 20 bits');
    if (t.limit[len]! >= 0 && code <= t.limit[len]!) {
      const i = code - t.base[len]!;
      if (i < 0 || i >= t.perm.length) throw new Bzip2Error('a Huffman code names no symbol');
      return t.perm[i]!;
    }
    code = (code << 1) | bits.bit();
    len++;
  }
}

/** Where the decoded bytes go: a buffer that refuses to grow past its end. */
class Output {
  length = 0;
  constructor(readonly buf: Uint8Array) {}
  push(b: number): void {
    if (this.length >= this.buf.length) throw new Bzip2Error(`it decompresses to more than ${this.buf.length} bytes`);
    this.buf[this.length++] = b;
  }
}

/** Decode one block (after its 48-bit marker); returns its CRC as stored. */
function decodeBlock(bits: Bits, blockMax: number, tt: Uint32Array, out: Output): number {
  const storedCrc = ((bits.bits(16) << 16) | bits.bits(16)) >>> 0;
  if (bits.bit()) throw new Bzip2Error('randomised blocks (bzip2 0.9.0) are not read');
  const origPtr = bits.bits(24);
  // The symbols in use: 16 ranges of 16 bytes.
  const used = bits.bits(16);
  const seqToUnseq = new Uint8Array(256);
  let nInUse = 0;
  for (let i = 0; i < 16; i++) {
    if (used & (0x8000 >>> i)) {
      const m = bits.bits(16);
      for (let j = 0; j < 16; j++) if (m & (0x8000 >>> j)) seqToUnseq[nInUse++] = i * 16 + j;
    }
  }
  if (nInUse === 0) throw new Bzip2Error('a block uses no symbols');
  const alphaSize = nInUse + 2;
  const nGroups = bits.bits(3);
  if (nGroups < 2 || nGroups > MAX_GROUPS) throw new Bzip2Error(`a block declares ${nGroups} Huffman tables (2 to 6 allowed)`);
  const nSelectors = bits.bits(15);
  if (nSelectors < 1 || nSelectors > MAX_SELECTORS) throw new Bzip2Error(`a block declares ${nSelectors} selectors`);
  if (nSelectors > bits.bitsLeft) throw new Bzip2Error('the stream ends in the middle of a block');
  const selectorsMtf = new Uint8Array(nSelectors);
  for (let i = 0; i < nSelectors; i++) {
    let j = 0;
    while (bits.bit()) {
      j++;
      if (j >= nGroups) throw new Bzip2Error('a selector names no table');
    }
    selectorsMtf[i] = j;
  }
  const pos = [0, 1, 2, 3, 4, 5];
  const selectors = new Uint8Array(nSelectors);
  for (let i = 0; i < nSelectors; i++) {
    let v = selectorsMtf[i]!;
    const tmp = pos[v]!;
    for (; v > 0; v--) pos[v] = pos[v - 1]!;
    pos[0] = tmp;
    selectors[i] = tmp;
  }
  const tables: Table[] = [];
  for (let t = 0; t < nGroups; t++) {
    const lengths = new Uint8Array(alphaSize);
    let curr = bits.bits(5);
    for (let i = 0; i < alphaSize; i++) {
      for (;;) {
        if (curr < 1 || curr > MAX_CODE_LEN) throw new Bzip2Error('a Huffman code length is out of range');
        if (!bits.bit()) break;
        curr += bits.bit() ? -1 : 1;
      }
      lengths[i] = curr;
    }
    tables.push(makeTable(lengths, alphaSize));
  }
  // Huffman, then run lengths of zeros (RUNA, RUNB), then move-to-front.
  const mtf = new Uint8Array(256);
  for (let i = 0; i < 256; i++) mtf[i] = i;
  const counts = new Uint32Array(256);
  const eob = nInUse + 1;
  let n = 0;
  let group = 0;
  let groupLeft = 0;
  let table = tables[0]!;
  let run = 0;
  let runWeight = 1;
  for (;;) {
    if (groupLeft === 0) {
      if (group >= nSelectors) throw new Bzip2Error('a block has more symbols than its selectors cover');
      table = tables[selectors[group++]!]!;
      groupLeft = GROUP_SIZE;
    }
    groupLeft--;
    const sym = decodeSymbol(bits, table);
    if (sym <= 1) {
      run += runWeight << sym;
      runWeight <<= 1;
      if (run > blockMax) throw new Bzip2Error('a run is longer than the block');
      continue;
    }
    if (run > 0) {
      if (n + run > blockMax) throw new Bzip2Error('a block is longer than its declared size');
      const b = seqToUnseq[mtf[0]!]!;
      counts[b] = counts[b]! + run;
      tt.fill(b, n, n + run);
      n += run;
      run = 0;
      runWeight = 1;
    }
    if (sym === eob) break;
    if (n >= blockMax) throw new Bzip2Error('a block is longer than its declared size');
    const k = sym - 1;
    const v = mtf[k]!;
    mtf.copyWithin(1, 0, k);
    mtf[0] = v;
    const b = seqToUnseq[v]!;
    counts[b]!++;
    tt[n++] = b;
  }
  if (origPtr >= n) throw new Bzip2Error('the block start pointer lies outside the block');
  // Undo the Burrows-Wheeler transform.
  const cf = new Uint32Array(256);
  let sum = 0;
  for (let i = 0; i < 256; i++) {
    cf[i] = sum;
    sum += counts[i]!;
  }
  for (let i = 0; i < n; i++) {
    const b = tt[i]! & 0xff;
    tt[cf[b]!++]! |= i << 8;
  }
  // Undo the first run-length step (four equal bytes, then a count) while checking the CRC.
  let crc = 0xffffffff;
  let t = tt[origPtr]! >>> 8;
  let last = -1;
  let same = 0;
  for (let i = 0; i < n; i++) {
    t = tt[t]!;
    const b = t & 0xff;
    t >>>= 8;
    if (same === 4) {
      for (let r = 0; r < b; r++) {
        out.push(last);
        crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ last) & 0xff]!;
      }
      same = 0;
      last = -1;
      continue;
    }
    if (b === last) same++;
    else {
      same = 1;
      last = b;
    }
    out.push(b);
    crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff]!;
  }
  crc = ~crc >>> 0;
  if (crc !== storedCrc) throw new Bzip2Error('a block fails its CRC');
  return storedCrc;
}

/**
 * Decode `input` into at most `maxOutput` bytes. A whole stream needs its end
 * marker and combined CRC; a bare run of blocks ends where the input does.
 */
export function bunzip2(input: Uint8Array, maxOutput: number): Buffer {
  const out = new Output(Buffer.allocUnsafe(maxOutput));
  const bits = new Bits(input);
  let level = 9;
  let bare = true;
  if (input.length >= 4 && input[0] === 0x42 && input[1] === 0x5a && input[2] === 0x68) {
    level = input[3]! - 0x30;
    if (level < 1 || level > 9) throw new Bzip2Error(`the stream declares block size ${String.fromCharCode(input[3]!)}`);
    bits.bits(16);
    bits.bits(16);
    bare = false;
  }
  // A block's bytes before the last run-length step are at most 5/4 of what they expand to.
  const blockMax = Math.min(level * 100000, Math.ceil(maxOutput * 1.25) + 8);
  const tt = new Uint32Array(blockMax);
  let combined = 0;
  let blocks = 0;
  for (;;) {
    if (bare && blocks > 0 && bits.bitsLeft < 48) break;
    const hi = bits.bits(24);
    const lo = bits.bits(24);
    if (hi === BLOCK_MAGIC_HI && lo === BLOCK_MAGIC_LO) {
      const crc = decodeBlock(bits, blockMax, tt, out);
      combined = (((combined << 1) | (combined >>> 31)) ^ crc) >>> 0;
      blocks++;
      continue;
    }
    if (hi === END_MAGIC_HI && lo === END_MAGIC_LO) {
      const stored = ((bits.bits(16) << 16) | bits.bits(16)) >>> 0;
      if (stored !== combined) throw new Bzip2Error('the stream fails its combined CRC');
      break;
    }
    if (bare && blocks > 0) {
      // A bare run of blocks ends with at most the byte padding of the last one.
      break;
    }
    throw new Bzip2Error(blocks === 0 ? 'no bzip2 block marker where one must begin' : 'no block or end marker after a block');
  }
  if (blocks === 0) throw new Bzip2Error('the stream holds no block');
  return Buffer.from(out.buf.buffer, out.buf.byteOffset, out.length);
}
