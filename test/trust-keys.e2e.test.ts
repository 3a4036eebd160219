/**
 * Anchored keys (issue 20): a lab's trust register, key rotation and key revocation, each through
 * the real commands. A folder re-signed with an attacker's key under the same examiner's name fails
 * with --trust even where no case store knows the case; a rotated key's entries verify across the
 * rotation; a revoked key's later entries fail and its earlier ones stand, also when a lab
 * administrator's key revoked it; a revocation by a key the register does not name an administrator's is refused.
 */
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSourceFile, run, type RunResult, tempDir } from './helpers/cli.js';
import { expectOneLineError } from './helpers/expect.js';
import { canonicalJson } from '../core/canonical-json.js';
import { readPrivateKey, sha256Hex, signBytes } from '../core/crypto.js';
import { checkpointBody, checkpointText, logLine, splitLogLine } from '../core/custody.js';

const work = tempDir('exhibit-trust-');
const lab = path.join(work, 'lab-home');
const attacker = path.join(work, 'attacker-home');
const nowhere = path.join(work, 'no-store-home');
const src = path.join(work, 'disk.bin');
const as = (home: string, args: string[]): RunResult => run(args, { env: { EXHIBIT_HOME: home } });
const json = (r: RunResult): any => JSON.parse(r.stdout);
const keyOf = (folder: string, evidence: string): string[] => fs.readdirSync(path.join(folder, `${evidence}.keys`)).map((n) => n.replace(/\.pem$/, ''));
const acquire = (home: string, out: string, evidence: string, caseNumber = 'CASE-20'): void => {
  const r = as(home, ['acquire', src, '-o', out, '-f', 'raw', '-c', caseNumber, '-e', evidence, '-x', 'J. Doe']);
  expect(r.code, r.stderr).toBe(0);
};

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
beforeAll(() => makeSourceFile(src, 1024 * 1024, 20));

