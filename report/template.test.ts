import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExhibitError } from '../core/errors.js';
import { defaultTemplatePath, EXAMPLE_ORGANISATION, loadTemplate, SECTIONS, settleOrganisation } from './template.js';
import { tempDir } from '../test/helpers/cli.js';

const dir = tempDir('exhibit-template-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const good = fs.readFileSync(defaultTemplatePath(), 'utf8');
let n = 0;
/** A template file with this text. */
function file(text: string): string {
  const f = path.join(dir, `t${++n}.yaml`);
  fs.writeFileSync(f, text);
  return f;
}

/** The error loading this text gives: a USAGE error naming the file. */
function refusal(text: string): string {
  const f = file(text);
  try {
    loadTemplate(f);
  } catch (err) {
    expect(err).toBeInstanceOf(ExhibitError);
    expect((err as ExhibitError).code).toBe('USAGE');
    expect((err as ExhibitError).message).toContain(f);
    return (err as ExhibitError).message;
  }
  throw new Error('the template was accepted');
}

describe('loadTemplate', () => {
  it('reads the shipped template: every section in order, every label, the declaration, the inline limit', () => {
    const t = loadTemplate();
    expect(t.file).toBe(defaultTemplatePath());
    expect(t.sections).toEqual([...SECTIONS]);
    expect(t.title).toBe('Chain of custody report');
    expect(t.organisation).toEqual({ name: 'Digital Forensics Laboratory', address: ['1 Example Street', 'Example City'] });
    expect(t.labels['unreadable-appendix']).toBe('Appendix: unreadable sector ranges');
    expect(t.declaration).toHaveLength(2);
    expect(t.unreadableInlineLimit).toBe(10);
  });

  it('a line of text up to 300 characters is taken; one more is refused with its line and length', () => {
    expect(loadTemplate(file(good.replace('title: "Chain of custody report"', `title: "${'x'.repeat(300)}"`))).title).toHaveLength(300);
    const line = good.split('\n').findIndex((l) => l.startsWith('title:')) + 1;
    expect(refusal(good.replace('title: "Chain of custody report"', `title: "${'x'.repeat(301)}"`))).toMatch(new RegExp(`, line ${line}: title is 301 characters long, more than 300$`));
  });

  it('a label and an address line are bounded like the title', () => {
    expect(refusal(good.replace('case: "Case"', `case: "${'c'.repeat(301)}"`))).toMatch(/labels\.case is 301 characters long, more than 300$/);
    expect(refusal(good.replace('- "Example City"', `- "${'a'.repeat(301)}"`))).toMatch(/organisation\.address\[2\] is 301 characters long, more than 300$/);
  });

  it('a line holds no control character or bidirectional override, naming it; a paragraph may break lines', () => {
    expect(refusal(good.replace('title: "Chain of custody report"', 'title: "bad\\u0000nul"'))).toMatch(/title holds U\+0000, a control character/);
    expect(refusal(good.replace('title: "Chain of custody report"', 'title: "two\\nlines"'))).toMatch(/title holds U\+000A, a control character/);
    expect(refusal(good.replace('case: "Case"', 'case: "Ca\\u202ese"'))).toMatch(/labels\.case holds U\+202E/);
    expect(refusal(good.replace('- "Example City"', '- "City\\u0007"'))).toMatch(/organisation\.address\[2\] holds U\+0007/);
    const para = good.replace('  - "Signed: ______________________________    Date: ______________"', '  - "Signed:\\nDate:"');
    expect(loadTemplate(file(para)).declaration[1]).toBe('Signed:\nDate:');
    expect(refusal(good.replace('  - "Signed: ______________________________    Date: ______________"', '  - "Signed\\u001b[8m"'))).toMatch(/declaration\[2\] holds U\+001B/);
  });

  it('a declaration paragraph may be 5000 characters, not 5001', () => {
    const para = (k: number) => good.replace('  - "Signed: ______________________________    Date: ______________"', `  - "${'d'.repeat(k)}"`);
    expect(loadTemplate(file(para(5000))).declaration[1]).toHaveLength(5000);
    expect(refusal(para(5001))).toMatch(/declaration\[2\] is 5001 characters long, more than 5000$/);
  });

  it('a file over 256 KiB is refused before it is parsed', () => {
    const big = `${good}\n#${'p'.repeat(256 * 1024)}\n`;
    expect(refusal(big)).toMatch(new RegExp(`is ${Buffer.byteLength(big)} bytes, more than the 262144 exhibit reads$`));
  });

  it('more than 20,000 YAML values are refused', () => {
    const many = `${good}\nextra: [${Array.from({ length: 20_001 }, () => '1').join(',')}]\n`;
    expect(Buffer.byteLength(many)).toBeLessThan(256 * 1024);
    expect(refusal(many)).toMatch(/cannot be read: it holds more than 20000 YAML values, more than exhibit reads$/);
  });

  it('a missing setting or label is named, at the line of the mapping it is missing from', () => {
    expect(refusal(good.replace(/^title: .*$/m, ''))).toMatch(/: title is missing$/);
    const noOf = good.replace(/^ {2}of: .*$/m, '');
    const labelsLine = noOf.split('\n').findIndex((l) => /^labels:/.test(l)) + 2; // the first label's line
    expect(refusal(noOf)).toMatch(new RegExp(`, line ${labelsLine}: labels\\.of is missing$`));
  });

  it('an empty text is refused where the report would print nothing (name, title, label, address line, paragraph)', () => {
    expect(refusal(good.replace('  name: "Digital Forensics Laboratory"', '  name: ""'))).toMatch(/organisation\.name is empty/);
    expect(refusal(good.replace(/^title: .*$/m, 'title: "  "'))).toMatch(/: title is empty/);
    expect(refusal(good.replace('case: "Case"', 'case: ""'))).toMatch(/labels\.case is empty/);
    expect(refusal(good.replace('- "Example City"', '- ""'))).toMatch(/organisation\.address\[2\] is empty/);
  });

  it('an alias, and lists nested thousands deep, are named as such', () => {
    const aliased = good.replace(/^title: (.*)$/m, 'title: &t $1').replace('  - "Signed: ______________________________    Date: ______________"', '  - *t');
    expect(refusal(aliased)).toMatch(/declaration\[2\] is an alias \(\*t\): write the text itself$/);
    expect(refusal(`${good}\nextra: ${'['.repeat(5000)}${']'.repeat(5000)}\n`)).toMatch(/is not valid YAML \(line \d+, column \d+\): it nests lists or mappings too deeply within each other$/);
  });

  it('the inline limit must be a whole number of 0 or more', () => {
    expect(loadTemplate(file(good.replace('unreadable-inline-limit: 10', 'unreadable-inline-limit: 0'))).unreadableInlineLimit).toBe(0);
    for (const bad of ['-1', '2.5', '"10"'])
      expect(refusal(good.replace('unreadable-inline-limit: 10', `unreadable-inline-limit: ${bad}`))).toMatch(/unreadable-inline-limit should be a whole number$/);
  });

  it('an unknown field of the organisation or an unknown label is named', () => {
    expect(refusal(good.replace('  name: "Digital Forensics Laboratory"', '  name: "Lab"\n  phone: "1"'))).toMatch(/organisation\.phone is not a known field \(name, address\)$/);
    expect(refusal(good.replace('  of: "of"', '  of: "of"\n  footer: "x"'))).toMatch(/labels\.footer is not a known label/);
  });

  it('the organisation: the template\'s own, else config.yaml\'s where the template names the example, else the example, said to be one', () => {
    const shipped = loadTemplate();
    expect(shipped.organisation).toEqual(EXAMPLE_ORGANISATION); // the example the command warns about is the one the template ships
    const lab = { name: 'County Forensic Unit', address: ['4 Court Lane'] };
    expect(settleOrganisation(shipped, undefined)).toEqual({ template: shipped, example: true });
    expect(settleOrganisation(shipped, lab)).toEqual({ template: { ...shipped, organisation: lab }, example: false });
    const own = loadTemplate(file(good.replace('  name: "Digital Forensics Laboratory"', '  name: "Harbour Police Laboratory"')));
    expect(settleOrganisation(own, lab)).toEqual({ template: own, example: false });
    expect(own.organisation.name).toBe('Harbour Police Laboratory');
  });
});

describe('sections a report cannot do without', () => {
  it('refuses an empty list of sections and a section named twice', () => {
    expect(refusal(good.replace(/sections:\n(  - .*\n)+/, 'sections: []\n'))).toMatch(/sections is empty: a report needs its sections/);
    const first = /sections:\n {2}- (.*)\n/.exec(good)![1]!;
    expect(refusal(good.replace(/sections:\n/, `sections:\n  - ${first}\n`))).toMatch(new RegExp(`sections\\[2\\] is "${first}" a second time`));
  });
  it('refuses a template that is not UTF-8 text', () => {
    const f = path.join(dir, 'latin1.yaml');
    fs.writeFileSync(f, Buffer.concat([Buffer.from(good.replace('title: "Chain of custody report"', 'title: "Cha')), Buffer.from([0xee]), Buffer.from('ne"\n')]));
    expect(() => loadTemplate(f)).toThrow(/is not UTF-8 text/);
  });
});
