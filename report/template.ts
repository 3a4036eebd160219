/**
 * Report templates: YAML files that decide the titles, labels, organisation,
 * which sections appear and in what order, and the legal wording. Every key
 * is checked, and an error names the file, the line and the field, so a
 * broken template never yields a PDF.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML, { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, type Document } from 'yaml';
import { describeSystemError, ExhibitError } from '../core/errors.js';
import { checkYamlBounds, yamlWords } from '../core/record.js';
import { readInputTextSync } from '../core/input-file.js';
import { codePoint, firstControl } from '../core/text.js';

export const SECTIONS = ['summary', 'evidence', 'acquisitions', 'verifications', 'custody', 'integrity', 'how-to-check', 'declaration'] as const;
export type Section = (typeof SECTIONS)[number];

const LABELS = ['case', 'page', 'of', 'generated', ...SECTIONS, 'unreadable-appendix'] as const;
export type LabelKey = (typeof LABELS)[number];

export interface Organisation {
  name: string;
  address: string[];
}

export interface ReportTemplate {
  file: string;
  organisation: Organisation;
  title: string;
  sections: Section[];
  labels: Record<LabelKey, string>;
  declaration: string[];
  unreadableInlineLimit: number;
}

/** The organisation the shipped template names as an example (template.test.ts holds them equal). */
export const EXAMPLE_ORGANISATION: Organisation = { name: 'Digital Forensics Laboratory', address: ['1 Example Street', 'Example City'] };

const isExample = (o: Organisation) => o.name === EXAMPLE_ORGANISATION.name && o.address.join('\n') === EXAMPLE_ORGANISATION.address.join('\n');

/**
 * The organisation a report names: the template's own; where the template
 * still names the example, the one set in config.yaml; failing both, the
 * example, and `example` says so (the command warns).
 */
export function settleOrganisation(t: ReportTemplate, configured: Organisation | undefined): { template: ReportTemplate; example: boolean } {
  if (!isExample(t.organisation)) return { template: t, example: false };
  if (configured) return { template: { ...t, organisation: configured }, example: false };
  return { template: t, example: true };
}

/** The default template, shipped in templates/. */
export function defaultTemplatePath(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'templates', 'custody-report.yaml');
}

/** A template is a page of settings: its file, and each text in it, are bounded so no template can make the layout run away. */
const MAX_TEMPLATE_BYTES = 256 * 1024;
const MAX_TEMPLATE_VALUES = 20_000;
/** Titles, labels, the organisation's name and address lines: one line of a page. */
const MAX_LINE = 300;
/** Each paragraph of the declaration. */
const MAX_PARAGRAPH = 5000;

