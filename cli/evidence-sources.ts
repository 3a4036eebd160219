/** What this machine knows as evidence, so that restore and clone never write to it. */
import path from 'node:path';
import os from 'node:os';
import { CaseStore, storeExists, exhibitPaths, jobStatuses, knownEvidence } from '../case-store/index.js';
import type { EvidenceSource, KnownEvidence } from '../core/evidence-identity.js';
import { recordBesideImage } from '../core/record.js';
import { readRecordClaims } from '../core/record/read.js';
import { imageFileName } from '../image/names.js';
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
    // Only what the record names is looked at: a record damaged elsewhere still protects its source.
    const r = readRecordClaims(file);
    const s = r?.source;
    if (!r || !s) return; // a record that cannot be read names no source
    sources.push({
      ...(s.serial ? { serial: s.serial } : {}),
      ...(s.wwid ? { wwid: s.wwid } : {}),
      ...(s.kind === 'file' && s.resolved_path ? { path: s.resolved_path } : s.loop_backing_file ? { path: s.loop_backing_file } : {}),
      what: `the source of ${r.evidence} in case ${r.case}`,
    });
  };
  const named = image === undefined ? undefined : imageFileName(path.basename(image));
  if (image !== undefined && named) add(recordBesideImage(path.join(path.dirname(image), named.base)));
  const paths = exhibitPaths(io().env);
  if (storeExists(paths)) {
    const store = CaseStore.openReadOnly(paths);
    try {
      const logged = knownEvidence(store);
      for (const s of logged.sources) sources.push(s);
      for (const f of logged.files) files.push(f);
      for (const row of store.db.all('SELECT folder, record_file FROM acquisitions') as { folder: string; record_file: string }[]) add(path.join(row.folder, row.record_file));
      for (const s of unfinishedAcquisitions(store)) sources.push(s);
    } finally {
      store.close();
    }
  }
  return { sources, files };
}

/**
 * The drives of acquisitions under way, or stopped and not yet finished by a resume: logged only at
 * their end, they are known by their jobs. A drive by its serial (on any workstation of the store);
 * by its path, or a loop device by the file it read when the job began, only on this machine (another
 * machine's /dev/loop0 is not this one's).
 */
function unfinishedAcquisitions(store: CaseStore): EvidenceSource[] {
  const finished = store.db.all("SELECT c.number AS number, a.evidence AS evidence, a.finished_utc AS finished FROM acquisitions a JOIN cases c ON c.id = a.case_id WHERE a.result = 'complete'") as { number: string; evidence: string; finished: string }[];
  const here = os.hostname();
  const out: EvidenceSource[] = [];
  for (const j of jobStatuses(store, 1000)) {
    if (j.kind !== 'acquisition' || j.outcome === 'complete') continue;
    if (finished.some((f) => f.number === j.case && f.evidence === j.evidence && f.finished >= j.started_utc)) continue; // resumed to the end since
    const local = j.host === here ? (j.backing_file ?? (j.drive && !/^\/dev\/loop\d+$/.test(j.drive) ? j.drive : undefined)) : undefined;
    if (!local && !j.serial) continue;
    const what = `the source of ${j.evidence ?? 'an acquisition'}${j.case ? ` in case ${j.case}` : ''}, which an acquisition ${j.state === 'running' ? 'is reading now' : 'began and did not finish'} (${j.host})`;
    out.push({ ...(local ? { path: local } : {}), ...(j.serial ? { serial: j.serial } : {}), what });
  }
  return out;
}
