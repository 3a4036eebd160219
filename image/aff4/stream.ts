/**
 * An AFF4 image stream: fixed-size chunks, stored in bevies (zip members
 * named `<stream>/00000000`, `00000001`...), each with an index member
 * (`.index`: per chunk a 64-bit offset into the bevy and a 32-bit stored
 * length). A chunk stored at exactly the chunk size is stored as is; any
 * other is compressed with the stream's method. Every index entry is checked
 * to lie inside its bevy before anything is read, and every chunk is decoded
 * into at most the chunk size.
 */
import type fsp from 'node:fs/promises';
import { ExhibitError } from '../../core/errors.js';
import { ChunkDecodeError, decodeChunk, scratchBytes, type ChunkCompression } from './codecs.js';
import type { PooledBlocks } from './audit.js';
import type { StreamFacts } from './model.js';
import { dataStart, readMember, type ZipDirectory, type ZipMember } from './zip.js';

const INDEX_ENTRY = 12;
/** Chunks one copy of a stream decoded that the other has not taken yet, at most (32 KiB chunks: 16 MiB). */
const HANDOFF_MAX = 512;

/** A compressed chunk stored in at most this many bytes is remembered for the next (see ImageStream.decode). */
const REPEAT_MAX = 4096;

/** Stored bytes fetched in one read when chunks are read in order. */
const READ_AHEAD = 4 * 1024 * 1024;

/** The zip members of a container, found by the AFF4 URN they stand for. */
export class Members {
  private readonly byUrn = new Map<string, ZipMember>();
  constructor(
    readonly zip: ZipDirectory,
    readonly volume: string,
  ) {
    for (const m of zip.members.values()) {
      let decoded: string;
      try {
        decoded = m.name.split('/').map(decodeURIComponent).join('/');
      } catch {
        continue; // a name that is not URL-encoded text stands for no URN
      }
      this.byUrn.set(/^aff4:\/\//i.test(decoded) ? decoded : `${volume}/${decoded}`, m);
    }
  }
  get(urn: string): ZipMember | undefined {
    return this.byUrn.get(urn);
  }
}

interface Bevy {
  number: number;
  member: ZipMember;
  start: number; // of its data in the file
  index: Buffer;
  chunks: number;
}

export class ImageStream {
  readonly chunks: number;
  private bevy: Bevy | undefined;
  private window: { start: number; bytes: Buffer } | undefined;
  private cache: { chunk: number; data: Uint8Array } | undefined;
  /**
   * Two scratch buffers and two read buffers, taken in turn: the bytes a call hands out stay as they
   * are through the next call too, so a caller that copies them a little late (another chunk() call
   * having started meanwhile) still copies its own bytes.
   */
  private readonly scratch: Buffer[] = [];
  private scratchTurn = 0;
  /**
   * The block hashes of this stream's chunks that a media walk computes on its hashing threads
   * (image/aff4/audit.ts, walkBlockJob): their algorithm, and their list's hash as they are folded in.
   */
  pooledBlocks: PooledBlocks | undefined;
  /** Called with each chunk this stream decodes (not those its cache or a copy hands back), as it is decoded. */
  watch: ((c: number, data: Uint8Array) => void) | undefined;
  private readonly readBuffers: Buffer[] = [];
  private readTurn = 0;
  /** Calls of chunk() under way: the scratch and read buffers serve one at a time. */
  private pending = 0;
  /** The last small compressed chunk, and what it decodes to once it came twice in a row (see decode). */
  private repeat: { stored: Uint8Array; data?: Uint8Array } | undefined;

  /** Whether the scratch and read buffers may be used: one chunk() call under way, and no copy sharing this stream's chunks. */
  private get alone(): boolean {
    return this.handoff.copies === 1 && this.pending === 1;
  }

  constructor(
    readonly facts: StreamFacts,
    readonly compression: ChunkCompression,
    private readonly handle: fsp.FileHandle,
    private readonly members: Members,
    private readonly file: string,
    /**
     * Shared with the stream's copies: each chunk one decodes, waiting for the other (verify walks
     * the media and checks the block hashes alongside, each in chunk order), so each chunk is
     * decoded once. Taken when used; the oldest is dropped past HANDOFF_MAX (then decoded again).
     */
    private readonly handoff: { copies: number; chunks: Map<number, Uint8Array> } = { copies: 1, chunks: new Map() },
  ) {
    this.chunks = Math.ceil(facts.size / facts.chunkSize);
  }

