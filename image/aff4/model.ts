/**
 * What an AFF4 container's information.turtle says, parsed with the n3 RDF
 * library (never with patterns over the text) and read into the few objects
 * a disk image needs: the image, its map, its image streams, their stored
 * hashes, and the case facts. Anything exhibit cannot read as a disk image
 * (encrypted streams, logical containers, images written before the standard)
 * is named and refused here.
 */
import { Parser, type Quad, type Term } from 'n3';
import { ExhibitError } from '../../core/errors.js';

export const AFF4 = 'http://aff4.org/Schema#';
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const PRE_STANDARD = 'http://afflib.org/2009/aff4#';

/** A hash as stored: its kind (the datatype's local name: MD5, SHA1, SHA512, blockMapHashSHA512...) and its hex value. */
export interface StoredHash {
  kind: string;
  value: string;
}

export interface StreamFacts {
  urn: string;
  size: number;
  chunkSize: number;
  chunksInSegment: number;
  compression: string | undefined;
  hashes: StoredHash[];
  /** Hashes of the block hash lists (`<stream>/blockhash.<algorithm>`), by block hash algorithm. */
  blockHashesHashes: Map<string, StoredHash>;
  /** aff4:imageStreamIndexHash (Evimetry): the hash of every bevy index of the stream, in bevy order. */
  indexHash?: StoredHash;
  /** aff4:imageStreamHash (Evimetry): stored, but how it is computed is not published; not checked. */
  streamHash?: StoredHash;
}

export interface MapFacts {
  urn: string;
  size: number;
  gapStream: string;
  dependent: string[];
  hashes: { point?: StoredHash; idx?: StoredHash; path?: StoredHash; map?: StoredHash; blockMap?: StoredHash };
}

export interface ImageFacts {
  urn: string;
  dataStream: string;
  size: number | undefined;
  blockSize: number | undefined;
  hashes: StoredHash[];
  text: Map<string, string>;
  /** It is an aff4:DiskImage (a whole device, not a volume or a file). */
  disk: boolean;
}

export interface Aff4Model {
  image: ImageFacts;
  map: MapFacts | undefined;
  streams: Map<string, StreamFacts>;
  /** Every map the container describes (a map may not target one). */
  maps: Set<string>;
  cases: Map<string, string>[];
}

const refuse = (file: string, what: string) => new ExhibitError('IMAGE_UNSUPPORTED', `${file} is ${what}, which exhibit does not read`);
const invalid = (file: string, why: string) => new ExhibitError('IMAGE_INVALID', `${file}: ${why}`);

class Graph {
  private readonly bySubject = new Map<string, Quad[]>();
  constructor(quads: Quad[]) {
    for (const q of quads) {
      const list = this.bySubject.get(q.subject.value);
      if (list) list.push(q);
      else this.bySubject.set(q.subject.value, [q]);
    }
  }
  objects(s: string, p: string): Term[] {
    return (this.bySubject.get(s) ?? []).filter((q) => q.predicate.value === p).map((q) => q.object);
  }
  value(s: string, p: string): string | undefined {
    return this.objects(s, p)[0]?.value;
  }
  types(s: string): string[] {
    return this.objects(s, RDF_TYPE).map((t) => t.value);
  }
  subjectsOfType(t: string): string[] {
    return [...this.bySubject.keys()].filter((s) => this.types(s).includes(t));
  }
  allTypes(): Set<string> {
    const all = new Set<string>();
    for (const s of this.bySubject.keys()) for (const t of this.types(s)) all.add(t);
    return all;
  }
}

/** A whole number the turtle gives (xsd:long, xsd:int), checked to be one exhibit can use. */
function count(g: Graph, s: string, p: string, file: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = g.value(s, AFF4 + p);
  if (v === undefined) return undefined;
  if (!/^\d{1,20}$/.test(v.trim())) throw invalid(file, `aff4:${p} of ${s} is "${v.slice(0, 40)}", not a whole number`);
  const n = Number(v.trim());
  if (max === Number.MAX_SAFE_INTEGER && !Number.isSafeInteger(n)) {
    throw new ExhibitError('IMAGE_UNSUPPORTED', `${file}: aff4:${p} of ${s} is ${v.trim()} bytes, more than exhibit can address (8 PiB)`);
  }
  if (!Number.isSafeInteger(n) || n > max) throw invalid(file, `aff4:${p} of ${s} is ${v.trim()}, more than exhibit accepts (at most ${max})`);
  return n;
}

const optional = <K extends string, V>(key: K, v: V | undefined) => (v === undefined ? {} : ({ [key]: v } as { [k in K]: V }));

function hashesOf(g: Graph, s: string, p = 'hash'): StoredHash[] {
  return g
    .objects(s, AFF4 + p)
    .filter((o) => o.termType === 'Literal')
    .map((o) => ({ kind: (o as { datatype: { value: string } }).datatype.value.replace(AFF4, ''), value: o.value.trim().toLowerCase() }));
}

