/**
 * Building an acquisition record from typed parts: acquire
 * (acquire/record-builder.ts) and convert (acquire/convert.ts) both assemble
 * their records here, so the fields come in one order, with one tool and host
 * section, whatever produced them. The order of the keys is the order of the
 * YAML: changing it changes every record's bytes.
 */
import os from 'node:os';
import type { Timestamp } from '../time.js';
import {
  RECORD_VERSION,
  type AcquisitionRecord,
  type RecordConvertedFrom,
  type RecordImageFile,
  type RecordReadOnly,
  type RecordSession,
  type RecordSource,
} from '../record.js';

/** Format settings as the journal and the record keep them (snake_case, as written). */
export interface RecordFormatSettings {
  segment_size?: number | undefined;
  ewf?: { compression: string; chunk_sectors: number } | undefined;
  zstd?: { level: number; frame_size: number } | undefined;
}

export interface RecordParts {
  kind: AcquisitionRecord['record'];
  /** Set when the result is incomplete: why. */
  incompleteReason?: string | undefined;
  /** exhibit's own version. */
  version: string;
  commandLine: string[];
  case: string;
  evidence: string;
  examiner: string;
  description?: string | undefined;
  notes?: string | undefined;
  started: Timestamp;
  finished: Timestamp;
  durationSeconds: number;
  source: RecordSource;
  readOnly: RecordReadOnly;
  format: string;
  settings: RecordFormatSettings;
  files: RecordImageFile[];
  media: AcquisitionRecord['media'];
  readErrors: AcquisitionRecord['read_errors'];
  sessions: RecordSession[];
  convertedFrom?: RecordConvertedFrom;
}

export function assembleRecord(p: RecordParts): AcquisitionRecord {
  const s = p.settings;
  return {
    record: p.kind,
    record_version: RECORD_VERSION,
    result: p.incompleteReason !== undefined ? 'incomplete' : 'complete',
    ...(p.incompleteReason !== undefined ? { incomplete_reason: p.incompleteReason } : {}),
    tool: { name: 'exhibit', version: p.version, node: process.version, openssl: process.versions.openssl ?? 'unknown' },
    command_line: p.commandLine,
    host: { hostname: os.hostname(), user: os.userInfo().username, os: `${os.type()} ${os.release()} ${os.arch()}` },
    case: p.case,
    evidence: p.evidence,
    examiner: p.examiner,
    ...(p.description ? { description: p.description } : {}),
    ...(p.notes ? { notes: p.notes } : {}),
    started: p.started,
    finished: p.finished,
    duration_seconds: p.durationSeconds,
    source: p.source,
    read_only: p.readOnly,
    image: {
      format: p.format,
      ...(s.segment_size ? { segment_size: s.segment_size } : {}),
      // A format has E01 settings or zstd settings, never both: their order does not change a record.
      ...(s.ewf ? { compression: s.ewf.compression, chunk_sectors: s.ewf.chunk_sectors } : {}),
      ...(s.zstd ? { zstd_level: s.zstd.level, frame_size: s.zstd.frame_size } : {}),
      files: p.files,
    },
    media: p.media,
    read_errors: p.readErrors,
    sessions: p.sessions,
    ...(p.convertedFrom ? { converted_from: p.convertedFrom } : {}),
  };
}
