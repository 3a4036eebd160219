/**
 * What makes a drive or a file evidence, as exhibit knows it (from the case
 * store's custody log and from records): restore and clone refuse a target
 * that matches. `source/target.ts` checks targets against it and may not import the
 * store, so the CLI gathers it and passes it down as this plain data.
 */

/** A drive (or file) evidence came from. */
export interface EvidenceSource {
  serial?: string;
  wwid?: string;
  model?: string;
  size_bytes?: number; // the whole drive's; with model, identifies a drive that shows no serial
  path?: string; // a source file, or the file behind a loop device that was the source
  what: string; // for the message: "the source of EV-001 in case 2026-0117"
}

/** A file an acquisition wrote: an image file or its record. */
export interface EvidenceFile {
  path: string; // where the custody log says it was written
  what: string; // for the message: "an image file of EV-001 in case 2026-0117"
  case?: string; // the case whose log says so
}

export interface KnownEvidence {
  sources: EvidenceSource[];
  files: EvidenceFile[];
}
