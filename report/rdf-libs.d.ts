/**
 * The parts of the RDF/JS libraries `report/case-uco-check.ts` uses, which
 * ship without type declarations: shacl-engine's validator and SPARQL plugin,
 * and the RDF/JS reference dataset.
 */
declare module 'shacl-engine/Validator.js' {
  import type { DataFactory, Quad, Term } from 'n3';

  export interface RdfDataset {
    readonly size: number;
    add(quad: Quad): RdfDataset;
    match(s?: Term | null, p?: Term | null, o?: Term | null, g?: Term | null): Iterable<Quad>;
    [Symbol.iterator](): Iterator<Quad>;
  }
  export interface Factory {
    namedNode: typeof DataFactory.namedNode;
    literal: typeof DataFactory.literal;
    quad: typeof DataFactory.quad;
    dataset(quads?: Quad[]): RdfDataset;
  }
  /** A step of a result's path: `start`/`end` say its direction, `quantifier` its repetition. */
  export interface PathStep {
    start: 'subject' | 'object';
    end: 'subject' | 'object';
    quantifier: 'one' | 'zeroOrMore' | 'oneOrMore' | 'zeroOrOne';
    predicates: Term[];
  }
  export interface ValidationResult {
    severity: Term;
    constraintComponent: Term;
    focusNode: { term: Term };
    path?: PathStep[] | null;
    value?: { term?: Term } | null;
    shape: { ptr: { term: Term } };
    message: Term[];
  }
  export interface ValidationReport {
    conforms: boolean;
    results: ValidationResult[];
  }
  export default class Validator {
    constructor(shapes: RdfDataset, options: { factory: Factory; validations?: unknown; targetResolvers?: unknown });
    validate(data: { dataset: RdfDataset }): Promise<ValidationReport>;
  }
}

declare module 'shacl-engine/lib/parsePath.js' {
  import type { PathStep } from 'shacl-engine/Validator.js';
  /** The steps of the SHACL path a graph pointer is at. */
  export default function parsePath(ptr: unknown): PathStep[];
}

declare module '@rdfjs/dataset' {
  import type { RdfDataset } from 'shacl-engine/Validator.js';
  import type { Quad } from 'n3';
  const factory: { dataset(quads?: Quad[]): RdfDataset };
  export default factory;
}
