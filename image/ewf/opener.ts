/**
 * Opening an EWF image: every segment from the first (or, for an unfinished
 * image, every segment up to its safe point), then the checks that need all
 * of them (geometry, chunk count, stored hashes that agree).
 */
import path from 'node:path';
import { ExhibitError } from '../../core/errors.js';
import type { EwfPartialState, Gathered, Opened } from './model.js';
import { findSegment, openSegment, SEGMENT_ONE, segmentPath } from './segment-files.js';
import { invalid } from './sections.js';
import { walkSegment } from './walk.js';

/**
 * Chunk sizes accepted: one 512-byte sector at least (ewfacquire writes 16 to
 * 32768 sectors per chunk), 64 MiB at most. Every chunk is decoded into a
 * buffer of this size and no larger, so memory is bounded by it; a hostile
 * geometry of 1-byte chunks would otherwise turn a few MB of file into
 * millions of chunk buffers.
 */
const MIN_CHUNK_SIZE = 512;
const MAX_CHUNK_SIZE = 64 * 1024 * 1024;

/** Walks the segments once and gathers everything the reader needs. */
export class Opener {
  private readonly g: Gathered = {
    segments: [],
    groups: [],
    warnings: [],
    damaged: [],
    errors: [],
    volume: undefined,
    header2: undefined,
    header: undefined,
    hashes: [],
    chunks: 0,
  };

  constructor(
    private readonly first: string,
    private readonly partial?: EwfPartialState,
  ) {}

  /** An unfinished image: every segment up to its safe-point size, the last without its closing sections. */
  private async runPartial(p: EwfPartialState): Promise<Opened> {
    const g = this.g;
    const dir = path.dirname(this.first);
    for (const [i, s] of p.segments.entries()) {
      // Only the set's own names, in order (the state comes from a journal anyone with the folder can edit).
      const ownPath = segmentPath(this.first.slice(0, -3), this.first.at(-3) === 'e' ? 'e' : 'E', i + 1);
      const own = ownPath === undefined ? undefined : path.basename(ownPath);
      if (s.name !== own) throw invalid(this.first, `the journal names segment ${i + 1} ${JSON.stringify(s.name)}, not ${own ?? 'one of its own'}: it was edited`);
      const seg = await openSegment(path.join(dir, s.name), i + 1, g.segments);
      if (seg.size < s.size) throw invalid(seg.path, `holds ${seg.size} bytes but ${s.size} were written safely: the partial image was changed or lost`);
      seg.size = s.size; // anything written after the safe point is not part of the image yet
      const last = i === p.segments.length - 1;
      if (!last) {
        if ((await walkSegment(g, seg, i + 1)) !== 'next') throw invalid(seg.path, "an unfinished image's earlier segment must end in 'next'");
        continue;
      }
      await walkSegment(g, seg, i + 1, p.group?.base ?? s.size);
      if (p.group && p.group.entries.length > 0) {
        const entries = Uint32Array.from(p.group.entries);
        g.groups.push({ segment: i, firstChunk: g.chunks, base: p.group.base, entries, overflowFrom: entries.length, end: s.size });
        g.chunks += entries.length;
      }
    }
    if (g.chunks !== p.chunks) throw invalid(this.first, `the partial image lists ${g.chunks} chunks but the journal says ${p.chunks}`);
    const opened = this.finish(true);
    if (opened.volume.setIdentifier !== p.set_id) throw invalid(this.first, 'the partial image belongs to another acquisition (set identifier differs)');
    return { ...opened, partialChunks: g.chunks };
  }

