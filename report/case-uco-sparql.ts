/**
 * SHACL-SPARQL constraints (`sh:sparql` with `sh:select`) and SPARQL-based
 * targets for the CASE/UCO check, run on one query engine.
 *
 * shacl-engine's own SPARQL plugin makes a new query engine, SPARQL parser
 * included, for every query, and runs a constraint once per focus node: UCO's
 * two constraints on every UcoThing (`$this a/rdfs:subClassOf* core:UcoThing`)
 * then walk the class hierarchy again for each node of the export, about
 * 0.3 s a node (25 s for a case of five acquisitions). Here one engine serves
 * the whole check, and a constraint that can be answered for every node at
 * once is: when its query SELECTs `$this` and its WHERE clause opens with a
 * required pattern on `$this` (so every solution binds it, and a solution for
 * a node is exactly a solution of the query pre-bound to that node, as SHACL
 * defines it), and it has no construct whose result depends on the other
 * solutions (grouping, aggregates, LIMIT, OFFSET, VALUES, MINUS, subqueries,
 * SERVICE), it runs once over the data and its rows are handed to each focus
 * node by `$this`. Any other constraint, and any blank focus node, runs once
 * per node with `$this` pre-bound, as shacl-engine does.
 */
import { Readable } from 'node:stream';
import { QueryEngine } from '@comunica/query-sparql-rdfjs-lite';
import { BindingsFactory } from '@comunica/utils-bindings-factory';
import type { Term } from 'n3';
import parsePath from 'shacl-engine/lib/parsePath.js';
import type { Factory, PathStep, RdfDataset } from 'shacl-engine/Validator.js';

const SH = 'http://www.w3.org/ns/shacl#';

/** A solution of a query: its variables' values by name. */
interface Bindings {
  get(variable: string): Term | undefined;
  [Symbol.iterator](): Iterator<[{ value: string }, Term]>;
}
const OWL_IMPORTS = 'http://www.w3.org/2002/07/owl#imports';

/** The parts of shacl-engine's graph pointer (grapoi) used here. */
interface Ptr {
  term: Term;
  terms: Term[];
  value: string | undefined;
  dataset: RdfDataset;
  out(predicates: Term[]): Ptr;
  node(terms: Term[]): Ptr;
  [Symbol.iterator](): Iterator<Ptr>;
}
interface Shape {
  sparql: Ptr;
  path: PathStep[] | null;
}
interface Context {
  factory: Factory & { variable(name: string): Term };
  focusNode: Ptr;
  violation(component: Term, args: Record<string, unknown>): void;
}

const named = (f: Factory, local: string) => f.namedNode(SH + local);

/** `PREFIX` lines for the sh:declare of `ptr`'s nodes and of those they owl:import. */
function prefixes(ptr: Ptr, f: Factory, out: string[] = []): string[] {
  for (const one of ptr) {
    prefixes(one.out([f.namedNode(OWL_IMPORTS)]), f, out);
    for (const d of one.out([named(f, 'declare')])) out.push(`PREFIX ${d.out([named(f, 'prefix')]).value}: <${d.out([named(f, 'namespace')]).value}>`);
  }
  return out;
}

/** A parsed SHACL path in SPARQL property-path syntax, for `$PATH`. */
function pathText(path: PathStep[] | null): string {
  if (!path) return '';
  const quantifier = { one: '', zeroOrMore: '*', oneOrMore: '+', zeroOrOne: '?' } as const;
  return path.map((s) => `${s.start === 'object' ? '^' : ''}${s.predicates.length > 1 ? `(${s.predicates.map((p) => `<${p.value}>`).join('|')})` : `<${s.predicates[0]!.value}>`}${quantifier[s.quantifier]}`).join('/');
}

