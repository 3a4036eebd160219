/**
 * Whether a restore or clone target is evidence: a file (or the file behind a
 * loop device) that is one of the image being restored, an image file or
 * record the case store logged (the same file by device and inode, or by real
 * path, wherever it is reached from), an image beside an exhibit record that
 * lists it (so a moved folder is still known), or the source of an
 * acquisition; or a drive whose serial, WWID, or model and size (when no
 * serial tells them apart) are an evidence item's. One line names the item.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isRecordFileName, recordFileName } from '../core/record.js';
import { readRecordClaims } from '../core/record/read.js';
import { imageFileName } from '../image/names.js';
import type { EvidenceSource, KnownEvidence } from '../core/evidence-identity.js';
import { ExhibitError } from '../core/errors.js';
import type { BlockDeviceFacts } from './block-device.js';
import type { SourceFacts } from './source.js';

const MAX_RECORDS_LOOKED_AT = 100;

/** Refuse `target` (described by `facts`) when it is evidence; `own` are the files of the image being restored. */
export function refuseEvidenceTarget(target: string, facts: SourceFacts | undefined, known: KnownEvidence, own: readonly string[]): void {
  if (!facts) return;
  const refuse = (what: string, hint?: string): never => {
    throw new ExhibitError('USAGE', `the target ${target} is ${what}: exhibit never writes to evidence`, hint ? { hints: [hint] } : {});
  };
  const backing = facts.kind === 'file' ? facts.resolved_path : facts.device?.loop_backing_file?.replace(/ \(deleted\)$/, '');
  if (backing) {
    const same = sameFileAs(backing);
    const via = (what: string) => (facts.kind === 'file' ? what : `backed by ${backing}, ${what}`);
    for (const f of own) if (same(f)) refuse(via('a file of the image being restored'));
    for (const f of known.files) if (same(f.path)) refuse(via(f.what));
    const beside = recordBeside(backing);
    if (beside) refuse(via(beside), 'an exhibit record beside it lists it');
    const named = acquisitionFileBeside(backing);
    if (named) refuse(via(named), 'its name is that evidence\'s, in the folder of its acquisition');
    for (const s of known.sources) if (s.path && same(s.path)) refuse(s.what, `${facts.kind === 'file' ? 'it' : `its file ${backing}`} is the one that was acquired`);
  }
  const d = facts.device;
  if (d) {
    const size = d.is_partition ? wholeDiskBytes(d) : facts.size_bytes;
    for (const s of known.sources) {
      const why = driveMatch(d, size, s);
      if (why) refuse(s.what, why);
    }
  }
}

/** A test for "is this the same file as `file`": by device and inode, or by real path. */
function sameFileAs(file: string): (other: string) => boolean {
  const id = statOf(file);
  const real = realOf(file);
  return (other) => {
    const o = statOf(other);
    if (id && o) return id.dev === o.dev && id.ino === o.ino;
    return real !== undefined && realOf(other) === real;
  };
}

function statOf(f: string): fs.BigIntStats | undefined {
  try {
    return fs.statSync(f, { bigint: true });
  } catch {
    return undefined;
  }
}

function realOf(f: string): string | undefined {
  try {
    return fs.realpathSync(f);
  } catch {
    return undefined;
  }
}

/**
 * What the file is to an acquisition in its folder, by its name alone: `<evidence>.<anything>` beside
 * that evidence's record, resume journal or lock is one of its files (an image an acquisition is still
 * writing, whose provisional record lists no file yet; its custody log copy, checkpoint, pieces file or
 * map; or a name it will write next). Works for a file that does not exist yet.
 */
export function acquisitionFileBeside(file: string): string | undefined {
  const dir = path.dirname(file);
  const name = path.basename(file);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return undefined;
  }
  const marks = new Map<string, string>(); // evidence -> what marks it
  for (const n of names) {
    const m = /^(.+)\.(acquisition\.yaml|journal\.json|lock)$/i.exec(n);
    const kind = m?.[2]!.toLowerCase();
    if (m && !marks.has(m[1]!)) marks.set(m[1]!, kind === 'acquisition.yaml' ? 'its record' : kind === 'journal.json' ? 'its resume journal (an acquisition stopped unfinished)' : 'its lock (an acquisition or conversion under way)');
  }
  // Without regard to capitals: on a file system that ignores them (NTFS, exFAT, SMB) EV.E04 and ev.E04 are one file.
  const lower = name.toLowerCase();
  for (const [evidence, mark] of marks) {
    if (lower.startsWith(`${evidence.toLowerCase()}.`) && lower !== `${evidence.toLowerCase()}.`) return `a file of evidence ${evidence} (beside ${mark})`;
  }
  return undefined;
}

/** What an exhibit record in the file's folder says the file is, when one lists it (or it is one). */
function recordBeside(file: string): string | undefined {
  const dir = path.dirname(file);
  const name = path.basename(file);
  const candidates = new Set<string>();
  if (isRecordFileName(name)) candidates.add(name);
  const image = imageFileName(name);
  if (image) candidates.add(recordFileName(image.base));
  try {
    for (const n of fs.readdirSync(dir)) {
      if (candidates.size >= MAX_RECORDS_LOOKED_AT) break;
      if (isRecordFileName(n)) candidates.add(n);
    }
  } catch {
    /* an unreadable folder: only the name-derived record is looked at */
  }
  for (const n of candidates) {
    const r = readRecordClaims(path.join(dir, n));
    if (!r || (r.kind !== 'exhibit acquisition' && r.kind !== 'exhibit conversion')) continue; // not a record exhibit wrote: it names nothing
    if (n === name) return `the acquisition record of ${r.evidence} in case ${r.case}`;
    if (r.files.includes(name)) return `an image file of ${r.evidence} in case ${r.case}`;
  }
  return undefined;
}

function wholeDiskBytes(d: BlockDeviceFacts): number | undefined {
  try {
    return Number(fs.readFileSync(`/sys/class/block/${d.whole_disk}/size`, 'utf8').trim()) * 512;
  } catch {
    return undefined;
  }
}

/** Why drive `d` (of `size` bytes) is the evidence source `s`, or undefined when nothing says so. */
export function driveMatch(d: Pick<BlockDeviceFacts, 'serial' | 'wwid' | 'model'>, size: number | undefined, s: EvidenceSource): string | undefined {
  const serial = d.serial?.trim();
  const wwid = d.wwid?.trim();
  const model = d.model?.trim();
  if (s.serial && serial && s.serial === serial) return `its serial ${serial} is the one recorded`;
  if (s.wwid && wwid && s.wwid === wwid) return `its WWID ${wwid} is the one recorded`;
  const toldApart = (s.serial !== undefined && serial !== undefined) || (s.wwid !== undefined && wwid !== undefined);
  if (!toldApart && s.model && model && s.model === model && s.size_bytes !== undefined && s.size_bytes === size) {
    return `it is a ${model} of ${size} bytes, as recorded, and no serial or WWID tells the two apart`;
  }
  return undefined;
}
