/**
 * Checking everything an AFF4 image stores to prove itself (AFF4 Standard
 * v1.0, section 6): every chunk of every image stream against its stored
 * block hashes, the hash of each list of block hashes, the stream's linear
 * hashes, the hashes of the map's members, and the block map hash that binds
 * them all. Each value is computed from the bytes read, never taken from the
 * image, so a match proves the bytes; chunks are read once, in stream order.
 * A stream that is the whole media is checked on the media walk's own pass:
 * each chunk it decodes is hashed there for one block hash algorithm, so the
 * chunks are not read a second time, and the lists of its other block hash
 * algorithms are checked as stored, through their list hashes and the block
 * map hash (watchBlocks, provenByWalk; image/aff4/SPEC.md says what that
 * leaves out).
 */
import crypto from 'node:crypto';
import { type Digests, type HashAlgorithm, isHashAlgorithm } from '../../core/crypto.js';
import { ExhibitError } from '../../core/errors.js';
import { hashStream } from '../../core/hash-stream.js';
import type { DigestJob, EmittedSegment } from '../../core/hash-plan.js';
import type { StoredCheck, StoredCheckOptions, StoredIntegrity } from '../types.js';
import type { Layout } from './map.js';
import type { MapFacts, StoredHash } from './model.js';
import type { ImageStream } from './stream.js';

/** node:crypto's name for a hash kind AFF4 stores (its datatype's local name), or undefined. */
export function algorithmOf(kind: string): string | undefined {
  const k = kind.toLowerCase().replace(/^blockmaphash/, '');
  return ({ md5: 'md5', sha1: 'sha1', sha256: 'sha256', sha512: 'sha512', blake2b: 'blake2b512' } as Record<string, string>)[k];
}

/** The order block hash lists enter the block map hash: by digest length, SHA-512 before BLAKE2b. */
const BLOCK_ORDER = ['md5', 'sha1', 'sha256', 'sha512', 'blake2b'];
const DIGEST_BYTES: Record<string, number> = { md5: 16, sha1: 20, sha256: 32, sha512: 64, blake2b: 64 };
/** Damaged chunks named one by one before the rest are counted. */
const NAMED = 200;

const words = (kind: string) => kind.replace(/^blockMapHash/i, '').replace(/^sha(\d)/i, 'SHA-$1').replace(/^md5$/i, 'MD5').replace(/^blake2b/i, 'BLAKE2b');

export interface MapMembers {
  facts: MapFacts;
  point: Buffer;
  idx: Buffer;
  path: Buffer | undefined;
}

export interface AuditInput {
  file: string;
  streams: ImageStream[];
  map: MapMembers | undefined;
  layout: Layout;
  imageHashes: StoredHash[];
  signal?: AbortSignal;
  inline?: boolean;
  onPass?: StoredCheckOptions['onPass'];
  /**
   * The media walk's hashes, for `stream`, which is the whole media byte for byte; `original` is
   * that stream as the walk reads it (its chunks are watched as they are decoded).
   */
  media?: { algorithms: readonly HashAlgorithm[]; hashes: Promise<Digests>; stream: string; original: ImageStream };
}

function check(out: StoredCheck[], subject: string, against: string, stored: StoredHash, computed: string | undefined): void {
  const algorithm = algorithmOf(stored.kind);
  if (!algorithm || computed === undefined) return;
  out.push({ subject, against, algorithm: algorithm.replace('blake2b512', 'blake2b'), expected: stored.value, computed, equal: stored.value === computed });
}

/** Media ranges a stream's bytes [from, to) appear at, in words (for locating damage). */
function mediaOf(L: Layout, urn: string, from: number, to: number, sectorSize: number): string {
  const t = L.targets.findIndex((x) => x.urn === urn);
  const parts: string[] = [];
  for (let k = 0; k < L.count && parts.length < 4; k++) {
    if (L.target[k] !== t) continue;
    const a = Math.max(from, L.targetOffset[k]!);
    const b = Math.min(to, L.targetOffset[k]! + L.length[k]!);
    if (a >= b) continue;
    const m = L.start[k]! + (a - L.targetOffset[k]!);
    parts.push(`media bytes ${m} to ${m + (b - a) - 1}, sectors ${Math.floor(m / sectorSize)} to ${Math.floor((m + (b - a) - 1) / sectorSize)}`);
  }
  return parts.length === 0 ? 'not part of the media' : parts.join('; ');
}

