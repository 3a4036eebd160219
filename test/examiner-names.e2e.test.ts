/**
 * Look-alike examiner names, through the real CLI. A reader sees the name
 * beside a signature, so "J. Dое" (Cyrillic о and е), "J. Doe" with a
 * zero-width space, "j. doe" or "J. D0e" must never get a key of their own
 * beside J. Doe's, nor be named as a receiver; a name typed with full-width
 * letters or a no-break space is the same name and uses J. Doe's key.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSourceFile, run as inProcess, type RunResult, tempDir } from './helpers/cli.js';
import { expectOneLineError } from './helpers/expect.js';

const work = tempDir('exhibit-names-');
const home = path.join(work, 'home');
const src = path.join(work, 'source.bin');
const run = (args: string[]): RunResult => inProcess(args, { env: { EXHIBIT_HOME: home } });
const keys = (): { examiner: string; fingerprint: string }[] => JSON.parse(run(['key', 'list', '--json']).stdout) as { examiner: string; fingerprint: string }[];

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

let doe = '';
beforeAll(() => {
  makeSourceFile(src, 64 * 1024, 3);
  expect(run(['key', 'create', '-x', 'J. Doe']).code).toBe(0);
  expect(run(['key', 'create', '-x', 'K. Smith']).code).toBe(0);
  doe = keys().find((k) => k.examiner === 'J. Doe')!.fingerprint;
});

const lookAlikes: { name: string; value: string; error: RegExp }[] = [
  { name: 'Cyrillic о and е', value: 'J. D\u043e\u0435', error: /mixes Latin and Cyrillic letters in "D\u043e\u0435"/ },
  { name: 'Greek capitals', value: 'J. D\u039f\u0395', error: /mixes Latin and Greek letters/ },
  { name: 'a zero-width space', value: 'J. Do\u200be', error: /invisible or formatting character \(U\+200B\)/ },
  { name: 'a zero-width joiner', value: 'J. Doe\u200d', error: /\(U\+200D\)/ },
  { name: 'a soft hyphen', value: 'J. Do\u00ade', error: /\(U\+00AD\)/ },
  { name: 'a byte order mark', value: '\ufeffJ. Doe', error: /\(U\+FEFF\)/ },
  { name: 'a right-to-left override', value: 'J. \u202eeoD', error: /\(U\+202E\)/ },
  { name: 'another case', value: 'j. doe', error: /looks like J\. Doe, who has key [0-9a-f]{16}/ },
  { name: 'a digit zero for o', value: 'J. D0e', error: /looks like J\. Doe/ },
  { name: 'an accent', value: 'J. Do\u00e9', error: /looks like J\. Doe/ },
  { name: 'a combining accent', value: 'J. Doe\u0301', error: /looks like J\. Doe/ },
  { name: 'no space after the initial', value: 'J.Doe', error: /looks like J\. Doe/ },
  { name: 'a hair space before Cyrillic letters', value: 'J. D\u200a\u043e\u0435', error: /narrow space \(U\+200A\)/ },
  { name: 'no full stop', value: 'J Doe', error: /looks like J\. Doe/ },
];

describe('a look-alike of an examiner with a key', () => {
  it.each(lookAlikes)('is refused a key: $name', (l) => {
    const r = run(['key', 'create', '-x', l.value]);
    expect(r.code, r.stderr).toBe(2);
    expectOneLineError(r.stderr, l.error);
  });

  it('is refused when the look-alike word is wholly Cyrillic ("Сое" beside "Coe")', () => {
    expect(run(['key', 'create', '-x', 'A. Coe']).code).toBe(0);
    const r = run(['key', 'create', '-x', 'A. \u0421\u043e\u0435']);
    expect(r.code, r.stderr).toBe(2);
    expectOneLineError(r.stderr, /looks like A\. Coe, who has key/);
  });

  it('is refused as the examiner of an acquisition, before anything is written', () => {
    const out = path.join(work, 'out-cyrillic');
    const r = run(['acquire', src, '-o', out, '-c', 'C-N', '-e', 'EV-1', '-x', 'j. doe']);
    expect(r.code, r.stderr).toBe(2);
    expectOneLineError(r.stderr, /looks like J\. Doe/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('is refused as the receiving party of a transfer', () => {
    expect(run(['acquire', src, '-o', path.join(work, 'out'), '-c', 'C-N', '-e', 'EV-1', '-x', 'K. Smith']).code).toBe(0);
    const r = run(['custody', 'transfer', 'C-N', 'EV-1', '--from', 'K. Smith', '--to', 'J. D0e', '--purpose', 'analysis', '--location', 'Lab 2']);
    expect(r.code, r.stderr).toBe(2);
    expectOneLineError(r.stderr, /looks like J\. Doe/);
  });

  it('gave no key to any look-alike', () => {
    expect(keys().map((k) => k.examiner)).toEqual(['A. Coe', 'J. Doe', 'K. Smith']);
  });
});

describe('the same name typed another way', () => {
  it('with full-width letters, a no-break space or double spaces is J. Doe, and signs with his key', () => {
    for (const value of ['\uff2a. \uff24\uff4f\uff45', 'J.\u00a0Doe', ' J.  Doe ']) {
      const r = run(['custody', 'transfer', 'C-N', 'EV-1', '--from', 'K. Smith', '--to', value, '--purpose', 'analysis', '--location', 'Lab 2', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const entry = (JSON.parse(r.stdout) as { entries: { cosigners?: { name: string; key: string }[] }[] }).entries.at(-1)!;
      expect(entry.cosigners).toEqual([{ name: 'J. Doe', key: doe }]);
      const back = run(['custody', 'transfer', 'C-N', 'EV-1', '--from', value, '--to', 'K. Smith', '--purpose', 'return', '--location', 'Lab 2']);
      expect(back.code, back.stderr).toBe(0);
    }
    expect(keys().map((k) => k.examiner)).toEqual(['A. Coe', 'J. Doe', 'K. Smith']);
  });

  it('a name that differs visibly still gets its own key', () => {
    expect(run(['key', 'create', '-x', 'J. Dow']).code).toBe(0);
    expect(run(['key', 'create', '-x', 'Ива́н Петро́в']).code).toBe(0); // Cyrillic throughout, with stress marks: a name, not a look-alike
  });

  it('a key made by an older exhibit under a name typed with double spaces is found by the name typed plainly, and signs under its own name', () => {
    expect(run(['key', 'create', '-x', 'L. Old']).code).toBe(0);
    const db = new Database(path.join(home, 'cases.db'));
    db.prepare("UPDATE examiner_keys SET examiner = 'L.  Old' WHERE examiner = 'L. Old'").run(); // as an older exhibit stored it
    db.close();
    const r = run(['case', 'open', 'C-OLD', '-x', 'L. Old', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/created a signing key/);
    const log = JSON.parse(run(['custody', 'log', 'C-OLD', '--json']).stdout) as { verified: boolean; log: { actor: { name: string } }[] };
    expect(log.verified).toBe(true);
    expect(log.log.map((e) => e.actor.name)).toEqual(['L.  Old', 'L.  Old']);
  });
});

describe('names that differ only in spacing or stops', () => {
  it('are refused a new key beside each other here, but a log another lab signed under one is not taken for an impostor\'s', () => {
    expect(run(['key', 'create', '-x', 'Mary Ann']).code).toBe(0);
    for (const spelt of ['MaryAnn', 'Mary-Ann', 'Mary.Ann', 'Mary\u2219Ann', 'Mary_Ann']) {
      const r = run(['key', 'create', '-x', spelt]);
      expect(r.code, spelt).toBe(2);
      expectOneLineError(r.stderr, /looks like Mary Ann/);
    }
    // Another lab's examiner, MaryAnn, who is someone else: their log is theirs, not a look-alike of this store's Mary Ann.
    const other = path.join(work, 'other-lab-home');
    const folder = path.join(work, 'other-lab');
    expect(inProcess(['acquire', src, '-o', folder, '-c', 'OTHER-1', '-e', 'EV-1', '-x', 'MaryAnn'], { env: { EXHIBIT_HOME: other } }).code).toBe(0);
    const v = run(['verify', folder, '--no-record']);
    expect(v.code, v.stdout).toBe(0);
    expect(v.stdout).not.toMatch(/is not theirs here/);
  });
});

describe('a name or case number that begins with "-"', () => {
  it('is an option that took the place of a value: refused, and no case or key is made', () => {
    // case open "-x" -x "A. One": -x takes "-x" as the examiner's name, and "A. One" becomes the case number.
    const swapped = run(['case', 'open', '-x', '-x', 'A. One']);
    expect(swapped.code).toBe(2);
    expectOneLineError(swapped.stderr, /the examiner name "-x" begins with "-": it reads as an option, not a name/);
    const dashCase = run(['case', 'open', '-x', 'J. Doe', '--', '-7']);
    expect(dashCase.code).toBe(2);
    expectOneLineError(dashCase.stderr, /the case number "-7" begins with "-"/);
    expect(JSON.parse(run(['case', 'list', '--json']).stdout).map((c: { number: string }) => c.number)).not.toContain('A. One');
    expect(keys().map((k) => k.examiner)).not.toContain('-x');
  });
});

describe('a look-alike of a case number the store holds', () => {
  it('is refused when a case is opened, by hand or by an acquisition, and nothing is logged', () => {
    expect(run(['case', 'open', 'CASE-8', '-x', 'J. Doe']).code).toBe(0);
    for (const n of ['\u0421ASE-8', 'case-8', 'CASE\u20108']) {
      const r = run(['case', 'open', n, '-x', 'J. Doe']);
      expect(r.code, n).toBe(2);
      expectOneLineError(r.stderr, /case number .* looks like case CASE-8, which this store holds/);
    }
    const a = run(['acquire', src, '-o', path.join(work, 'look-alike-case'), '-c', '\u0421ASE-8', '-e', 'EV-1', '-x', 'J. Doe']);
    expect(a.code).toBe(2);
    expectOneLineError(a.stderr, /looks like case CASE-8/);
    expect(fs.existsSync(path.join(work, 'look-alike-case'))).toBe(false); // refused before anything was read or written
    expect(JSON.parse(run(['case', 'list', '--json']).stdout).map((c: { number: string }) => c.number)).not.toContain('\u0421ASE-8');
    // Numbers that differ visibly stay apart (a capital L is not a 1).
    expect(run(['case', 'open', '24-107', '-x', 'J. Doe']).code).toBe(0);
    expect(run(['case', 'open', '24-L07', '-x', 'J. Doe']).code).toBe(0);
    // Nor can a workstation's store bring a look-alike into this one.
    const ws = path.join(work, 'workstation');
    const atWs = (args: string[]) => inProcess(args, { env: { EXHIBIT_HOME: ws } });
    expect(atWs(['key', 'create', '-x', 'W. Station']).code).toBe(0);
    expect(atWs(['case', 'open', '\u0421ASE-8', '-x', 'W. Station']).code).toBe(0);
    const copy = atWs(['store', 'copy', '--to', home]);
    expect(copy.code).not.toBe(0);
    expect(copy.stderr).toMatch(/looks like case CASE-8/);
    expect(JSON.parse(run(['case', 'list', '--json']).stdout).map((c: { number: string }) => c.number)).not.toContain('\u0421ASE-8');
  });

  it('two look-alike cases arriving in one store copy are refused, and neither is copied', () => {
    // A store that holds both (as an older exhibit allowed): the first case is set aside under another number while the second is opened.
    const old = path.join(work, 'older-store');
    const atOld = (args: string[]) => inProcess(args, { env: { EXHIBIT_HOME: old } });
    expect(atOld(['key', 'create', '-x', 'O. Station']).code).toBe(0);
    expect(atOld(['case', 'open', 'CASE-9', '-x', 'O. Station']).code).toBe(0);
    const rename = (from: string, to: string) => {
      const db = new Database(path.join(old, 'cases.db'));
      db.prepare('UPDATE cases SET number = ? WHERE number = ?').run(to, from);
      db.close();
    };
    rename('CASE-9', 'SET-ASIDE');
    expect(atOld(['case', 'open', '\u0421ASE-9', '-x', 'O. Station']).code).toBe(0);
    rename('SET-ASIDE', 'CASE-9');
    expect(JSON.parse(atOld(['custody', 'log', 'CASE-9', '--json']).stdout).verified, 'the first case checks again under its own number').toBe(true);
    const fresh = path.join(work, 'fresh-store');
    const copy = atOld(['store', 'copy', '--to', fresh]);
    expect(copy.code).not.toBe(0);
    expectOneLineError(copy.stderr, /holds case (CASE-9|\u0421ASE-9) and case (CASE-9|\u0421ASE-9), which a reader could take for one: .* copies neither/);
    const there = inProcess(['case', 'list', '--json'], { env: { EXHIBIT_HOME: fresh } });
    expect(there.code === 0 ? JSON.parse(there.stdout) : []).toEqual([]);
  });
});
