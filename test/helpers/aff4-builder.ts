/**
 * Builds small AFF4 (Standard v1.0) images for tests, laid out as Evimetry
 * lays them out: a zip (ZIP64 records when asked) holding container.description,
 * version.txt, one image stream (bevies, .index, block hashes), a map
 * (map, idx, mapPath) and information.turtle with the hashes the standard
 * defines. Regions of the media can be data (in the stream), zeros, a
 * repeated byte, unknown or unreadable. Hashes are computed here with
 * node:crypto, independently of exhibit's reader.
 */
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import snappy from 'snappyjs';
import { crc32 } from '../../image/partitions/crc32.js';

export type Region = { start: number; length: number; kind: 'data' | 'zero' | 'unknown' | 'unreadable' | 'ff' };
export type Compression = 'stored' | 'deflate' | 'zlib' | 'snappy' | 'lz4';

export interface Aff4Options {
  compression?: Compression;
  chunkSize?: number;
  chunksInSegment?: number;
  /** Regions of the media; default: all data. Data regions are stored in order in the stream. */
  regions?: Region[];
  /** Store linear MD5 and SHA-1 of the media on the image (as aff4imager does). */
  imageHashes?: boolean;
  zip64?: boolean;
  /** Turtle text appended to information.turtle (to declare encryption, say). */
  extraTurtle?: string;
  /** Store the map's hashes and the block map hash (default); false leaves only the stream's own hashes. */
  mapHashes?: boolean;
}

const COMPRESSION_URI: Record<Compression, string | undefined> = {
  stored: undefined,
  deflate: 'https://tools.ietf.org/html/rfc1951',
  zlib: 'https://www.ietf.org/rfc/rfc1950.txt',
  snappy: 'http://code.google.com/p/snappy/',
  lz4: 'https://code.google.com/p/lz4/',
};

/** An LZ4 block: runs of one byte as matches at offset 1, everything else as literals (valid, if not small). */
export function lz4Block(data: Uint8Array): Buffer {
  const out: number[] = [];
  const lengthBytes = (n: number) => {
    for (n -= 15; n >= 255; n -= 255) out.push(255);
    out.push(n);
  };
  let lit = 0;
  let i = 0;
  const sequence = (litEnd: number, match: number) => {
    const l = litEnd - lit;
    out.push((Math.min(l, 15) << 4) | (match > 0 ? Math.min(match - 4, 15) : 0));
    if (l >= 15) lengthBytes(l);
    for (let k = lit; k < litEnd; k++) out.push(data[k]!);
    if (match > 0) {
      out.push(1, 0);
      if (match - 4 >= 15) lengthBytes(match - 4);
    }
  };
  while (i < data.length) {
    let run = 1;
    while (i + run < data.length && data[i + run] === data[i]) run++;
    // A match must leave the last 5 bytes as literals and start 12 bytes before the end at the latest.
    if (run >= 9 && i + run <= data.length - 5 && i + 1 <= data.length - 12) {
      sequence(i + 1, run - 1);
      i += run;
      lit = i;
    } else i += run;
  }
  sequence(data.length, 0);
  return Buffer.from(out);
}

function compress(c: Compression, chunk: Buffer): Buffer {
  switch (c) {
    case 'stored':
      return chunk;
    case 'deflate':
      return zlib.deflateRawSync(chunk);
    case 'zlib':
      return zlib.deflateSync(chunk);
    case 'snappy':
      return Buffer.from(snappy.compress(chunk));
    case 'lz4':
      return lz4Block(chunk);
  }
}

const hash = (a: string, ...parts: Buffer[]) => {
  const h = crypto.createHash(a);
  for (const p of parts) h.update(p);
  return h.digest();
};

