/**
 * The store's tables other than the log are projections of it: each custody
 * entry of certain kinds gives one row. The same function fills a row when
 * the entry is appended and re-derives it when the case is checked, so a row
 * edited behind exhibit's back is found and the entry it belongs to named.
 */
import type { CustodyEntry } from '../core/custody.js';
import { recordOf } from '../core/text.js';

export type Cell = string | number | null;
export type ProjectedTable = 'cases' | 'evidence' | 'acquisitions' | 'transfers' | 'verifications' | 'reports';
export interface Projection {
  table: ProjectedTable;
  values: Record<string, Cell>; // columns besides case_id and entry_seq
}

/** Tables whose rows carry entry_seq and are checked row by row. */
export const ENTRY_TABLES: readonly Exclude<ProjectedTable, 'cases'>[] = ['evidence', 'acquisitions', 'transfers', 'verifications', 'reports'];

const str = (v: unknown): Cell => (typeof v === 'string' ? v : null);
const int = (v: unknown): Cell => (typeof v === 'number' ? v : null);
const obj = recordOf;

export function projectEntry(e: CustodyEntry): Projection | undefined {
  const p = e.payload as Record<string, unknown>;
  switch (e.kind) {
    case 'case.opened':
      return { table: 'cases', values: { number: str(p.number), title: str(p.title) } };
    case 'evidence.registered':
      return {
        table: 'evidence',
        values: {
          number: str(p.number),
          description: str(p.description),
          make: str(p.make),
          model: str(p.model),
          serial: str(p.serial),
          capacity_bytes: int(p.capacity_bytes),
          condition: str(p.condition),
          seals: Array.isArray(p.seals) ? JSON.stringify(p.seals) : null,
        },
      };
    case 'acquisition.completed':
    case 'acquisition.incomplete': {
      const media = obj(p.media);
      const hashes = obj(media.hashes);
      const record = obj(p.record);
      return {
        table: 'acquisitions',
        values: {
          evidence: str(p.evidence),
          examiner: e.actor.name,
          result: str(p.result),
          format: str(p.format),
          folder: str(p.folder),
          record_file: str(record.file),
          record_sha256: str(record.sha256),
          size_bytes: int(media.size_bytes),
          md5: str(hashes.md5),
          sha1: str(hashes.sha1),
          sha256: str(hashes.sha256),
          sha512: str(hashes.sha512),
          unreadable_sectors: int(p.unreadable_sectors),
          started_utc: str(obj(p.started).utc),
          finished_utc: str(obj(p.finished).utc),
        },
      };
    }
    case 'custody.transferred': {
      const from = obj(p.from);
      const to = obj(p.to);
      return {
        table: 'transfers',
        values: {
          evidence: str(p.evidence),
          time_utc: e.time.utc,
          from_name: str(from.name),
          from_key: str(from.key),
          to_name: str(to.name),
          to_key: str(to.key),
          purpose: str(p.purpose),
          location: str(p.location),
          override: str(obj(p.override).reason),
        },
      };
    }
    case 'verification.performed':
      return { table: 'verifications', values: { evidence: str(p.evidence), time_utc: e.time.utc, examiner: e.actor.name, result: str(p.result) } };
    case 'report.issued':
      return { table: 'reports', values: { time_utc: e.time.utc, examiner: e.actor.name, file: str(p.file), sha256: str(p.sha256) } };
    case 'key.registered':
    case 'key.rotated':
    case 'key.revoked':
      return undefined; // checked against examiner_keys instead
    case 'image.restored':
    case 'image.converted':
    case 'drive.cloned':
      return undefined; // the log alone holds it
  }
}