  /** The same stream with caches of its own (`share` it to have chunks one decodes handed to the other). */
  copy(): ImageStream {
    return new ImageStream(this.facts, this.compression, this.handle, this.members, this.file, this.handoff);
  }

  /**
   * Walk this copy alongside the stream it was copied from: from now on each chunk one decodes is
   * kept for the other (in a buffer of its own, never the scratch buffer the next chunk overwrites).
   */
  share(): { release(): void } {
    this.handoff.copies++;
    let held = true;
    return {
      release: () => {
        if (held) this.handoff.copies--;
        held = false;
        if (this.handoff.copies === 1) this.handoff.chunks.clear();
      },
    };
  }

  get size(): number {
    return this.facts.size;
  }

  /** Where chunk `c` lives, in words: "bevy 0 chunk 17 of stream aff4://... (stream bytes ...)". */
  where(c: number): string {
    const f = this.facts;
    const first = c * f.chunkSize;
    return `bevy ${Math.floor(c / f.chunksInSegment)} chunk ${c % f.chunksInSegment} of stream ${f.urn} (stream bytes ${first} to ${Math.min(f.size, first + f.chunkSize) - 1})`;
  }

  private damaged(c: number, why: string): ExhibitError {
    return new ExhibitError('IMAGE_INVALID', `${this.file}: ${this.where(c)}: ${why}`);
  }

  /** The name of bevy `n`'s member and of the members beside it (`.index`, block hashes). */
  bevyUrn(n: number): string {
    return `${this.facts.urn}/${String(n).padStart(8, '0')}`;
  }

  member(urn: string): ZipMember | undefined {
    return this.members.get(urn);
  }

  async readSmall(m: ZipMember): Promise<Buffer> {
    return readMember(this.handle, m, this.members.zip, this.file);
  }

  private async loadBevy(n: number, chunk: number): Promise<Bevy> {
    if (this.bevy?.number === n) return this.bevy;
    const urn = this.bevyUrn(n);
    const member = this.members.get(urn);
    const indexMember = this.members.get(`${urn}.index`);
    if (!member || !indexMember) throw this.damaged(chunk, `its bevy ${member ? 'index ' : ''}(${urn}${member ? '.index' : ''}) is missing from the container`);
    if (member.method !== 0) throw new ExhibitError('IMAGE_UNSUPPORTED', `${this.file}: bevy ${urn} is zip-compressed as a whole (method ${member.method}); AFF4 bevies are stored, and exhibit reads them in place only`);
    const chunks = Math.min(this.facts.chunksInSegment, this.chunks - n * this.facts.chunksInSegment);
    const index = await this.readSmall(indexMember);
    if (index.length !== chunks * INDEX_ENTRY) throw this.damaged(chunk, `its bevy index holds ${index.length} bytes, ${chunks * INDEX_ENTRY} are needed for its ${chunks} chunks`);
    const start = await dataStart(this.handle, member, this.members.zip, this.file);
    this.bevy = { number: n, member, start, index, chunks };
    this.window = undefined;
    return this.bevy;
  }

