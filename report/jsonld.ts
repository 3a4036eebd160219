/**
 * The case in CASE/UCO (caseontology.org) JSON-LD, following the patterns of
 * the casework/CASE-Examples repository: each acquisition is an
 * InvestigativeAction with its performer, instrument (exhibit as a
 * configured tool), object (the disk, with its device facet and hashes) and
 * result (the image files with their hashes, and a ProvenanceRecord with the
 * exhibit number); each custody transfer is an InvestigativeAction with a
 * ProvenanceRecord. The context is inline, so expanding it needs no network.
 */
import type { ReportData } from './data.js';

const CONTEXT = {
  kb: 'http://example.org/kb/',
  'case-investigation': 'https://ontology.caseontology.org/case/investigation/',
  action: 'https://ontology.unifiedcyberontology.org/uco/action/',
  core: 'https://ontology.unifiedcyberontology.org/uco/core/',
  identity: 'https://ontology.unifiedcyberontology.org/uco/identity/',
  location: 'https://ontology.unifiedcyberontology.org/uco/location/',
  observable: 'https://ontology.unifiedcyberontology.org/uco/observable/',
  tool: 'https://ontology.unifiedcyberontology.org/uco/tool/',
  types: 'https://ontology.unifiedcyberontology.org/uco/types/',
  vocabulary: 'https://ontology.unifiedcyberontology.org/uco/vocabulary/',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
};

type Node = Record<string, unknown>;
const HASH_NAMES: Record<string, string> = { md5: 'MD5', sha1: 'SHA1', sha256: 'SHA256', sha512: 'SHA512' };
const id = (kind: string, ...parts: unknown[]) => `kb:${kind}-${parts.map((p) => String(p).replace(/[^A-Za-z0-9._-]+/g, '_')).join('-')}`;
const dateTime = (v: unknown) => ({ '@type': 'xsd:dateTime', '@value': String(v) });
const hashes = (h: Record<string, unknown>) =>
  Object.entries(h)
    .filter(([a, v]) => HASH_NAMES[a] && typeof v === 'string')
    .map(([a, v]) => ({
      '@type': 'types:Hash',
      'types:hashMethod': { '@type': 'vocabulary:HashNameVocab', '@value': HASH_NAMES[a] },
      'types:hashValue': { '@type': 'xsd:hexBinary', '@value': String(v).toUpperCase() },
    }));

export function caseUcoJsonLd(d: ReportData, version: string): string {
  const c = d.summary.case;
  const graph: Node[] = [];
  const people = new Map<string, string>();
  const person = (name: string): { '@id': string } => {
    if (!people.has(name)) {
      const pid = id('person', name);
      people.set(name, pid);
      graph.push({ '@id': pid, '@type': 'identity:Person', 'core:name': name });
    }
    return { '@id': people.get(name)! };
  };
  const toolId = id('tool', 'exhibit', version);
  graph.push({ '@id': toolId, '@type': 'tool:ConfiguredTool', 'core:name': 'exhibit', 'tool:version': version, 'tool:toolType': 'Forensic disk acquisition' });

  const investigationObjects: { '@id': string }[] = [];
  const disks = new Map<string, string>();
  for (const e of d.summary.evidence) {
    const diskId = id('disk', c.number, e.number);
    disks.set(String(e.number), diskId);
    investigationObjects.push({ '@id': diskId });
    const acquired = d.acquisitions.find((a) => a.row.evidence === e.number && a.record)?.record;
    graph.push({
      '@id': diskId,
      '@type': 'observable:Device',
      'core:name': String(e.number),
      ...(e.description ? { 'core:description': String(e.description) } : {}),
      'core:hasFacet': [
        {
          '@id': id('device-facet', c.number, e.number),
          '@type': 'observable:DeviceFacet',
          ...(e.make ? { 'observable:manufacturer': String(e.make) } : {}),
          ...(e.model ? { 'observable:model': String(e.model) } : {}),
          ...(e.serial ? { 'observable:serialNumber': String(e.serial) } : {}),
        },
        ...(typeof e.capacity_bytes === 'number'
          ? [{ '@id': id('disk-facet', c.number, e.number), '@type': 'observable:DiskFacet', 'observable:diskSize': { '@type': 'xsd:integer', '@value': String(e.capacity_bytes) } }]
          : []),
        ...(acquired?.media.hashes
          ? [{ '@id': id('content-facet', c.number, e.number), '@type': 'observable:ContentDataFacet', 'observable:sizeInBytes': { '@type': 'xsd:integer', '@value': String(acquired.media.size_bytes) }, 'observable:hash': hashes(acquired.media.hashes) }]
          : []),
      ],
    });
  }

  for (const a of d.acquisitions) {
    const seq = Number(a.row.entry_seq);
    const files = a.record?.image.files ?? [];
    const fileIds = files.map((f) => {
      const fid = id('file', c.number, f.name);
      graph.push({
        '@id': fid,
        '@type': 'observable:File',
        'core:hasFacet': [
          { '@id': id('file-facet', c.number, f.name), '@type': 'observable:FileFacet', 'observable:fileName': f.name, 'observable:sizeInBytes': { '@type': 'xsd:integer', '@value': String(f.size) } },
          ...(f.sha256 ? [{ '@id': id('file-content', c.number, f.name), '@type': 'observable:ContentDataFacet', 'observable:hash': hashes({ sha256: f.sha256 }) }] : []),
        ],
      });
      return { '@id': fid };
    });
    const provId = id('provenance', c.number, a.row.evidence, seq);
    graph.push({ '@id': provId, '@type': 'case-investigation:ProvenanceRecord', 'case-investigation:exhibitNumber': String(a.row.evidence), 'core:object': fileIds });
    graph.push({
      '@id': id('acquisition', c.number, seq),
      '@type': 'case-investigation:InvestigativeAction',
      'core:name': `acquisition of ${String(a.row.evidence)}`,
      'action:actionStatus': a.row.result === 'complete' ? 'Complete' : 'Incomplete',
      'action:startTime': dateTime(a.row.started_utc),
      'action:endTime': dateTime(a.row.finished_utc),
      'action:performer': person(String(a.row.examiner)),
      'action:instrument': { '@id': toolId },
      'action:object': disks.has(String(a.row.evidence)) ? [{ '@id': disks.get(String(a.row.evidence))! }] : [],
      'action:result': [...fileIds, { '@id': provId }],
    });
  }

  for (const e of d.entries.filter((x) => x.entry.kind === 'custody.transferred')) {
    const p = e.entry.payload as { evidence?: string; from?: { name?: string }; to?: { name?: string }; purpose?: string; location?: string };
    const provId = id('custody-provenance', c.number, e.seq);
    const disk = disks.get(String(p.evidence));
    graph.push({ '@id': provId, '@type': 'case-investigation:ProvenanceRecord', 'case-investigation:exhibitNumber': String(p.evidence), 'core:object': disk ? [{ '@id': disk }] : [] });
    graph.push({
      '@id': id('transfer', c.number, e.seq),
      '@type': 'case-investigation:InvestigativeAction',
      'core:name': 'transfer of custody',
      'core:description': `${String(p.purpose)}; at ${String(p.location)}`,
      'action:startTime': dateTime(e.entry.time.utc),
      'action:performer': person(String(p.from?.name)),
      'action:participant': [person(String(p.to?.name))],
      'action:object': disk ? [{ '@id': disk }] : [],
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