/** Parse information.turtle and find the one disk image it describes. */
export function readModel(turtle: string, file: string): Aff4Model {
  let quads: Quad[];
  try {
    quads = new Parser({ format: 'text/turtle' }).parse(turtle);
  } catch (err) {
    throw invalid(file, `its information.turtle is not valid Turtle (${(err as Error).message.slice(0, 200)})`);
  }
  const g = new Graph(quads);
  const types = g.allTypes();
  if ([...types].some((t) => t.startsWith(PRE_STANDARD))) throw refuse(file, 'an AFF4 image written before AFF4 Standard v1.0 (Evimetry 1.x-2.1 or early aff4imager)');
  for (const t of ['EncryptedStream', 'KeyBag', 'PasswordWrappedKeyBag', 'CertEncryptedKeyBag']) {
    if (types.has(AFF4 + t)) throw refuse(file, 'an encrypted AFF4 image');
  }
  if (types.has(AFF4 + 'FileImage') || types.has(AFF4 + 'LogicalImage')) throw refuse(file, 'an AFF4 logical evidence container (AFF4-L: files, not a disk image)');
  const images = g.subjectsOfType(AFF4 + 'Image');
  if (images.length === 0) throw invalid(file, 'its information.turtle describes no aff4:Image');
  if (images.length > 1) throw refuse(file, `an AFF4 container holding ${images.length} images`);
  const urn = images[0]!;
  const dataStream = g.value(urn, AFF4 + 'dataStream');
  if (dataStream === undefined) throw invalid(file, `the image ${urn} names no aff4:dataStream`);
  const text = new Map<string, string>();
  for (const p of ['diskMake', 'diskModel', 'diskSerial', 'diskDeviceName', 'diskInterfaceType', 'diskDeviceType', 'acquisitionCompletionState']) {
    const v = g.value(urn, AFF4 + p);
    if (v !== undefined) text.set(p, v);
  }
  const image: ImageFacts = { urn, dataStream, size: count(g, urn, 'size', file), blockSize: count(g, urn, 'blockSize', file, 1 << 20), hashes: hashesOf(g, urn), text, disk: g.types(urn).includes(AFF4 + 'DiskImage') };

  const streams = new Map<string, StreamFacts>();
  for (const s of g.subjectsOfType(AFF4 + 'ImageStream')) {
    if (g.value(s, AFF4 + 'stored') === undefined && g.value(s, AFF4 + 'size') === undefined) continue; // described by another volume of a striped set
    const blockHashesHashes = new Map<string, StoredHash>();
    for (const b of g.subjectsOfType(AFF4 + 'BlockHashes')) {
      const m = /^(.*)\/blockhash\.([a-z0-9]+)$/i.exec(b);
      const h = hashesOf(g, b)[0];
      if (m && m[1] === s && h) blockHashesHashes.set(m[2]!.toLowerCase(), h);
    }
    streams.set(s, {
      urn: s,
      size: count(g, s, 'size', file) ?? NaN,
      chunkSize: count(g, s, 'chunkSize', file, 64 << 20) ?? 32768,
      chunksInSegment: count(g, s, 'chunksInSegment', file, 1 << 20) ?? 1024,
      compression: g.value(s, AFF4 + 'compressionMethod'),
      hashes: hashesOf(g, s),
      blockHashesHashes,
      ...optional('indexHash', hashesOf(g, s, 'imageStreamIndexHash')[0]),
      ...optional('streamHash', hashesOf(g, s, 'imageStreamHash')[0]),
    });
  }

  let map: MapFacts | undefined;
  if (g.types(dataStream).includes(AFF4 + 'Map')) {
    const one = (p: string) => hashesOf(g, dataStream, p)[0];
    const h = { point: one('mapPointHash'), idx: one('mapIdxHash'), path: one('mapPathHash'), map: one('mapHash'), blockMap: one('blockMapHash') };
    map = {
      urn: dataStream,
      size: count(g, dataStream, 'size', file) ?? NaN,
      gapStream: g.value(dataStream, AFF4 + 'mapGapDefaultStream') ?? AFF4 + 'Zero',
      dependent: g.objects(dataStream, AFF4 + 'dependentStream').map((o) => o.value),
      hashes: Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)),
    };
  } else if (!streams.has(dataStream)) throw invalid(file, `the image's data stream ${dataStream} is neither a map nor an image stream this container describes`);

  const cases: Map<string, string>[] = [];
  for (const t of ['CaseDetails', 'CaseNotes']) {
    for (const s of g.subjectsOfType(AFF4 + t)) {
      const facts = new Map<string, string>();
      for (const p of ['caseNumber', 'caseName', 'caseDescription', 'evidenceNumber', 'examiner', 'notes', 'timestamp']) {
        const v = g.value(s, AFF4 + p);
        if (v !== undefined) facts.set(p, v);
      }
      cases.push(facts);
    }
  }
  cases.sort((a, b) => (a.get('timestamp') ?? '').localeCompare(b.get('timestamp') ?? ''));
  return { image, map, streams, maps: new Set(g.subjectsOfType(AFF4 + 'Map')), cases };
}