export function loadTemplate(file: string = defaultTemplatePath()): ReportTemplate {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_TEMPLATE_BYTES) throw new ExhibitError('USAGE', `the template ${file} is ${size} bytes, more than the ${MAX_TEMPLATE_BYTES} exhibit reads`);
    text = readInputTextSync(file, { code: 'CONFIG', strictUtf8: true }); // missing or unreadable: exit 1, as every input
    checkYamlBounds(text, { maxBytes: MAX_TEMPLATE_BYTES, maxValues: MAX_TEMPLATE_VALUES });
  } catch (err) {
    if (err instanceof ExhibitError) throw err;
    if (err instanceof Error && !('code' in err)) throw new ExhibitError('USAGE', `the template ${file} cannot be read: ${err.message.split('\n')[0]}`, { cause: err });
    throw new ExhibitError('CONFIG', `cannot read the template ${file}: ${describeSystemError(err)}`, { cause: err });
  }
  const lines = new LineCounter();
  const doc: Document = YAML.parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const at = lines.linePos(e.pos[0]);
    throw new ExhibitError('USAGE', `the template ${file} is not valid YAML${at ? ` (line ${at.line}, column ${at.col})` : ''}: ${yamlWords(e.message)}`);
  }
  const fail = (node: Node | null | undefined, field: string, what: string): never => {
    const line = node?.range ? lines.linePos(node.range[0]).line : undefined;
    throw new ExhibitError('USAGE', `the template ${file}${line ? `, line ${line}` : ''}: ${field} ${what}`, { hints: [`compare it with the default: ${defaultTemplatePath()}`] });
  };
  const root = doc.contents;
  if (!isMap(root)) return fail(root, 'the template', 'should be a mapping of settings');
  const str = (node: unknown, field: string, max = MAX_LINE): string => {
    if (isAlias(node)) return fail(node as Node, field, `is an alias (*${node.source}): write the text itself`);
    if (!isScalar(node) || typeof node.value !== 'string') return fail(node as Node, field, 'should be text');
    if (node.value.trim() === '') return fail(node as Node, field, 'is empty: the report would print nothing in its place');
    if (node.value.length > max) return fail(node as Node, field, `is ${node.value.length} characters long, more than ${max}`);
    // A line of the page holds no line break or other control character; a paragraph may break lines. Neither may
    // reorder the text around it (bidirectional embeddings, overrides, isolates).
    const bad = firstControl(node.value, max !== MAX_LINE);
    if (bad) return fail(node as Node, field, `holds ${codePoint(bad)}, a control character (write it on one line, without it)`);
    return node.value;
  };
  const strList = (node: unknown, field: string, max = MAX_LINE): string[] => {
    if (!isSeq(node)) return fail(node as Node, field, 'should be a list of text');
    return node.items.map((item, i) => str(item, `${field}[${i + 1}]`, max));
  };
  const known = ['organisation', 'title', 'sections', 'labels', 'declaration', 'unreadable-inline-limit'];
  const t: Partial<ReportTemplate> = { file };
  const labels: Partial<Record<LabelKey, string>> = {};
  let labelsNode: Node | undefined;
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const value = pair.value as Node | null;
    switch (key) {
      case 'organisation': {
        if (!isMap(value)) return fail(value, 'organisation', 'should be a mapping with name and address');
        for (const p of value.items) {
          const k = isScalar(p.key) ? String(p.key.value) : '';
          if (k === 'name') t.organisation = { name: str(p.value, 'organisation.name'), address: t.organisation?.address ?? [] };
          else if (k === 'address') t.organisation = { name: t.organisation?.name ?? '', address: strList(p.value, 'organisation.address') };
          else return fail(p.key as Node, `organisation.${k}`, 'is not a known field (name, address)');
        }
        break;
      }
      case 'title':
        t.title = str(value, 'title');
        break;
      case 'sections': {
        if (!isSeq(value)) return fail(value, 'sections', 'should be a list of section names');
        if (value.items.length === 0) return fail(value, 'sections', 'is empty: a report needs its sections');
        t.sections = value.items.map((item, i) => {
          const name = str(item, `sections[${i + 1}]`);
          if (!(SECTIONS as readonly string[]).includes(name)) return fail(item as Node, `sections[${i + 1}]`, `is "${name}", not a known section (${SECTIONS.join(', ')})`);
          if (value.items.slice(0, i).some((x) => isScalar(x) && x.value === name)) return fail(item as Node, `sections[${i + 1}]`, `is "${name}" a second time`);
          return name as Section;
        });
        break;
      }
      case 'labels': {
        if (!isMap(value)) return fail(value, 'labels', 'should be a mapping of label names to text');
        labelsNode = value;
        for (const p of value.items) {
          const k = isScalar(p.key) ? String(p.key.value) : '';
          if (!(LABELS as readonly string[]).includes(k)) return fail(p.key as Node, `labels.${k}`, `is not a known label (${LABELS.join(', ')})`);
          labels[k as LabelKey] = str(p.value, `labels.${k}`);
        }
        break;
      }
      case 'declaration':
        t.declaration = strList(value, 'declaration', MAX_PARAGRAPH);
        break;
      case 'unreadable-inline-limit':
        if (!isScalar(value) || !Number.isSafeInteger(value.value) || (value.value as number) < 0) return fail(value, 'unreadable-inline-limit', 'should be a whole number');
        t.unreadableInlineLimit = value.value as number;
        break;
      default:
        return fail(pair.key as Node, key || 'a key', `is not a known setting (${known.join(', ')})`);
    }
  }
  for (const k of ['organisation', 'title', 'sections'] as const) if (t[k] === undefined) return fail(root, k, 'is missing');
  for (const k of LABELS) if (labels[k] === undefined) return fail(labelsNode ?? root, `labels.${k}`, 'is missing');
  return {
    file,
    organisation: t.organisation!,
    title: t.title!,
    sections: t.sections!,
    labels: labels as Record<LabelKey, string>,
    declaration: t.declaration ?? [],
    unreadableInlineLimit: t.unreadableInlineLimit ?? 10,
  };
}