  /** The stored bytes of chunk `c` and its bevy place. */
  private async stored(c: number): Promise<Uint8Array> {
    const n = Math.floor(c / this.facts.chunksInSegment);
    const b = await this.loadBevy(n, c);
    const i = (c % this.facts.chunksInSegment) * INDEX_ENTRY;
    const offset = b.index.readBigUInt64LE(i);
    const length = b.index.readUInt32LE(i + 8);
    if (length === 0) throw this.damaged(c, 'its index entry gives it no stored bytes');
    if (offset + BigInt(length) > BigInt(b.member.compressed)) throw this.damaged(c, `its index entry points to bytes ${offset} to ${offset + BigInt(length) - 1n}, past the end of its ${b.member.compressed}-byte bevy`);
    if (length > 2 * this.facts.chunkSize + 1024) throw this.damaged(c, `its index entry gives it ${length} stored bytes, far more than its chunk size ${this.facts.chunkSize}`);
    const at = b.start + Number(offset);
    const w = this.window;
    if (w && at >= w.start && at + length <= w.start + w.bytes.length) return w.bytes.subarray(at - w.start, at - w.start + length);
    const end = b.start + b.member.compressed;
    const span = Math.min(end - at, Math.max(length, READ_AHEAD));
    // The read buffers are used again, in turn, unless a copy shares this stream's chunks (a stored
    // chunk is a view of one) or another chunk is being read (its bytes may be in one).
    let bytes: Buffer;
    if (this.alone) {
      this.readTurn ^= 1;
      const kept = this.readBuffers[this.readTurn];
      bytes = kept && kept.length >= span ? kept : (this.readBuffers[this.readTurn] = Buffer.allocUnsafe(Math.max(span, READ_AHEAD)));
      this.window = undefined;
    } else bytes = Buffer.allocUnsafe(span); // only the bytes read are kept
    const { bytesRead } = await this.handle.read(bytes, 0, span, at);
    if (bytesRead < length) throw this.damaged(c, 'the file ends inside it (truncated)');
    this.window = { start: at, bytes: bytes.subarray(0, bytesRead) };
    return bytes.subarray(0, length);
  }

  /**
   * A compressed chunk decoded. Unused space is one chunk (zeros) stored again and again: a small
   * stored form equal to the last one's gives the bytes it decoded to, kept once it comes twice in
   * a row (a compare of a kilobyte or two costs far less than decoding 32 KiB of copies). Kept bytes
   * are never written to; a caller given them copies or hashes them as any other.
   */
  private decode(raw: Uint8Array, scratch: Buffer | undefined): Uint8Array {
    const last = this.repeat;
    const again = last !== undefined && Buffer.compare(raw, last.stored) === 0;
    if (again && last.data) return last.data;
    const data = decodeChunk(this.compression, raw, this.facts.chunkSize, scratch);
    if (again) last.data = Uint8Array.prototype.slice.call(data);
    else if (raw.length <= REPEAT_MAX) this.repeat = { stored: Uint8Array.prototype.slice.call(raw) };
    else this.repeat = undefined;
    return data;
  }

  /**
   * Chunk `c` decoded: chunkSize bytes, or to the end of the stream for the last one. The bytes may
   * live in a buffer a later call uses again: copy or hash them before calling again.
   */
  async chunk(c: number): Promise<Uint8Array> {
    this.pending++;
    try {
      return await this.load(c);
    } finally {
      this.pending--;
    }
  }

  private async load(c: number): Promise<Uint8Array> {
    if (this.cache?.chunk === c) return this.cache.data;
    if (c < 0 || c >= this.chunks) throw this.damaged(c, `the stream has only ${this.chunks} chunks`);
    const size = this.facts.chunkSize;
    const want = Math.min(size, this.facts.size - c * size);
    const handed = this.handoff.chunks.get(c);
    if (handed) {
      this.handoff.chunks.delete(c);
      this.cache = { chunk: c, data: handed };
      return handed;
    }
    this.cache = undefined; // the read buffer or scratch buffer it may live in is about to be overwritten
    const raw = await this.stored(c);
    let data: Uint8Array;
    try {
      // A chunk read alone (no other call under way, no copy sharing the stream) is decoded into the
      // stream's scratch buffer: its caller copies or hashes it before it can call again.
      let scratch: Buffer | undefined;
      if (this.alone) {
        this.scratchTurn ^= 1;
        scratch = this.scratch[this.scratchTurn] ??= Buffer.allocUnsafe(scratchBytes(size));
      }
      data = raw.length === size ? raw : this.decode(raw, scratch);
    } catch (err) {
      if (err instanceof ChunkDecodeError) throw this.damaged(c, `${err.message}: damaged`);
      throw err;
    }
    if (data.length < want) throw this.damaged(c, `it decodes to ${data.length} bytes, ${want} are needed`);
    if (data.length !== size && want === size) throw this.damaged(c, `it decodes to ${data.length} bytes instead of the chunk size ${size}`);
    const out = data.subarray(0, want);
    this.watch?.(c, out);
    this.cache = { chunk: c, data: out };
    if (this.handoff.copies > 1) {
      const h = this.handoff.chunks;
      h.set(c, out);
      if (h.size > HANDOFF_MAX) h.delete(h.keys().next().value!);
    }
    return out;
  }
}
