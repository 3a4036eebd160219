/**
 * The case in CASE/UCO (caseontology.org) JSON-LD, following the patterns of
 * the casework/CASE-Examples repository: each acquisition is an
 * InvestigativeAction with its performer, instrument (exhibit as a
 * configured tool), object (the disk, with its device facet and hashes) and
 * result (the image files with their hashes, and a ProvenanceRecord with the
 * exhibit number); each verification and each custody transfer is an
 * InvestigativeAction too. The context is inline, so expanding it needs no
 * network.
 *
 * Written to conform to the CASE 1.4.0 and UCO 1.4.0 shapes
 * (`report/case-uco-check.ts` checks it): every node is named by an IRI
 * ending in a UUIDv5 of what it stands for (case, evidence, custody entry),
 * so two exports of the same case name everything alike; hash algorithms
 * and action statuses are plain strings from UCO's vocabularies.
 */
import crypto from 'node:crypto';
import type { ReportData } from './data.js';
import { verificationWords } from '../core/verification-words.js';

const CONTEXT = {
  kb: 'http://example.org/kb/',
  'case-investigation': 'https://ontology.caseontology.org/case/investigation/',
  action: 'https://ontology.unifiedcyberontology.org/uco/action/',
  core: 'https://ontology.unifiedcyberontology.org/uco/core/',
  identity: 'https://ontology.unifiedcyberontology.org/uco/identity/',
  observable: 'https://ontology.unifiedcyberontology.org/uco/observable/',
  tool: 'https://ontology.unifiedcyberontology.org/uco/tool/',
  types: 'https://ontology.unifiedcyberontology.org/uco/types/',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
};

/** The UUID namespace of exhibit's CASE/UCO identifiers (a random UUID, fixed once). */
const IDENTIFIER_NAMESPACE = '9796f0e4-6524-4f52-b374-6aa9575bcc46';

/** An RFC 9562 version 5 UUID: SHA-1 of the namespace's 16 bytes and the name's UTF-8. */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error(`${namespace} is not a UUID`);
  const b = crypto.createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** `kb:<kind>-<UUIDv5 of kind and parts>`: the same thing gets the same name in every export. */
const id = (kind: string, ...parts: unknown[]) => `kb:${kind}-${uuidV5(IDENTIFIER_NAMESPACE, JSON.stringify([kind, ...parts.map(String)]))}`;

type Node = Record<string, unknown>;
type Ref = { '@id': string };
const HASH_NAMES: Record<string, string> = { md5: 'MD5', sha1: 'SHA1', sha256: 'SHA256', sha512: 'SHA512' };
const dateTime = (v: unknown) => ({ '@type': 'xsd:dateTime', '@value': String(v) });
const integer = (v: unknown) => ({ '@type': 'xsd:integer', '@value': String(v) });

/** Values of UCO's ActionStatusTypeVocab. */
const ACQUISITION_STATUS: Record<string, string> = { complete: 'Complete/Finish', incomplete: 'Fail' };
const VERIFICATION_STATUS: Record<string, string> = { failed: 'Fail' };

