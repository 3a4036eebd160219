import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExhibitError } from '../core/errors.js';
import { loadConfig } from './config.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exhibit-config-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (text: string) => {
  const f = path.join(dir, `c${++n}.yaml`);
  fs.writeFileSync(f, text);
  return f;
};
const refusal = (text: string): string => {
  try {
    loadConfig(file(text));
  } catch (err) {
    expect(err).toBeInstanceOf(ExhibitError);
    expect((err as ExhibitError).code).toBe('CONFIG');
    return (err as ExhibitError).message;
  }
  throw new Error('the settings were accepted');
};

describe('loadConfig', () => {
  it('has no organisation when none is set, and none when there is no file', () => {
    expect(loadConfig(path.join(dir, 'absent.yaml'))).toEqual({ createMissingKeys: true });
    expect(loadConfig(file('keys:\n  create_when_missing: false\n'))).toEqual({ createMissingKeys: false });
  });

  it("reads the organisation custody reports name, with the keys' setting beside it", () => {
    const c = loadConfig(file('keys: { create_when_missing: false }\nreport:\n  organisation:\n    name: " County Forensic Unit "\n    address:\n      - 4 Court Lane\n      - Shiretown\n'));
    expect(c).toEqual({ createMissingKeys: false, organisation: { name: 'County Forensic Unit', address: ['4 Court Lane', 'Shiretown'] } });
    expect(loadConfig(file('report: { organisation: { name: Lab } }\n')).organisation).toEqual({ name: 'Lab', address: [] });
  });

  it('names what is wrong with an organisation', () => {
    expect(refusal('report: { organisation: { address: [x] } }')).toMatch(/"report\.organisation\.name" should be one line of text, without control characters or direction overrides$/);
    expect(refusal('report: { organisation: { name: Lab, address: 4 Court Lane } }')).toMatch(/"report\.organisation\.address" should be a list of lines$/);
    expect(refusal('report: { organisation: { name: Lab, address: ["a\\nb"] } }')).toMatch(/"report\.organisation\.address" line 1 should be one line of text, without control characters or direction overrides$/);
    expect(refusal('report: { organisation: { name: "Lab \u202e" } }')).toMatch(/"report\.organisation\.name" should be one line of text/);
    expect(refusal('report: { organisation: { name: Lab, phone: "1" } }')).toMatch(/unknown setting "report\.organisation\.phone" \(name, address\)$/);
    expect(refusal('report: { template: x.yaml }')).toMatch(/unknown setting "report\.template"$/);
    expect(refusal('report: [1]')).toMatch(/"report" should be a mapping$/);
  });

  it('reads the time-stamping authority, its CA relative to the settings file, and refuses what is not one', () => {
    const f = file('tsa:\n  url: http://127.0.0.1:3180/tsr\n  ca: tsa-ca.pem\n');
    expect(loadConfig(f).tsa).toEqual({ url: 'http://127.0.0.1:3180/tsr', ca: path.join(dir, 'tsa-ca.pem') });
    expect(refusal('tsa:\n  url: ftp://x\n  ca: a.pem\n')).toMatch(/"tsa\.url" should be an http:\/\/ or https:\/\/ address/);
    expect(refusal('tsa:\n  url: http://x/\n')).toMatch(/"tsa\.ca"/);
    expect(refusal('tsa:\n  url: http://x/\n  ca: a.pem\n  policy: 1.2\n')).toMatch(/unknown setting "tsa\.policy"/);
  });

  it('reads the lab store, a postgresql:// URL, and refuses anything else', () => {
    expect(loadConfig(file('store: postgresql://exhibit@lab-db/exhibit\n')).store).toBe('postgresql://exhibit@lab-db/exhibit');
    expect(refusal('store: /srv/cases.db\n')).toMatch(/"store" should be a postgresql:\/\/ URL/);
    expect(refusal('store: [a]\n')).toMatch(/"store" \(a postgresql:\/\/ URL\) should be one line of text/);
  });
});

describe('a settings file that is not UTF-8', () => {
  it('is refused, not read with replacement characters', () => {
    const f = file('report: { organisation: { name: "Lab" } }\n');
    fs.writeFileSync(f, Buffer.concat([Buffer.from('report: { organisation: { name: "Cha'), Buffer.from([0xee]), Buffer.from('ne" } }\n')]));
    expect(() => loadConfig(f)).toThrow(/is not UTF-8 text/);
  });
});
