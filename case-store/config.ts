/** $EXHIBIT_HOME/config.yaml: the few settings a lab may want to fix for every examiner. */
import path from 'node:path';
import YAML from 'yaml';
import { describeSystemError, ExhibitError } from '../core/errors.js';
import { firstControl, readTextIfExists } from '../core/text.js';

export interface ExhibitConfig {
  /** false: an examiner without a key cannot acquire (for labs that provision keys); true: exhibit creates one. */
  createMissingKeys: boolean;
  /** The organisation a custody report names, for every report of this installation (report.organisation). */
  organisation?: { name: string; address: string[] };
  /** The RFC 3161 time-stamping authority each new checkpoint is sent to, and the CA certificate(s) its tokens must chain to (tsa.url, tsa.ca). */
  tsa?: { url: string; ca: string };
  /** The case store, when it is the lab's on PostgreSQL (store: postgresql://...); EXHIBIT_STORE takes precedence. */
  store?: string;
}

const EXAMPLE = `keys: { create_when_missing: false }  or  report: { organisation: { name: "...", address: ["...", "..."] } }  or  tsa: { url: "http://tsa.example/tsr", ca: tsa-ca.pem }  or  store: postgresql://exhibit@lab-db/exhibit`;

const DEFAULTS: ExhibitConfig = { createMissingKeys: true };

export function loadConfig(file: string): ExhibitConfig {
  let text: string | undefined;
  try {
    text = readTextIfExists(file, { strictUtf8: true });
  } catch (err) {
    throw new ExhibitError('CONFIG', `cannot read the settings file ${file}: ${describeSystemError(err)}`, { cause: err });
  }
  if (text === undefined) return { ...DEFAULTS };
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    const line = (err as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new ExhibitError('CONFIG', `the settings file ${file} is not valid YAML${line ? ` (line ${line})` : ''}`, { cause: err });
  }
  if (doc === null || doc === undefined) return { ...DEFAULTS };
  const bad = (what: string) => new ExhibitError('CONFIG', `the settings file ${file}: ${what}`, { hints: [`it may hold:  ${EXAMPLE}`] });
  const mapping = (v: unknown, what: string): Record<string, unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`${what} should be a mapping`);
    return v as Record<string, unknown>;
  };
  const line = (v: unknown, what: string): string => {
    if (typeof v !== 'string' || v.trim() === '' || v.length > 300 || firstControl(v) !== undefined) throw bad(`${what} should be one line of text, without control characters or direction overrides`);
    return v.trim();
  };
  const config = { ...DEFAULTS };
  for (const [k, v] of Object.entries(mapping(doc, 'the file'))) {
    if (k === 'keys') {
      for (const [kk, vv] of Object.entries(mapping(v, '"keys"'))) {
        if (kk !== 'create_when_missing') throw bad(`unknown setting "keys.${kk}"`);
        if (typeof vv !== 'boolean') throw bad('"keys.create_when_missing" should be true or false');
        config.createMissingKeys = vv;
      }
    } else if (k === 'report') {
      for (const [kk, vv] of Object.entries(mapping(v, '"report"'))) {
        if (kk !== 'organisation') throw bad(`unknown setting "report.${kk}"`);
        const org = mapping(vv, '"report.organisation"');
        for (const f of Object.keys(org)) if (f !== 'name' && f !== 'address') throw bad(`unknown setting "report.organisation.${f}" (name, address)`);
        const address = org.address ?? [];
        if (!Array.isArray(address)) throw bad('"report.organisation.address" should be a list of lines');
        config.organisation = { name: line(org.name, '"report.organisation.name"'), address: address.map((l, i) => line(l, `"report.organisation.address" line ${i + 1}`)) };
      }
    } else if (k === 'tsa') {
      const tsa = mapping(v, '"tsa"');
      for (const f of Object.keys(tsa)) if (f !== 'url' && f !== 'ca') throw bad(`unknown setting "tsa.${f}" (url, ca)`);
      const url = line(tsa.url, '"tsa.url"');
      if (!/^https?:\/\/[^\s]+$/.test(url)) throw bad('"tsa.url" should be an http:// or https:// address');
      const ca = line(tsa.ca, '"tsa.ca" (the PEM file of the CA that issued the TSA\'s certificate)');
      config.tsa = { url, ca: path.resolve(path.dirname(file), ca) };
    } else if (k === 'store') {
      const url = line(v, '"store" (a postgresql:// URL)');
      if (!/^postgres(ql)?:\/\/\S+$/i.test(url)) throw bad('"store" should be a postgresql:// URL (leave it out to keep the case store on this machine)');
      config.store = url;
    } else throw bad(`unknown setting "${k}"`);
  }
  return config;
}
