/** $EXHIBIT_HOME/config.yaml: the few settings a lab may want to fix for every examiner. */
import YAML from 'yaml';
import { describeSystemError, ExhibitError } from '../core/errors.js';
import { readTextIfExists } from '../core/text.js';

export interface ExhibitConfig {
  /** false: an examiner without a key cannot acquire (for labs that provision keys); true: exhibit creates one. */
  createMissingKeys: boolean;
}

const DEFAULTS: ExhibitConfig = { createMissingKeys: true };

export function loadConfig(file: string): ExhibitConfig {
  let text: string | undefined;
  try {
    text = readTextIfExists(file);
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
  const bad = (what: string) => new ExhibitError('CONFIG', `the settings file ${file}: ${what}`, { hints: ['it may hold:  keys: { create_when_missing: false }'] });
  if (typeof doc !== 'object' || Array.isArray(doc)) throw bad('expected a mapping of settings');
  const config = { ...DEFAULTS };
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    if (k !== 'keys') throw bad(`unknown setting "${k}"`);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('"keys" should be a mapping');
    for (const [kk, vv] of Object.entries(v as Record<string, unknown>)) {
      if (kk !== 'create_when_missing') throw bad(`unknown setting "keys.${kk}"`);
      if (typeof vv !== 'boolean') throw bad('"keys.create_when_missing" should be true or false');
      config.createMissingKeys = vv;
    }
  }
  return config;
}