/** The stored block hashes of `algo` for bevy `b`, or what is wrong with them (words after "the MD5 block hashes of bevy N of stream S"). */
async function blockList(s: ImageStream, b: number, algo: string, segmentUrn: (bevy: string, algo: string) => string | undefined): Promise<Buffer | string> {
  const count = Math.min(s.facts.chunksInSegment, s.chunks - b * s.facts.chunksInSegment);
  const u = segmentUrn(s.bevyUrn(b), algo);
  const m = u ? s.member(u) : undefined;
  if (!m) return 'are missing';
  let list: Buffer;
  try {
    list = await s.readSmall(m);
  } catch (err) {
    if (!(err instanceof ExhibitError) || (err.code !== 'IMAGE_INVALID' && err.code !== 'IMAGE_UNSUPPORTED')) throw err;
    return `cannot be read: ${err.message.replace(/^.*?: /, '')}`;
  }
  return list.length === count * DIGEST_BYTES[algo]! ? list : `are ${list.length} bytes, ${count * DIGEST_BYTES[algo]!} are needed`;
}

/**
 * Evimetry's stream hashes: aff4:imageStreamIndexHash is the hash of the stream's bevy indexes
 * one after the other (so found on every reference image), checked here; aff4:imageStreamHash is
 * computed some other way, not published, and is only named as not checked.
 */
async function checkIndexes(s: ImageStream, checks: StoredCheck[], problems: string[], notes: string[]): Promise<void> {
  const f = s.facts;
  if (f.streamHash) notes.push(`image stream ${f.urn} also stores an imageStreamHash (an Evimetry extension whose computation is not published): not checked`);
  const algo = f.indexHash ? algorithmOf(f.indexHash.kind) : undefined;
  if (f.indexHash && !algo) notes.push(`image stream ${f.urn} stores an imageStreamIndexHash of a kind exhibit does not compute (${f.indexHash.kind}): not checked`);
  if (!f.indexHash || !algo) return;
  const h = crypto.createHash(algo);
  for (let b = 0; b * f.chunksInSegment < s.chunks; b++) {
    const m = s.member(`${s.bevyUrn(b)}.index`);
    try {
      if (!m) throw new ExhibitError('IMAGE_INVALID', `: bevy ${b} has no index`);
      h.update(await s.readSmall(m));
    } catch (err) {
      if (!(err instanceof ExhibitError) || err.code !== 'IMAGE_INVALID') throw err;
      problems.push(`the imageStreamIndexHash of image stream ${f.urn} cannot be checked: ${err.message.replace(/^.*?: /, '')}`);
      return;
    }
  }
  check(checks, `the bevy indexes of ${f.urn}`, `the ${words(f.indexHash.kind)} of the bevy indexes of image stream ${f.urn} stored in the image (imageStreamIndexHash)`, f.indexHash, h.digest('hex'));
}

/** The digest of a short last chunk padded with zeros to the chunk size, as the standard hashes it (pyaff4 hashes it as far as the stream goes). */
const paddedDigest = (algo: string, data: Uint8Array, chunkSize: number) => crypto.createHash(algo).update(data).update(Buffer.alloc(chunkSize - data.length)).digest();

/** Block hash algorithms by the cost of hashing every chunk once more (SHA-1 and SHA-256 run on the CPU's SHA instructions). */
const WATCH_ORDER = ['sha1', 'sha256', 'md5', 'sha512', 'blake2b'];

const segmentUrnOf = (s: ImageStream) => (bevy: string, algo: string) => [`${bevy}.blockHash.${algo}`, `${bevy}.${algo}`].find((u) => s.member(u));