export function caseUcoJsonLd(d: ReportData, version: string): string {
  const c = d.summary.case;
  const graph: Node[] = [];
  /** The hashes of one content facet, each a node of its own named after its owner and algorithm. */
  const hashes = (owner: string, h: Record<string, unknown>): Ref[] =>
    Object.entries(h)
      .filter(([a, v]) => HASH_NAMES[a] && typeof v === 'string')
      .map(([a, v]) => {
        const hid = id('hash', owner, a);
        graph.push({ '@id': hid, '@type': 'types:Hash', 'types:hashMethod': HASH_NAMES[a], 'types:hashValue': { '@type': 'xsd:hexBinary', '@value': String(v).toUpperCase() } });
        return { '@id': hid };
      });
  const people = new Map<string, string>();
  const person = (name: string): Ref => {
    if (!people.has(name)) {
      const pid = id('person', name);
      people.set(name, pid);
      graph.push({ '@id': pid, '@type': 'identity:Person', 'core:name': name });
    }
    return { '@id': people.get(name)! };
  };
  const organisations = new Map<string, string>();
  /** A manufacturer is an identity (UCO names it by IRI, not by a string). */
  const organisation = (name: string): Ref => {
    if (!organisations.has(name)) {
      const oid = id('organization', name);
      organisations.set(name, oid);
      graph.push({ '@id': oid, '@type': 'identity:Organization', 'core:name': name });
    }
    return { '@id': organisations.get(name)! };
  };
  const toolId = id('tool', 'exhibit', version);
  graph.push({ '@id': toolId, '@type': 'tool:ConfiguredTool', 'core:name': 'exhibit', 'tool:version': version, 'tool:toolType': 'Forensic disk acquisition' });

  const investigationObjects: Ref[] = [];
  const disks = new Map<string, string>();
  const diskRef = (evidence: unknown): Ref[] => (disks.has(String(evidence)) ? [{ '@id': disks.get(String(evidence))! }] : []);
  for (const e of d.summary.evidence) {
    const key = [c.number, e.number];
    const diskId = id('disk', ...key);
    disks.set(String(e.number), diskId);
    investigationObjects.push({ '@id': diskId });
    const acquired = d.acquisitions.find((a) => a.row.evidence === e.number && a.record?.media.hashes)?.record;
    const contentFacet = id('content-facet', ...key);
    graph.push({
      '@id': diskId,
      '@type': 'observable:Device',
      'core:name': String(e.number),
      ...(e.description ? { 'core:description': String(e.description) } : {}),
      'core:hasFacet': [
        {
          '@id': id('device-facet', ...key),
          '@type': 'observable:DeviceFacet',
          ...(e.make ? { 'observable:manufacturer': organisation(String(e.make)) } : {}),
          ...(e.model ? { 'observable:model': String(e.model) } : {}),
          ...(e.serial ? { 'observable:serialNumber': String(e.serial) } : {}),
        },
        ...(typeof e.capacity_bytes === 'number' ? [{ '@id': id('disk-facet', ...key), '@type': 'observable:DiskFacet', 'observable:diskSize': integer(e.capacity_bytes) }] : []),
        ...(acquired?.media.hashes
          ? [{ '@id': contentFacet, '@type': 'observable:ContentDataFacet', 'observable:sizeInBytes': integer(acquired.media.size_bytes), 'observable:hash': hashes(contentFacet, acquired.media.hashes) }]
          : []),
      ],
    });
  }

  /** The image files of each acquisition, by its record's SHA-256, then by name: what a verification of that record checked. */
  const imageFiles = new Map<string, Map<string, Ref>>();
  for (const a of d.acquisitions) {
    const seq = Number(a.row.entry_seq);
    const files = a.record?.image.files ?? [];
    const byName = new Map<string, Ref>();
    const fileIds = files.map((f) => {
      const key = [c.number, a.row.evidence, seq, f.name];
      const fid = id('file', ...key);
      const contentFacet = id('file-content', ...key);
      graph.push({
        '@id': fid,
        '@type': 'observable:File',
        'core:hasFacet': [
          { '@id': id('file-facet', ...key), '@type': 'observable:FileFacet', 'observable:fileName': f.name, 'observable:sizeInBytes': integer(f.size) },
          ...(f.sha256 ? [{ '@id': contentFacet, '@type': 'observable:ContentDataFacet', 'observable:hash': hashes(contentFacet, { sha256: f.sha256 }) }] : []),
        ],
      });
      byName.set(f.name, { '@id': fid });
      return { '@id': fid };
    });
    if (typeof a.row.record_sha256 === 'string') imageFiles.set(a.row.record_sha256, byName);
    const provId = id('provenance', c.number, a.row.evidence, seq);
    graph.push({ '@id': provId, '@type': 'case-investigation:ProvenanceRecord', 'case-investigation:exhibitNumber': String(a.row.evidence), 'core:object': fileIds });
    const unreadable = Number(a.row.unreadable_sectors);
    const notes = [
      `${String(a.row.format)} image`,
      ...(a.row.result !== 'complete' ? ['stopped before the end; the record says incomplete'] : []),
      ...(unreadable > 0 ? [`${unreadable} sector${unreadable === 1 ? '' : 's'} could not be read (filled, and listed in the record)`] : []),
      ...(a.missing ? [`record ${a.missing}`] : []),
    ];
    graph.push({
      '@id': id('acquisition', c.number, a.row.evidence, seq),
      '@type': 'case-investigation:InvestigativeAction',
      'core:name': `acquisition of ${String(a.row.evidence)}`,
      'core:description': notes.join('; '),
      'action:actionStatus': ACQUISITION_STATUS[String(a.row.result)] ?? 'Unknown',
      'action:startTime': dateTime(a.row.started_utc),
      'action:endTime': dateTime(a.row.finished_utc),
      'action:performer': person(String(a.row.examiner)),
      'action:instrument': { '@id': toolId },
      'action:object': diskRef(a.row.evidence),
      'action:result': [...fileIds, { '@id': provId }],
    });
  }

  for (const e of d.entries.filter((x) => x.entry.kind === 'verification.performed')) {
    const p = e.entry.payload as { evidence?: string; result?: string; image?: unknown; problems?: number; record_sha256?: unknown };
    // The files of the acquisition whose record was verified (not the item's latest: it may have several).
    const named = typeof p.record_sha256 === 'string' ? imageFiles.get(p.record_sha256) : undefined;
    const checked = Array.isArray(p.image) ? p.image.map((n) => named?.get(String(n))).filter((r): r is Ref => r !== undefined) : [];
    const problems = typeof p.problems === 'number' ? p.problems : 0;
    const said = verificationWords(e.entry.payload);
    graph.push({
      '@id': id('verification', c.number, p.evidence, e.seq),
      '@type': 'case-investigation:InvestigativeAction',
      'core:name': `verification of ${String(p.evidence)}`,
      'core:description': `${said.words}${problems > 0 ? `; ${problems} problem${problems === 1 ? '' : 's'}` : ''}`,
      // Success only for a whole, independently anchored verification; a check of some pieces, or a success
      // resting on what came with the image, is Unknown (its description says which).
      'action:actionStatus': said.ok ? 'Success' : said.words.startsWith('VERIFIED') ? 'Unknown' : (VERIFICATION_STATUS[String(p.result)] ?? 'Unknown'),
      'action:startTime': dateTime(e.entry.time.utc),
      'action:performer': person(e.entry.actor.name),
      'action:instrument': { '@id': toolId },
      'action:object': checked.length > 0 ? checked : diskRef(p.evidence),
    });
  }

  for (const e of d.entries.filter((x) => x.entry.kind === 'custody.transferred')) {
    const p = e.entry.payload as { evidence?: string; from?: { name?: string }; to?: { name?: string; key?: string }; purpose?: string; location?: string; override?: { reason?: string; holder?: string } };
    const provId = id('custody-provenance', c.number, p.evidence, e.seq);
    graph.push({ '@id': provId, '@type': 'case-investigation:ProvenanceRecord', 'case-investigation:exhibitNumber': String(p.evidence), 'core:object': diskRef(p.evidence) });
    const said = [
      String(p.purpose),
      `at ${String(p.location)}`,
      p.to?.key ? 'countersigned by the receiving party' : 'not countersigned by the receiving party',
      ...(p.override ? [`released by someone other than the holder${p.override.holder ? ` (${p.override.holder})` : ''}: ${String(p.override.reason)}`] : []),
    ];
    graph.push({
      '@id': id('transfer', c.number, p.evidence, e.seq),
      '@type': 'case-investigation:InvestigativeAction',
      'core:name': 'transfer of custody',
      'core:description': said.join('; '),
      'action:startTime': dateTime(e.entry.time.utc),
      'action:performer': person(String(p.from?.name)),
      'action:participant': [person(String(p.to?.name))],
      'action:object': diskRef(p.evidence),
      'action:result': [{ '@id': provId }],
    });
  }

  graph.unshift({
    '@id': id('investigation', c.number),
    '@type': 'case-investigation:Investigation',
    'core:name': c.number,
    ...(c.title ? { 'core:description': c.title } : {}),
    'case-investigation:focus': c.title ?? c.number,
    'core:object': investigationObjects,
  });
  return `${JSON.stringify({ '@context': CONTEXT, '@graph': graph }, null, 2)}\n`;
}
