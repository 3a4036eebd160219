/**
 * Reads an AFF4 (Standard v1.0) disk image held in one zip container: the
 * volume's information.turtle says which map (or image stream) is the media;
 * the map's ranges come from the container's image streams and from symbolic
 * streams (zeros, a repeated byte, the texts that mark unknown and
 * unreadable data). See SPEC.md.
 */
import type fsp from 'node:fs/promises';
import path from 'node:path';
import type { Digests } from '../../core/crypto.js';
import type { DigestJob, EmittedSegment } from '../../core/hash-plan.js';
import { describeSystemError, ExhibitError } from '../../core/errors.js';
import { openInput } from '../../core/input-file.js';
import type { ImageCaseFacts, ImageErrorRange, ImageReader, IntegrityUnitKind, ReadableFormatName, ScannedUnit, StoredCheckOptions, StoredIntegrity } from '../types.js';
import { algorithmOf, auditImage, walkBlockJob, type MapMembers } from './audit.js';
import { compressionOf } from './codecs.js';
import { buildLayout, fillSymbolic, rangeAt, symbolic, wholeLayout, type Layout, type Target } from './map.js';
import { readModel, type Aff4Model } from './model.js';
import { ImageStream, Members } from './stream.js';
import { readMember, readZipDirectory, type ZipDirectory } from './zip.js';

/** The largest information.turtle read (a disk image's is a few KiB). */
const MAX_TURTLE = 4 * 1024 * 1024;
/** Media yielded at once from a symbolic range. */
const PIECE = 1024 * 1024;

const invalid = (file: string, why: string) => new ExhibitError('IMAGE_INVALID', `${file}: ${why}`);

export class Aff4Reader implements ImageReader {
  readonly format: ReadableFormatName = 'aff4';
  readonly files: readonly string[];
  readonly unitKind: IntegrityUnitKind = 'chunk';
  /** The chunk size of the image's streams, when they share one (the media maps onto their chunks; a cache keeps blocks of it). */
  get unitBytes(): number | undefined {
    const sizes = new Set([...this.streams.values()].map((s) => s.facts.chunkSize));
    return sizes.size === 1 ? [...sizes][0] : undefined;
  }
  readonly size: number;
  readonly sectorSize: number | undefined;
  readonly storedHashes: Readonly<Digests>;
  readonly caseFacts: ImageCaseFacts;
  readonly errorRanges: ImageErrorRange[];
  private readonly streams: Map<string, ImageStream>;

