/**
 * Attacks on what `verify` trusts, each reproduced through the real command:
 * a folder forged under another exhibit home with a fresh key in the
 * examiner's name, and a record relabelled with its custody files deleted.
 * A verdict rests on the case store when it holds the case, on a signed entry
 * by a trusted key, on --expect, or on the source; never on the record alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileDigest, makeSourceFile, ROOT, run, type RunResult, tempDir } from './helpers/cli.js';
import { expectOneLineError } from './helpers/expect.js';
import { because, needsInterop } from './helpers/skip.js';
import { canonicalJson } from '../core/canonical-json.js';
import { readPrivateKey, sha256Hex, signBytes } from '../core/crypto.js';
import { checkpointBody, checkpointText, logLine, splitLogLine } from '../core/custody.js';

const work = tempDir('exhibit-anchor-');
const lab = path.join(work, 'lab-home');
const attacker = path.join(work, 'attacker-home');
const nowhere = path.join(work, 'no-store-home');
const src = path.join(work, 'disk.bin');
const forgedSrc = path.join(work, 'forged-disk.bin');
const SIZE = 2 * 1024 * 1024;
const as = (home: string, args: string[]): RunResult => run(args, { env: { EXHIBIT_HOME: home } });
const json = (r: RunResult): any => JSON.parse(r.stdout);
const ACQ = ['-c', 'CASE-9', '-e', 'EV-001', '-x', 'J. Doe'];

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

beforeAll(() => {
  makeSourceFile(src, SIZE, 5);
  fs.copyFileSync(src, forgedSrc);
  const fd = fs.openSync(forgedSrc, 'r+');
  fs.writeSync(fd, Buffer.from('FORGED'), 0, 6, 4096);
  fs.closeSync(fd);
  for (const format of ['raw', 'e01']) {
    const r = as(lab, ['acquire', src, '-o', path.join(work, 'genuine', format), '-f', format, ...ACQ]);
    expect(r.code, r.stderr).toBe(0);
    // The attacker runs the very same command on the changed disk, under an exhibit home of their own.
    const f = as(attacker, ['acquire', forgedSrc, '-o', path.join(work, 'forged', format), '-f', format, ...ACQ]);
    expect(f.code, f.stderr).toBe(0);
  }
});

/** The evidence folder as the attacker leaves it: their own acquisition in place of the genuine one. */
function swapped(format: string, name: string): string {
  const dir = path.join(work, 'swapped', `${format}-${name}`);
  fs.cpSync(path.join(work, 'forged', format), dir, { recursive: true });
  return dir;
}

function genuineKey(): { file: string; fingerprint: string } {
  const keys = path.join(work, 'genuine', 'raw', 'EV-001.keys');
  const name = fs.readdirSync(keys)[0]!;
  return { file: path.join(keys, name), fingerprint: name.replace(/\.pem$/, '') };
}

function verifications(home: string): { result: string }[] {
  const log = json(as(home, ['custody', 'log', 'CASE-9', '--json']));
  return log.log.filter((e: { kind: string }) => e.kind === 'verification.performed').map((e: { payload: { result: string } }) => e.payload);
}

