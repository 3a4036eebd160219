/** One place that turns a format and its settings into an image writer (acquire and convert both use it). */
import os from 'node:os';
import type { Compression } from '../image/ewf/chunk-codec.js';
import type { MediaType } from '../image/ewf/layout.js';
import { EwfWriter } from '../image/ewf/writer.js';
import { RawWriter } from '../image/raw/writer.js';
import type { ImageWriter } from '../image/types.js';
import { ZstdWriter } from '../image/zstd/writer.js';

export type OutputFormat = 'raw' | 'split-raw' | 'e01' | 'zst';

/** Format settings as the journal and the record keep them. */
export interface FormatSettings {
  format: OutputFormat;
  segment_size?: number;
  ewf?: { compression: Compression; chunk_sectors: number; media_type?: MediaType };
  zstd?: { level: number; frame_size: number };
}

/** The case facts a format with its own metadata fields (E01) stores. */
export interface CaseFacts {
  case: string;
  evidence: string;
  examiner: string;
  description?: string;
  notes?: string;
  model?: string;
  serial?: string;
  removable?: boolean;
  physical: boolean;
  acquired: Date;
}

export function makeWriter(o: {
  dir: string;
  base: string;
  settings: FormatSettings;
  mediaBytes: number;
  sectorSize: number;
  facts: CaseFacts;
  version: string;
  threads?: number;
}): ImageWriter {
  const s = o.settings;
  const threads = o.threads ? { threads: o.threads } : {};
  switch (s.format) {
    case 'e01':
      return new EwfWriter({
        dir: o.dir,
        base: o.base,
        segmentSize: s.segment_size!,
        chunkSectors: s.ewf!.chunk_sectors,
        sectorSize: o.sectorSize,
        mediaBytes: o.mediaBytes,
        compression: s.ewf!.compression,
        mediaType: s.ewf!.media_type ?? (o.facts.removable ? 'removable' : 'fixed'),
        physical: o.facts.physical,
        info: {
          caseNumber: o.facts.case,
          evidenceNumber: o.facts.evidence,
          examiner: o.facts.examiner,
          ...(o.facts.description ? { description: o.facts.description } : {}),
          ...(o.facts.notes ? { notes: o.facts.notes } : {}),
          ...(o.facts.model ? { model: o.facts.model } : {}),
          ...(o.facts.serial ? { serial: o.facts.serial } : {}),
          version: o.version,
          os: `${os.type()} ${os.release()}`.slice(0, 23),
          acquired: o.facts.acquired,
          system: new Date(),
        },
        ...threads,
      });
    case 'zst':
      return new ZstdWriter({ dir: o.dir, base: o.base, frameSize: s.zstd!.frame_size, level: s.zstd!.level, ...threads });
    case 'split-raw':
      return new RawWriter(o.dir, o.base, s.segment_size!);
    case 'raw':
      return new RawWriter(o.dir, o.base, null);
  }
}