/** The block hash algorithms a stream stores (those of its first bevy), in block map hash order. */
function blockAlgosOf(s: ImageStream): string[] {
  const first = s.bevyUrn(0);
  const urn = segmentUrnOf(s);
  return BLOCK_ORDER.filter((x) => urn(first, x) !== undefined);
}

/** The hash of one algorithm's list of block hashes, as computed from the chunks the media walk decoded (two candidates when the last chunk is short: as far as the stream goes, and padded). */
interface Watch {
  algo: string;
  /** Undefined when the walk did not decode every chunk exactly once, in order (a damaged chunk, a chunk read twice). */
  done(): Buffer[] | undefined;
}

/**
 * Hash every chunk of `s` with `algo` as the media walk decodes it, into the hash of the list of
 * those digests. Nothing is read or decoded for it: one digest a chunk, on the walk's own thread.
 */
function watchBlocks(s: ImageStream, algo: string, listAlgo: string): Watch {
  const list = crypto.createHash(listAlgo);
  const digest = algorithmOf(algo)!;
  let next = 0;
  let inOrder = true;
  let ends: Buffer[] | undefined;
  s.watch = (c, data) => {
    if (c !== next || !inOrder) {
      inOrder = false;
      return;
    }
    next++;
    const d = crypto.hash(digest, data, 'buffer');
    if (c === s.chunks - 1 && data.length < s.facts.chunkSize) {
      // pyaff4 hashes the last chunk as far as the stream goes; the standard pads it with zeros: either is the chunk.
      const padded = paddedDigest(digest, data, s.facts.chunkSize);
      ends = [list.copy().update(d).digest(), list.copy().update(padded).digest()];
    } else list.update(d);
  };
  let result: Buffer[] | undefined | null = null; // null: not yet asked
  return {
    algo,
    done() {
      if (result !== null) return result;
      s.watch = undefined;
      result = !inOrder || next !== s.chunks ? undefined : (ends ?? [list.digest()]);
      return result;
    },
  };
}

/** The block hash algorithm a walk of a whole-media stream checks chunk by chunk, and that of its list's hash; undefined when there is none. */
function watchChoice(s: ImageStream): { algo: string; listAlgo: string } | undefined {
  const algo = WATCH_ORDER.find((x) => blockAlgosOf(s).includes(x));
  const listAlgo = algo ? algorithmOf(s.facts.blockHashesHashes.get(algo)?.kind ?? '') : undefined;
  return algo && listAlgo ? { algo, listAlgo } : undefined;
}

/**
 * The block hashes of a stream's chunks as a media walk's hashing threads make them (in no set
 * order): folded in chunk order into the hash of their list, so that nothing is kept per chunk but
 * the few that come before their turn. The last chunk's digest is kept apart (see pooledWatch).
 */
export interface PooledBlocks {
  algo: string;
  /** Digests waiting for the chunks before them. */
  waiting: Map<number, string>;
  /** The next chunk to fold. */
  next: number;
  /** The hash of the list so far (chunks 0 to next - 1). */
  list: crypto.Hash;
  /** The last chunk's digest, once made. */
  last?: string;
}

/** The id of the block hash job a media walk runs for a stream that is the whole media (see walkBlockJob). */
const BLOCK_JOB = 'aff4-block-hashes';

/**
 * For a stream that is the whole media, the job that gives the block hash of each of its chunks
 * from the media walk's own hashing threads (each chunk is a segment of the media there), instead
 * of on the thread that decodes them: the algorithm the watch would use, when the hashing threads
 * know it. The digests come back as they are made (an `emit` job) and are folded in chunk order
 * into the hash of their list (`segments`), so memory does not grow with the chunk count.
 */
