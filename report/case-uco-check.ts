/**
 * Checks a CASE/UCO JSON-LD export against the CASE and UCO ontologies, the
 * way the CASE community's `case_validate` does, offline:
 *
 * - the shapes graph is the ontology files (CASE and UCO keep their SHACL
 *   shapes in the same files as their classes and properties);
 * - the data graph is the export's triples together with the ontology, so a
 *   shape's target class and `sh:class` reach subclasses;
 * - the shapes that review the ontology itself (its OWL and SHACL
 *   definitions, not the data) are switched off, as `case_validate` does
 *   unless asked to review the ontology;
 * - UCO's `sh:sparql` constraints run (report/case-uco-sparql.ts, on one query engine);
 * - every class, property and datatype the export names must be defined by
 *   the ontology (`case_validate` warns of undefined CASE/UCO terms; this
 *   check covers every term, whatever its namespace).
 *
 * The export conforms when there is no Violation, no Warning and no
 * undefined term; Info results are listed.
 */
import fs from 'node:fs';
import path from 'node:path';
import jsonld from 'jsonld';
import { DataFactory, Parser, type Quad, type Term } from 'n3';
import rdfDataset from '@rdfjs/dataset';
import Validator, { type PathStep, type ValidationResult } from 'shacl-engine/Validator.js';
import { ExhibitError } from '../core/errors.js';
import { sparqlPlugin } from './case-uco-sparql.js';

const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
const RDFS = 'http://www.w3.org/2000/01/rdf-schema#';
const OWL = 'http://www.w3.org/2002/07/owl#';
const SH = 'http://www.w3.org/ns/shacl#';
const XSD = 'http://www.w3.org/2001/XMLSchema#';
const UCO_OWL = 'https://ontology.unifiedcyberontology.org/owl/';

/** UCO's shapes that review OWL and SHACL definitions, switched off as case_validate does. */
const ONTOLOGY_REVIEW_SHAPES = [
  'DataOneOf-shape',
  'DatatypeProperty-shacl-constraints-shape',
  'Disjointedness-AP-DP-shape',
  'Disjointedness-AP-OP-shape',
  'Disjointedness-C-DT-shape',
  'Disjointedness-DP-OP-shape',
  'ObjectProperty-shacl-constraints-shape',
  'Sequence-shape',
  'disjointUnionOf-subjects-shape',
  'hasKey-subjects-shape',
  'intersectionOf-subjects-shape',
  'onProperties-subjects-shape',
  'oneOf-subjects-shape',
  'ontologyIRI-versionIRI-prerequisite-shape',
  'propertyChainAxiom-subjects-shape',
  'unionOf-subjects-shape',
  'versionIRI-nodeKind-shape',
  'withRestrictions-subjects-shape',
];

/** Short names for messages. */
const PREFIXES: [string, string][] = [
  ['case-investigation:', 'https://ontology.caseontology.org/case/investigation/'],
  ['case-vocabulary:', 'https://ontology.caseontology.org/case/vocabulary/'],
  ...['action', 'core', 'identity', 'location', 'observable', 'tool', 'types', 'vocabulary'].map((p): [string, string] => [`${p}:`, `https://ontology.unifiedcyberontology.org/uco/${p}/`]),
  ['kb:', 'http://example.org/kb/'],
  ['sh:', SH],
  ['xsd:', XSD],
  ['rdf:', RDF],
];
export function shortName(iri: string): string {
  const p = PREFIXES.find(([, ns]) => iri.startsWith(ns));
  return p ? p[0] + iri.slice(p[1].length) : `<${iri}>`;
}

export interface Ontology {
  dir: string;
  files: string[];
  quads: Quad[];
  /** What the files say they are, e.g. ["CASE 1.4.0", "UCO 1.4.0"]. */
  versions: string[];
  classes: Set<string>;
  properties: Set<string>;
  datatypes: Set<string>;
}

