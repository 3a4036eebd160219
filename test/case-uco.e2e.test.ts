/**
 * The CASE/UCO export checked against the CASE 1.4.0 and UCO 1.4.0 shapes
 * (../shared/fixtures/case-uco-1.4.0), as the CASE community's case_validate
 * checks it: SHACL with UCO's SPARQL rules (shacl-engine), offline. The case
 * has several items, an acquisition in each writable format, an acquisition
 * of a disk with unreadable sectors (a faulty loop device, when this machine
 * can make one), verifications that pass and fail, and transfers with and
 * without countersignature and with an override.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCaseUco, exportTriples, loadOntology, type Ontology } from '../report/case-uco-check.js';
import { makeSourceFile, run, tempDir, type RunResult } from './helpers/cli.js';
import { expectOneLineError } from './helpers/expect.js';
import { detachAllFaulty, faultyDeviceUnavailable, makeFaultyDevice } from './helpers/faulty-device.js';

const ONTOLOGY = path.resolve(__dirname, '..', '..', 'shared', 'fixtures', 'case-uco-1.4.0');
const absent = fs.existsSync(ONTOLOGY) ? undefined : `${ONTOLOGY} is absent`;
const faulty = faultyDeviceUnavailable();
if (faulty) console.warn(`the CASE/UCO test case has no unreadable-range acquisition: ${faulty}`);

const work = tempDir('exhibit-case-uco-');
afterAll(async () => {
  await detachAllFaulty();
  fs.rmSync(work, { recursive: true, force: true });
});
const CASE = 'CU-2026-1';
const SMALL = 'CU-2026-2';
const X = 'C. Examiner';
const R = 'D. Receiver';
const evidence = path.join(work, 'evidence');
const ok = (r: RunResult, code = 0) => expect(r.code, r.stderr).toBe(code);
const UUID_END = /[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let ontology: Ontology;
let exported: string;
let doc: { '@context': Record<string, string>; '@graph': Record<string, any>[] };

describe.skipIf(absent !== undefined)(`the CASE/UCO export${absent ? ` (skipped: ${absent})` : ''}`, () => {
  beforeAll(async () => {
    ok(run(['case', 'open', CASE, '--title', 'CASE/UCO check', '-x', X]));
    ok(run(['key', 'create', '-x', R]));
    const formats = [['raw'], ['split-raw', '--segment-size', '1MiB'], ['e01'], ['zst']];
    for (const [i, [format, ...extra]] of formats.entries()) {
      const ev = `EV-${i + 1}`;
      ok(run(['evidence', 'add', CASE, ev, '--description', `drive ${i + 1}`, '--make', 'Acme', '--model', `M${i + 1}`, '--serial', `SN-${i + 1}`, '--capacity', `${i + 1}TB`, '--condition', 'sealed', '--seal', `S-${i + 1}`, '-x', X]));
      const src = path.join(work, `src-${i + 1}.bin`);
      makeSourceFile(src, 1024 * 1024 + 512 * (i + 1), 70 + i);
      ok(run(['acquire', src, '-o', evidence, '-c', CASE, '-e', ev, '-x', X, '-f', format!, ...extra]));
    }
    if (!faulty) {
      // Not registered first: acquire registers it with what it reads from the drive.
      const base = path.join(work, 'failing.bin');
      makeSourceFile(base, 2048 * 512, 99);
      const dev = await makeFaultyDevice({ baseFile: base, badSectors: [{ first: 100, count: 3 }], workDir: work });
      try {
        ok(run(['acquire', dev.device, '-o', evidence, '-c', CASE, '-e', 'EV-5', '-x', X, '--retries', '0']), 3);
      } finally {
        await dev.teardown();
      }
    }
    ok(run(['verify', path.join(evidence, 'EV-3.E01'), '-x', X]));
    // A verification that fails: one byte of a raw image changed.
    const img = path.join(evidence, 'EV-1.raw');
    const fd = fs.openSync(img, 'r+');
    fs.writeSync(fd, Buffer.from([0xff ^ fs.readFileSync(img)[4096]!]), 0, 1, 4096);
    fs.closeSync(fd);
    ok(run(['verify', img, '-x', X]), 4);
    const transfer = (ev: string, from: string, to: string, ...extra: string[]) =>
      ok(run(['custody', 'transfer', CASE, ev, '--from', from, '--to', to, '--purpose', 'analysis', '--location', 'Lab 1', ...extra]));
    transfer('EV-1', X, R); // countersigned: the receiver's key is here
    transfer('EV-2', X, R, '--no-countersign');
    transfer('EV-3', R, X, '--override', 'handed over by phone; the log missed it');
    const file = path.join(work, 'case.jsonld');
    ok(run(['report', CASE, '--format', 'jsonld', '--out', file, '-x', X]));
    exported = fs.readFileSync(file, 'utf8');
    doc = JSON.parse(exported);
    ontology = loadOntology(ONTOLOGY);
  }, 300_000);

  it('has every acquisition, verification and transfer of the case as an action', () => {
    const actions = doc['@graph'].filter((n) => n['@type'] === 'case-investigation:InvestigativeAction');
    const named = (prefix: string) => actions.filter((a) => String(a['core:name']).startsWith(prefix));
    expect(named('acquisition of ')).toHaveLength(faulty ? 4 : 5);
    expect(named('verification of ').map((a) => a['action:actionStatus']).sort()).toEqual(['Fail', 'Success']);
    const transfers = named('transfer of custody').map((a) => String(a['core:description']));
    expect(transfers).toHaveLength(3);
    // Both examiners' keys are here: only --no-countersign leaves a transfer without the receiver's signature.
    expect(transfers.filter((t) => t.includes('; countersigned by the receiving party'))).toHaveLength(2);
    expect(transfers.filter((t) => t.includes('; not countersigned'))).toHaveLength(1);
    expect(transfers.some((t) => t.includes(`released by someone other than the holder (${X}): handed over by phone; the log missed it`))).toBe(true);
    if (!faulty) expect(named('acquisition of EV-5')[0]!['core:description']).toContain('3 sectors could not be read');
    expect(new Set(named('acquisition of ').map((a) => a['action:actionStatus']))).toEqual(new Set(['Complete/Finish']));
  });

  it('conforms to CASE 1.4.0 and UCO 1.4.0: no violation, no warning, no info', async () => {
    expect(ontology.versions).toEqual(['CASE 1.4.0', 'UCO 1.4.0']);
    const c = await checkCaseUco(exported, ontology);
    expect(c.findings.map((f) => `${f.severity} ${f.shape} ${f.focus}: ${f.message}`)).toEqual([]);
    expect(c).toMatchObject({ conforms: true, violations: 0, warnings: 0, infos: 0, undefinedTerms: [] });
    expect(c.triples).toBeGreaterThan(200);
  }, 600_000);

  it('names only classes, properties and datatypes the ontology defines', async () => {
    const triples = await exportTriples(exported);
    const TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
    const classes = new Set(triples.filter((q) => q.predicate.value === TYPE).map((q) => q.object.value));
    const properties = new Set(triples.filter((q) => q.predicate.value !== TYPE).map((q) => q.predicate.value));
    const datatypes = new Set(triples.flatMap((q) => (q.object.termType === 'Literal' ? [q.object.datatype.value] : [])));
    expect(classes.size).toBeGreaterThan(8);
    expect(properties.size).toBeGreaterThan(20);
    for (const c of classes) expect(ontology.classes.has(c), c).toBe(true);
    for (const p of properties) expect(ontology.properties.has(p), p).toBe(true);
    for (const d of datatypes) expect(d === 'http://www.w3.org/2001/XMLSchema#string' || ontology.datatypes.has(d), d).toBe(true);
  });

  it('names every node by an IRI ending in a UUID, the same in a second export', () => {
    const ids = doc['@graph'].flatMap(function all(n: any): string[] {
      return [n['@id'], ...Object.values(n).flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v: any) => v && typeof v === 'object' && '@type' in v && '@id' in v).flatMap(all)];
    });
    expect(ids.length).toBeGreaterThan(50);
    for (const id of ids) expect(id).toMatch(UUID_END);
    expect(new Set(ids).size).toBe(ids.length);
    const again = path.join(work, 'again.jsonld');
    ok(run(['report', CASE, '--format', 'jsonld', '--out', again, '-x', X]));
    expect(fs.readFileSync(again, 'utf8')).toBe(exported);
  });

  /** The nodes of one image file of the export (file, facets, hash), with `plant` applied: a small graph checks fast. */
  const fileSlice = (plant: (nodes: Record<string, any>[]) => void) => {
    const graph = doc['@graph'];
    const file = structuredClone(graph.find((n) => n['@type'] === 'observable:File')!);
    const hashIds = new Set(file['core:hasFacet'].flatMap((f: any) => (f['observable:hash'] ?? []).map((h: any) => h['@id'])));
    const nodes = [file, ...structuredClone(graph.filter((n) => hashIds.has(n['@id'])))];
    plant(nodes);
    return JSON.stringify({ '@context': doc['@context'], '@graph': nodes });
  };

  it('fails on a planted wrong datatype, naming the shape', async () => {
    const clean = await checkCaseUco(fileSlice(() => {}), ontology);
    expect(clean).toMatchObject({ conforms: true, violations: 0, warnings: 0 });
    const c = await checkCaseUco(
      fileSlice((n) => (n[0]!['core:hasFacet'][0]['observable:sizeInBytes']['@type'] = 'xsd:string')),
      ontology,
    );
    expect(c.conforms).toBe(false);
    expect(c.findings).toContainEqual(expect.objectContaining({ severity: 'Violation', constraint: 'Datatype', shape: expect.stringContaining('observable:sizeInBytes') }));
  }, 300_000);

  it('fails on the blank-node hashes and typed hash method of earlier exports', async () => {
    const c = await checkCaseUco(
      fileSlice((n) => {
        const hash = n.find((x) => x['@type'] === 'types:Hash')!;
        delete hash['@id'];
        hash['types:hashMethod'] = { '@type': 'https://ontology.unifiedcyberontology.org/uco/vocabulary/HashNameVocab', '@value': 'SHA256' };
        n[0]!['core:hasFacet'][1]['observable:hash'] = [hash];
        n.splice(n.indexOf(hash), 1);
      }),
      ontology,
    );
    expect(c.conforms).toBe(false);
    expect(c.findings).toContainEqual(expect.objectContaining({ severity: 'Violation', shape: 'core:UcoThing', message: 'UcoThings are required to not be blank nodes.' }));
    expect(c.findings).toContainEqual(expect.objectContaining({ severity: 'Violation', constraint: 'NodeKind', shape: expect.stringContaining('on observable:hash') }));
    expect(c.findings).toContainEqual(expect.objectContaining({ severity: 'Warning', shape: expect.stringContaining('types:Hash on types:hashMethod') }));
  }, 300_000);

  it("reports UCO's SPARQL constraints node by node: a file named without a UUID gets its Info, its hash none", async () => {
    // The UUID constraint is answered for every node in one query (report/case-uco-sparql.ts): only the renamed node is found.
    const c = await checkCaseUco(
      fileSlice((n) => (n[0]!['@id'] = 'kb:file-named-by-hand')),
      ontology,
    );
    const uuid = c.findings.filter((f) => f.message === 'UcoThings are suggested to end with a UUID.');
    expect(uuid.map((f) => [f.severity, f.focus])).toEqual([['Info', 'kb:file-named-by-hand']]);
    expect(c).toMatchObject({ conforms: true, violations: 0, warnings: 0, infos: 1 });
  }, 300_000);

  it.each([
    ['an undefined property', (n: Record<string, any>[]) => (n[0]!['core:hasFacet'][0]['observable:fileNmae'] = 'x'), 'property observable:fileNmae'],
    ['an undefined class', (n: Record<string, any>[]) => (n[0]!['@type'] = 'observable:Fiel'), 'class observable:Fiel'],
    ['an undefined datatype', (n: Record<string, any>[]) => (n[0]!['core:hasFacet'][0]['observable:sizeInBytes']['@type'] = 'xsd:integr'), 'datatype xsd:integr'],
  ])('fails on %s, naming it', async (_what, plant, named) => {
    const c = await checkCaseUco(fileSlice(plant), ontology);
    expect(c.conforms).toBe(false);
    expect(c.undefinedTerms).toContain(named);
  }, 300_000);

  describe('exhibit report --validate', () => {
    beforeAll(() => {
      ok(run(['case', 'open', SMALL, '-x', X]));
      ok(run(['evidence', 'add', SMALL, 'EV-9', '-x', X]));
      const src = path.join(work, 'small.bin');
      makeSourceFile(src, 64 * 1024, 9);
      ok(run(['acquire', src, '-o', path.join(work, 'small'), '-c', SMALL, '-e', 'EV-9', '-x', X]));
    }, 120_000);

    it('checks the export before writing it, and says it conforms and to what', () => {
      const out = path.join(work, 'small.jsonld');
      const r = run(['report', SMALL, '--format', 'jsonld', '--out', out, '-x', X, '--validate', '--ontology', ONTOLOGY]);
      ok(r);
      expect(r.stdout).toContain(`the CASE/UCO export conforms to CASE 1.4.0 and UCO 1.4.0 (${ONTOLOGY}): 0 violations, 0 warnings, 0 info, every term defined`);
      expect(r.stdout).toContain(`wrote ${out}`);
    });

    it('writes nothing and logs nothing when the export fails a shape, and names the shape (exit 4)', () => {
      // The same ontology with one more shape the export cannot meet.
      const strict = path.join(work, 'strict-ontology');
      fs.cpSync(ONTOLOGY, strict, { recursive: true });
      // The ontology may be read-only where it is kept (../shared): the copy is made writable, or an ordinary user could neither add to it nor remove it.
      const writable = (p: string): void => {
        const st = fs.statSync(p);
        fs.chmodSync(p, st.isDirectory() ? 0o755 : 0o644);
        if (st.isDirectory()) for (const n of fs.readdirSync(p)) writable(path.join(p, n));
      };
      writable(strict);
      fs.writeFileSync(
        path.join(strict, 'lab.ttl'),
        '@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix core: <https://ontology.unifiedcyberontology.org/uco/core/> .\n' +
          '<http://example.org/lab/NeedsTag> a sh:NodeShape ; sh:targetClass <https://ontology.unifiedcyberontology.org/uco/observable/File> ;\n' +
          '  sh:property [ sh:path core:tag ; sh:minCount 1 ] .\n',
      );
      const entries = () => JSON.parse(run(['custody', 'log', SMALL, '--json']).stdout).log.length;
      const before = entries();
      const out = path.join(work, 'strict.jsonld');
      const r = run(['report', SMALL, '--format', 'jsonld', '--out', out, '-x', X, '--validate', '--ontology', strict]);
      expect(r.code).toBe(4);
      expect(r.stdout).toContain('the CASE/UCO export does not conform to CASE 1.4.0 and UCO 1.4.0');
      expect(r.stdout).toMatch(/violation: <http:\/\/example\.org\/lab\/NeedsTag> on core:tag \(MinCount\): .*; 1 node, e\.g\. kb:file-/);
      expectOneLineError(r.stderr.replace(/^exhibit: checking .*\n/, ''), /the CASE\/UCO export of case CU-2026-2 does not conform; nothing was written and nothing logged/);
      expect(fs.existsSync(out)).toBe(false);
      expect(entries()).toBe(before);
    });

    it.each([
      [['--validate'], /--validate needs --ontology <dir>/],
      [['--ontology', ONTOLOGY], /--ontology is the ontology that --validate checks against; add --validate/],
      [['--validate', '--ontology', path.join(work, 'evidence')], /holds no ontology files \(\.ttl\)/],
    ])('refuses %j as a usage error (exit 2), writing nothing', (extra, message) => {
      const out = path.join(work, 'refused.jsonld');
      const r = run(['report', SMALL, '--format', 'jsonld', '--out', out, '-x', X, ...extra]);
      expect(r.code).toBe(2);
      expectOneLineError(r.stderr, message);
      expect(fs.existsSync(out)).toBe(false);
    });

    it('refuses an ontology file that is not Turtle, naming it', () => {
      const bad = path.join(work, 'bad-ontology');
      fs.mkdirSync(bad);
      fs.writeFileSync(path.join(bad, 'broken.ttl'), '@prefix x: <http://x/> .\nx:a x:b "unterminated .\n');
      const r = run(['report', SMALL, '--format', 'jsonld', '--out', path.join(work, 'bad.jsonld'), '-x', X, '--validate', '--ontology', bad]);
      expect(r.code).toBe(2);
      expectOneLineError(r.stderr, /broken\.ttl is not a Turtle file: /);
    });
  });
});

