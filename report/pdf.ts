/**
 * The custody report as PDF/A-3b: one document per case, sections in the
 * template's order, every page with its header and "Page N of M", and the
 * machine-checkable evidence attached inside (PDF/A-3 associated files): the
 * custody log, its checkpoint, each acquisition record and the CASE/UCO export.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { KIND_WORDS } from '../core/custody.js';
import type { RecordDevice } from '../core/record.js';
import { timestamp, type Timestamp } from '../core/time.js';
import { formatBytes } from '../core/units.js';
import { piecesShape } from '../core/pieces.js';
import type { ReportData } from './data.js';
import { drawHolders } from './holders.js';
import { BODY, bottom, breakable, charactersWithoutGlyph, ensureRoom, fields, furnish, heading, newDocument, paragraph, width, type Doc } from './layout.js';
import { table } from './table.js';
import type { ReportTemplate, Section } from './template.js';
import { bytes, hashGroups, readOnlyWords, when } from './words.js';
import { verificationWords } from '../core/verification-words.js';

const isHash = (label: string) => /^(MD5|SHA-1|SHA-256|SHA-512|SHA-256 of the record|Head|Key fingerprint)$/.test(label);
/** A digest or fingerprint in groups of 8 (anything else as it is). */
const grouped = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? (/^[0-9a-f]+$/i.test(v) ? hashGroups(v) : v) : undefined);

/** Unreadable ranges listed per acquisition in the appendix (about 45 pages); the attached record holds every one. */
const APPENDIX_MAX_RANGES = 2000;

export interface RenderedReport {
  pdf: Buffer;
  generated: Timestamp;
  /** Characters the report's fonts have no glyph for (Chinese, Japanese, Devanagari, ...): printed as [U+XXXX]. */
  withoutGlyph: string[];
}

/** Who issues the report: named on the first page and on the declaration. */
export interface Issuer {
  name: string;
  fingerprint: string;
}

export function renderPdf(data: ReportData, t: ReportTemplate, jsonld: string, version: string, issuer: Issuer): Promise<RenderedReport> {
  const generated = timestamp();
  const c = data.summary.case;
  const doc = newDocument({ title: `${t.title}: ${t.labels.case} ${c.number}`, author: t.organisation.name, subject: `exhibit ${version}` });
  const chunks: Buffer[] = [];
  doc.on('data', (b: Buffer) => chunks.push(b));
  const done = new Promise<RenderedReport>((resolve, reject) => {
    doc.on('end', () => resolve({ pdf: Buffer.concat(chunks), generated, withoutGlyph: charactersWithoutGlyph(doc) }));
    doc.on('error', reject);
  });

  doc.font('bold').fontSize(18).text(breakable(t.title));
  doc.font('sans').fontSize(10).text(breakable(`${t.labels.case} ${c.number}${c.title ? ` — ${c.title}` : ''}`));
  doc.text(breakable([t.organisation.name, ...t.organisation.address].join(', ')));
  doc.text(breakable(`Issued by ${issuer.name}, ${when(generated)}`));
  doc.moveDown(0.5);
  const appendix: string[][] = [];
  for (const s of t.sections) SECTION[s](doc, data, t, appendix, issuer);
  if (appendix.length > 0) {
    doc.addPage();
    heading(doc, t.labels['unreadable-appendix']);
    table(doc, RANGE_COLUMNS, appendix);
  }

  const stem = caseFileStem(c.number);
  attach(doc, `${stem}.custody.jsonl`, data.logText, 'application/x-ndjson', 'The custody log: one signed, hash-chained entry per line', 'Source');
  attach(doc, `${stem}.checkpoint`, data.checkpointText, 'text/plain', 'The signed checkpoint of the custody log', 'Source');
  // The public key of everyone who signed, so the attachments check on their own (custody verify --key).
  for (const k of data.keys) attach(doc, `${k.fingerprint}.pem`, k.publicPem, 'application/x-pem-file', `Public key of ${k.examiner}`, 'Source');
  for (const a of data.acquisitions) {
    if (a.recordText) attach(doc, path.basename(a.recordPath), a.recordText, 'application/yaml', `Acquisition record of ${String(a.row.evidence)}`, 'Source');
    if (a.piecesText && a.record?.media.pieces) attach(doc, a.record.media.pieces.file, a.piecesText, 'text/plain', `SHA-256 of each piece of the media of ${String(a.row.evidence)}`, 'Source');
  }
  attach(doc, `${stem}.jsonld`, jsonld, 'application/ld+json', 'CASE/UCO export of the case', 'Data');

  furnish(
    doc,
    `${t.organisation.name} — ${t.title} — ${t.labels.case} ${c.number}`,
    (n, m) => `${t.labels.page} ${n} ${t.labels.of} ${m}   ·   ${t.labels.generated} ${when(generated)} by exhibit ${version}`,
  );
  doc.end();
  return done;
}

