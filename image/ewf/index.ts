/** The E01 format (EWF1, as EnCase and libewf write it). */
import os from 'node:os';
import type { FormatDescriptor } from '../descriptor.js';
import { ewfCodec } from './codec.js';
import { FILE_SIGNATURE } from './layout.js';
import { EwfReader, type EwfPartialState } from './reader.js';
import { EwfWriter } from './writer.js';

export const ewfFormat: FormatDescriptor<'e01'> = {
  name: 'e01',
  title: 'an E01 image',
  fileNames: { extensions: '[E-Ze-z](\\d\\d|[A-Za-z]{2})', first: /^(.*)\.([Ees])01$/ },
  recognise: (head) => head.length >= FILE_SIGNATURE.length && FILE_SIGNATURE.equals(head.subarray(0, FILE_SIGNATURE.length)),
  async open(file) {
    const r = await EwfReader.open(file);
    return { reader: r, warnings: [...r.warnings], damaged: [...r.damaged] };
  },
  openPartial: (files, state) => EwfReader.openPartial(files[0]!, state as EwfPartialState),
  createWriter(r) {
    const s = r.settings;
    return new EwfWriter({
      dir: r.dir,
      base: r.base,
      ...(r.staged ? { staged: true } : {}),
      segmentSize: s.segment_size!,
      chunkSectors: s.ewf!.chunk_sectors,
      sectorSize: r.sectorSize,
      mediaBytes: r.mediaBytes,
      compression: s.ewf!.compression,
      mediaType: s.ewf!.media_type ?? r.facts.mediaType ?? (r.facts.removable ? 'removable' : 'fixed'),
      physical: r.facts.physical,
      info: {
        caseNumber: r.facts.case,
        evidenceNumber: r.facts.evidence,
        examiner: r.facts.examiner,
        ...(r.facts.description ? { description: r.facts.description } : {}),
        ...(r.facts.notes ? { notes: r.facts.notes } : {}),
        ...(r.facts.model ? { model: r.facts.model } : {}),
        ...(r.facts.serial ? { serial: r.facts.serial } : {}),
        version: r.version,
        os: `${os.type()} ${os.release()}`.slice(0, 23),
        acquired: r.facts.acquired,
        system: new Date(),
      },
      ...(r.threads !== undefined ? { threads: r.threads } : {}),
    });
  },
  options: { segmentSize: '1.4GiB', compression: 'fast', chunkSectors: 64 },
  codecModule: ewfCodec('none').module,
  container: true,
  listsReadErrors: true,
  wholeSectors: true,
  storesHashes: ['md5', 'sha1'],
  requiresHashes: ['md5'],
};
