/** What this machine knows as evidence, so that restore and clone never write to it. */
import fs from 'node:fs';
import path from 'node:path';
import { CaseStore, exhibitPaths, knownEvidence } from '../case-store/index.js';
import type { EvidenceSource, KnownEvidence } from '../core/evidence-identity.js';
import { readRecordFile, type AcquisitionRecord } from '../core/record.js';
import { io } from './io.js';

/**
 * Every image file, record and source the case store's custody log knows (wherever their folders
 * are now), the sources the records at their logged paths name (for entries logged before the log
 * held the file behind a loop device), and the source of the image's own record.
 */
export function knownEvidenceHere(image?: string): KnownEvidence {
  const sources: EvidenceSource[] = [];
  const files: KnownEvidence['files'] = [];
  const add = (file: string) => {
    try {
      const r = readRecordFile(file).parsed as AcquisitionRecord;
      const d = (r.source.device ?? {}) as { serial?: string; wwid?: string; loop_backing_file?: string };
      sources.push({
        ...(d.serial ? { serial: d.serial } : {}),
        ...(d.wwid ? { wwid: d.wwid } : {}),
        ...(r.source.kind === 'file' ? { path: String(r.source.resolved_path) } : d.loop_backing_file ? { path: d.loop_backing_file } : {}),
        what: `the source of ${r.evidence} in case ${r.case}`,
      });
    } catch {
      /* a record that cannot be read names no source */
    }
  };
  const own = image?.replace(/\.(raw|dd|img|bin|\d{3,}|[Ees]01|zst)$/, '.acquisition.yaml');
  if (own && own !== image) add(own);
  const paths = exhibitPaths(io().env);
  if (fs.existsSync(paths.database)) {
    const store = CaseStore.openReadOnly(paths);
    try {
      const logged = knownEvidence(store);
      for (const s of logged.sources) sources.push(s);
      for (const f of logged.files) files.push(f);
      for (const row of store.db.prepare('SELECT folder, record_file FROM acquisitions').all() as { folder: string; record_file: string }[]) add(path.join(row.folder, row.record_file));
    } finally {
      store.close();
    }
  }
  return { sources, files };
}