export function walkBlockJob(s: ImageStream): { job: DigestJob; segments(list: readonly EmittedSegment[]): void } | undefined {
  const { algo, listAlgo } = watchChoice(s) ?? {};
  const digest = algo ? algorithmOf(algo) : undefined;
  if (!algo || !listAlgo || !digest || !isHashAlgorithm(digest)) return undefined;
  const pooled: PooledBlocks = { algo, waiting: new Map(), next: 0, list: crypto.createHash(listAlgo) };
  s.pooledBlocks = pooled;
  const last = s.chunks - 1;
  return {
    job: { id: BLOCK_JOB, algorithm: digest, segmentSize: s.facts.chunkSize, emit: true },
    segments: (list) => {
      for (const x of list) {
        if (x.id !== BLOCK_JOB) continue;
        if (x.index === last) pooled.last = x.digest;
        else if (x.index >= pooled.next) pooled.waiting.set(x.index, x.digest);
      }
      for (let d = pooled.waiting.get(pooled.next); d !== undefined; d = pooled.waiting.get(pooled.next)) {
        pooled.waiting.delete(pooled.next++);
        pooled.list.update(Buffer.from(d, 'hex'));
      }
    },
  };
}

/**
 * The watch of a stream whose block hashes the walk's hashing threads compute (walkBlockJob): the
 * hash of their list, folded as they came. Only the stream's last chunk is watched here, when it is
 * short, for its digest padded to the chunk size (the standard's way; pyaff4 hashes it as far as
 * the stream goes, as the hashing threads do).
 */
function pooledWatch(s: ImageStream): Watch {
  const pooled = s.pooledBlocks!;
  const digest = algorithmOf(pooled.algo)!;
  const last = s.chunks - 1;
  let padded: Buffer | undefined;
  s.watch = (c, data) => {
    if (c === last && data.length < s.facts.chunkSize) padded = paddedDigest(digest, data, s.facts.chunkSize);
  };
  let result: Buffer[] | undefined | null = null;
  return {
    algo: pooled.algo,
    done() {
      if (result !== null) return result;
      s.watch = undefined;
      // Every chunk before the last folded in order, and the last one's digest made.
      if (pooled.next !== last || pooled.waiting.size > 0 || pooled.last === undefined) return (result = undefined);
      const tail = Buffer.from(pooled.last, 'hex');
      result = padded ? [pooled.list.copy().update(tail).digest(), pooled.list.update(padded).digest()] : [pooled.list.update(tail).digest()];
      return result;
    },
  };
}

/**
 * Whether provenByWalk may hold, from what the image declares alone (no waiting): every stored
 * linear hash is one the walk computes; the block hashes, if any, are watched, each list has a
 * stored hash of a kind exhibit computes, and a block map hash binds the lists (without one, an
 * image edited with only the watched lists rewritten could not be told from the original).
 */
function mayProveByWalk(s: ImageStream, a: AuditInput, watch: Watch | undefined, linear: StoredHash[], blockAlgos: string[]): boolean {
  const f = s.facts;
  if (!a.media || !linear.every((h) => a.media!.algorithms.includes(algorithmOf(h.kind) as HashAlgorithm))) return false;
  if (blockAlgos.length === 0) return true;
  if (watch === undefined || !blockAlgos.every((x) => algorithmOf(f.blockHashesHashes.get(x)?.kind ?? '') !== undefined)) return false;
  return a.map !== undefined && (a.map.facts.hashes.blockMap !== undefined || a.imageHashes.some((x) => /^blockMapHash/i.test(x.kind)));
}

/**
 * The check of a stream that is the whole media, on the media walk's pass. It holds when the walk
 * decoded every chunk once, in order; the list of `watch.algo` block hashes computed from those
 * chunks hashes to the list hash the image stores; every stored block hash list (read, not
 * computed) hashes to its own stored list hash; and every linear hash the stream stores is one the
 * walk computed and equals it. Then the chunks are exactly those the `watch.algo` block hashes were
 * made of, and the other algorithms' lists are the ones the image's list hashes and block map hash
 * name; they are not computed again chunk by chunk (the note says so). Anything short of that
 * gives false and leaves no trace: the stream is then checked in full, which names the chunk.
 */
