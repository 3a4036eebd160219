/** Custody entries in plain words, for people. */
import type { CheckedEntry } from '../core/custody-check.js';
import { KIND_WORDS, type CustodyEntry } from '../core/custody.js';
import { recordOf } from '../core/text.js';
import { formatBytes } from '../core/units.js';

const s = (v: unknown): string => (typeof v === 'string' ? v : '');
const o = recordOf;

export function describeEntry(e: CustodyEntry): string {
  const p = e.payload as Record<string, unknown>;
  switch (e.kind) {
    case 'case.opened':
      return p.title ? `"${s(p.title)}"` : '';
    case 'key.registered':
      return `key ${s(p.key)}`;
    case 'evidence.registered': {
      const parts = [s(p.number), s(p.description), [s(p.make), s(p.model)].filter(Boolean).join(' '), p.serial ? `serial ${s(p.serial)}` : ''];
      if (typeof p.capacity_bytes === 'number') parts.push(formatBytes(p.capacity_bytes));
      if (p.condition) parts.push(`condition: ${s(p.condition)}`);
      if (Array.isArray(p.seals) && p.seals.length > 0) parts.push(`seals ${p.seals.join(', ')}`);
      return parts.filter(Boolean).join(', ');
    }
    case 'acquisition.completed':
    case 'acquisition.incomplete': {
      const media = o(p.media);
      const hashes = o(media.hashes);
      const bad = typeof p.unreadable_sectors === 'number' && p.unreadable_sectors > 0 ? `, ${p.unreadable_sectors} sectors unreadable` : '';
      const size = typeof media.size_bytes === 'number' ? formatBytes(media.size_bytes) : '?';
      const why = p.result === 'incomplete' && p.incomplete_reason ? ` (${s(p.incomplete_reason)})` : '';
      return `${s(p.evidence)}: ${s(p.format)} image of ${size}${bad}${why}${hashes.sha256 ? `, sha256 ${s(hashes.sha256)}` : ''}`;
    }
    case 'custody.transferred': {
      const to = o(p.to);
      const countersigned = (e.cosigners ?? []).some((c) => c.name === to.name);
      return `${s(p.evidence)} from ${s(o(p.from).name)} to ${s(to.name)}${countersigned ? ' (countersigned)' : ' (not countersigned)'}, purpose: ${s(p.purpose)}, location: ${s(p.location)}`;
    }
    case 'verification.performed':
      return `${s(p.evidence)}: ${s(p.result)}`;
    case 'report.issued':
      return `${s(p.file)} sha256 ${s(p.sha256)}`;
    case 'image.converted': {
      const hashes = o(o(p.media).hashes);
      return `${s(p.evidence)}: converted to ${s(p.format)} from ${s(o(p.converted_from).format)}${hashes.sha256 ? `, sha256 ${s(hashes.sha256)}` : ''}`;
    }
    case 'image.restored':
      return `${s(p.evidence)} restored onto ${s(p.target)}: ${s(p.result)}`;
    case 'drive.cloned':
      return `${s(p.evidence)} cloned onto ${s(p.target)}: ${s(p.result)}`;
    case 'key.rotated':
      return `${s(p.examiner)}: key ${s(p.old_key)} replaced by key ${s(p.key)}`;
    case 'key.revoked':
      return `${s(p.examiner)}: key ${s(p.key)} revoked from ${s(p.effective)}, reason: ${s(p.reason)}`;
  }
}

export function entryLine(c: CheckedEntry, flagged: boolean): string {
  const e = c.entry;
  const when = e.time.local.replace('T', ' ').replace(/\.\d{3}/, ' ');
  const who = [e.actor.name, ...(e.cosigners ?? []).map((x) => x.name)].join(' + ');
  return `${flagged ? '!' : ' '}${String(c.seq).padStart(4)}  ${when}  ${KIND_WORDS[e.kind].padEnd(23)}${who}${describeEntry(e) ? `: ${describeEntry(e)}` : ''}`;
}
