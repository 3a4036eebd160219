/**
 * Where an acquisition record lives: `<evidence>.acquisition.yaml` in the
 * image's folder, named after the evidence id the image files share. Every
 * record path in exhibit is made here.
 */
import path from 'node:path';

export const RECORD_SUFFIX = '.acquisition.yaml';

/** The record's file name for an evidence id. */
export function recordFileName(evidence: string): string {
  return `${evidence}${RECORD_SUFFIX}`;
}

/** The record of `evidence` in `folder`. */
export function recordPathFor(folder: string, evidence: string): string {
  return path.join(folder, recordFileName(evidence));
}

/** The record beside an image, from the name its files share without extension (`/cases/EV-1` for `/cases/EV-1.E01`). */
export function recordBesideImage(base: string): string {
  return `${base}${RECORD_SUFFIX}`;
}

/** Whether a file name is a record's. */
export function isRecordFileName(name: string): boolean {
  return name.endsWith(RECORD_SUFFIX);
}

/** The evidence id a record's file name is made from (`EV-1` for `EV-1.acquisition.yaml`). */
export function evidenceOfRecordName(name: string): string {
  return path.basename(name).slice(0, -RECORD_SUFFIX.length);
}

/** The resume journal an unfinished acquisition of `evidence` keeps beside its image. */
export function journalFileName(evidence: string): string {
  return `${evidence}.journal.json`;
}