describe('verifications in the CASE/UCO export', () => {
  it('ties each verification to the acquisition whose record it verified, and never calls a check of some pieces a Success', () => {
    const C = 'CU-2026-3';
    const dirs = ['a', 'b'].map((n) => path.join(work, `twice-${n}`));
    for (const [i, dir] of dirs.entries()) {
      const src = path.join(work, `twice-${i}.bin`);
      makeSourceFile(src, 4 * 1024 * 1024, 200 + i);
      ok(run(['acquire', src, '-o', dir, '-c', C, '-e', 'EV-1', '-x', X, '--piece-size', '1MiB']));
    }
    const fd = fs.openSync(path.join(dirs[1]!, 'EV-1.raw'), 'r+');
    fs.writeSync(fd, Buffer.from('Z'), 0, 1, 3 * 1024 * 1024 + 900); // piece 3 of the second image
    fs.closeSync(fd);
    ok(run(['verify', dirs[0]!, '-x', X]));
    ok(run(['verify', dirs[1]!, '-x', X]), 4);
    ok(run(['verify', dirs[1]!, '-x', X, '--pieces', '0']));
    const file = path.join(work, 'twice.jsonld');
    ok(run(['report', C, '--format', 'jsonld', '-o', file, '-x', X]));
    const graph = (JSON.parse(fs.readFileSync(file, 'utf8')) as { '@graph': Record<string, any>[] })['@graph'];
    const acquisitions = graph.filter((n) => n['core:name'] === 'acquisition of EV-1');
    const filesOf = (n: Record<string, any>) => (n['action:result'] as { '@id': string }[]).map((r) => r['@id']).filter((x) => x.includes('file'));
    const verifications = graph.filter((n) => n['core:name'] === 'verification of EV-1');
    expect(verifications.map((v) => v['action:actionStatus'])).toEqual(['Success', 'Fail', 'Unknown']);
    expect(verifications[2]!['core:description']).toMatch(/^VERIFIED \(part: 1 of 4 pieces; the rest not read\)/);
    const objects = (v: Record<string, any>) => ([] as { '@id': string }[]).concat(v['action:object']).map((r) => r['@id']);
    expect(objects(verifications[0]!)).toEqual(filesOf(acquisitions[0]!));
    expect(objects(verifications[1]!)).toEqual(filesOf(acquisitions[1]!));
    expect(objects(verifications[2]!)).not.toEqual(filesOf(acquisitions[0]!)); // a check of some pieces names no files: the disk
  });
});