describe('the trust register', () => {
  const register = path.join(work, 'lab-keys.yaml');
  beforeAll(() => {
    acquire(lab, path.join(work, 'genuine'), 'EV-001');
    acquire(attacker, path.join(work, 'forged'), 'EV-001'); // the same command, under a home of the attacker's
    const r = as(lab, ['key', 'register', 'export', '-o', register]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('is exported with every key, its examiner and when it was issued, and is never overwritten', () => {
    const text = fs.readFileSync(register, 'utf8');
    expect(text).toContain('exhibit_trust_register: 1');
    expect(text).toContain(keyOf(path.join(work, 'genuine'), 'EV-001')[0]);
    expect(text).toMatch(/examiner: J\. Doe/);
    expect(text).toMatch(/issued: "?\d{4}-\d{2}-\d{2}T/);
    const again = as(lab, ['key', 'register', 'export', '-o', register]);
    expect(again.code).toBe(1);
    expectOneLineError(again.stderr, /cannot write .*lab-keys\.yaml/);
  });

  it('fails a folder re-signed with an attacker\'s key under the same name, naming the unknown fingerprint, with no store to help', () => {
    const forgedFp = keyOf(path.join(work, 'forged'), 'EV-001')[0]!;
    for (const args of [['verify', path.join(work, 'forged'), '--trust', register], ['custody', 'verify', path.join(work, 'forged'), '--trust', register]]) {
      const v = as(nowhere, args);
      expect(v.code, v.stdout).toBe(4);
      expect(v.stdout).toContain(`with key ${forgedFp}, which the trust register ${register} does not list`);
      expect(v.stdout).not.toMatch(/^VERIFIED/m);
    }
    // Without --trust the same folder checks by its own keys, and the output says plainly the keys are not anchored.
    const loose = as(nowhere, ['verify', path.join(work, 'forged')]);
    expect(loose.code).toBe(0);
    expect(loose.stdout).toContain(`the signing keys are not anchored: no trust register was given (--trust)`);
    expect(loose.stdout).toContain(forgedFp);
  });

  it("does not call an E01 verified by its own stored hashes alone when a register was asked for: with its custody files taken away, nothing ties it to a listed key", () => {
    const out = path.join(work, 'forged-e01');
    expect(as(attacker, ['acquire', src, '-o', out, '-f', 'e01', '-c', 'CASE-20', '-e', 'EV-001', '-x', 'J. Doe']).code).toBe(0);
    for (const n of fs.readdirSync(out)) if (!n.endsWith('.E01')) fs.rmSync(path.join(out, n), { recursive: true });
    const v = as(nowhere, ['verify', out, '--trust', register]);
    expect(v.code, v.stdout).toBe(4);
    expect(v.stdout).toMatch(/^UNVERIFIABLE/m);
    expect(v.stdout).toContain('a trust register was given, but there is no custody log beside the image or in the case store to check with it');
    // Without --trust, another tool's E01 is checked against its own stored hashes, as ewfverify does.
    expect(as(nowhere, ['verify', out]).code).toBe(0);
    // A genuine log of another item put beside an E01 of an item it never logged ties nothing to it.
    const other = path.join(work, 'forged-e01-other');
    expect(as(attacker, ['acquire', src, '-o', other, '-f', 'e01', '-c', 'CASE-20', '-e', 'EV-777', '-x', 'J. Doe']).code).toBe(0);
    for (const n of fs.readdirSync(other)) if (!n.endsWith('.E01')) fs.rmSync(path.join(other, n), { recursive: true });
    for (const n of ['EV-001.custody.jsonl', 'EV-001.checkpoint', 'EV-001.keys']) fs.cpSync(path.join(work, 'genuine', n), path.join(other, n), { recursive: true });
    const beside = as(nowhere, ['verify', other, '--trust', register]);
    expect(beside.code, beside.stdout).toBe(4);
    expect(beside.stdout).toMatch(/^UNVERIFIABLE/m);
    expect(beside.stdout).toContain('no entry of the custody log beside the image or in the case store logs this image');
  });

  it("fails an image of a look-alike case (a hyphen of another kind) on the lab's machine, which holds the real case", () => {
    const out = path.join(work, 'lookalike');
    // A home of the attacker's that holds no CASE-20 (a store that does refuses to open the look-alike).
    expect(as(path.join(work, 'attacker-lookalike'), ['acquire', src, '-o', out, '-f', 'raw', '-c', 'CASE\u201020', '-e', 'EV-001', '-x', 'J. Doe']).code).toBe(0);
    const v = as(lab, ['verify', out]);
    expect(v.code, v.stdout).toBe(4);
    expect(v.stdout).toContain('which looks like case CASE-20 in this case store but is another name (a look-alike character)');
  });

  it('custody verify, too, refuses a log of a look-alike case on the lab\'s machine and names the case it read', () => {
    const look = path.join(work, 'look-alike-cv');
    acquire(path.join(work, 'attacker-lookalike-2'), look, 'EV-001', 'CASE\u201020'); // a hyphen of another kind (U+2010)
    const v = as(lab, ['custody', 'verify', look]);
    expect(v.code, v.stdout).toBe(4);
    expect(v.stdout).toMatch(/^custody log .*EV-001\.custody\.jsonl \(case CASE\u201020\): /m);
    expect(v.stdout).toContain('this custody log names case CASE\u201020, which looks like case CASE-20 in this case store but is another name');
  });

  it('passes the genuine folder and prints the register\'s SHA-256', () => {
    const v = as(nowhere, ['verify', path.join(work, 'genuine'), '--trust', register]);
    expect(v.code, v.stdout).toBe(0);
    const digest = crypto.createHash('sha256').update(fs.readFileSync(register)).digest('hex');
    expect(v.stdout).toContain(`every signing key checked against the trust register ${register} (SHA-256 ${digest})`);
    expect(v.stdout).not.toContain('not anchored');
  });

  it('refuses a register that is not one with a usage error', () => {
    const bad = path.join(work, 'bad-register.yaml');
    fs.writeFileSync(bad, 'keys: 3\n');
    const v = as(nowhere, ['verify', path.join(work, 'genuine'), '--trust', bad]);
    expect(v.code).toBe(2);
    expectOneLineError(v.stderr, /the trust register .*bad-register\.yaml is not an exhibit trust register/);
  });
});

describe('rotation', () => {
  const home = path.join(work, 'rotate-home');
  const before = path.join(work, 'rotate-register-before.yaml');
  const after = path.join(work, 'rotate-register-after.yaml');
  let oldFp = '';
  let newFp = '';
  beforeAll(() => {
    acquire(home, path.join(work, 'rot-1'), 'EV-001');
    expect(as(home, ['key', 'register', 'export', '-o', before]).code).toBe(0);
    const r = as(home, ['key', 'rotate', '-x', 'J. Doe', '--json']);
    expect(r.code, r.stderr).toBe(0);
    ({ old_fingerprint: oldFp, fingerprint: newFp } = json(r));
    expect(json(r).logged).toEqual([{ case: 'CASE-20', entry: 5 }]);
    acquire(home, path.join(work, 'rot-2'), 'EV-002');
    expect(as(home, ['key', 'register', 'export', '-o', after]).code).toBe(0);
  });

  it('logs key.rotated signed by the old key and the new, and the log checks across it', () => {
    const log = json(as(home, ['custody', 'log', 'CASE-20', '--json']));
    expect(log.verified).toBe(true);
    const rotated = log.log.find((e: { kind: string }) => e.kind === 'key.rotated');
    expect(rotated.signatures.map((s: { key: string }) => s.key)).toEqual([oldFp, newFp]);
    const later = log.log.filter((e: { seq: number }) => e.seq > rotated.seq);
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((e: { actor: { key: string } }) => e.actor.key === newFp)).toBe(true);
    expect(log.log.some((e: { kind: string }) => e.kind === 'key.registered' && e !== log.log[0])).toBe(false);
  });

  it('verifies the images before and after the rotation, with the store and with the register alone', () => {
    expect(as(home, ['custody', 'export', 'CASE-20', path.join(work, 'rot-1'), '-e', 'EV-001']).code).toBe(0);
    for (const folder of ['rot-1', 'rot-2']) {
      const v = as(home, ['verify', path.join(work, folder), '--no-record', '--trust', after]);
      expect(v.code, v.stdout).toBe(0);
      const c = as(nowhere, ['custody', 'verify', path.join(work, folder), '--trust', after]);
      expect(c.code, c.stdout).toBe(0);
    }
    // A register published before the rotation does not know the new key: named, and it fails.
    const old = as(nowhere, ['custody', 'verify', path.join(work, 'rot-2'), '--trust', before]);
    expect(old.code).toBe(4);
    expect(old.stdout).toContain(`with key ${newFp}, which the trust register ${before} does not list`);
  });

  it('puts the register\'s SHA-256 in the custody report, and refuses a report against a register that lacks a signing key', () => {
    const pdf = path.join(work, 'rotate-report.pdf');
    const r = as(home, ['report', 'CASE-20', '--out', pdf, '-x', 'J. Doe', '--trust', after]);
    expect(r.code, r.stderr).toBe(0);
    const text = spawnSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
    const digest = crypto.createHash('sha256').update(fs.readFileSync(after)).digest('hex');
    expect(text).toContain(`Trust register ${after}`);
    expect(text).toContain(digest.match(/.{8}/g)!.join(' '));
    expect(text).toContain('key rotated');
    const refused = as(home, ['report', 'CASE-20', '--out', path.join(work, 'refused.pdf'), '-x', 'J. Doe', '--trust', before]);
    expect(refused.code).toBe(4);
    expectOneLineError(refused.stderr, new RegExp(`with key ${newFp}, which the trust register .* does not list`));
    expect(fs.existsSync(path.join(work, 'refused.pdf'))).toBe(false);
  });

  it('lists both keys, the old one as replaced', () => {
    const keys = json(as(home, ['key', 'list', '--json']));
    expect(keys.map((k: { fingerprint: string }) => k.fingerprint).sort()).toEqual([oldFp, newFp].sort());
    expect(keys.find((k: { fingerprint: string }) => k.fingerprint === oldFp).replaced_by).toBe(newFp);
  });
});

describe('revocation', () => {
  const home = path.join(work, 'revoke-home');
  let fp = '';
  let between = '';
  beforeAll(async () => {
    acquire(home, path.join(work, 'rev-1'), 'EV-001');
    fp = keyOf(path.join(work, 'rev-1'), 'EV-001')[0]!;
    await new Promise((r) => setTimeout(r, 20));
    between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    acquire(home, path.join(work, 'rev-2'), 'EV-002');
    fs.cpSync(home, path.join(work, 'rev-thief-snapshot'), { recursive: true }); // what a stolen laptop holds
    expect(as(home, ['key', 'register', 'export', '-o', path.join(work, 'register-before-revocation.yaml')]).code).toBe(0);
    const r = as(home, ['key', 'revoke', fp, '--reason', 'laptop stolen', '--effective', between]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`revoked key ${fp} of J. Doe from ${between}`);
    for (const [folder, ev] of [['rev-1', 'EV-001'], ['rev-2', 'EV-002']]) expect(as(home, ['custody', 'export', 'CASE-20', path.join(work, folder!), '-e', ev!]).code).toBe(0);
  });

  it('fails the entries signed after the effective time, naming them, and keeps the earlier ones', () => {
    const log = as(home, ['custody', 'log', 'CASE-20']);
    expect(log.code).toBe(4);
    expect(log.stdout).toMatch(/entry 5: signed by J\. Doe with key [0-9a-f]{16} at .*after that key was revoked \(from .*entry 7: laptop stolen\)/);
    expect(log.stdout).toMatch(/entry 6: signed by J\. Doe .*after that key was revoked/);
    expect(log.stdout).not.toMatch(/entry [1-4]: signed/);
    expect(log.stdout).toMatch(/was revoked later .*the 4 entries it signed before then stay valid/);
  });

  it('verifies the image logged before the revocation took effect, saying the key was revoked later, and fails the one after', () => {
    const early = as(home, ['verify', path.join(work, 'rev-1'), '--no-record']);
    expect(early.code, early.stdout).toBe(0);
    expect(early.stdout).toMatch(/note: key [0-9a-f]{64} of J\. Doe was revoked later/);
    const late = as(home, ['verify', path.join(work, 'rev-2'), '--no-record']);
    expect(late.code).toBe(4);
    expect(late.stdout).toMatch(/entry 6: signed by J\. Doe .*after that key was revoked/);
  });

  it('is in the register, which then fails the later entry on its own', () => {
    const reg = path.join(work, 'revoke-register.yaml');
    expect(as(home, ['key', 'register', 'export', '-o', reg]).code).toBe(0);
    expect(fs.readFileSync(reg, 'utf8')).toMatch(/revoked: "?\d{4}-/);
    const late = as(nowhere, ['custody', 'verify', path.join(work, 'rev-2'), '--trust', reg]);
    expect(late.code).toBe(4);
    expect(late.stdout).toContain(`after the trust register ${reg} says it was revoked`);
  });

  it('does not vouch, through the register, for an entry dated before the revocation: its time is the signer\'s claim, which a thief can back-date', () => {
    // rev-1 was logged before the revocation took effect; a thief with the stolen key could sign a folder just like it
    // today, dated earlier. Where nothing but the register speaks for it, the verdict rests on the keys beside the image.
    const reg = path.join(work, 'revoke-register.yaml');
    const elsewhere = as(nowhere, ['verify', path.join(work, 'rev-1'), '--trust', reg, '--no-record']);
    expect(elsewhere.code, elsewhere.stdout).toBe(0);
    expect(elsewhere.stdout).toMatch(/^VERIFIED against the custody log beside the image: every byte of the media matches what it records, but the key that signed its entry was revoked since/m);
    expect(elsewhere.stdout).toMatch(new RegExp(`entry \\d+, which logs this image, was signed with key ${fp} of J\\. Doe, which the trust register .* says was revoked on .*\\(laptop stolen\\); the entry's own time \\(.*\\) is the signer's claim`));
    expect(json(as(nowhere, ['verify', path.join(work, 'rev-1'), '--trust', reg, '--no-record', '--json'])).revoked_signer).toMatch(/is the signer's claim/);
    // The lab's store holds the entry as it was logged then: it vouches.
    const lab = as(home, ['verify', path.join(work, 'rev-1'), '--trust', reg, '--no-record']);
    expect(lab.code, lab.stdout).toBe(0);
    expect(lab.stdout).toMatch(/^VERIFIED: every byte of the media matches what was recorded/m);
  });

  it('lets the examiner sign again only with a new key made on purpose, which the log registers without complaint', () => {
    // No key is made on the spot for a name whose key was revoked: whoever holds the old one could go on signing.
    const refused = as(home, ['acquire', src, '-o', path.join(work, 'rev-3-refused'), '-f', 'raw', '-c', 'CASE-20', '-e', 'EV-003', '-x', 'J. Doe']);
    expect(refused.code).toBe(1);
    expectOneLineError(refused.stderr, new RegExp(`J\\. Doe's key ${fp} was revoked on .*\\(laptop stolen\\), and a revoked key is not replaced on the spot`));
    expect(refused.stderr).toContain('exhibit key create --examiner "J. Doe"');
    expect(fs.existsSync(path.join(work, 'rev-3-refused', 'EV-003.raw'))).toBe(false);
    // Nor under the name spelt with other spacing or stops: a reader takes it for J. Doe.
    for (const spelt of ['J.Doe', 'J Doe']) {
      const r = as(home, ['acquire', src, '-o', path.join(work, 'rev-3-refused'), '-f', 'raw', '-c', 'CASE-20', '-e', 'EV-003', '-x', spelt]);
      expect(r.code, spelt).not.toBe(0);
      expect(r.stderr).toMatch(/looks like J\. Doe/);
    }
    expect(json(as(home, ['key', 'list', '--json']))).toHaveLength(1);
    expect(as(home, ['key', 'create', '-x', 'J. Doe']).code).toBe(0);
    acquire(home, path.join(work, 'rev-3'), 'EV-003');
    const keys = json(as(home, ['key', 'list', '--json']));
    expect(keys).toHaveLength(2);
    expect(keys.find((k: { fingerprint: string }) => k.fingerprint === fp).revoked_reason).toBe('laptop stolen');
    const log = json(as(home, ['custody', 'log', 'CASE-20', '--json']));
    expect(log.problems.every((p: { message: string }) => /after that key was revoked/.test(p.message))).toBe(true);
    const v = as(home, ['verify', path.join(work, 'rev-3'), '--no-record']);
    expect(v.code, v.stdout).toBe(0);
  });

  it('fails, on the lab\'s machine, an image of a case the store does not hold, signed with the revoked key after the revocation (a stolen key)', () => {
    // The thief holds a copy of the exhibit home from before the revocation: the private key, a store that knows nothing of it.
    const thief = path.join(work, 'thief-home');
    fs.cpSync(path.join(work, 'rev-thief-snapshot'), thief, { recursive: true });
    const out = path.join(work, 'rev-stolen');
    const r = as(thief, ['acquire', src, '-o', out, '-f', 'raw', '-c', 'CASE-OTHER', '-e', 'EV-009', '-x', 'J. Doe']);
    expect(r.code, r.stderr).toBe(0);
    const before = path.join(work, 'register-before-revocation.yaml'); // published before the revocation: it does not know of it, the store does
    for (const args of [['verify', out, '--no-record'], ['custody', 'verify', out], ['verify', out, '--no-record', '--trust', before], ['custody', 'verify', out, '--trust', before]]) {
      const v = as(home, args);
      expect(v.code, `${args[0]}: ${v.stdout}`).toBe(4);
      expect(v.stdout).toMatch(new RegExp(`entry \\d+: signed by J\\. Doe with key ${fp} at .*, after this case store says it was revoked \\(.*laptop stolen\\)`));
      expect(v.stdout).not.toMatch(/^VERIFIED/m);
    }
    // Where no store knows the key, nothing tells it (the register does: --trust).
    expect(as(nowhere, ['verify', out, '--no-record']).code).toBe(0);
  });

  it('fails an entry the stolen key appends after its revocation in the log, whatever earlier time it gives, and the lab store is not taken as rolled back by it', () => {
    // The opponent's copy of the log as exported after the revocation (entry 7), one entry appended and signed
    // with the stolen key, dated a second before the revocation took effect, with a checkpoint over it.
    const folder = path.join(work, 'rev-appended');
    fs.cpSync(path.join(work, 'rev-1'), folder, { recursive: true });
    const logFile = path.join(folder, 'EV-001.custody.jsonl');
    const lines = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n');
    const entries = lines.map((l) => JSON.parse(splitLogLine(l)!.entryBytes));
    const revocation = entries.find((e) => e.kind === 'key.revoked');
    expect(revocation.seq).toBe(7);
    const stolen = readPrivateKey(fs.readFileSync(path.join(work, 'rev-thief-snapshot', 'keys', `${fp}.pem`), 'utf8'), 'the stolen key');
    const t = new Date(Date.parse(revocation.payload.effective) - 1000).toISOString();
    const entry = { v: 1, case: entries[0].case, seq: lines.length + 1, prev: sha256Hex(`${lines.at(-1)}\n`), time: { utc: t, local: t }, actor: { name: 'J. Doe', key: fp }, kind: 'report.issued', payload: { file: 'x.pdf', sha256: '0'.repeat(64) } };
    const line = logLine(canonicalJson(entry), [{ key: fp, sig: signBytes(stolen, canonicalJson(entry)) }]);
    fs.appendFileSync(logFile, `${line}\n`);
    const body = checkpointBody(entries[0].case, lines.length + 1, sha256Hex(`${line}\n`));
    fs.writeFileSync(path.join(folder, 'EV-001.checkpoint'), checkpointText(body, fp, signBytes(stolen, body)));
    const reg = path.join(work, 'revoke-register-appended.yaml');
    expect(as(home, ['key', 'register', 'export', '-o', reg]).code).toBe(0);
    const said = /entry 8: signed by J\. Doe with key [0-9a-f]{16}, after entry 7 revoked that key \(laptop stolen; the entry gives the earlier time .*, but comes after the revocation in the log\)/;
    for (const [who, args] of [[nowhere, ['custody', 'verify', folder]], [nowhere, ['custody', 'verify', folder, '--trust', reg]], [home, ['custody', 'verify', folder]]] as const) {
      const v = as(who, [...args]);
      expect(v.code, v.stdout).toBe(4);
      expect(v.stdout).toMatch(said);
    }
    // On the lab's machine, the longer copy is not taken for entries the store lost: no rollback is kept, the case stays open.
    const lab = as(home, ['verify', folder, '-x', 'J. Doe']);
    expect(lab.stdout).not.toMatch(/ROLLBACK/);
    expect(lab.code).toBe(4);
    // Alone (this test) the copy goes one entry past the store's: not taken as entries the store lost. After the
    // tests above added to the case, it parts from the store's log: a fork. Neither is a rollback.
    expect(lab.stdout, lab.stdout).toMatch(/which this store holds no current key of \(unknown here, or revoked\), so they are not taken as entries the store lost|the two part at entry 8 \(a FORK\)/);
    expect(as(home, ['custody', 'log', 'CASE-20']).stdout).not.toMatch(/rolled back/);
  });

  it('refuses a bad fingerprint, a missing reason and a future time as usage errors', () => {
    expect(as(home, ['key', 'revoke', 'abc', '--reason', 'x']).code).toBe(2);
    expect(as(home, ['key', 'revoke', fp, '--reason', 'x']).code).toBe(2); // already revoked
    const later = as(home, ['key', 'revoke', '0'.repeat(64), '--reason', 'x']);
    expect(later.code).toBe(1);
    const future = as(home, ['key', 'revoke', keyOf(path.join(work, 'rev-3'), 'EV-003').find((k) => k !== fp)!, '--reason', 'x', '--effective', '2999-01-01T00:00:00Z']);
    expect(future.code).toBe(2);
    expectOneLineError(future.stderr, /--effective is in the future/);
    const noReason = as(home, ['key', 'revoke', fp]);
    expect(noReason.code).toBe(2);
  });

  it('refuses an effective time that does not exist, or is before the key was made, and logs nothing', () => {
    const current = keyOf(path.join(work, 'rev-3'), 'EV-003').find((k) => k !== fp)!;
    const before = as(home, ['custody', 'log', 'CASE-20', '--json']).stdout;
    for (const t of ['2026-02-30T08:00:00Z', '2025-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T10:00:00+15:00']) {
      const r = as(home, ['key', 'revoke', current, '--reason', 'x', '--effective', t]);
      expect(r.code, t).toBe(2);
      expectOneLineError(r.stderr, /is not a time in ISO 8601 with a zone, or names a day or hour that does not exist/);
    }
    const early = as(home, ['key', 'revoke', current, '--reason', 'x', '--effective', '2020-01-01T00:00:00Z']);
    expect(early.code).toBe(2);
    expectOneLineError(early.stderr, new RegExp(`--effective 2020-01-01T00:00:00.000Z is before key ${current} was made \\(.*\\): it signed nothing then`));
    expect(early.stderr).toMatch(/hint: to revoke everything it ever signed, give the time it was made: --effective \d{4}-/);
    expect(as(home, ['custody', 'log', 'CASE-20', '--json']).stdout).toBe(before);
  });
});

describe("revocation by a lab administrator", () => {
  const home = path.join(work, 'admin-home');
  const register = path.join(work, 'admin-register.yaml');
  let fp = '';
  let between = '';
  let refused: RunResult;
  let revoked: RunResult;
  beforeAll(async () => {
    acquire(home, path.join(work, 'adm-1'), 'EV-001');
    fp = keyOf(path.join(work, 'adm-1'), 'EV-001')[0]!;
    await new Promise((r) => setTimeout(r, 20));
    between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    acquire(home, path.join(work, 'adm-2'), 'EV-002');
    expect(as(home, ['key', 'create', '-x', 'A. Admin', '--administrator']).code).toBe(0);
    expect(as(home, ['key', 'create', '-x', 'M. Other']).code).toBe(0);
    refused = as(home, ['key', 'revoke', fp, '--reason', 'left the lab', '--effective', between, '--by', 'M. Other']);
    revoked = as(home, ['key', 'revoke', fp, '--reason', 'left the lab', '--effective', between, '--by', 'A. Admin']);
    for (const [folder, ev] of [['adm-1', 'EV-001'], ['adm-2', 'EV-002']]) expect(as(home, ['custody', 'export', 'CASE-20', path.join(work, folder!), '-e', ev!]).code).toBe(0);
    expect(as(home, ['key', 'register', 'export', '-o', register]).code).toBe(0);
  });

  it("refuses a revocation signed by a key that is not an administrator's, logging nothing", () => {
    expect(refused.code).toBe(2);
    expectOneLineError(refused.stderr, /M\. Other's key [0-9a-f]{64} is not a lab administrator's key: only J\. Doe or an administrator may revoke J\. Doe's key/);
  });

  it("logs the administrator's revocation, signed by the administrator's key, and says so", () => {
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`revoked key ${fp} of J. Doe from ${between}, signed by A. Admin as a lab administrator`);
    const log = json(as(home, ['custody', 'log', 'CASE-20', '--json']));
    const entry = log.log.find((e: { kind: string }) => e.kind === 'key.revoked');
    expect(entry.actor.name).toBe('A. Admin');
    expect(entry.payload).toMatchObject({ key: fp, authority: 'administrator', reason: 'left the lab' });
    expect(log.log.filter((e: { kind: string }) => e.kind === 'key.revoked')).toHaveLength(1); // the refused one logged nothing
    expect(fs.readFileSync(register, 'utf8')).toMatch(/examiner: A\. Admin\n(.*\n)*? {4}administrator: true/);
  });

  it("fails the examiner's entries after the effective time and keeps the earlier ones, in the store and beside the images", () => {
    const log = as(home, ['custody', 'log', 'CASE-20']);
    expect(log.code).toBe(4);
    expect(log.stdout).toMatch(/entry 5: signed by J\. Doe with key [0-9a-f]{16} at .*after that key was revoked \(from .*: left the lab\)/);
    expect(log.stdout).not.toMatch(/entry [1-4]: signed/);
    const early = as(home, ['verify', path.join(work, 'adm-1'), '--no-record']);
    expect(early.code, early.stdout).toBe(0);
    expect(early.stdout).toMatch(/key [0-9a-f]{64} of J\. Doe was revoked later .*by A\. Admin as a lab administrator/);
    expect(as(home, ['verify', path.join(work, 'adm-2'), '--no-record']).code).toBe(4);
  });

  it("is accepted by --trust when the register names the administrator, with no store", () => {
    const early = as(nowhere, ['verify', path.join(work, 'adm-1'), '--no-record', '--trust', register]);
    expect(early.code, early.stdout).toBe(0);
    const late = as(nowhere, ['verify', path.join(work, 'adm-2'), '--no-record', '--trust', register]);
    expect(late.code).toBe(4);
    expect(late.stdout).toMatch(/entry 6: signed by J\. Doe .*after that key was revoked/);
    expect(late.stdout).not.toMatch(/as a lab administrator, but/);
  });

  it("refuses, with --trust, a revocation by a key the register does not name an administrator's, even when the store's table was edited to say so", () => {
    const h = path.join(work, 'admin-forged-home');
    const folder = path.join(work, 'adm-forged');
    acquire(h, folder, 'EV-001');
    const jd = keyOf(folder, 'EV-001')[0]!;
    expect(as(h, ['key', 'create', '-x', 'M. Other']).code).toBe(0);
    const reg = path.join(work, 'admin-forged-register.yaml');
    expect(as(h, ['key', 'register', 'export', '-o', reg]).code).toBe(0);
    const db = new Database(path.join(h, 'cases.db'));
    db.prepare("UPDATE examiner_keys SET administrator = 1 WHERE examiner = 'M. Other'").run(); // behind exhibit's back
    db.close();
    const r = as(h, ['key', 'revoke', jd, '--reason', 'a grudge', '--by', 'M. Other']);
    expect(r.code, r.stderr).toBe(0); // this store believes its table
    expect(as(h, ['custody', 'export', 'CASE-20', folder, '-e', 'EV-001']).code).toBe(0);
    const v = as(nowhere, ['custody', 'verify', folder, '--trust', reg]);
    expect(v.code).toBe(4);
    expect(v.stdout).toMatch(new RegExp(`revokes key ${jd} of J\\. Doe as a lab administrator, but the trust register .* does not list key [0-9a-f]{64} of M\\. Other as an administrator's: the revocation is refused`));
    // A register edited to make M. Other an administrator is another register: its SHA-256 differs from the published one.
    const other = as(nowhere, ['custody', 'verify', folder, '--trust', register]);
    expect(other.code).toBe(4);
  });
});

describe('a private key file open to other users', () => {
  const home = path.join(work, 'open-key-home');
  let file = '';
  let fp = '';
  beforeAll(() => {
    acquire(home, path.join(work, 'open-key-first'), 'EV-OPEN-1', 'CASE-OPEN');
    const listed = json(as(home, ['key', 'list', '--json']))[0];
    file = listed.private_key_file;
    fp = listed.fingerprint;
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('signs nothing: the acquisition is refused before its folder is made, naming the file and its mode', () => {
    fs.chmodSync(file, 0o644);
    const out = path.join(work, 'open-key-second');
    const r = as(home, ['acquire', src, '-o', out, '-f', 'raw', '-c', 'CASE-OPEN', '-e', 'EV-OPEN-2', '-x', 'J. Doe']);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, new RegExp(`the private key file .*${fp}\\.pem of J\\. Doe is open to other users \\(mode 0644\\); anyone who can read it can sign as J\\. Doe`));
    expect(fs.existsSync(out)).toBe(false);
    // Group-writable is as bad: someone else could swap it.
    fs.chmodSync(file, 0o620);
    expect(as(home, ['acquire', src, '-o', out, '-f', 'raw', '-c', 'CASE-OPEN', '-e', 'EV-OPEN-2', '-x', 'J. Doe']).code).toBe(1);
    expect(as(home, ['key', 'list']).stdout).toContain('its file is open to other users (mode 0620): exhibit does not sign with it');
    expect(json(as(home, ['key', 'list', '--json']))[0].private_key_file_open_to_others).toBe(true);
  });

  it('may still sign its own revocation, the reason to look at it', () => {
    fs.chmodSync(file, 0o644);
    const r = as(home, ['key', 'revoke', fp, '--reason', 'its file was readable by everyone']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(as(home, ['key', 'list', '--json']))[0].revoked_reason).toBe('its file was readable by everyone');
  });
});