async function provenByWalk(
  s: ImageStream,
  media: NonNullable<AuditInput['media']>,
  watch: Watch | undefined,
  linear: StoredHash[],
  blockAlgos: string[],
  checks: StoredCheck[],
  notes: string[],
  blockListHashes: Map<string, Buffer>,
): Promise<boolean> {
  const f = s.facts;
  const got = await media.hashes; // the walk has ended, whatever is decided below: every chunk it decoded was watched
  const listAlgo = (x: string) => algorithmOf(f.blockHashesHashes.get(x)?.kind ?? '');
  const listHashers = new Map(blockAlgos.map((x) => [x, crypto.createHash(listAlgo(x)!)]));
  const segmentUrn = segmentUrnOf(s);
  for (let b = 0; b * f.chunksInSegment < s.chunks; b++) {
    for (const x of blockAlgos) {
      const list = await blockList(s, b, x, segmentUrn);
      if (typeof list === 'string') return false;
      listHashers.get(x)!.update(list);
    }
  }
  const stored = new Map([...listHashers].map(([x, h]) => [x, h.digest()]));
  if (!blockAlgos.every((x) => stored.get(x)!.toString('hex') === f.blockHashesHashes.get(x)!.value)) return false;
  const fromChunks = watch?.done()?.find((d) => d.toString('hex') === f.blockHashesHashes.get(watch.algo)!.value);
  if (watch && !fromChunks) return false;
  if (!linear.every((h) => got[algorithmOf(h.kind) as HashAlgorithm] === h.value)) return false;
  const mine: StoredCheck[] = [];
  for (const h of linear) check(mine, `image stream ${f.urn}`, `the ${words(h.kind)} of image stream ${f.urn} stored in the image`, h, got[algorithmOf(h.kind) as HashAlgorithm]);
  for (const x of blockAlgos) {
    const d = x === watch?.algo ? fromChunks! : stored.get(x)!;
    blockListHashes.set(x, d);
    check(mine, `the ${words(x)} block hashes of ${f.urn}`, `the hash of the ${words(x)} block hashes of ${f.urn} stored in the image`, f.blockHashesHashes.get(x)!, d.toString('hex'));
  }
  checks.push(...mine);
  const others = blockAlgos.filter((x) => x !== watch?.algo);
  if (watch && others.length > 0) {
    notes.push(
      `the ${words(watch.algo)} block hashes of image stream ${f.urn} were computed from every chunk as the media was read; its ${others.map(words).join(' and ')} block hashes were checked through the hash of each list and the block map hash, not chunk by chunk`,
    );
  }
  return true;
}