/** Every .ttl file under `dir`, parsed; refused (usage) when there is none, one is not Turtle, or they hold no SHACL shapes. */
export function loadOntology(dir: string): Ontology {
  const files = turtleFiles(dir).sort();
  if (files.length === 0) throw new ExhibitError('USAGE', `${dir} holds no ontology files (.ttl)`, { hints: ['give the folder of the CASE and UCO ontology files (ontology/**/*.ttl of each project\'s release)'] });
  const quads: Quad[] = [];
  for (const f of files) {
    try {
      quads.push(...new Parser({ baseIRI: `file://${f}` }).parse(fs.readFileSync(f, 'utf8')));
    } catch (err) {
      throw new ExhibitError('USAGE', `${f} is not a Turtle file: ${(err as Error).message}`, { cause: err });
    }
  }
  const typed = (...types: string[]) => new Set(quads.filter((q) => q.predicate.value === `${RDF}type` && types.includes(q.object.value) && q.subject.termType === 'NamedNode').map((q) => q.subject.value));
  if (typed(`${SH}NodeShape`).size === 0) throw new ExhibitError('USAGE', `the ontology files in ${dir} hold no SHACL shapes to check against`);
  const ontologies = typed(`${OWL}Ontology`);
  const versions = quads
    .filter((q) => q.predicate.value === `${OWL}versionInfo` && ontologies.has(q.subject.value))
    .map((q) => `${ONTOLOGY_NAMES[q.subject.value] ?? q.subject.value} ${q.object.value}`)
    .sort();
  // Datatypes: those the ontology defines, and the XSD ones it uses.
  const datatypes = typed(`${RDFS}Datatype`);
  for (const q of quads) {
    for (const t of [q.object, q.object.termType === 'Literal' ? q.object.datatype : undefined]) if (t?.termType === 'NamedNode' && t.value.startsWith(XSD)) datatypes.add(t.value);
  }
  return {
    dir,
    files,
    quads,
    versions,
    classes: typed(`${OWL}Class`, `${RDFS}Class`),
    properties: typed(`${OWL}ObjectProperty`, `${OWL}DatatypeProperty`, `${OWL}AnnotationProperty`, `${RDF}Property`),
    datatypes,
  };
}
const ONTOLOGY_NAMES: Record<string, string> = {
  'https://ontology.caseontology.org/case/case': 'CASE',
  'https://ontology.unifiedcyberontology.org/uco/uco': 'UCO',
};

function turtleFiles(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw new ExhibitError('USAGE', `cannot read the ontology folder ${dir}: ${(err as Error).message}`, { cause: err });
  }
  return entries.flatMap((e) => (e.isDirectory() ? turtleFiles(path.join(dir, e.name)) : e.isFile() && e.name.endsWith('.ttl') ? [path.join(dir, e.name)] : []));
}

export interface Finding {
  severity: 'Violation' | 'Warning' | 'Info';
  /** The shape that fails, by name: a named shape, or "<shape> on <property>" for one of its property shapes. */
  shape: string;
  constraint: string;
  focus: string;
  value?: string;
  message: string;
}

export interface CaseUcoCheck {
  conforms: boolean;
  versions: string[];
  triples: number;
  violations: number;
  warnings: number;
  infos: number;
  findings: Finding[];
  /** Classes, properties and datatypes the export names that the ontology does not define. */
  undefinedTerms: string[];
}

/** The export's triples, read offline (its context is inline; any fetch is refused). */
export async function exportTriples(jsonldText: string): Promise<Quad[]> {
  const nquads = (await jsonld.toRDF(JSON.parse(jsonldText) as object, {
    format: 'application/n-quads',
    documentLoader: async (url: string) => {
      throw new Error(`the export refers to ${url}, and the check reads nothing from the network`);
    },
  })) as unknown as string;
  return new Parser({ format: 'N-Quads' }).parse(nquads);
}

/** The classes, properties and datatypes `triples` name that `o` does not define. */
export function undefinedTerms(triples: Quad[], o: Ontology): string[] {
  const missing = new Set<string>();
  const cdo = (t: Term) => t.termType === 'NamedNode' && /^https:\/\/ontology\.(unifiedcyberontology|caseontology)\.org\//.test(t.value);
  const known = (iri: string) => o.classes.has(iri) || o.properties.has(iri) || o.datatypes.has(iri);
  for (const q of triples) {
    if (q.predicate.value === `${RDF}type`) {
      if (!o.classes.has(q.object.value)) missing.add(`class ${shortName(q.object.value)}`);
    } else if (!o.properties.has(q.predicate.value)) missing.add(`property ${shortName(q.predicate.value)}`);
    if (q.object.termType === 'Literal' && q.object.datatype.value !== `${XSD}string` && q.object.datatype.value !== `${RDF}langString` && !o.datatypes.has(q.object.datatype.value)) {
      missing.add(`datatype ${shortName(q.object.datatype.value)}`);
    }
    for (const t of [q.subject, q.object]) if (cdo(t) && !known(t.value) && q.predicate.value !== `${RDF}type`) missing.add(`term ${shortName(t.value)}`);
  }
  return [...missing].sort();
}

