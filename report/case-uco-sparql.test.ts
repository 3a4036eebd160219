import { describe, expect, it } from 'vitest';
import { answersEveryNode } from './case-uco-sparql.js';

const P = 'PREFIX core: <https://ontology.unifiedcyberontology.org/uco/core/>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n';

describe('which SPARQL constraints are answered for every node in one query', () => {
  it("takes UCO's UcoThing constraints: SELECT $this, the WHERE clause opening with a required pattern on $this", () => {
    expect(answersEveryNode(`${P}SELECT $this\nWHERE {\n  $this a/rdfs:subClassOf* core:UcoThing .\n  FILTER isBlank($this)\n}`)).toBe(true);
    expect(answersEveryNode(`${P}SELECT DISTINCT ?this ?value WHERE { ?this core:hasFacet ?value . }`)).toBe(true);
  });

  it('leaves to one query per node what a single query could answer differently', () => {
    for (const q of [
      `${P}SELECT ?value WHERE { $this core:hasFacet ?value . }`, // $this not selected: rows cannot be handed out
      `${P}SELECT $this ?value WHERE { ?value core:hasFacet $this . }`, // opens on another variable
      `${P}SELECT $this WHERE { OPTIONAL { $this core:name ?n } }`, // $this only in an optional part
      `${P}SELECT $this WHERE { ?x core:name ?n FILTER (?x = $this) }`, // $this only in a filter
      `${P}SELECT $this WHERE { $this core:name ?n } LIMIT 1`, // one row for all nodes is not one per node
      `${P}SELECT $this (COUNT(?n) AS ?c) WHERE { $this core:name ?n } GROUP BY $this`,
      `${P}SELECT $this WHERE { $this core:name ?n { SELECT ?n WHERE { ?n a core:X } } }`, // a subquery
      `${P}SELECT $this WHERE { $this core:name ?n MINUS { $this a core:X } }`,
      `${P}SELECT $this WHERE { $this core:name ?n VALUES ?n { "a" } }`,
    ]) {
      expect(answersEveryNode(q), q).toBe(false);
    }
  });
});