/** Check one image stream: its chunks' block hashes, its block hash lists and its linear hashes. */
async function auditStream(s: ImageStream, a: AuditInput, watch: Watch | undefined, checks: StoredCheck[], problems: string[], notes: string[], blockListHashes: Map<string, Buffer>): Promise<void> {
  const f = s.facts;
  const segmentUrn = segmentUrnOf(s);
  const blockAlgos = blockAlgosOf(s);
  const linear = f.hashes.filter((h) => algorithmOf(h.kind) !== undefined);
  const fromMedia = a.media?.stream === f.urn ? a.media : undefined;
  await checkIndexes(s, checks, problems, notes);
  const byWalk = fromMedia !== undefined && mayProveByWalk(s, a, watch, linear, blockAlgos);
  if (byWalk && (await provenByWalk(s, fromMedia, watch, linear, blockAlgos, checks, notes, blockListHashes))) return;
  const walkEnded = byWalk; // provenByWalk waited for the walk: nothing to share with it now; otherwise this pass runs beside it
  // The full check: every chunk, every block hash algorithm, and the linear hashes the walk did not compute.
  const listHashers = new Map(blockAlgos.map((x) => [x, crypto.createHash(algorithmOf(f.blockHashesHashes.get(x)?.kind ?? 'SHA512') ?? 'sha512')]));
  const pooled = [...new Set(linear.map((h) => algorithmOf(h.kind)!).filter(isHashAlgorithm))].filter((x) => !fromMedia?.algorithms.includes(x)) as HashAlgorithm[];
  const inlineLinear = new Map(linear.filter((h) => !isHashAlgorithm(algorithmOf(h.kind)!)).map((h) => [h.kind, crypto.createHash(algorithmOf(h.kind)!)]));
  // After the walk, this pass is one of its own: shown as such, not as a walk stuck at its end.
  const tick = walkEnded ? a.onPass?.(`locating the damage in image stream ${f.urn}, chunk by chunk`, f.size) : undefined;
  let damaged = 0;
  const sectorSize = 512;
  const report = (c: number, why: string) => {
    damaged++;
    if (damaged <= NAMED) problems.push(`${s.where(c)}, ${mediaOf(a.layout, f.urn, c * f.chunkSize, Math.min(f.size, (c + 1) * f.chunkSize), sectorSize)}: ${why}`);
  };
  async function* chunks(): AsyncGenerator<Uint8Array> {
    let segments = new Map<string, Buffer>();
    for (let c = 0; c < s.chunks; c++) {
      if (a.signal?.aborted) throw new ExhibitError('INTERRUPTED', 'verification interrupted');
      if (tick && c % 64 === 0) tick(c * f.chunkSize);
      const inBevy = c % f.chunksInSegment;
      if (inBevy === 0) {
        segments = new Map();
        for (const x of blockAlgos) {
          const list = await blockList(s, c / f.chunksInSegment, x, segmentUrn);
          if (typeof list !== 'string') segments.set(x, list);
          else problems.push(`the ${words(x)} block hashes of bevy ${c / f.chunksInSegment} of stream ${f.urn} ${list}`);
        }
      }
      let data: Uint8Array;
      try {
        data = await s.chunk(c);
      } catch (err) {
        if (!(err instanceof ExhibitError) || err.code !== 'IMAGE_INVALID') throw err;
        report(c, err.message.replace(/^.*: /, ''));
        data = new Uint8Array(Math.min(f.chunkSize, f.size - c * f.chunkSize));
      }
      // pyaff4 hashes the last chunk as far as the stream goes; the standard pads it with zeros: either is the chunk.
      for (const x of blockAlgos) {
        let d = crypto.hash(algorithmOf(x)!, data, 'buffer'); // one call per 32 KiB: no Hash object
        const seg = segments.get(x);
        const want = seg?.subarray(inBevy * d.length, (inBevy + 1) * d.length);
        if (want && !want.equals(d) && data.length < f.chunkSize) {
          const padded = paddedDigest(algorithmOf(x)!, data, f.chunkSize);
          if (want.equals(padded)) d = padded;
        }
        listHashers.get(x)!.update(d);
        if (want && !want.equals(d)) report(c, `its ${words(x)} block hash differs from the one stored (${want.toString('hex')}, computed ${d.toString('hex')})`);
      }
      for (const h of inlineLinear.values()) h.update(data);
      yield data;
    }
  }
  let results = new Map<string, string[]>();
  const shared = walkEnded ? { release: () => undefined } : s.share(); // the media walk may be reading the same chunks alongside
  try {
    if (pooled.length > 0) results = await hashStream(chunks(), pooled.map((x) => ({ id: x, algorithm: x })), { size: f.size, ...(a.inline !== undefined ? { inline: a.inline } : {}) });
    else for await (const _ of chunks());
  } finally {
    shared.release();
  }
  // The media walk read the same bytes (a damaged chunk as zeros there too): its digests are this stream's.
  const media = fromMedia ? await fromMedia.hashes : {};
  for (const x of fromMedia?.algorithms ?? []) if (media[x] !== undefined) results.set(x, [media[x]]);
  if (damaged > NAMED) problems.push(`${damaged - NAMED} more chunks of stream ${f.urn} are damaged`);
  for (const h of linear) {
    const algo = algorithmOf(h.kind)!;
    const computed = isHashAlgorithm(algo) ? results.get(algo)?.[0] : inlineLinear.get(h.kind)?.digest('hex');
    check(checks, `image stream ${f.urn}`, `the ${words(h.kind)} of image stream ${f.urn} stored in the image`, h, computed);
  }
  for (const x of blockAlgos) {
    const digest = listHashers.get(x)!.digest();
    blockListHashes.set(x, digest);
    const stored = f.blockHashesHashes.get(x);
    if (stored) check(checks, `the ${words(x)} block hashes of ${f.urn}`, `the hash of the ${words(x)} block hashes of ${f.urn} stored in the image`, stored, digest.toString('hex'));
  }
}

