/** What each kind of custody entry holds, built from exhibit's own records. */
import type { Payload } from '../core/custody.js';
import type { AcquisitionRecord, RecordDevice } from '../core/record.js';

export interface EvidenceItem {
  number: string;
  description?: string;
  make?: string;
  model?: string;
  serial?: string;
  capacity_bytes?: number;
  condition?: string;
  seals?: string[];
}

export function evidencePayload(item: EvidenceItem): Payload {
  return {
    number: item.number,
    description: item.description,
    make: item.make,
    model: item.model,
    serial: item.serial,
    capacity_bytes: item.capacity_bytes,
    condition: item.condition,
    seals: item.seals ?? [],
  };
}

/** The evidence item as an acquisition saw it: make, model and serial from the drive, capacity from its size. */
export function evidenceFromRecord(r: AcquisitionRecord): EvidenceItem {
  const device: RecordDevice = r.source.device ?? {};
  return {
    number: r.evidence,
    ...(r.description !== undefined ? { description: r.description } : {}),
    ...(device.vendor ? { make: device.vendor } : {}),
    ...(device.model ? { model: device.model } : {}),
    ...(device.serial ? { serial: device.serial } : {}),
    capacity_bytes: r.media.size_bytes,
  };
}

/**
 * An acquisition entry: the result, the media hashes, the image files and
 * their SHA-256, the read errors and the read-only verdict, and the SHA-256
 * of the record file, which binds everything else the record says.
 */
export function acquisitionPayload(r: AcquisitionRecord, folder: string, recordFile: string, recordSha256: string): Payload {
  const device: RecordDevice = r.source.device ?? {};
  const readOnly = r.read_only;
  return {
    evidence: r.evidence,
    result: r.result,
    incomplete_reason: r.incomplete_reason,
    folder,
    record: { file: recordFile, sha256: recordSha256 },
    format: r.image.format,
    files: r.image.files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256 })),
    media: { size_bytes: r.media.size_bytes, sector_size: r.media.sector_size, bytes_acquired: r.media.bytes_acquired, hashes: { ...(r.media.hashes ?? {}) } },
    // The pieces file (core/pieces.ts), bound by its SHA-256: verify locates a change to its piece against this.
    ...(r.media.pieces ? { pieces: { file: r.media.pieces.file, piece_size: r.media.pieces.piece_size, count: r.media.pieces.count, sha256: r.media.pieces.sha256 } } : {}),
    unreadable_sectors: r.read_errors.unreadable_sectors,
    unreadable_ranges: r.read_errors.ranges.length,
    read_only: { method: readOnly.method ?? 'unknown', unchanged: readOnly.unchanged === true },
    source: {
      path: String(r.source.path),
      kind: String(r.source.kind),
      model: device.model,
      serial: device.serial,
      wwid: device.wwid,
      // A source file, or the file behind a loop device: restore and clone refuse it wherever the record has gone.
      backing_file: device.loop_backing_file ?? (r.source.kind === 'file' ? r.source.resolved_path : undefined),
    },
    started: { utc: r.started.utc, local: r.started.local },
    finished: { utc: r.finished.utc, local: r.finished.local },
  };
}