  private constructor(
    private readonly file: string,
    private readonly handle: fsp.FileHandle,
    readonly model: Aff4Model,
    readonly layout: Layout,
    streams: Map<string, ImageStream>,
    private readonly mapMembers: MapMembers | undefined,
    readonly warnings: string[],
  ) {
    this.files = [file];
    this.streams = streams;
    const img = model.image;
    this.size = model.map?.size ?? model.streams.get(img.dataStream)!.size;
    this.sectorSize = img.blockSize;
    const stored: Digests = {};
    for (const h of img.hashes) {
      const a = algorithmOf(h.kind);
      if (!/^blockMapHash/i.test(h.kind) && (a === 'md5' || a === 'sha1' || a === 'sha256' || a === 'sha512')) stored[a] = h.value;
    }
    this.storedHashes = stored;
    const details = model.cases.find((c) => c.has('caseNumber') || c.has('caseName')) ?? new Map<string, string>();
    const notes = model.cases.map((c) => c.get('notes')).filter((n): n is string => n !== undefined);
    const pick = (k: string) => details.get(k) ?? model.cases.map((c) => c.get(k)).find((v) => v !== undefined);
    const model_ = [img.text.get('diskMake'), img.text.get('diskModel')].filter(Boolean).join(' ');
    const caseNumber = pick('caseNumber') ?? pick('caseName');
    const evidence = pick('evidenceNumber');
    const examiner = pick('examiner');
    const description = pick('caseDescription');
    const serial = img.text.get('diskSerial');
    this.caseFacts = {
      ...(caseNumber !== undefined ? { case: caseNumber } : {}),
      ...(evidence !== undefined ? { evidence } : {}),
      ...(examiner !== undefined ? { examiner } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(notes.length > 0 ? { notes: notes.join('\n') } : {}),
      ...(model_ ? { model: model_ } : {}),
      ...(serial !== undefined ? { serial } : {}),
      removable: false,
      physical: img.disk,
    };
    // Unreadable ranges as the acquiring tool recorded them, in its sectors.
    const sector = img.blockSize ?? 512;
    const L = layout;
    this.errorRanges = [];
    let unknown = 0;
    for (let k = 0; k < L.count; k++) {
      const t = L.targets[L.target[k]!]!;
      if (t.kind !== 'symbolic') continue;
      if (t.name === 'UnknownData') unknown += L.length[k]!;
      if (t.name !== 'UnreadableData') continue;
      const first = Math.floor(L.start[k]! / sector);
      const sectors = Math.ceil((L.start[k]! + L.length[k]!) / sector) - first;
      const last = this.errorRanges[this.errorRanges.length - 1];
      if (last && last.first_sector + last.sectors >= first) last.sectors = Math.max(last.sectors, first + sectors - last.first_sector);
      else this.errorRanges.push({ first_sector: first, sectors });
    }
    if (unknown > 0) warnings.push(`${unknown} bytes of the media were not read by the acquiring tool (aff4:UnknownData); they read as the text UNKNOWN repeated, as the AFF4 standard defines`);
  }

  static async open(file: string): Promise<Aff4Reader> {
    const abs = path.resolve(file);
    const h = await openInput(abs).catch((err: unknown) => {
      if (err instanceof ExhibitError) throw err;
      throw invalid(abs, `cannot open: ${describeSystemError(err)}`);
    });
    try {
      const zip = await readZipDirectory(h, (await h.stat()).size, abs);
      const warnings = [...zip.warnings];
      const desc = zip.members.get('container.description');
      const volume = (desc ? (await readMemberText(h, zip, 'container.description', abs, 4096)) : zip.comment).trim().split(/\s/)[0] ?? '';
      if (!/^aff4:\/\/\S+$/.test(volume)) throw invalid(abs, 'it names no AFF4 volume (neither container.description nor the zip comment holds an aff4:// URN)');
      const version = zip.members.has('version.txt') ? await readMemberText(h, zip, 'version.txt', abs, 4096) : undefined;
      const major = version ? /^major=(\d+)/m.exec(version)?.[1] : undefined;
      if (major !== undefined && major !== '1') throw new ExhibitError('IMAGE_UNSUPPORTED', `${abs} is an AFF4 image of version ${major}, which exhibit does not read (it reads AFF4 Standard v1)`);
      if (!zip.members.has('information.turtle')) throw invalid(abs, 'the container has no information.turtle, so nothing says what it holds');
      const model = readModel(await readMemberText(h, zip, 'information.turtle', abs, MAX_TURTLE), abs);
      const members = new Members(zip, volume);
      const streams = new Map<string, ImageStream>();
      const streamTarget = (urn: string): Target => {
        const f = model.streams.get(urn);
        if (!f) throw invalid(abs, `the media comes from ${urn}, which the container describes as no image stream`);
        if (!members.get(`${urn}/00000000`) && f.size !== 0) {
          throw new ExhibitError('IMAGE_UNSUPPORTED', `${abs} is one part of a striped or multi-file AFF4 image: its media needs the image stream ${urn}, which is not in this container; exhibit reads AFF4 images held in one file`);
        }
        if (!Number.isSafeInteger(f.size)) throw invalid(abs, `the image stream ${urn} states no aff4:size`);
        const compression = compressionOf(f.compression);
        if (!compression) throw new ExhibitError('IMAGE_UNSUPPORTED', `${abs}: the image stream ${urn} is compressed with ${f.compression}, which exhibit does not read`);
        if (!streams.has(urn)) streams.set(urn, new ImageStream(f, compression, h, members, abs));
        return { kind: 'stream', urn, size: f.size };
      };
      let layout: Layout;
      let mapMembers: MapMembers | undefined;
      const m = model.map;
      if (m) {
        if (!Number.isSafeInteger(m.size)) throw invalid(abs, `the map ${m.urn} states no aff4:size`);
        const read = async (sub: string) => {
          const member = members.get(`${m.urn}/${sub}`);
          return member ? await readMember(h, member, zip, abs) : undefined;
        };
        const point = await read('map');
        const idx = await read('idx');
        if (!point || !idx) throw invalid(abs, `the map ${m.urn} has no ${point ? 'idx' : 'map'} member`);
        mapMembers = { facts: m, point, idx, path: await read('mapPath') };
        layout = buildLayout(point, idx, m.size, m.gapStream, (urn) => {
          const s = symbolic(urn);
          if (s) return s;
          if (urn === m.urn) throw invalid(abs, `the map ${m.urn} targets itself (a loop)`);
          if (model.maps.has(urn)) throw invalid(abs, `the map targets ${urn}, another map: exhibit reads maps over image streams only`);
          return streamTarget(urn);
        }, abs);
        if (model.image.size !== undefined && model.image.size !== m.size) throw invalid(abs, `the image ${model.image.urn} declares ${model.image.size} bytes of media, its map ${m.size}`);
      } else {
        const t = streamTarget(model.image.dataStream);
        layout = wholeLayout(t, (t as { size: number }).size);
      }
      return new Aff4Reader(abs, h, model, layout, streams, mapMembers, warnings);
    } catch (err) {
      await h.close();
      throw err;
    }
  }

  /** Media bytes of range `k` from byte `from` of it, `n` bytes, into `out`. */
  private async fill(k: number, from: number, n: number, out: Uint8Array): Promise<void> {
    const L = this.layout;
    const t = L.targets[L.target[k]!]!;
    const at = L.targetOffset[k]! + from;
    if (t.kind === 'symbolic') return fillSymbolic(t, at, out.subarray(0, n));
    const s = this.streams.get(t.urn)!;
    let done = 0;
    while (done < n) {
      const c = Math.floor((at + done) / s.facts.chunkSize);
      const data = await s.chunk(c);
      const inChunk = at + done - c * s.facts.chunkSize;
      const m = Math.min(n - done, data.length - inChunk);
      if (m <= 0) throw invalid(this.file, `${s.where(c)} ends before stream byte ${at + done}`);
      out.set(data.subarray(inChunk, inChunk + m), done);
      done += m;
    }
  }

  /** The media in order: stream ranges chunk by chunk (a damaged chunk yielded with its error), symbolic ranges in 1 MiB pieces. */
  async *units(): AsyncGenerator<ScannedUnit> {
    const L = this.layout;
    const scratch = new Uint8Array(PIECE);
    for (let k = 0; k < L.count; k++) {
      const t = L.targets[L.target[k]!]!;
      const start = L.start[k]!;
      const len = L.length[k]!;
      if (t.kind === 'symbolic') {
        for (let o = 0; o < len; o += PIECE) {
          const n = Math.min(PIECE, len - o);
          fillSymbolic(t, L.targetOffset[k]! + o, scratch.subarray(0, n));
          yield { start: start + o, data: scratch.subarray(0, n) };
        }
        continue;
      }
      const s = this.streams.get(t.urn)!;
      const cs = s.facts.chunkSize;
      for (let o = 0; o < len; ) {
        const at = L.targetOffset[k]! + o;
        const c = Math.floor(at / cs);
        const inChunk = at - c * cs;
        const n = Math.min(len - o, cs - inChunk);
        try {
          const data = await s.chunk(c);
          if (data.length < inChunk + n) throw invalid(this.file, `${s.where(c)} ends before stream byte ${at + n}`);
          yield { start: start + o, data: data.subarray(inChunk, inChunk + n) };
        } catch (err) {
          if (!(err instanceof ExhibitError) || err.code !== 'IMAGE_INVALID') throw err;
          yield { start: start + o, bytes: n, file: this.file, index: c, error: err };
        }
        o += n;
      }
    }
  }

  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    const end = Math.min(offset + length, this.size);
    let pos = offset;
    while (pos < end) {
      const k = rangeAt(this.layout, pos);
      const from = pos - this.layout.start[k]!;
      const n = Math.min(end - pos, this.layout.length[k]! - from);
      await this.fill(k, from, n, into.subarray(pos - offset));
      pos += n;
    }
    return Math.max(0, end - offset);
  }