  async run(): Promise<Opened> {
    if (this.partial) return this.runPartial(this.partial);
    const g = this.g;
    const m = SEGMENT_ONE.exec(this.first);
    let file = this.first;
    for (let n = 1; ; n++) {
      const segment = await openSegment(file, n, g.segments);
      const last = await walkSegment(g, segment, n);
      if (last === 'done') break;
      const next = m ? findSegment(m[1]!, m[2]!, n + 1) : undefined;
      if (!next) {
        const expected = m ? (segmentPath(m[1]!, m[2]!, n + 1) ?? `segment ${n + 1}`) : `segment ${n + 1}`;
        throw new ExhibitError(
          'IMAGE_INVALID',
          `segment ${n + 1} of the image is missing: ${expected} does not exist (${path.basename(file)} ends with a 'next' section)` +
            (m ? '' : '; the first file is not named .E01, so the others cannot be found'),
        );
      }
      file = next;
    }
    if (m) {
      const stray = findSegment(m[1]!, m[2]!, g.segments.length + 1);
      if (stray) g.warnings.push(`${stray} exists but the image ends in ${path.basename(g.segments[g.segments.length - 1]!.path)} (its 'done' section); it was ignored`);
    }
    return this.finish();
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.g.segments.map((s) => s.handle.close().catch(() => undefined)));
  }

  private finish(partial = false): Opened {
    const g = this.g;
    const first = g.segments[0]!.path;
    if (!g.volume) throw invalid(first, "no 'volume' or 'disk' section: not a disk image or damaged");
    const v = g.volume.v;
    const where = g.volume.where;
    if (v.bytesPerSector === 0 || v.sectorsPerChunk === 0) throw invalid(where, `impossible geometry: ${v.sectorsPerChunk} sectors of ${v.bytesPerSector} bytes per chunk`);
    const chunkSize = v.sectorsPerChunk * v.bytesPerSector;
    // Larger chunks are valid EWF (ewfacquire writes up to 32768 sectors of 4096 bytes, 128 MiB) that exhibit does not
    // read: refused as not supported (exit 2), not called damaged.
    if (chunkSize > MAX_CHUNK_SIZE && chunkSize <= 32768 * 4096) {
      throw new ExhibitError('IMAGE_UNSUPPORTED', `${where}: chunks of ${chunkSize / 1024 / 1024} MiB (${v.sectorsPerChunk} sectors of ${v.bytesPerSector} bytes) are valid, but exhibit reads chunks of at most ${MAX_CHUNK_SIZE / 1024 / 1024} MiB`);
    }
    if (chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE)
      throw invalid(where, `chunk size ${chunkSize} byte${chunkSize === 1 ? '' : 's'} (${v.sectorsPerChunk} sectors of ${v.bytesPerSector} bytes) is ${chunkSize < MIN_CHUNK_SIZE ? 'too small' : 'too large'}: exhibit reads chunks of ${MIN_CHUNK_SIZE} bytes to ${MAX_CHUNK_SIZE / 1024 / 1024} MiB`);
    const size = v.sectorCount * v.bytesPerSector;
    if (!Number.isSafeInteger(size)) throw invalid(where, `media size ${v.sectorCount} x ${v.bytesPerSector} is implausibly large`);
    if (!partial && g.chunks !== v.chunkCount) throw invalid(where, `declares ${v.chunkCount} chunks but the tables of the image list ${g.chunks}`);
    const needed = Math.ceil(size / chunkSize);
    // A source that was not a whole number of sectors, its sectors filling whole chunks: ewfacquire
    // declares the whole sectors and stores the bytes after them in one more chunk. That chunk is not
    // media (its bytes are past the declared sectors, as in a last chunk longer than the media).
    const tailChunk = v.chunkCount === needed + 1 && size > 0 && size % chunkSize === 0;
    if (needed !== v.chunkCount && !tailChunk)
      throw invalid(where, `declares ${v.chunkCount} chunks, but ${v.sectorCount} sectors of ${v.bytesPerSector} bytes make ${needed} chunks of ${chunkSize}`);
    if (tailChunk)
      g.warnings.push(
        `the image holds chunk ${needed} after the ${v.sectorCount} sectors its 'volume' section declares: the writer did not pad the source to whole sectors and stored its last partial sector there; that chunk is not part of the media and is not read`,
      );
    // One warning for the ranges past the media's end, however many: the first of them, and how many.
    const beyond = g.errors.filter((e) => e.first_sector + e.sectors > v.sectorCount);
    if (beyond.length > 0) {
      const e = beyond[0]!;
      g.warnings.push(`error2 lists sectors ${e.first_sector}..${e.first_sector + e.sectors - 1}${beyond.length > 1 ? ` and ${beyond.length - 1} more ranges` : ''}, beyond the media's ${v.sectorCount} sectors`);
    }
    const storedHashes: { md5?: string; sha1?: string; sha256?: string } = {};
    for (const kind of ['md5', 'sha1', 'sha256'] as const) {
      for (const h of g.hashes) {
        const value = h[kind];
        if (!value) continue;
        const had = storedHashes[kind];
        if (had && had !== value) throw invalid(h.source, `stored ${kind.toUpperCase()} ${value} contradicts ${had} stored earlier`);
        storedHashes[kind] = value;
      }
    }
    const headerSection = g.header2 ? 'header2' : g.header ? 'header' : undefined;
    if (!headerSection) g.warnings.push('no readable header or header2 section: the case metadata is missing');
    return {
      segments: g.segments,
      groups: g.groups,
      volume: v,
      ...(tailChunk ? { mediaChunks: needed } : {}),
      header: g.header2 ?? g.header ?? {},
      headerSection,
      storedHashes,
      errors: g.errors,
      warnings: g.warnings,
      damaged: g.damaged,
    };
  }
}
