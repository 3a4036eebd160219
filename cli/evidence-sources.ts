/** The drives and files acquisitions came from, so that restore and clone never write to one. */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { SourceIdentity } from '../acquire/restore.js';
import { CaseStore, exhibitPaths } from '../case-store/index.js';
import type { AcquisitionRecord } from '../core/record.js';
import { readInputTextSync } from '../core/input-file.js';

/** Every source an acquisition in this machine's store (and the image's own record) came from. */
export function evidenceSources(image?: string): SourceIdentity[] {
  const out: SourceIdentity[] = [];
  const add = (file: string) => {
    try {
      const r = YAML.parse(readInputTextSync(file)) as AcquisitionRecord;
      const d = (r.source.device ?? {}) as { serial?: string; wwid?: string; loop_backing_file?: string };
      out.push({
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
  const paths = exhibitPaths();
  if (fs.existsSync(paths.database)) {
    const store = CaseStore.open(paths);
    try {
      for (const row of store.db.prepare('SELECT folder, record_file FROM acquisitions').all() as { folder: string; record_file: string }[]) add(path.join(row.folder, row.record_file));
    } finally {
      store.close();
    }
  }
  return out;
}

