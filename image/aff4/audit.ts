/**
 * Checking everything an AFF4 image stores to prove itself (AFF4 Standard
 * v1.0, section 6): every chunk of every image stream against its stored
 * block hashes, the hash of each list of block hashes, the stream's linear
 * hashes, the hashes of the map's members, and the block map hash that binds
 * them all. Each value is computed from the bytes read, never taken from the
 * image, so a match proves the bytes; chunks are read once, in stream order.
 * A stream that is the whole media and whose stored linear hashes the media
 * walk has just matched needs no second pass over its chunks (provenByMedia).
 */
import crypto from 'node:crypto';
import { type Digests, type HashAlgorithm, isHashAlgorithm } from '../../core/crypto.js';
import { ExhibitError } from '../../core/errors.js';
import { hashStream } from '../../core/hash-stream.js';
import type { StoredCheck, StoredIntegrity } from '../types.js';
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
  /** The media walk's hashes, for `stream`, which is the whole media byte for byte. */
  media?: { algorithms: readonly HashAlgorithm[]; hashes: Promise<Digests>; stream: string };
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
    if (!(err instanceof ExhibitError) || err.code !== 'IMAGE_INVALID') throw err;
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

/**
 * The quick check of a stream that is the whole media: when every linear hash it stores is one the
 * media walk computes and each equals the walk's digest, the bytes are the ones its producer hashed,
 * chunk by chunk, so the block hashes need not be computed a second time from them; what is still
 * read is each stored list of block hashes, hashed against the list hash the image stores (these
 * lists also enter the block map hash). Anything short of that (a linear hash of another algorithm
 * or none, a list without its stored hash, a list of the wrong size, one value that differs) gives
 * false and leaves no trace, and the stream is checked in full, chunk by chunk, which locates the damage.
 */
async function provenByMedia(
  s: ImageStream,
  media: NonNullable<AuditInput['media']>,
  linear: StoredHash[],
  blockAlgos: string[],
  segmentUrn: (bevy: string, algo: string) => string | undefined,
  checks: StoredCheck[],
  notes: string[],
  blockListHashes: Map<string, Buffer>,
): Promise<boolean> {
  const f = s.facts;
  const algos = linear.map((h) => algorithmOf(h.kind)!);
  if (linear.length === 0 || !algos.every((x) => isHashAlgorithm(x) && media.algorithms.includes(x))) return false;
  const listAlgo = (x: string) => algorithmOf(f.blockHashesHashes.get(x)?.kind ?? '');
  if (!blockAlgos.every((x) => listAlgo(x) !== undefined)) return false;
  const listHashers = new Map(blockAlgos.map((x) => [x, crypto.createHash(listAlgo(x)!)]));
  for (let b = 0; b * f.chunksInSegment < s.chunks; b++) {
    for (const x of blockAlgos) {
      const list = await blockList(s, b, x, segmentUrn);
      if (typeof list === 'string') return false;
      listHashers.get(x)!.update(list);
    }
  }
  const lists = new Map([...listHashers].map(([x, h]) => [x, h.digest()]));
  if (!blockAlgos.every((x) => lists.get(x)!.toString('hex') === f.blockHashesHashes.get(x)!.value)) return false;
  const got = await media.hashes;
  if (!linear.every((h) => got[algorithmOf(h.kind) as HashAlgorithm] === h.value)) return false;
  const mine: StoredCheck[] = [];
  for (const h of linear) check(mine, `image stream ${f.urn}`, `the ${words(h.kind)} of image stream ${f.urn} stored in the image`, h, got[algorithmOf(h.kind) as HashAlgorithm]);
  for (const x of blockAlgos) {
    blockListHashes.set(x, lists.get(x)!);
    check(mine, `the ${words(x)} block hashes of ${f.urn}`, `the hash of the ${words(x)} block hashes of ${f.urn} stored in the image`, f.blockHashesHashes.get(x)!, lists.get(x)!.toString('hex'));
  }
  checks.push(...mine);
  if (blockAlgos.length > 0) {
    notes.push(
      `the ${blockAlgos.map(words).join(' and ')} block hashes of image stream ${f.urn} were not computed again chunk by chunk: its stored ${linear.map((h) => words(h.kind)).join(' and ')} equal the hashes of the media read, which proves every chunk; each list of block hashes was checked against its stored hash`,
    );
  }
  return true;
}

/** Check one image stream: its chunks' block hashes, its block hash lists and its linear hashes. */
async function auditStream(s: ImageStream, a: AuditInput, checks: StoredCheck[], problems: string[], notes: string[], blockListHashes: Map<string, Buffer>): Promise<void> {
  const f = s.facts;
  const first = s.bevyUrn(0);
  const segmentUrn = (bevy: string, algo: string) => [`${bevy}.blockHash.${algo}`, `${bevy}.${algo}`].find((u) => s.member(u));
  const blockAlgos = BLOCK_ORDER.filter((x) => segmentUrn(first, x) !== undefined);
  const listHashers = new Map(blockAlgos.map((x) => [x, crypto.createHash(algorithmOf(f.blockHashesHashes.get(x)?.kind ?? 'SHA512') ?? 'sha512')]));
  const linear = f.hashes.filter((h) => algorithmOf(h.kind) !== undefined);
  const fromMedia = a.media?.stream === f.urn ? a.media : undefined;
  const pooled = [...new Set(linear.map((h) => algorithmOf(h.kind)!).filter(isHashAlgorithm))].filter((x) => !fromMedia?.algorithms.includes(x)) as HashAlgorithm[];
  const inlineLinear = new Map(linear.filter((h) => !isHashAlgorithm(algorithmOf(h.kind)!)).map((h) => [h.kind, crypto.createHash(algorithmOf(h.kind)!)]));
  await checkIndexes(s, checks, problems, notes);
  if (fromMedia && (await provenByMedia(s, fromMedia, linear, blockAlgos, segmentUrn, checks, notes, blockListHashes))) return;
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
          const padded = crypto.createHash(algorithmOf(x)!).update(data).update(Buffer.alloc(f.chunkSize - data.length)).digest();
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
  const shared = s.share(); // the media walk may be reading the same chunks alongside
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
  for (const s of a.streams) await auditStream(s, a, checks, problems, notes, blockLists);
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