/** A zip of `members` (name, data), all stored; ZIP64 extra fields and end records when `zip64`. */
export function zipOf(members: [string, Buffer][], comment: string, zip64: boolean): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let pos = 0;
  for (const [name, data] of members) {
    const n = Buffer.from(name, 'utf8');
    const extra = zip64 ? Buffer.alloc(20) : Buffer.alloc(0);
    if (zip64) {
      extra.writeUInt16LE(1, 0);
      extra.writeUInt16LE(16, 2);
      extra.writeBigUInt64LE(BigInt(data.length), 4);
      extra.writeBigUInt64LE(BigInt(data.length), 12);
    }
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(45, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(zip64 ? 0xffffffff : data.length, 18);
    local.writeUInt32LE(zip64 ? 0xffffffff : data.length, 22);
    local.writeUInt16LE(n.length, 26);
    local.writeUInt16LE(extra.length, 28);
    parts.push(local, n, extra, data);
    const cextra = zip64 ? Buffer.alloc(28) : Buffer.alloc(0);
    if (zip64) {
      cextra.writeUInt16LE(1, 0);
      cextra.writeUInt16LE(24, 2);
      cextra.writeBigUInt64LE(BigInt(data.length), 4);
      cextra.writeBigUInt64LE(BigInt(data.length), 12);
      cextra.writeBigUInt64LE(BigInt(pos), 20);
    }
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(45, 4);
    c.writeUInt16LE(45, 6);
    c.writeUInt16LE(0x800, 8);
    c.writeUInt32LE(crc32(data), 16);
    c.writeUInt32LE(zip64 ? 0xffffffff : data.length, 20);
    c.writeUInt32LE(zip64 ? 0xffffffff : data.length, 24);
    c.writeUInt16LE(n.length, 28);
    c.writeUInt16LE(cextra.length, 30);
    c.writeUInt32LE(zip64 ? 0xffffffff : pos, 42);
    central.push(c, n, cextra);
    pos += 30 + n.length + extra.length + data.length;
  }
  const dir = Buffer.concat(central);
  const tail: Buffer[] = [];
  if (zip64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeUInt16LE(45, 12);
    rec.writeUInt16LE(45, 14);
    rec.writeBigUInt64LE(BigInt(members.length), 24);
    rec.writeBigUInt64LE(BigInt(members.length), 32);
    rec.writeBigUInt64LE(BigInt(dir.length), 40);
    rec.writeBigUInt64LE(BigInt(pos), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(pos + dir.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(rec, loc);
  }
  const c = Buffer.from(comment, 'utf8');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip64 ? 0xffff : members.length, 8);
  end.writeUInt16LE(zip64 ? 0xffff : members.length, 10);
  end.writeUInt32LE(zip64 ? 0xffffffff : dir.length, 12);
  end.writeUInt32LE(zip64 ? 0xffffffff : pos, 16);
  end.writeUInt16LE(c.length, 20);
  return Buffer.concat([...parts, dir, ...tail, end, c]);
}

/** An AFF4 image of `media`. */
export function buildAff4(media: Buffer, o: Aff4Options = {}): Buffer {
  const compression = o.compression ?? 'snappy';
  const chunkSize = o.chunkSize ?? 4096;
  const perBevy = o.chunksInSegment ?? 8;
  const regions = o.regions ?? [{ start: 0, length: media.length, kind: 'data' }];
  const volume = 'aff4://00000000-1111-2222-3333-444444444444';
  const image = 'aff4://aaaaaaaa-0000-0000-0000-000000000001';
  const mapUrn = 'aff4://aaaaaaaa-0000-0000-0000-000000000002';
  const streamUrn = 'aff4://aaaaaaaa-0000-0000-0000-000000000003';
  const esc = (u: string) => u.replace('aff4://', 'aff4%3A%2F%2F');
  // The stream: data regions in order.
  const stream = Buffer.concat(regions.filter((r) => r.kind === 'data').map((r) => media.subarray(r.start, r.start + r.length)));
  const members: [string, Buffer][] = [['container.description', Buffer.from(volume)], ['version.txt', Buffer.from('major=1\nminor=0\ntool=exhibit test builder\n')]];
  const chunks = Math.ceil(stream.length / chunkSize);
  const md5s: Buffer[] = [];
  const sha1s: Buffer[] = [];
  for (let b = 0; b * perBevy < chunks; b++) {
    const data: Buffer[] = [];
    const index = Buffer.alloc(12 * Math.min(perBevy, chunks - b * perBevy));
    let at = 0;
    const bm: Buffer[] = [];
    const bs: Buffer[] = [];
    for (let i = 0; i < index.length / 12; i++) {
      const c = b * perBevy + i;
      const raw = stream.subarray(c * chunkSize, Math.min(stream.length, (c + 1) * chunkSize));
      const padded = raw.length === chunkSize ? raw : Buffer.concat([raw, Buffer.alloc(chunkSize - raw.length)]);
      let stored = compress(compression, padded);
      if (compression !== 'stored' && stored.length >= chunkSize - 16) stored = padded;
      index.writeBigUInt64LE(BigInt(at), i * 12);
      index.writeUInt32LE(stored.length, i * 12 + 8);
      data.push(stored);
      at += stored.length;
      bm.push(hash('md5', raw));
      bs.push(hash('sha1', raw));
    }
    const name = `${esc(streamUrn)}/${String(b).padStart(8, '0')}`;
    members.push([name, Buffer.concat(data)], [`${name}.index`, index], [`${name}.blockHash.md5`, Buffer.concat(bm)], [`${name}.blockHash.sha1`, Buffer.concat(bs)]);
    md5s.push(...bm);
    sha1s.push(...bs);
  }
  // The map: one point per region that is not a gap (zeros are left as gaps).
  const targets = [streamUrn, 'http://aff4.org/Schema#UnknownData', 'http://aff4.org/Schema#UnreadableData', 'http://aff4.org/Schema#SymbolicStreamFF'];
  const points: Buffer[] = [];
  let streamPos = 0;
  for (const r of regions) {
    if (r.kind === 'zero') continue;
    const p = Buffer.alloc(28);
    p.writeBigUInt64LE(BigInt(r.start), 0);
    p.writeBigUInt64LE(BigInt(r.length), 8);
    p.writeBigUInt64LE(BigInt(r.kind === 'data' ? streamPos : r.start), 16);
    p.writeUInt32LE({ data: 0, unknown: 1, unreadable: 2, ff: 3 }[r.kind], 24);
    if (r.kind === 'data') streamPos += r.length;
    points.push(p);
  }
  const point = Buffer.concat(points);
  const idx = Buffer.from(targets.join('\n') + '\n');
  const mapPath = Buffer.from([0]);
  members.push([`${esc(mapUrn)}/map`, point], [`${esc(mapUrn)}/idx`, idx], [`${esc(mapUrn)}/mapPath`, mapPath]);
  const hex = (b: Buffer) => b.toString('hex');
  const listMd5 = hash('sha512', ...md5s);
  const listSha1 = hash('sha512', ...sha1s);
  const pointH = hash('sha512', point);
  const idxH = hash('sha512', idx);
  const pathH = hash('sha512', mapPath);
  const blockMap = hash('sha512', listMd5, listSha1, pointH, idxH, pathH);
  const comp = COMPRESSION_URI[compression];
  const assembled = o.imageHashes ? expectedMedia(media, regions) : undefined; // the media as a reader assembles it
  const mediaHashes = assembled ? ` , "${hex(hash('md5', assembled))}"^^aff4:MD5 , "${hex(hash('sha1', assembled))}"^^aff4:SHA1` : '';
  const turtle = `@prefix : <${volume}> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix aff4: <http://aff4.org/Schema#> .

<${image}> a aff4:DiskImage , aff4:ContiguousImage , aff4:Image ;
  aff4:dataStream <${mapUrn}> ; aff4:size "${media.length}"^^xsd:long ; aff4:blockSize "512"^^xsd:int ;
  aff4:diskMake "Test" ; aff4:diskModel "Disk 1" ; aff4:diskSerial "SN-123" ;
  ${o.mapHashes === false ? (mediaHashes ? `aff4:hash ${mediaHashes.replace(/^ , /, '')} .` : '.') : `aff4:hash "${hex(blockMap)}"^^aff4:blockMapHashSHA512${mediaHashes} .`}
<aaaaaaaa-case> a aff4:CaseDetails ; aff4:caseNumber "CASE-7" ; aff4:evidenceNumber "EV-7" ; aff4:examiner "Test Examiner" ; aff4:target <${image}> .
<${mapUrn}> a aff4:Map ; aff4:size "${media.length}"^^xsd:long ; aff4:dependentStream <${streamUrn}> ; aff4:mapGapDefaultStream aff4:Zero ; aff4:stored : ${o.mapHashes === false ? '.' : `;
  aff4:mapPointHash "${hex(pointH)}"^^aff4:SHA512 ; aff4:mapIdxHash "${hex(idxH)}"^^aff4:SHA512 ; aff4:mapPathHash "${hex(pathH)}"^^aff4:SHA512 ;
  aff4:mapHash "${hex(hash('sha512', point, idx, mapPath))}"^^aff4:SHA512 ; aff4:blockMapHash "${hex(blockMap)}"^^aff4:SHA512 .`}
<${streamUrn}> a aff4:ImageStream ; aff4:size "${stream.length}"^^xsd:long ; aff4:chunkSize "${chunkSize}"^^xsd:int ; aff4:chunksInSegment "${perBevy}"^^xsd:int ;
  ${comp ? `aff4:compressionMethod <${comp}> ;` : ''} aff4:stored : ; aff4:target <${mapUrn}> ;
  aff4:hash "${hex(hash('md5', stream))}"^^aff4:MD5 , "${hex(hash('sha1', stream))}"^^aff4:SHA1 .
<${streamUrn}/blockhash.md5> a aff4:BlockHashes ; aff4:hash "${hex(listMd5)}"^^aff4:SHA512 .
<${streamUrn}/blockhash.sha1> a aff4:BlockHashes ; aff4:hash "${hex(listSha1)}"^^aff4:SHA512 .
${o.extraTurtle ?? ''}
`;
  members.push(['information.turtle', Buffer.from(turtle)]);
  return zipOf(members, volume, o.zip64 ?? false);
}

/** The media a reader following the AFF4 standard reads back for these regions of `media`. */
export function expectedMedia(media: Buffer, regions: Region[]): Buffer {
  const out = Buffer.alloc(media.length);
  const text = (t: string, at: number, n: number) => {
    for (let i = 0; i < n; i++) out[at + i] = t.charCodeAt(((at + i) % (1 << 20)) % t.length);
  };
  for (const r of regions) {
    if (r.kind === 'data') media.copy(out, r.start, r.start, r.start + r.length);
    else if (r.kind === 'ff') out.fill(0xff, r.start, r.start + r.length);
    else if (r.kind === 'unknown') text('UNKNOWN', r.start, r.length);
    else if (r.kind === 'unreadable') text('UNREADABLEDATA', r.start, r.length);
  }
  return out;
}
