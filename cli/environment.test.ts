import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LAYERS = ['cli', 'acquire', 'source', 'image', 'verify', 'case-store', 'report', 'core'];

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

/** Every environment variable exhibit's code names: EXHIBIT_*, and what it reads through env.NAME. */
function variablesRead(): Set<string> {
  const names = new Set<string>();
  for (const file of LAYERS.flatMap((l) => sources(path.join(ROOT, l)))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bEXHIBIT_[A-Z_]+\b/g)) names.add(m[0]);
    for (const m of text.matchAll(/\benv\.([A-Z][A-Z_]+)\b/g)) names.add(m[1]!);
    for (const m of text.matchAll(/\benv\[\s*'([A-Z][A-Z_]+)'\s*\]/g)) names.add(m[1]!);
  }
  return names;
}

describe('environment variables', () => {
  it('every one exhibit reads is in the README table', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Environment variables\n'), readme.indexOf('\n## ', readme.indexOf('\n## Environment variables\n') + 5));
    expect(section.length).toBeGreaterThan(100);
    const read = variablesRead();
    for (const name of ['EXHIBIT_HOME', 'EXHIBIT_EXAMINER', 'EXHIBIT_PASSPHRASE', 'NO_COLOR']) expect(read.has(name), name).toBe(true); // the scan finds them
    const missing = [...read].filter((n) => !section.includes(`\`${n}\``));
    expect(missing, 'variables exhibit reads that the README does not list').toEqual([]);
  });
});