/** Check every stored value the image has; the outcome lists each comparison and the damage found. */
export async function auditImage(a: AuditInput): Promise<StoredIntegrity> {
  const checks: StoredCheck[] = [];
  const problems: string[] = [];
  const notes: string[] = [];
  const blockLists = new Map<string, Buffer>();
  // Watched from the start: the media walk may decode its first chunks before this function's first await ends.
  let watch: Watch | undefined;
  const whole = a.media?.original;
  const choice = whole ? watchChoice(whole) : undefined;
  if (whole && choice) watch = whole.pooledBlocks?.algo === choice.algo ? pooledWatch(whole) : watchBlocks(whole, choice.algo, choice.listAlgo);
  try {
    for (const s of a.streams) await auditStream(s, a, s.facts.urn === a.media?.stream ? watch : undefined, checks, problems, notes, blockLists);
  } finally {
    watch?.done(); // detached whatever happened
  }
  const m = a.map;
  const segmentHash = (h: StoredHash | undefined, ...parts: (Buffer | undefined)[]) => {
    const algo = h ? algorithmOf(h.kind) : undefined;
    if (!algo) return undefined;
    const x = crypto.createHash(algo);
    for (const p of parts) if (p) x.update(p);
    return x.digest();
  };
  if (m) {
    const point = segmentHash(m.facts.hashes.point, m.point);
    const idx = segmentHash(m.facts.hashes.idx, m.idx);
    const mpath = m.path ? segmentHash(m.facts.hashes.path, m.path) : undefined;
    const whole = segmentHash(m.facts.hashes.map, m.point, m.idx, m.path);
    const h = m.facts.hashes;
    if (h.point) check(checks, 'the map', `the ${words(h.point.kind)} of the map's points stored in the image`, h.point, point?.toString('hex'));
    if (h.idx) check(checks, 'the map', `the ${words(h.idx.kind)} of the map's target index stored in the image`, h.idx, idx?.toString('hex'));
    if (h.path && m.path) check(checks, 'the map', `the ${words(h.path.kind)} of the map's path stored in the image`, h.path, mpath?.toString('hex'));
    if (h.path && !m.path) problems.push(`the image stores a hash of the map's path (mapPath), but the map has no mapPath member`);
    if (h.map) check(checks, 'the map', `the ${words(h.map.kind)} of the whole map stored in the image`, h.map, whole?.toString('hex'));
    // The block map hash: H(H(block hashes) in order || point hash || idx hash || [path hash]).
    const blockMaps = [...(h.blockMap ? [{ h: h.blockMap, where: 'map' }] : []), ...a.imageHashes.filter((x) => /^blockMapHash/i.test(x.kind)).map((x) => ({ h: x, where: 'image' }))];
    for (const b of blockMaps) {
      const algo = algorithmOf(b.h.kind);
      if (!algo || !point || !idx) continue;
      const x = crypto.createHash(algo);
      for (const k of BLOCK_ORDER) if (blockLists.has(k)) x.update(blockLists.get(k)!);
      x.update(point).update(idx);
      if (mpath) x.update(mpath);
      check(checks, 'the block map hash', `the ${words(b.h.kind)} block map hash stored in the ${b.where === 'map' ? "image's map" : 'image'}`, b.h, x.digest('hex'));
    }
  }
  for (const c of checks) if (!c.equal) problems.push(`${c.against} is ${c.expected}, the bytes give ${c.computed}`);
  return { checks, problems, notes };
}
