/**
 * Hand-made single-segment E01 files for the hostile-input tests (layout:
 * image/ewf/SPEC.md and shared EWF-FACTS.md): volume, sectors, table,
 * table2, optional error2, hash, done. Chunks are stored raw with their
 * Adler-32, so any geometry can be written.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { adler32 } from '../../core/adler32.js';
import { DESCRIPTOR_SIZE, descriptor, ERROR2_HEADER_SIZE, fileHeader, HASH_SIZE, sealPayload, TABLE_HEADER_SIZE, VOLUME, VOLUME_SIZE } from '../../image/ewf/layout.js';

export interface E01Spec {
  sectorsPerChunk: number;
  bytesPerSector: number;
  /** The media; its length must be a whole number of sectors. */
  media: Buffer;
  /** error2 entries: [first sector, sector count]. */
  errors?: readonly (readonly [number, number])[];
  /** Write table2 after the table (default: yes). */
  table2?: boolean;
}

function withChecksum(entries: Buffer): Buffer {
  const b = Buffer.alloc(entries.length + 4);
  entries.copy(b);
  b.writeUInt32LE(adler32(entries, 1, 0, entries.length), entries.length);
  return b;
}

export function writeE01(file: string, s: E01Spec): void {
  const chunkSize = s.sectorsPerChunk * s.bytesPerSector;
  const sectors = s.media.length / s.bytesPerSector;
  const chunkCount = Math.ceil(s.media.length / chunkSize);
  const volume = Buffer.alloc(VOLUME_SIZE);
  volume[VOLUME.mediaType] = 1;
  volume.writeUInt32LE(chunkCount, VOLUME.chunkCount);
  volume.writeUInt32LE(s.sectorsPerChunk, VOLUME.sectorsPerChunk);
  volume.writeUInt32LE(s.bytesPerSector, VOLUME.bytesPerSector);
  volume.writeBigUInt64LE(BigInt(sectors), VOLUME.sectorCount);
  volume[VOLUME.mediaFlags] = 1;
  volume.writeUInt32LE(s.sectorsPerChunk, VOLUME.errorGranularity);
  crypto.randomBytes(16).copy(volume, VOLUME.setIdentifier);
  sealPayload(volume, VOLUME.checksum);

  // Chunks stored raw, each followed by its Adler-32; table offsets are relative to the sectors descriptor.
  const stored = Buffer.alloc(s.media.length + 4 * chunkCount);
  const offsets = Buffer.alloc(4 * chunkCount);
  let at = 0;
  for (let i = 0; i < chunkCount; i++) {
    const chunk = s.media.subarray(i * chunkSize, Math.min((i + 1) * chunkSize, s.media.length));
    offsets.writeUInt32LE(DESCRIPTOR_SIZE + at, 4 * i);
    chunk.copy(stored, at);
    stored.writeUInt32LE(adler32(chunk, 1, 0, chunk.length), at + chunk.length);
    at += chunk.length + 4;
  }

  const payloads: [string, Buffer][] = [['volume', volume], ['sectors', stored]];
  const sectorsAt = 13 + DESCRIPTOR_SIZE + VOLUME_SIZE;
  const tableHeader = Buffer.alloc(TABLE_HEADER_SIZE);
  tableHeader.writeUInt32LE(chunkCount, 0);
  tableHeader.writeBigUInt64LE(BigInt(sectorsAt), 8);
  sealPayload(tableHeader, 20);
  const table = Buffer.concat([tableHeader, withChecksum(offsets)]);
  payloads.push(['table', table]);
  if (s.table2 !== false) payloads.push(['table2', table]);
  if (s.errors) {
    const head = Buffer.alloc(ERROR2_HEADER_SIZE);
    head.writeUInt32LE(s.errors.length, 0);
    sealPayload(head, ERROR2_HEADER_SIZE - 4);
    const entries = Buffer.alloc(8 * s.errors.length);
    s.errors.forEach(([first, count], i) => {
      entries.writeUInt32LE(first, 8 * i);
      entries.writeUInt32LE(count, 8 * i + 4);
    });
    payloads.push(['error2', Buffer.concat([head, withChecksum(entries)])]);
  }
  const hash = Buffer.alloc(HASH_SIZE);
  crypto.createHash('md5').update(s.media).digest().copy(hash, 0);
  payloads.push(['hash', sealPayload(hash, 32)]);

  const parts: Buffer[] = [fileHeader(1)];
  let off = 13;
  for (const [type, p] of payloads) {
    const size = DESCRIPTOR_SIZE + p.length;
    parts.push(descriptor(type, off + size, size), p);
    off += size;
  }
  parts.push(descriptor('done', off, 0));
  fs.writeFileSync(file, Buffer.concat(parts));
}