/**
 * The attachments' file name stem for a case: a case number may hold any visible character (2026/0117,
 * ../x), which `pdfdetach -saveall` and other extractors would take as folders; each character other
 * than a letter, digit, '.', '-' or '_' becomes '_', and '..' becomes '__'.
 */
export function caseFileStem(number: string): string {
  return `case-${number.replace(/[^A-Za-z0-9._-]/g, '_').replace(/\.\./g, '__')}`;
}

function attach(doc: Doc, name: string, text: string, type: string, description: string, relationship: 'Source' | 'Data'): void {
  const now = new Date();
  // pdfkit takes the PDF/A-3 AFRelationship as `relationship`; its type definitions predate it.
  const options = { name, type, description, relationship, creationDate: now, modifiedDate: now } as PDFKit.Mixins.PDFAttachmentOptions;
  doc.file(Buffer.from(text, 'utf8'), options);
}

const RANGE_COLUMNS = [{ title: 'Evidence' }, { title: 'First sector' }, { title: 'Sectors' }, { title: 'Error' }];

type Renderer = (doc: Doc, d: ReportData, t: ReportTemplate, appendix: string[][], issuer: Issuer) => void;

const SECTION: Record<Section, Renderer> = {
  summary(doc, d, t) {
    heading(doc, t.labels.summary);
    const s = d.summary;
    fields(doc, [
      ['Case number', s.case.number],
      ['Title', s.case.title ?? undefined],
      ['Opened', when(d.entries.find((e) => e.entry.kind === 'case.opened')?.entry.time)],
      ['Evidence items', String(s.evidence.length)],
      ['Acquisitions', String(s.acquisitions.length)],
      ['Custody transfers', String(s.transfers.length)],
      ['Verifications', String(s.verifications.length)],
      [
        'Custody log',
        d.failedEntries > 0
          ? `${d.checkpoint.size} entries; FAILS ITS CHECK: ${d.failedEntries} ${d.failedEntries === 1 ? 'entry is' : 'entries are'} signed by a key after its revocation (below)`
          : `${d.checkpoint.size} entries, checked: chain, every signature and the signed checkpoint hold`,
      ],
    ]);
    // What the check found is said here too: a template may leave out the section that lists it.
    if (d.failedEntries > 0) for (const n of d.keyNotes) paragraph(doc, n);
    for (const n of d.timeNotes) paragraph(doc, `Note: ${n}.`);
  },

  evidence(doc, d, t) {
    heading(doc, t.labels.evidence);
    if (d.summary.evidence.length === 0) paragraph(doc, 'None registered.');
    for (const e of d.summary.evidence) {
      const acq = d.acquisitions.find((a) => a.row.evidence === e.number && a.record);
      heading(doc, String(e.number), 2);
      fields(doc, [
        ['Description', str(e.description)],
        ['Make', str(e.make)],
        ['Model', str(e.model)],
        ['Serial number', str(e.serial)],
        ['Capacity', typeof e.capacity_bytes === 'number' ? `${formatBytes(e.capacity_bytes)} (${bytes(e.capacity_bytes)})` : undefined],
        ['Sector size', acq?.record ? bytes(acq.record.media.sector_size) : undefined],
        ['Condition', str(e.condition)],
        ['Seal numbers', Array.isArray(e.seals) && e.seals.length > 0 ? e.seals.join(', ') : undefined],
      ]);
    }
  },

  acquisitions(doc, d, t, appendix) {
    heading(doc, t.labels.acquisitions);
    if (d.acquisitions.length === 0) paragraph(doc, 'None.');
    for (const a of d.acquisitions) {
      const r = a.record;
      heading(doc, `${String(a.row.evidence)}: ${String(a.row.result)}`, 2);
      if (!r) {
        fields(doc, [
          ['Record', `${a.recordPath} (${a.missing}); what the custody log holds:`],
          ['Examiner', str(a.row.examiner)],
          ['Format', str(a.row.format)],
          ['Started', when({ utc: a.row.started_utc })],
          ['Finished', when({ utc: a.row.finished_utc })],
          ['MD5', grouped(a.row.md5)],
          ['SHA-1', grouped(a.row.sha1)],
          ['SHA-256', grouped(a.row.sha256)],
        ], isHash);
        continue;
      }
      const dev: RecordDevice = r.source.device ?? {};
      fields(doc, [
        ['Tool', `${r.tool.name} ${r.tool.version} (Node ${r.tool.node}, OpenSSL ${r.tool.openssl})`],
        ['Examiner', r.examiner],
        ['Source', `${String(r.source.path)}${dev.model ? `, ${dev.model}` : ''}${dev.serial ? `, serial ${dev.serial}` : ''}`],
        ['Started', when(r.started)],
        // An acquisition that did not complete stopped: when, why, and how much of the media it holds.
        [r.result === 'complete' ? 'Finished' : 'Stopped', when(r.finished)],
        ...(r.result !== 'complete' ? ([['Why it stopped', r.incomplete_reason ?? 'not recorded']] as [string, string][]) : []),
        ['Format', `${r.image.format}${r.image.compression ? `, ${r.image.compression} compression` : ''}`],
        ['Media', `${formatBytes(r.media.size_bytes)} (${bytes(r.media.size_bytes)}, ${r.media.sectors} sectors of ${bytes(r.media.sector_size)})`],
        ...(r.result !== 'complete' ? ([['Acquired', `only ${formatBytes(r.media.bytes_acquired)} (${bytes(r.media.bytes_acquired)}) of it: the image is incomplete`]] as [string, string][]) : []),
        ['MD5', grouped(r.media.hashes?.md5)],
        ['SHA-1', grouped(r.media.hashes?.sha1)],
        ['SHA-256', grouped(r.media.hashes?.sha256)],
        ['SHA-512', grouped(r.media.hashes?.sha512)],
        ['Read-only proof', readOnlyWords(r)],
        ['Hidden areas (HPA/DCO)', dev.hidden_areas ? `${dev.hidden_areas.state}: ${dev.hidden_areas.detail}` : undefined],
        ['Unreadable sectors', r.read_errors.unreadable_sectors === 0 ? (r.result === 'complete' ? 'none' : 'none in what was read') : `${r.read_errors.unreadable_sectors} in ${r.read_errors.ranges.length} ranges, filled with ${r.read_errors.fill}`],
        ['Pieces', r.media.pieces ? `${piecesShape(r.media.pieces.count, r.media.pieces.piece_size, r.media.size_bytes + (r.media.padding_bytes ?? 0))}, the SHA-256 of each in ${r.media.pieces.file}${a.piecesText ? ' (attached)' : ` (${a.piecesMissing ?? 'not attached'})`}` : undefined],
        ['SHA-256 of the pieces file', grouped(r.media.pieces?.sha256)],
        ['Zero sectors', r.media.zero_sectors ? `${r.media.zero_sectors.total} (${r.media.zero_sectors.read_as_zero} read as zeros, ${r.media.zero_sectors.filled} filled)` : undefined],
        ['Record', a.recordPath],
        ['SHA-256 of the record', grouped(a.row.record_sha256)],
      ], isHash);
      table(doc, [{ title: 'Image file' }, { title: 'Size' }, { title: 'SHA-256', style: 'hash' }], r.image.files.map((f) => [f.name, bytes(f.size), grouped(f.sha256) ?? '']));
      const ranges = r.read_errors.ranges.map((x) => [r.evidence, String(x.first_sector), String(x.sectors), x.error]);
      if (ranges.length > 0 && ranges.length <= t.unreadableInlineLimit) {
        table(doc, RANGE_COLUMNS, ranges);
      } else if (ranges.length > 0) {
        const listed = Math.min(ranges.length, APPENDIX_MAX_RANGES);
        paragraph(
          doc,
          listed === ranges.length
            ? `The ${ranges.length} unreadable ranges are listed in the appendix.`
            : `The first ${listed} of the ${ranges.length} unreadable ranges are listed in the appendix; all of them are in the attached record ${path.basename(a.recordPath)}.`,
        );
        for (let i = 0; i < listed; i++) appendix.push(ranges[i]!);
        if (listed < ranges.length) appendix.push([r.evidence, `${ranges.length - listed} more`, '', `in ${path.basename(a.recordPath)}`]);
      }
    }
  },

  verifications(doc, d, t) {
    heading(doc, t.labels.verifications);
    const rows = d.entries
      .filter((e) => e.entry.kind === 'verification.performed')
      .map((e) => {
        const p = e.entry.payload as { evidence?: string; image?: unknown; result?: string; problems?: number; first_problem?: string; pieces?: { checked?: number; of?: number; intact?: number; proven_by?: string } };
        // Which image: an item may have been acquired more than once.
        const image = Array.isArray(p.image) && p.image.length > 0 ? ` (${p.image.map(String).join(', ')})` : '';
        const first = p.first_problem ? (typeof p.problems === 'number' && p.problems > 1 ? `: ${p.problems} problems, the first: ${p.first_problem}` : `: ${p.first_problem}`) : '';
        return [String(e.seq), when(e.entry.time), `${str(p.evidence) ?? ''}${image}`, e.entry.actor.name, `${verificationWords(p).words}${first}${piecesWords(p.pieces)}`];
      });
    if (rows.length === 0) paragraph(doc, 'None recorded.');
    else table(doc, [{ title: 'Entry' }, { title: 'Date and time' }, { title: 'Evidence' }, { title: 'By' }, { title: 'Result' }], rows);
  },

  custody(doc, d, t) {
    heading(doc, t.labels.custody);
    const rows = d.entries
      .filter((e) => e.entry.kind === 'custody.transferred')
      .map((e) => {
        const p = e.entry.payload as { evidence?: string; from?: { name?: string; key?: string }; to?: { name?: string; key?: string }; purpose?: string; location?: string };
        const countersigned = (e.entry.cosigners ?? []).length > 0;
        return [
          when(e.entry.time),
          str(p.evidence) ?? '',
          str(p.from?.name) ?? '',
          `${str(p.to?.name) ?? ''}${countersigned ? '' : ' (not countersigned)'}`,
          str(p.purpose) ?? '',
          str(p.location) ?? '',
          [p.from?.key, ...(countersigned ? [p.to?.key] : [])].map((k) => hashGroups((k ?? '').slice(0, 16))).join('\n'),
        ];
      });
    if (rows.length === 0) paragraph(doc, 'No transfers recorded.');
    else
      table(
        doc,
        [
          { title: 'Date and time' },
          { title: 'Item' },
          { title: 'Released by' },
          { title: 'Received by' },
          { title: 'Purpose' },
          { title: 'Location' },
          { title: 'Keys', style: 'hash' },
        ],
        rows,
      );
    drawHolders(doc, d.entries);
    heading(doc, 'All custody log entries', 2);
    table(
      doc,
      [{ title: 'Entry' }, { title: 'Date and time' }, { title: 'Event' }, { title: 'By' }],
      d.entries.map((e) => [String(e.seq), when(e.entry.time), KIND_WORDS[e.entry.kind], [e.entry.actor.name, ...(e.entry.cosigners ?? []).map((x) => x.name)].join(' + ')]),
    );
  },

  integrity(doc, d, t) {
    heading(doc, t.labels.integrity);
    fields(doc, [
      ['Entries', String(d.checkpoint.size)],
      ['Head', grouped(d.checkpoint.head)],
      ['Checkpoint signed by', d.checkpoint.signer],
      ['SHA-256 of the log', grouped(createHash('sha256').update(d.logText).digest('hex'))],
      ...(d.timestamp ? ([['Time-stamped', `${d.timestamp} (RFC 3161 token of the checkpoint, held in the case store)`]] as [string, string][]) : []),
      ...(d.register ? ([['Trust register', d.register.file], ['SHA-256 of the register', grouped(d.register.sha256)]] as [string, string][]) : []),
    ], (l) => l === 'Head' || l === 'SHA-256 of the log' || l === 'SHA-256 of the register');
    paragraph(doc, d.register ? 'Every key that signed the custody log is listed in the trust register above as that examiner\'s, and was valid when it signed.' : 'The keys below are not checked against a trust register: compare their fingerprints with the ones the lab published.');
    for (const n of d.keyNotes) paragraph(doc, n);
    table(doc, [{ title: 'Examiner' }, { title: 'Key fingerprint (SHA-256 of the public key)', style: 'hash' }], d.keys.map((k) => [k.examiner, hashGroups(k.fingerprint)]));
  },

  'how-to-check'(doc, d, t) {
    heading(doc, t.labels['how-to-check']);
    const n = caseFileStem(d.summary.case.number);
    paragraph(
      doc,
      `This document carries the evidence it describes. Its attachments are the custody log (${n}.custody.jsonl), its signed checkpoint, the public key of everyone who signed (<fingerprint>.pem), ` +
        'every acquisition record with its pieces file (the SHA-256 of each piece of the media), and a CASE/UCO description of the case. Extract them with any PDF reader, or with: pdfdetach -saveall report.pdf',
    );
    paragraph(
      doc,
      `1. Each line of the custody log is one entry, signed with the Ed25519 key of whoever made it, and names the SHA-256 of the line before it. ` +
        `The checkpoint gives the number of entries (${d.checkpoint.size}) and the SHA-256 of the last line (the head above), signed. ` +
        `exhibit checks all of it, with the attached public keys: exhibit custody verify ${n}.custody.jsonl --key <each attached .pem file>. ` +
        'The same check with sha256sum and openssl alone is written out step by step in exhibit\'s SECURITY.md.',
    );
    paragraph(doc, '2. Compare the key fingerprints above with the ones the examiners published, or check the log against the lab\'s trust register with exhibit custody verify --trust <register>: a signature proves which key signed, the fingerprint says whose key it is.');
    paragraph(
      doc,
      '3. Each acquisition record names its image files with their SHA-256 and the media hashes; its own SHA-256 is in the custody log entry that logged the acquisition. ' +
        'exhibit verify <image folder> re-reads every byte of the image and compares all of these; an image with nothing to compare against is reported as unverifiable, never as verified.',
    );
  },

  declaration(doc, _d, t, _appendix, issuer) {
    // The declaration and who makes it stay on one page (when they fit on one): no page of it stands without the other.
    doc.font('sans').fontSize(BODY);
    const text = t.declaration.reduce((h, p) => h + doc.heightOfString(breakable(p), { width: width(doc) }) + doc.currentLineHeight(true) * 0.3, 0);
    const whole = 40 + text + 3 * doc.currentLineHeight(true) * 1.5;
    if (whole < bottom(doc) - doc.page.margins.top) ensureRoom(doc, whole);
    heading(doc, t.labels.declaration);
    for (const p of t.declaration) paragraph(doc, p);
    fields(doc, [
      ['Examiner', issuer.name],
      ['Key fingerprint', hashGroups(issuer.fingerprint)],
    ], isHash);
  },
};

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A verification's pieces, as its entry gives them: how many were intact, and how they were checked. */
function piecesWords(p: { checked?: number; of?: number; intact?: number; proven_by?: string } | undefined): string {
  if (!p || typeof p.of !== 'number' || typeof p.intact !== 'number') return '';
  const part = typeof p.checked === 'number' && p.checked < p.of ? ` (only ${p.checked} checked)` : '';
  return `; pieces: ${p.intact} of ${p.of} intact${part}${typeof p.proven_by === 'string' ? ', all proven by the SHA-256 the acquisition signed' : ''}`;
}