  /** A stream that is the whole media, byte for byte (its linear hashes are the media's), or undefined. */
  private get wholeStream(): ImageStream | undefined {
    const L = this.layout;
    // The one range's own target, not the first the map's index lists (another stream may come first there).
    const only = L.count === 1 ? L.targets[L.target[0]!] : undefined;
    const whole = only?.kind === 'stream' && L.start[0] === 0 && L.targetOffset[0] === 0 && L.length[0] === this.size ? this.streams.get(only.urn) : undefined;
    return whole?.size === this.size ? whole : undefined;
  }

  /** The block hashes of a stream that is the whole media, from the walk's hashing threads (audit.ts, walkBlockJob). */
  walkDigests(): { jobs: DigestJob[]; segments(s: readonly EmittedSegment[]): void } | undefined {
    const whole = this.wholeStream;
    const w = whole ? walkBlockJob(whole) : undefined;
    return w ? { jobs: [w.job], segments: w.segments } : undefined;
  }

  checkStored(o: StoredCheckOptions): Promise<StoredIntegrity> {
    const whole = this.wholeStream;
    return auditImage({
      ...(o.media && whole !== undefined ? { media: { ...o.media, stream: whole.facts.urn, original: whole } } : {}),
      file: this.file,
      // Its own streams, so its reads do not disturb those of a media walk running alongside.
      streams: [...this.streams.values()].map((x) => x.copy()), // the check shares decoded chunks with the walk only when it walks alongside (ImageStream.share)
      map: this.mapMembers,
      layout: this.layout,
      imageHashes: this.model.image.hashes,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.inline !== undefined ? { inline: o.inline } : {}),
      ...(o.onPass ? { onPass: o.onPass } : {}),
    }).then((r) => {
      const checked = (subject: string) => r.checks.some((c) => c.subject === subject);
      const streamsChecked = [...this.streams.keys()].every((urn) => r.checks.some((c) => c.subject === `image stream ${urn}` || (c.subject?.endsWith(` block hashes of ${urn}`) ?? false)));
      return { ...r, coversMedia: streamsChecked && (whole !== undefined || checked('the map') || checked('the block map hash')) };
    });
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

async function readMemberText(h: fsp.FileHandle, zip: ZipDirectory, name: string, file: string, max: number): Promise<string> {
  const m = zip.members.get(name)!;
  if (m.size > max) throw invalid(file, `its ${name} declares ${m.size} bytes, more than the ${max} exhibit reads`);
  return (await readMember(h, m, zip, file)).toString('utf8');
}