describe.each(['raw', 'e01'])('a folder forged under another exhibit home (%s)', (format) => {
  it('is FAILED on the lab machine, naming both fingerprints, and logged as failed, never verified', () => {
    const dir = swapped(format, 'lab');
    const forgedFp = fs.readdirSync(path.join(dir, 'EV-001.keys'))[0]!.replace(/\.pem$/, '');
    const { fingerprint } = genuineKey();
    expect(forgedFp).not.toBe(fingerprint);
    const before = verifications(lab).length;
    const v = as(lab, ['verify', dir, '-x', 'J. Doe']);
    expect(v.code, v.stdout).toBe(4);
    expect(v.stdout).not.toMatch(/^VERIFIED/m);
    expect(v.stdout).toMatch(/^FAILED/m);
    expect(v.stdout).toContain(forgedFp);
    expect(v.stdout).toContain(fingerprint);
    expect(v.stdout).toMatch(/NOT the case store's key for J\. Doe/);
    expect(v.stdout).toMatch(/the custody log beside the image is not a copy of the case store's log of case CASE-9/);
    expect(v.stdout).toMatch(/is in none of the case store's \d+ entries for EV-001 in case CASE-9/);
    expectOneLineError(v.stderr.split('\n').filter((l) => !/^exhibit: (logged|the verification)/.test(l)).join('\n'), /verification failed/);
    const after = verifications(lab);
    expect(after.length).toBe(before + 1);
    expect(after[after.length - 1]!.result).toBe('failed');
    expect(after.some((x) => x.result === 'verified')).toBe(false);
  });

  it('custody verify on the lab machine fails it too, and with the genuine --key anywhere', () => {
    const dir = swapped(format, 'custody');
    const c = as(lab, ['custody', 'verify', dir]);
    expect(c.code, c.stdout).toBe(4);
    expect(c.stdout).toMatch(/NOT the case store's key for J\. Doe/);
    const k = as(nowhere, ['custody', 'verify', dir, '--key', genuineKey().file]);
    expect(k.code, k.stdout).toBe(4);
    expect(k.stdout).toMatch(/which is not among the keys given to check with/);
    expect(as(nowhere, ['verify', dir, '--no-record', '--key', genuineKey().file]).code).toBe(4);
  });

  it('the genuine folder verifies on the lab machine and says each key is the store\'s', () => {
    const v = as(lab, ['verify', path.join(work, 'genuine', format), '--no-record', '--json']);
    expect(v.code, v.stdout).toBe(0);
    const j = json(v);
    expect(j.rests_on).toBe('independent');
    expect(j.custody.keys).toEqual([expect.objectContaining({ examiner: 'J. Doe', fingerprint: genuineKey().fingerprint, store_key: 'same' })]);
    expect(j.comparisons.some((x: { against: string; anchor: boolean; equal: boolean }) => /^the case store's entry \d+ \(case CASE-9\)$/.test(x.against) && x.anchor && x.equal)).toBe(true);
    const c = as(lab, ['custody', 'verify', path.join(work, 'genuine', format)]);
    expect(c.code, c.stdout).toBe(0);
    expect(c.stdout).toMatch(/the case store's key for J\. Doe/);
  });

  it('a substitute made under another case name and put at the very path the lab logged is checked against what was logged there: FAILED', () => {
    const made = path.join(work, 'other-case', format);
    const f = as(attacker, ['acquire', forgedSrc, '-o', made, '-f', format, '-c', 'CASE_9', '-e', 'EV-001', '-x', 'J. Doe']);
    expect(f.code, f.stderr).toBe(0);
    const genuine = path.join(work, 'genuine', format);
    const kept = `${genuine}.kept`;
    fs.renameSync(genuine, kept);
    try {
      fs.cpSync(made, genuine, { recursive: true });
      const v = as(lab, ['verify', genuine, '--no-record']);
      expect(v.code, v.stdout).toBe(4);
      expect(v.stdout).toMatch(/^FAILED/m);
      expect(v.stdout).toMatch(/this case store logged EV-001\.(raw|acquisition\.yaml|E01) at this path in case CASE-9, but the image here names case CASE_9: it is not the image logged there/);
      expect(v.stdout).not.toMatch(/FORK/); // one problem says it, not a cascade
      // The image alone, its record and custody files gone: still the store's reference for that path.
      for (const n of fs.readdirSync(genuine)) if (!/^EV-001\.(raw|E01)$/.test(n)) fs.rmSync(path.join(genuine, n), { recursive: true });
      const bare = as(lab, ['verify', genuine, '--no-record']);
      expect(bare.code, bare.stdout).toBe(4);
      if (format === 'e01') expect(bare.stdout).toMatch(/this case store logged EV-001\.E01 at this path in case CASE-9, but the image here names case CASE_9/); // its header names it
      else {
        expect(bare.stdout).toMatch(/this case store logged EV-001\.raw at this path in case CASE-9, and the image names no case: it is checked against case CASE-9's log/);
        expect(bare.stdout).toMatch(/SHA256 of the media is [0-9a-f]{64}, the case store's entry \d+ \(case CASE-9\) says/);
      }
    } finally {
      fs.rmSync(genuine, { recursive: true, force: true });
      fs.renameSync(kept, genuine);
    }
  });

  it('without a store, the forged folder checks only against its own keys, and the output names the fingerprint to compare', () => {
    const dir = swapped(format, 'offline');
    const v = as(nowhere, ['verify', dir, '--no-record']);
    expect(v.code).toBe(0);
    const forgedFp = fs.readdirSync(path.join(dir, 'EV-001.keys'))[0]!.replace(/\.pem$/, '');
    expect(v.stdout).toContain(`signed by J. Doe  ${forgedFp}  (no case store here: compare the fingerprint`);
    expect(v.stdout).toMatch(/checked with the key files beside it: compare their fingerprints/);
    expect(v.stdout).toMatch(new RegExp(`note: the entry that logs this image \\(custody log entry \\d+\\) is signed by J\\. Doe \\(key ${forgedFp.slice(0, 16)}\\)`));
    // The headline says what it rests on: keys that came with the image, which nothing here vouches for.
    expect(v.stdout).toMatch(/^VERIFIED against the custody log beside the image: every byte of the media matches what it records, but its signing keys came with the image and nothing on this machine vouches for them/m);
    expect(json(as(nowhere, ['verify', dir, '--no-record', '--json']))).toMatchObject({ verdict: 'verified', rests_on: 'keys-beside' });
    // The examiner's own public key, given by the verifier, vouches: the forged folder then fails.
    expect(as(nowhere, ['verify', dir, '--no-record', '--key', genuineKey().file]).code).toBe(4);
    const genuine = as(nowhere, ['verify', path.join(work, 'genuine', format), '--no-record', '--key', genuineKey().file, '--json']);
    expect(json(genuine)).toMatchObject({ verdict: 'verified', rests_on: 'independent' });
  });
});

describe('an evidence item acquired twice with other media', () => {
  it('names the entry that logs this image, who signed it, and the other acquisition', () => {
    const home = path.join(work, 'twice-home');
    for (const [source, out] of [[src, 'twice-1'], [forgedSrc, 'twice-2']] as const) expect(as(home, ['acquire', source, '-o', path.join(work, out), ...ACQ]).code).toBe(0);
    const v = as(nowhere, ['verify', path.join(work, 'twice-2'), '--no-record', '--json']);
    expect(v.code, v.stdout).toBe(0);
    const notes = json(v).notes.join('\n');
    expect(notes).toMatch(/the entry that logs this image \(custody log entry (\d+)\) is signed by J\. Doe \(key [0-9a-f]{16}\)/);
    expect(notes).toMatch(/the custody log also logs an image of the same evidence with other media hashes: entry \d+/);
  });
});

describe('a record relabelled, with its custody files deleted', () => {
  function doctored(name: string): string {
    const dir = path.join(work, 'doctored', name);
    fs.cpSync(path.join(work, 'genuine', 'raw'), dir, { recursive: true });
    const img = path.join(dir, 'EV-001.raw');
    const fd = fs.openSync(img, 'r+');
    fs.writeSync(fd, Buffer.from('CHANGED'), 0, 7, 8192);
    fs.closeSync(fd);
    const rec = path.join(dir, 'EV-001.acquisition.yaml');
    let text = fs.readFileSync(rec, 'utf8').replace('record: exhibit acquisition', 'record: exhibit conversion');
    // The pieces file made to fit too (one 64 MiB piece: its SHA-256 is the media's), and its new SHA-256 put in the record.
    const pieces = path.join(dir, 'EV-001.pieces');
    const oldPieces = fileDigest('sha256', pieces);
    fs.writeFileSync(pieces, fs.readFileSync(pieces, 'utf8').replaceAll(fileDigest('sha256', src), fileDigest('sha256', img)));
    text = text.replaceAll(oldPieces, fileDigest('sha256', pieces));
    for (const a of ['md5', 'sha1', 'sha256']) text = text.replaceAll(fileDigest(a, src), fileDigest(a, img));
    fs.writeFileSync(rec, text);
    for (const f of ['EV-001.custody.jsonl', 'EV-001.checkpoint', 'EV-001.keys']) fs.rmSync(path.join(dir, f), { recursive: true });
    return dir;
  }

  it('is UNVERIFIABLE without a store (exit 4): the record cannot decide how strict the check is', () => {
    const v = as(nowhere, ['verify', doctored('offline'), '--no-record']);
    expect(v.code).toBe(4);
    expect(v.stdout).toMatch(/^UNVERIFIABLE: the record is not anchored/m);
    expectOneLineError(v.stderr, /unverifiable: the record is not anchored/);
  });

  it('is FAILED where the store holds the case', () => {
    const v = as(lab, ['verify', doctored('lab'), '--no-record']);
    expect(v.code).toBe(4);
    expect(v.stdout).toMatch(/^FAILED/m);
    expect(v.stdout).toMatch(/SHA256 of the media is [0-9a-f]{64}, [^;]*the case store's entry \d+ \(case CASE-9\) says? /);
  });

  it('--expect anchors it: the genuine hash fails it, the hash it does have verifies it', () => {
    const dir = doctored('expect');
    const bad = as(nowhere, ['verify', dir, '--no-record', '--expect', `sha256:${fileDigest('sha256', src)}`]);
    expect(bad.code).toBe(4);
    expect(bad.stdout).toMatch(/the hash given with --expect says/);
    // --hash narrows what else is computed, never the hash the verifier brings.
    const narrowed = as(nowhere, ['verify', dir, '--no-record', '--hash', 'md5', '--expect', `sha256:${fileDigest('sha256', src)}`]);
    expect(narrowed.code).toBe(4);
    expect(narrowed.stdout).toMatch(/SHA256 of the media is [0-9a-f]{64}, the hash given with --expect says/);
    const own = as(nowhere, ['verify', dir, '--no-record', '--expect', `sha256:${fileDigest('sha256', path.join(dir, 'EV-001.raw'))}`]);
    expect(own.code, own.stdout).toBe(0);
    const wrong = as(nowhere, ['verify', dir, '--no-record', '--expect', 'sha256:abc']);
    expect(wrong.code).toBe(2);
    expectOneLineError(wrong.stderr, /--expect "sha256:abc" is not <algorithm>:<hex digest>/);
  });
});

describe('convert logs what it wrote, so the converted image is anchored like an acquired one', () => {
  it('logs image.converted in the case, copies the log beside the output, and that folder verifies offline', () => {
    const out = path.join(work, 'converted');
    const c = as(lab, ['convert', path.join(work, 'genuine', 'e01', 'EV-001.E01'), '--to', 'zst', '-o', out, '-x', 'J. Doe']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toMatch(/logged in case CASE-9's custody log as entry \d+/);
    const log = json(as(lab, ['custody', 'log', 'CASE-9', '--json']));
    const entry = log.log.filter((e: { kind: string }) => e.kind === 'image.converted').pop();
    expect(entry).toMatchObject({ actor: { name: 'J. Doe' }, payload: { evidence: 'EV-001', format: 'zst', converted_from: { format: 'e01' } } });
    expect(fs.existsSync(path.join(out, 'EV-001.custody.jsonl'))).toBe(true);
    const v = as(nowhere, ['verify', out, '--no-record', '--json']);
    expect(v.code, v.stdout).toBe(0);
    expect(json(v).comparisons.some((x: { against: string; anchor: boolean }) => /^custody log entry \d+$/.test(x.against) && x.anchor)).toBe(true);
    expect(as(lab, ['verify', out, '--no-record']).code).toBe(0);
  });
});

describe('convert with --examiner never logs a substitute into the case', () => {
  it('does not log a conversion of an item the case never logged: only the source\'s own record speaks for it', () => {
    const stranger = path.join(work, 'never-logged');
    expect(as(attacker, ['acquire', src, '-o', stranger, '-c', 'CASE-9', '-e', 'EV-777', '-x', 'J. Doe']).code).toBe(0);
    for (const n of fs.readdirSync(stranger)) if (/\.(custody\.jsonl|checkpoint|keys)$/.test(n)) fs.rmSync(path.join(stranger, n), { recursive: true });
    const before = json(as(lab, ['custody', 'log', 'CASE-9', '--json'])).log.length;
    const out = path.join(work, 'never-logged-converted');
    const c = as(lab, ['convert', path.join(stranger, 'EV-777.raw'), '--to', 'zst', '-o', out, '-x', 'J. Doe']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toMatch(/not logged in a custody log: case CASE-9 never logged an image of EV-777/);
    expect(json(as(lab, ['custody', 'log', 'CASE-9', '--json'])).log.length).toBe(before);
    const v = as(lab, ['verify', out, '--no-record']);
    expect(v.code).toBe(4);
    expect(v.stdout).not.toMatch(/^VERIFIED/m);
  });

  it('refuses to log a forged image (its own record beside it) as a conversion of the evidence the case logged: exit 4, nothing logged', () => {
    const dir = swapped('e01', 'convert');
    const before = json(as(lab, ['custody', 'log', 'CASE-9', '--json'])).log.length;
    const out = path.join(work, 'converted-forgery');
    const c = as(lab, ['convert', path.join(dir, 'EV-001.E01'), '--to', 'zst', '-o', out, '-x', 'J. Doe']);
    expect(c.code, c.stderr).toBe(4);
    expectOneLineError(c.stderr.split('\n').filter((l) => !/^exhibit: (warning|note)/.test(l)).join('\n'), /the converted media is not what case CASE-9 logged for EV-001: its SHA256 [0-9a-f]{64} is in none of the case's \d+ entries for it, so the conversion was not logged/);
    expect(json(as(lab, ['custody', 'log', 'CASE-9', '--json'])).log.length).toBe(before);
    expect(as(lab, ['verify', out, '--no-record']).code).toBe(4);
  });
});

describe('a record that cannot be read', () => {
  it('fails the verification (exit 4) whether it is named, found in a folder, or beside the image', () => {
    const dir = path.join(work, 'garbage-record');
    fs.cpSync(path.join(work, 'genuine', 'raw'), dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'EV-001.acquisition.yaml'), 'record: [unclosed\n\u0000garbage');
    for (const target of [dir, path.join(dir, 'EV-001.acquisition.yaml'), path.join(dir, 'EV-001.raw')]) {
      const v = as(nowhere, ['verify', target, '--no-record']);
      expect(v.code, `${target}: ${v.stderr}`).toBe(4);
      expectOneLineError(v.stderr, /verification failed: the record .* cannot be read/);
    }
    fs.rmSync(path.join(dir, 'EV-001.raw'));
    const alone = as(nowhere, ['verify', path.join(dir, 'EV-001.acquisition.yaml'), '--no-record']);
    expect(alone.code).toBe(4);
    expectOneLineError(alone.stderr, /the record .* cannot be read/);
  });
});

describe('another E01 put in an evidence folder under the evidence\'s name with another segment number (EV-001.E09)', () => {
  it('is checked against the record of that evidence, which does not list it: FAILED, on any machine', () => {
    const dir = path.join(work, 'renamed-segment');
    fs.cpSync(path.join(work, 'genuine', 'e01'), dir, { recursive: true });
    fs.copyFileSync(path.join(work, 'forged', 'e01', 'EV-001.E01'), path.join(dir, 'EV-001.E09')); // a whole E01 of its own
    for (const home of [nowhere, lab]) {
      const v = as(home, ['verify', path.join(dir, 'EV-001.E09'), '--no-record']);
      expect(v.code, v.stdout).toBe(4);
      expect(v.stdout).not.toMatch(/^VERIFIED/m);
      expect(v.stdout).toMatch(/EV-001\.E09 is not the image the record EV-001\.acquisition\.yaml beside it describes \(EV-001\.E01\): the record proves nothing of it; verify EV-001\.E01/);
    }
    // A byte-identical copy of the media under another name beside the record is said to be that, not damage.
    const raw = path.join(work, 'renamed-copy');
    fs.cpSync(path.join(work, 'genuine', 'raw'), raw, { recursive: true });
    fs.copyFileSync(path.join(raw, 'EV-001.raw'), path.join(raw, 'EV-001.dd'));
    const copy = as(nowhere, ['verify', path.join(raw, 'EV-001.dd'), '--no-record']);
    expect(copy.code).toBe(4);
    expect(copy.stdout).toMatch(/^FAILED: 1 problem\n {2}EV-001\.dd is not the image the record EV-001\.acquisition\.yaml beside it describes \(EV-001\.raw\)/m);
    // An E01 under a name of its own beside them is another image: it rests on the hash it stores, and says so.
    fs.copyFileSync(path.join(work, 'forged', 'e01', 'EV-001.E01'), path.join(dir, 'Suspect.E01'));
    expect(as(nowhere, ['verify', path.join(dir, 'Suspect.E01'), '--no-record']).stdout).toMatch(/^VERIFIED against the hash stored in the image: /m);
  });
});

describe.each([
  ['a Greek omicron in "J. Doe"', 'J. D\u03bfe', /registers a key for "J\. D\u03bfe", a name that mixes Latin and Greek letters in "D\u03bfe"/],
  ['a thin space in "J. Doe"', 'J.\u2009Doe', /registers a key for "J\.\u2009Doe", a name with a narrow space \(U\+2009\), which hides where a word ends/],
])('a folder re-signed under a look-alike of the examiner\'s name (%s)', (_what, lookAlike, said) => {
  it('fails on any machine: exhibit makes no key for such a name', () => {
    const dir = path.join(work, `look-alike-name-${lookAlike.codePointAt(3)}`);
    fs.cpSync(path.join(work, 'forged', 'raw'), dir, { recursive: true });
    const keyFile = fs.readdirSync(path.join(attacker, 'keys')).find((n) => n.endsWith('.pem'))!;
    const key = readPrivateKey(fs.readFileSync(path.join(attacker, 'keys', keyFile), 'utf8'), 'the attacker');
    const logFile = path.join(dir, 'EV-001.custody.jsonl');
    let prev = '0'.repeat(64);
    let fp = '';
    const lines = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').map((l) => {
      const entry = JSON.parse(splitLogLine(l)!.entryBytes.replaceAll('J. Doe', lookAlike));
      entry.prev = prev;
      fp = entry.actor.key;
      const line = logLine(canonicalJson(entry), [{ key: fp, sig: signBytes(key, canonicalJson(entry)) }]);
      prev = sha256Hex(`${line}\n`);
      return line;
    });
    fs.writeFileSync(logFile, `${lines.join('\n')}\n`);
    const body = checkpointBody('CASE-9', lines.length, prev);
    fs.writeFileSync(path.join(dir, 'EV-001.checkpoint'), checkpointText(body, fp, signBytes(key, body)));
    const v = as(nowhere, ['verify', dir, '--no-record']);
    expect(v.code, v.stdout).toBe(4);
    expect(v.stdout).toMatch(said);
  });
});

describe('an evidence folder emptied and filled with another case\'s acquisition', () => {
  it('is said, on the lab machine, to hold another image than the one its store logged there', () => {
    const dir = path.join(work, 'refilled');
    expect(as(lab, ['acquire', src, '-o', dir, '-f', 'raw', '-c', 'CASE-9', '-e', 'EV-050', '-x', 'J. Doe']).code).toBe(0);
    const other = path.join(work, 'refill-other');
    expect(as(attacker, ['acquire', forgedSrc, '-o', other, '-f', 'raw', '-c', 'CASE-77', '-e', 'EV-077', '-x', 'M. Mallory']).code).toBe(0);
    fs.rmSync(dir, { recursive: true });
    fs.cpSync(other, dir, { recursive: true });
    const v = as(lab, ['verify', dir, '--no-record']);
    expect(v.stdout).toMatch(/note: this case store logged 2 files in this folder that are not here now \(EV-050\.acquisition\.yaml, .*EV-050.* in case CASE-9; EV-050\.raw, .*\): the folder holds another image than the one logged there/);
    expect(v.stdout).not.toMatch(/^VERIFIED: every byte/m);
  });
});

describe('a record that credits another examiner than the one who signed its entry', () => {
  it('fails: an insider with a key of their own logging a record in a colleague\'s name', () => {
    // K. Smith acquires, then rewrites the record to credit J. Doe and signs a new last entry for it with
    // K. Smith's own (genuine) key, the checkpoint too: every signature holds, and the store is not asked.
    const home = path.join(work, 'insider-home');
    const dir = path.join(work, 'insider');
    expect(as(home, ['acquire', src, '-o', dir, '-f', 'raw', '-c', 'CASE-9', '-e', 'EV-001', '-x', 'K. Smith']).code).toBe(0);
    const recordFile = path.join(dir, 'EV-001.acquisition.yaml');
    const text = fs.readFileSync(recordFile, 'utf8').replace(/^examiner: K\. Smith$/m, 'examiner: J. Doe').replaceAll('examiner: K. Smith', 'examiner: J. Doe');
    fs.writeFileSync(recordFile, text);
    const logFile = path.join(dir, 'EV-001.custody.jsonl');
    const lines = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n');
    const last = JSON.parse(splitLogLine(lines.at(-1)!)!.entryBytes);
    expect(last.kind).toBe('acquisition.completed');
    const keyFile = fs.readdirSync(path.join(home, 'keys')).find((n) => n.endsWith('.pem'))!;
    const key = readPrivateKey(fs.readFileSync(path.join(home, 'keys', keyFile), 'utf8'), 'K. Smith');
    const entry = { ...last, payload: { ...last.payload, record: { ...last.payload.record, sha256: sha256Hex(text) } } };
    const line = logLine(canonicalJson(entry), [{ key: last.actor.key, sig: signBytes(key, canonicalJson(entry)) }]);
    fs.writeFileSync(logFile, `${[...lines.slice(0, -1), line].join('\n')}\n`);
    const body = checkpointBody(last.case, lines.length, sha256Hex(`${line}\n`));
    fs.writeFileSync(path.join(dir, 'EV-001.checkpoint'), checkpointText(body, last.actor.key, signBytes(key, body)));
    const register = path.join(work, 'insider-register.yaml');
    expect(as(home, ['key', 'register', 'export', '-o', register]).code).toBe(0);
    const v = as(nowhere, ['verify', dir, '--no-record', '--trust', register]);
    expect(v.code, v.stdout).toBe(4);
    expect(v.stdout).toMatch(/custody log entry \d+, which logs this record, was signed by K\. Smith, but the record names J\. Doe as its examiner and no session of it was K\. Smith's/);
  });
});

const interop = path.resolve(ROOT, '..', 'shared', 'fixtures', 'interop');
describe.skipIf(!fs.existsSync(interop))(because('another tool\'s E01 with no record', needsInterop()), () => {
  it('verifies against the hash it stores, and says that is all it rests on', () => {
    const v = as(nowhere, ['verify', path.join(interop, 'ewf', 'plaso-image.E01'), '--no-record', '--json']);
    expect(v.code, v.stdout).toBe(0);
    expect(json(v).notes.join('\n')).toMatch(/rests on the hash stored in the image alone/);
    expect(json(v).rests_on).toBe('stored-hash');
    expect(as(nowhere, ['verify', path.join(interop, 'ewf', 'plaso-image.E01'), '--no-record']).stdout).toMatch(/^VERIFIED against the hash stored in the image: /m);
    const e = as(nowhere, ['verify', path.join(interop, 'ewf', 'plaso-image.E01'), '--no-record', '--expect', 'md5:00000000000000000000000000000000']);
    expect(e.code).toBe(4);
  });
});