/** Check `jsonldText` against the shapes of `o` (and its terms against their definitions). */
export async function checkCaseUco(jsonldText: string, o: Ontology): Promise<CaseUcoCheck> {
  const triples = await exportTriples(jsonldText);
  const dataset = rdfDataset.dataset();
  for (const q of o.quads) dataset.add(q);
  const off = DataFactory.literal('true', DataFactory.namedNode(`${XSD}boolean`));
  for (const s of ONTOLOGY_REVIEW_SHAPES) dataset.add(DataFactory.quad(DataFactory.namedNode(UCO_OWL + s), DataFactory.namedNode(`${SH}deactivated`), off));
  for (const q of triples) dataset.add(q);
  const factory = { ...DataFactory, dataset: (q?: Quad[]) => rdfDataset.dataset(q) };
  const validator = new Validator(dataset, { factory, ...sparqlPlugin(factory) });
  const report = await validator.validate({ dataset });
  const findings = report.results.map((r) => finding(r, dataset)).sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) || a.shape.localeCompare(b.shape) || a.focus.localeCompare(b.focus));
  const count = (s: Finding['severity']) => findings.filter((f) => f.severity === s).length;
  const missing = undefinedTerms(triples, o);
  return {
    conforms: count('Violation') === 0 && count('Warning') === 0 && missing.length === 0,
    versions: o.versions,
    triples: triples.length,
    violations: count('Violation'),
    warnings: count('Warning'),
    infos: count('Info'),
    findings,
    undefinedTerms: missing,
  };
}
const SEVERITY_ORDER: Finding['severity'][] = ['Violation', 'Warning', 'Info'];

function finding(r: ValidationResult, dataset: ReturnType<typeof rdfDataset.dataset>): Finding {
  const severity = r.severity.value.slice(SH.length) as Finding['severity'];
  const value = r.value?.term;
  const constraint = r.constraintComponent.value.startsWith(SH) ? r.constraintComponent.value.slice(SH.length).replace(/ConstraintComponent$/, '') : shortName(r.constraintComponent.value);
  return {
    severity: SEVERITY_ORDER.includes(severity) ? severity : 'Violation',
    shape: shapeName(r.shape.ptr.term, r.path, dataset),
    constraint,
    focus: termText(r.focusNode.term),
    ...(value && !value.equals(r.focusNode.term) ? { value: termText(value) } : {}),
    message: r.message.map((m) => m.value).join(' ') || `the value does not meet the shape's ${constraint} constraint`,
  };
}

/** A named shape by its name; a blank property shape as "<the shape that holds it> on <its path>". */
function shapeName(shape: Term, resultPath: PathStep[] | null | undefined, dataset: ReturnType<typeof rdfDataset.dataset>): string {
  if (shape.termType === 'NamedNode') return shortName(shape.value);
  const holders = [...dataset.match(null, DataFactory.namedNode(`${SH}property`), shape as never)].map((q) => q.subject).filter((t) => t.termType === 'NamedNode');
  const onPath = resultPath?.map((s) => s.predicates.map((p) => (s.start === 'object' ? '^' : '') + shortName(p.value)).join('|')).join('/');
  return `${holders.length > 0 ? holders.map((h) => shortName(h.value)).join(', ') : 'a shape'}${onPath ? ` on ${onPath}` : ''}`;
}

function termText(t: Term): string {
  if (t.termType === 'NamedNode') return shortName(t.value);
  if (t.termType === 'Literal') return `"${t.value}"${t.datatype.value === `${XSD}string` ? '' : `^^${shortName(t.datatype.value)}`}`;
  return 'a blank node';
}

/** The check in lines for a person: the verdict, then each failing shape once with how many nodes fail it and one example. */
export function describeCheck(c: CaseUcoCheck, dir: string, limit = 20): { verdict: string; lines: string[] } {
  const against = c.versions.length > 0 ? c.versions.join(' and ') : 'the ontology';
  const counts = `${c.violations} violation${c.violations === 1 ? '' : 's'}, ${c.warnings} warning${c.warnings === 1 ? '' : 's'}, ${c.infos} info`;
  const verdict = c.conforms
    ? `the CASE/UCO export conforms to ${against} (${dir}): ${counts}, every term defined`
    : `the CASE/UCO export does not conform to ${against} (${dir}): ${counts}${c.undefinedTerms.length > 0 ? `, ${c.undefinedTerms.length} undefined term${c.undefinedTerms.length === 1 ? '' : 's'}` : ''}`;
  const byShape = new Map<string, Finding[]>();
  for (const f of c.findings) {
    const key = `${f.severity}\u0000${f.shape}\u0000${f.constraint}\u0000${f.message}`;
    byShape.set(key, [...(byShape.get(key) ?? []), f]);
  }
  const lines = [
    ...c.undefinedTerms.map((t) => `undefined: ${t} is not defined by the ontology`),
    ...[...byShape.values()].map((fs) => {
      const f = fs[0]!;
      const n = fs.length;
      return `${f.severity.toLowerCase()}: ${f.shape} (${f.constraint}): ${f.message}; ${n} node${n === 1 ? '' : 's'}, e.g. ${f.focus}${f.value ? ` value ${f.value}` : ''}`;
    }),
  ];
  return { verdict, lines: lines.length > limit ? [...lines.slice(0, limit), `... and ${lines.length - limit} more`] : lines };
}