/** Whether `query` gives, run once with `$this` free, every node's solutions (see the file's comment). */
export function answersEveryNode(query: string): boolean {
  const body = query.replace(/^\s*(PREFIX\s+\S*:\s*<[^>]*>\s*)*/i, '');
  const m = /^SELECT\s+(?:DISTINCT\s+|REDUCED\s+)?((?:[?$]\w+\s+)+)WHERE\s*\{\s*[?$]this\s/i.exec(body);
  if (!m || !/[?$]this\b/.test(m[1]!)) return false;
  if ((body.match(/\bSELECT\b/gi) ?? []).length !== 1) return false;
  return !/\b(GROUP|HAVING|LIMIT|OFFSET|VALUES|MINUS|SERVICE|COUNT|SUM|MIN|MAX|AVG|SAMPLE|GROUP_CONCAT)\b/i.test(body);
}

/** The constraint component and target resolver maps for shacl-engine's Validator, on one engine. */
export function sparqlPlugin(factory: Factory): { validations: Map<Term, (shape: Shape) => unknown>; targetResolvers: Map<Term, (target: Ptr, context: Context) => Promise<Term[]>> } {
  const engine = new QueryEngine();
  const bindingsFactory = new BindingsFactory(factory as never);
  const select = async (dataset: RdfDataset, query: string, focus?: Term): Promise<Bindings[]> => {
    const source = { match: (s: Term | null, p: Term | null, o: Term | null, g: Term | null) => Readable.from(dataset.match(s, p, o, g)) };
    const initialBindings = bindingsFactory.bindings(focus ? [[(factory as Context['factory']).variable('this') as never, focus as never]] : []);
    const stream = await engine.queryBindings(query, { sources: [source as never], initialBindings });
    return (await stream.toArray()) as unknown as Bindings[];
  };

  const compile = (shape: Shape) => {
    const f = factory;
    const constraints = [...shape.sparql].flatMap((c) => {
      const off = c.out([named(f, 'deactivated')]).value === 'true';
      const text = c.out([named(f, 'select')]).value;
      if (off || !text) return [];
      const query = [...prefixes(c.out([named(f, 'prefixes')]), f), text].join('\n').split('$PATH').join(pathText(shape.path));
      const everyNode = answersEveryNode(query);
      const byNode = new WeakMap<RdfDataset, Promise<Map<string, Bindings[]>>>();
      const rowsOf = async (dataset: RdfDataset, node: Term): Promise<Bindings[]> => {
        if (!everyNode || node.termType !== 'NamedNode') return select(dataset, query, node);
        let all = byNode.get(dataset);
        if (!all) {
          all = select(dataset, query).then((rows) => {
            const m = new Map<string, Bindings[]>();
            for (const r of rows) {
              const t = r.get('this');
              if (t?.termType === 'NamedNode') m.set(t.value, [...(m.get(t.value) ?? []), r]);
            }
            return m;
          });
          byNode.set(dataset, all);
        }
        return (await all).get(node.value) ?? [];
      };
      return [{ c, query, rowsOf }];
    });
    if (constraints.length === 0) return undefined;
    return {
      generic: async (context: Context) => {
        const focus = context.focusNode;
        for (const { c, rowsOf } of constraints) {
          for (const row of await rowsOf(focus.dataset, focus.term)) {
            const args: Record<string, Term> = {};
            for (const [k, v] of row) args[k.value] = v;
            const p = row.get('path');
            context.violation(named(f, 'SPARQLConstraintComponent'), {
              args,
              message: c.out([named(f, 'message')]).terms,
              path: p ? parsePath(focus.node([p])) : undefined,
              source: c.terms,
              value: focus.node([row.get('value') ?? focus.term]),
            });
          }
        }
      },
    };
  };

  const target = async (ptr: Ptr, context: Context): Promise<Term[]> => {
    const query = ptr.out([named(factory, 'select')]).value;
    if (!query) return [];
    return (await select(context.focusNode.dataset, query)).flatMap((r) => {
      const t = r.get('this');
      return t ? [t] : [];
    });
  };

  return { validations: new Map([[named(factory, 'sparql'), compile]]), targetResolvers: new Map([[named(factory, 'target'), target]]) };
}
