/**
 * The case store and the signed custody log, through the real CLI: what an
 * acquisition logs, the copy beside the image, the check with sha256sum and
 * openssl alone (the script in SECURITY.md), keys and passphrases, store
 * upgrades, concurrent writers, and tampering with the log files and the
 * database, each of which must be found and the entry named.
 */
import Database from 'better-sqlite3';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseStore, exhibitPaths, MIGRATIONS } from '../case-store/index.js';
import { generateSigningKey, readPrivateKey, sha256Hex, signBytes } from '../core/crypto.js';
import { encodeEntry, lineHashInput, logLine, splitLogLine, type CustodyEntry } from '../core/custody.js';
import { BIN, fileDigest, have, makeSourceFile, run as inProcess, type RunResult, tempDir } from './helpers/cli.js';
import { securityScript } from './helpers/security-script.js';
import { expectOneLineError } from './helpers/expect.js';
import { because, needsTools } from './helpers/skip.js';

const work = tempDir('exhibit-custody-');
const home = path.join(work, 'home');
const out = path.join(work, 'out');
const src = path.join(work, 'source.bin');
const CASE = 'C-2026-7';
const EV = 'EV-1';
const run = (args: string[], env: NodeJS.ProcessEnv = {}): RunResult => inProcess(args, { env: { EXHIBIT_HOME: home, ...env } });
const json = (r: RunResult): any => JSON.parse(r.stdout);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

beforeAll(() => {
  makeSourceFile(src, 2 * 1024 * 1024 + 512 * 3, 11);
  expect(run(['key', 'create', '-x', 'K. Smith']).code).toBe(0);
  const a = run(['acquire', src, '-o', out, '-c', CASE, '-e', EV, '-x', 'J. Doe', '--description', 'USB stick, desk 3']);
  expect(a.code, a.stderr).toBe(0);
  expect(a.stderr).toMatch(/created a signing key for J\. Doe/);
  expect(a.stderr).toMatch(new RegExp(`case ${CASE} was new: opened it`));
  const t = run(['custody', 'transfer', CASE, EV, '--from', 'J. Doe', '--to', 'K. Smith', '--purpose', 'analysis', '--location', 'Lab 2, shelf 4']);
  expect(t.code, t.stderr).toBe(0);
  expect(t.stdout).toMatch(/countersigned by K\. Smith/);
  const e = run(['custody', 'export', CASE, out, '-e', EV]);
  expect(e.code, e.stderr).toBe(0);
});

const logFile = () => path.join(out, `${EV}.custody.jsonl`);
const logLines = (dir = out) => fs.readFileSync(path.join(dir, `${EV}.custody.jsonl`), 'utf8').trimEnd().split('\n');

describe('what an acquisition logs', () => {
  it('opens the case, registers the item, logs the result and a transfer, in order, all signed', () => {
    const r = run(['custody', 'log', CASE, '--json']);
    expect(r.code).toBe(0);
    const j = json(r);
    expect(j.verified).toBe(true);
    expect(j.log.map((e: CustodyEntry) => e.kind)).toEqual(['key.registered', 'case.opened', 'evidence.registered', 'acquisition.completed', 'key.registered', 'custody.transferred']);
    expect(j.log.map((e: CustodyEntry) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    const acq = j.log[3];
    expect(acq.actor.name).toBe('J. Doe');
    expect(acq.payload.media.hashes).toEqual({ md5: fileDigest('md5', src), sha1: fileDigest('sha1', src), sha256: fileDigest('sha256', src) });
    expect(acq.payload.record.sha256).toBe(fileDigest('sha256', path.join(out, `${EV}.acquisition.yaml`)));
    expect(acq.payload.files[0]).toMatchObject({ name: `${EV}.raw`, sha256: fileDigest('sha256', src) });
    expect(acq.payload.read_only).toEqual({ method: expect.any(String), unchanged: true });
    expect(acq.time.utc).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(acq.time.local).toMatch(/[+-]\d\d:\d\d$/);
    const tr = j.log[5];
    expect(tr.cosigners).toEqual([{ name: 'K. Smith', key: j.keys[1].fingerprint }]);
    expect(tr.signatures).toHaveLength(2);
  });

  it('keeps the case, item, acquisition and transfer in the store, shown by case show and case list', () => {
    const s = json(run(['case', 'show', CASE, '--json']));
    expect(s.custody_log).toMatchObject({ entries: 6, verified: true });
    expect(s.evidence).toEqual([expect.objectContaining({ number: EV, description: 'USB stick, desk 3', capacity_bytes: fs.statSync(src).size })]);
    expect(s.acquisitions).toEqual([expect.objectContaining({ evidence: EV, result: 'complete', md5: fileDigest('md5', src), folder: out })]);
    expect(s.transfers).toEqual([expect.objectContaining({ from_name: 'J. Doe', to_name: 'K. Smith', purpose: 'analysis', location: 'Lab 2, shelf 4' })]);
    const text = run(['case', 'show', CASE]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/J\. Doe -> K\. Smith \(countersigned\)/);
    const list = json(run(['case', 'list', '--json']));
    expect(list.map((c: { case: string }) => c.case)).toContain(CASE);
  });

  it('prints the log for people, and says it checks', () => {
    const r = run(['custody', 'log', CASE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/acquisition completed\s+J\. Doe: EV-1: raw image/);
    expect(r.stdout).toMatch(/checked: the chain is whole, all 7 signatures are good, and the signed checkpoint covers all 6 entries/);
  });

  it('writes the log, the checkpoint and the public keys beside the image, and they check there', () => {
    expect(fs.readdirSync(path.join(out, `${EV}.keys`))).toHaveLength(2);
    const r = inProcess(['custody', 'verify', out]); // no case store needed
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/6 entries/);
  });
});

function runScript(dir: string): { code: number | null; out: string } {
  const r = spawnSync('bash', ['-c', securityScript()], { cwd: dir, env: { ...process.env, E: EV }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

/** A copy of the custody files only (not the image), to tamper with. */
function custodyCopy(name: string): string {
  const dir = path.join(work, 'copies', name);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of [`${EV}.custody.jsonl`, `${EV}.checkpoint`, `${EV}.keys`]) fs.cpSync(path.join(out, f), path.join(dir, f), { recursive: true });
  return dir;
}

describe.skipIf(!have('openssl'))(because('checking the copy with sha256sum and openssl alone (SECURITY.md)', needsTools('openssl')), () => {
  it('the script in SECURITY.md accepts the log exhibit wrote', () => {
    const r = runScript(out);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/6 entries, chain whole, all signatures check, checkpoint covers all/);
  });

  it('and rejects an edited entry, a truncated log and a swapped signature', () => {
    const lines = logLines();
    const cases: [string, string[]][] = [
      ['edited', lines.map((l, i) => (i === 3 ? l.replace('"format":"raw"', '"format":"rax"') : l))],
      ['truncated', lines.slice(0, 5)],
      ['forged-unterminated', [...lines, lines[5]!.replace('"seq":6', '"seq":7')]],
      ['sig-swapped', lines.map((l, i) => (i === 3 ? l.replace(/"sig":"[^"]+"/, /"sig":"[^"]+"/.exec(lines[2]!)![0]) : l))],
    ];
    for (const [name, changed] of cases) {
      const dir = custodyCopy(`script-${name}`);
      fs.writeFileSync(path.join(dir, `${EV}.custody.jsonl`), name === 'forged-unterminated' ? changed.join('\n') : `${changed.join('\n')}\n`);
      const r = runScript(dir);
      expect(r.code, `${name}: ${r.out}`).not.toBe(0);
    }
  });
});

describe('tampering with the copy beside the image is found, and the entry named', () => {
  const attacker = generateSigningKey();
  const attackerKey = readPrivateKey(attacker.privatePem, 'test key');

  /** An entry that continues `lines`, signed by the attacker. */
  function forged(lines: string[], kind: CustodyEntry['kind'], payload: CustodyEntry['payload']): string {
    const last = JSON.parse(splitLogLine(lines[lines.length - 1]!)!.entryBytes) as CustodyEntry;
    const entry: CustodyEntry = {
      ...last,
      seq: lines.length + 1,
      prev: sha256Hex(lineHashInput(lines[lines.length - 1]!)),
      actor: { name: 'Mallory', key: attacker.fingerprint },
      kind,
      payload,
    };
    delete entry.cosigners;
    const bytes = encodeEntry(entry);
    return logLine(bytes, [{ key: attacker.fingerprint, sig: signBytes(attackerKey, bytes) }]);
  }

  const tampers: { name: string; change: (lines: string[]) => string; checkpoint?: (cp: string) => string; expect: RegExp }[] = [
    { name: 'one byte of an entry edited', change: (l) => join(l.map((x, i) => (i === 3 ? x.replace('"format":"raw"', '"format":"rax"') : x))), expect: /entry 4: the signature by J\. Doe .* does not match/ },
    { name: 'an entry deleted', change: (l) => join(l.filter((_, i) => i !== 2)), expect: /entry 3: has sequence number 4 at position 3/ },
    { name: 'two entries swapped', change: (l) => join([l[0]!, l[1]!, l[3]!, l[2]!, l[4]!, l[5]!]), expect: /entry 3: has sequence number 4 at position 3/ },
    { name: 'the log truncated by one entry', change: (l) => join(l.slice(0, 5)), expect: /the log is truncated: the signed checkpoint covers 6 entries but the log holds 5; entry 6 is missing/ },
    { name: 'the last line cut short', change: (l) => `${join(l.slice(0, 5))}${l[5]!.slice(0, 100)}`, expect: /entry 6 is cut short/ },
    { name: 'a forged entry appended', change: (l) => join([...l, forged(l, 'custody.transferred', { evidence: EV, purpose: 'x' })]), expect: /entry 7: is signed with key [0-9a-f]{16}, which no earlier entry registers/ },
    {
      name: 'a forged key registration and entry appended',
      change: (l) => {
        const withKey = [...l, forged(l, 'key.registered', { examiner: 'Mallory', key: attacker.fingerprint, public_key: attacker.publicPem })];
        return join([...withKey, forged(withKey, 'custody.transferred', { evidence: EV })]);
      },
      expect: /entry 7: registers key [0-9a-f]{16} of Mallory, which is not among the key files/,
    },
    { name: 'a signature replaced by another entry\'s', change: (l) => join(l.map((x, i) => (i === 3 ? x.replace(/"sig":"[^"]+"/, /"sig":"[^"]+"/.exec(l[2]!)![0]) : x))), expect: /entry 4: the signature by J\. Doe .* does not match/ },
    {
      name: 'an entry re-signed with a key that is not registered',
      change: (l) => {
        const e = JSON.parse(splitLogLine(l[3]!)!.entryBytes) as CustodyEntry;
        e.actor = { name: 'J. Doe', key: attacker.fingerprint };
        const bytes = encodeEntry(e);
        return join(l.map((x, i) => (i === 3 ? logLine(bytes, [{ key: attacker.fingerprint, sig: signBytes(attackerKey, bytes) }]) : x)));
      },
      expect: /entry 4: is signed with key [0-9a-f]{16}, which no earlier entry registers/,
    },
    { name: 'an entry re-written with its keys in another order', change: (l) => join(l.map((x, i) => (i === 1 ? x.replace(/^\{"entry":\{"actor":(\{[^}]*\}),"case":("[^"]*")/, '{"entry":{"case":$2,"actor":$1') : x))), expect: /entry 2: its bytes are not the ones that were signed/ },
    { name: 'the checkpoint edited', change: (l) => join(l), checkpoint: (cp) => cp.replace(/\n6\n/, '\n5\n'), expect: /the checkpoint's signature by .* does not match it/ },
  ];
  const join = (lines: string[]) => `${lines.join('\n')}\n`;

  it('bytes that are not UTF-8 are found, though a lenient reader would hash them the same', () => {
    const dir = custodyCopy('not-utf8');
    const file = path.join(dir, `${EV}.custody.jsonl`);
    const bytes = fs.readFileSync(file);
    const at = bytes.indexOf('Lab 2');
    bytes[at] = 0xff;
    fs.writeFileSync(file, bytes);
    const r = inProcess(['custody', 'verify', file]);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/the log is not valid UTF-8/);
  });

  it.each(tampers)('$name', (t) => {
    const dir = custodyCopy(t.name.replace(/\W+/g, '-'));
    fs.writeFileSync(path.join(dir, `${EV}.custody.jsonl`), t.change(logLines()));
    if (t.checkpoint) {
      const cp = path.join(dir, `${EV}.checkpoint`);
      fs.writeFileSync(cp, t.checkpoint(fs.readFileSync(cp, 'utf8')));
    }
    const r = inProcess(['custody', 'verify', path.join(dir, `${EV}.custody.jsonl`)]);
    expect(r.code, r.stdout).toBe(4);
    expect(r.stdout).toMatch(t.expect);
    expectOneLineError(r.stderr, /custody log .* fails its check: (entry \d+|the)/);
  });
});

describe('tampering with the case store behind exhibit\'s back is found, and nothing is added to it', () => {
  const edits: { name: string; sql: (db: Database.Database) => void; expect: RegExp }[] = [
    { name: 'an entry edited in the database', sql: (db) => db.prepare("UPDATE custody_entries SET line = replace(line, 'Lab 2, shelf 4', 'Lab 9, shelf 4') WHERE seq = 6").run(), expect: /entry 6: the signature by J\. Doe .* does not match/ },
    { name: 'a hash edited in the acquisitions table', sql: (db) => db.prepare("UPDATE acquisitions SET md5 = '00000000000000000000000000000000'").run(), expect: /entry 4: its row in the acquisitions table differs from the signed entry \(md5\)/ },
    { name: 'an evidence row edited', sql: (db) => db.prepare("UPDATE evidence SET serial = 'XYZ'").run(), expect: /entry 3: its row in the evidence table differs from the signed entry \(serial\)/ },
    { name: 'the last entry deleted', sql: (db) => db.prepare('DELETE FROM transfers').run() && db.prepare('DELETE FROM custody_entries WHERE seq = 6').run(), expect: /the log is truncated: .* entry 6 is missing/ },
    { name: 'a transfer row added', sql: (db) => db.prepare("INSERT INTO transfers SELECT case_id, 99, evidence, time_utc, from_name, from_key, to_name, to_key, 'court', location, override FROM transfers").run(), expect: /the transfers table holds a row \(for entry 99\) that no signed entry accounts for/ },
    { name: 'every entry of the case and its checkpoint deleted', sql: (db) => ['transfers', 'acquisitions', 'evidence', 'custody_entries', 'checkpoints'].forEach((t) => db.prepare(`DELETE FROM ${t}`).run()), expect: /case C-2026-7 has no custody log entries at all: they were deleted/ },
    { name: "an examiner's public key replaced", sql: (db) => db.prepare("UPDATE examiner_keys SET public_pem = ? WHERE examiner = 'K. Smith'").run(generateSigningKey().publicPem), expect: /entry 5: registers key [0-9a-f]{16} of K\. Smith, which is not among this case store's examiner keys/ },
  ];

  it.each(edits)('$name', (t) => {
    const copy = path.join(work, 'homes', t.name.replace(/\W+/g, '-'));
    fs.cpSync(home, copy, { recursive: true });
    const db = new Database(path.join(copy, 'cases.db'));
    db.pragma('foreign_keys = OFF');
    t.sql(db);
    db.close();
    const env = { EXHIBIT_HOME: copy };
    const r = run(['custody', 'log', CASE], env);
    expect(r.code, r.stdout).toBe(4);
    expect(r.stdout).toMatch(t.expect);
    const show = run(['case', 'show', CASE], env);
    expect(show.code).toBe(4);
    const before = fs.readFileSync(path.join(copy, 'cases.db'));
    const w = run(['custody', 'transfer', CASE, EV, '--from', 'K. Smith', '--to', 'J. Doe', '--purpose', 'return', '--location', 'Lab 2'], env);
    expect(w.code).toBe(4);
    expectOneLineError(w.stderr, /the custody log of case C-2026-7 fails its check: (entry \d+|the|case C-2026-7 has no)/);
    expect(fs.readFileSync(path.join(copy, 'cases.db')).equals(before)).toBe(true);
  });
});

describe('keys', () => {
  it('keeps the private key in a 0600 file that openssl reads, and the public key and fingerprint in the store', () => {
    const keys = json(run(['key', 'list', '--json']));
    const k = keys.find((x: { examiner: string }) => x.examiner === 'K. Smith');
    expect(fs.statSync(k.private_key_file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(k.private_key_file)).mode & 0o077).toBe(0);
    if (have('openssl')) {
      const pub = spawnSync('openssl', ['pkey', '-in', k.private_key_file, '-pubout'], { encoding: 'utf8' });
      expect(pub.stdout).toBe(k.public_key);
      const der = spawnSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: k.public_key });
      expect(sha256Hex(der.stdout)).toBe(k.fingerprint);
    }
    const exported = run(['key', 'export', 'K. Smith']);
    expect(exported.stdout).toBe(k.public_key);
  });

  it('encrypts the key with a passphrase, refuses to acquire without it or with a wrong one, and signs with it', () => {
    const pass = path.join(work, 'pass.txt');
    fs.writeFileSync(pass, 'correct horse battery staple\n');
    expect(run(['key', 'create', '-x', 'P. Examiner', '--passphrase-file', pass]).code).toBe(0);
    const k = json(run(['key', 'list', '--json'])).find((x: { examiner: string }) => x.examiner === 'P. Examiner');
    expect(k.encrypted).toBe(true);
    expect(fs.readFileSync(k.private_key_file, 'utf8')).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    if (have('openssl')) expect(spawnSync('openssl', ['pkey', '-in', k.private_key_file, '-passin', `file:${pass}`, '-noout']).status).toBe(0);

    const dest = path.join(work, 'pass-out');
    const args = ['acquire', src, '-o', dest, '-c', 'C-PASS', '-e', 'EV-P', '-x', 'P. Examiner'];
    const none = run(args);
    expect(none.code).toBe(1);
    expectOneLineError(none.stderr, /the key of P\. Examiner is protected by a passphrase and none was given/);
    expect(fs.existsSync(dest)).toBe(false); // stopped before anything was written

    const wrong = run(args, { EXHIBIT_PASSPHRASE: 'not it at all' });
    expect(wrong.code).toBe(1);
    expectOneLineError(wrong.stderr, /the passphrase for the key of P\. Examiner is wrong/);
    expect(fs.existsSync(dest)).toBe(false);

    // A key file cut short is said to be damaged, not taken for a forgotten passphrase; the file is left as it is.
    const whole = fs.readFileSync(k.private_key_file);
    try {
      fs.writeFileSync(k.private_key_file, whole.subarray(0, 200), { mode: 0o600 });
      const cut = run([...args, '--passphrase-file', pass]);
      expect(cut.code).toBe(1);
      expectOneLineError(cut.stderr, /the key of P\. Examiner is damaged: its file is not a whole encrypted private key \(cut short or changed\)/);
      expect(cut.stderr).toMatch(/hint: restore the key file from a backup/);
      expect(fs.existsSync(dest)).toBe(false);
    } finally {
      fs.writeFileSync(k.private_key_file, whole, { mode: 0o600 });
    }

    const ok = run([...args, '--passphrase-file', pass]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(inProcess(['custody', 'verify', dest]).code).toBe(0);
  });

  it('refuses a second key for the same examiner', () => {
    const r = run(['key', 'create', '-x', 'K. Smith']);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /K\. Smith already has a key/);
  });

  it('with keys provisioned by the lab (config.yaml), stops an examiner without a key before reading', () => {
    const h = path.join(work, 'home-provisioned');
    fs.mkdirSync(h);
    fs.writeFileSync(path.join(h, 'config.yaml'), 'keys:\n  create_when_missing: false\n');
    const dest = path.join(work, 'prov-out');
    const r = run(['acquire', src, '-o', dest, '-c', 'C-9', '-e', 'EV-9', '-x', 'New Examiner'], { EXHIBIT_HOME: h });
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /New Examiner has no signing key, and this installation's settings say keys are provisioned/);
    expect(fs.existsSync(dest)).toBe(false);
    expect(fs.existsSync(path.join(h, 'keys'))).toBe(false);

    fs.writeFileSync(path.join(h, 'config.yaml'), 'keys: [\n');
    const broken = run(['case', 'open', 'C-10', '-x', 'New Examiner'], { EXHIBIT_HOME: h });
    expect(broken.code).toBe(1);
    expectOneLineError(broken.stderr, /the settings file .*config\.yaml is not valid YAML/);
  });
});

describe('the store', () => {
  it('upgrades an older store in place, keeping what it holds', () => {
    const h = path.join(work, 'home-old');
    const paths = exhibitPaths({ EXHIBIT_HOME: h });
    const old = CaseStore.open(paths, 1);
    // The key as exhibit's first schema held it (one row per examiner, no rotation or revocation).
    const key = generateSigningKey();
    fs.mkdirSync(paths.keysDir, { recursive: true, mode: 0o700 });
    const keyFile = path.join(paths.keysDir, `${key.fingerprint}.pem`);
    fs.writeFileSync(keyFile, key.privatePem, { mode: 0o600 });
    old.db.run('INSERT INTO examiner_keys (fingerprint, examiner, public_pem, private_file, encrypted, created_utc) VALUES (?, ?, ?, ?, 0, ?)', [key.fingerprint, 'Old Examiner', key.publicPem, keyFile, new Date().toISOString()]);
    expect(old.schemaVersion()).toBe(1);
    old.close();
    const r = run(['case', 'open', 'C-OLD', '--title', 'From an older exhibit', '-x', 'Old Examiner'], { EXHIBIT_HOME: h });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/created a signing key/); // the key from before the upgrade was used
    const db = new Database(paths.database, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
    const log = json(run(['custody', 'log', 'C-OLD', '--json'], { EXHIBIT_HOME: h }));
    expect(log.keys[0].fingerprint).toBe(key.fingerprint);
  });

  it('refuses a store written by a newer exhibit, and an unknown case, in one line', () => {
    const h = path.join(work, 'home-new');
    CaseStore.open(exhibitPaths({ EXHIBIT_HOME: h })).close();
    const db = new Database(path.join(h, 'cases.db'));
    db.pragma('user_version = 99');
    db.close();
    const r = run(['case', 'list'], { EXHIBIT_HOME: h });
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /was written by a newer exhibit \(schema 99/);

    const u = run(['case', 'show', 'NO-SUCH-CASE']);
    expect(u.code).toBe(1);
    expectOneLineError(u.stderr, /there is no case "NO-SUCH-CASE"/);
    const e = run(['custody', 'transfer', CASE, 'EV-404', '--from', 'J. Doe', '--to', 'K. Smith', '--purpose', 'x', '--location', 'y']);
    expect(e.code).toBe(1);
    expectOneLineError(e.stderr, /there is no evidence EV-404 in case/);
  });

  it('two processes appending to one case at once never fork the chain', async () => {
    expect(run(['case', 'open', 'C-RACE', '-x', 'J. Doe']).code).toBe(0);
    const N = 8;
    // One item per process: each is passed on by its holder, so every transfer is allowed whatever the order.
    for (let i = 0; i < N; i++) expect(run(['evidence', 'add', 'C-RACE', `EV-R${i}`, '--serial', `S${i}`, '--seal', 'A1', '-x', 'J. Doe']).code).toBe(0);
    const codes = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        new Promise<number | null>((resolve) => {
          const c = spawn(process.execPath, [BIN, 'custody', 'transfer', 'C-RACE', `EV-R${i}`, '--from', 'J. Doe', '--to', 'K. Smith', '--purpose', `hand-over ${i}`, '--location', 'desk'], {
            env: { ...process.env, EXHIBIT_HOME: home },
            stdio: 'ignore',
          });
          c.on('exit', (code) => resolve(code));
        }),
      ),
    );
    expect(codes).toEqual(Array(N).fill(0));
    const log = json(run(['custody', 'log', 'C-RACE', '--json']));
    expect(log.verified).toBe(true);
    const transfers = log.log.filter((e: CustodyEntry) => e.kind === 'custody.transferred');
    expect(transfers).toHaveLength(N);
    expect(new Set(transfers.map((e: CustodyEntry) => (e.payload as { purpose: string }).purpose)).size).toBe(N);
    expect(log.log.map((e: CustodyEntry) => e.seq)).toEqual(log.log.map((_: unknown, i: number) => i + 1));
  });

  it('extends the copy beside an image, but never replaces a different log', () => {
    const before = fs.readFileSync(logFile(), 'utf8');
    const dir = custodyCopy('export-other');
    fs.writeFileSync(path.join(dir, `${EV}.custody.jsonl`), before.replace('Lab 2', 'Lab 3'));
    const r = run(['custody', 'export', CASE, dir, '-e', EV]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /exists and is not an earlier copy of case C-2026-7's custody log/);
    expect(fs.readFileSync(path.join(dir, `${EV}.custody.jsonl`), 'utf8')).toBe(before.replace('Lab 2', 'Lab 3'));

    const shorter = custodyCopy('export-prefix');
    fs.writeFileSync(path.join(shorter, `${EV}.custody.jsonl`), before.split('\n').slice(0, 4).join('\n') + '\n');
    expect(run(['custody', 'export', CASE, shorter, '-e', EV]).code).toBe(0);
    expect(fs.readFileSync(path.join(shorter, `${EV}.custody.jsonl`), 'utf8')).toBe(before);
  });

  it("never writes over another case's checkpoint, nor removes a token the store does not hold, nor writes beside an item the case does not hold", () => {
    // Another case's item, its log copy lost, its checkpoint and a token left in its folder.
    const other = path.join(work, 'other-case-item');
    expect(run(['acquire', src, '-o', other, '-c', 'C-OTHER', '-e', 'EV-7', '-x', 'J. Doe']).code).toBe(0);
    fs.rmSync(path.join(other, 'EV-7.custody.jsonl'));
    const cp = fs.readFileSync(path.join(other, 'EV-7.checkpoint'), 'utf8');
    fs.writeFileSync(path.join(other, 'EV-7.checkpoint.tsr'), 'a token of some other time-stamping');
    const notOurs = run(['custody', 'export', CASE, other, '-e', 'EV-7']);
    expect(notOurs.code).toBe(1);
    expectOneLineError(notOurs.stderr, new RegExp(`case ${CASE} holds no evidence item EV-7`));
    // The same case and item, but a checkpoint of another case, or a token the store never kept, in the folder.
    const dir = custodyCopy('export-foreign-checkpoint');
    fs.writeFileSync(path.join(dir, `${EV}.checkpoint`), cp);
    const cpRefused = run(['custody', 'export', CASE, dir, '-e', EV]);
    expect(cpRefused.code).toBe(1);
    expectOneLineError(cpRefused.stderr, new RegExp(`is not an earlier checkpoint of case ${CASE}'s custody log`));
    expect(fs.readFileSync(path.join(dir, `${EV}.checkpoint`), 'utf8')).toBe(cp);
    const tokens = custodyCopy('export-foreign-token');
    fs.writeFileSync(path.join(tokens, `${EV}.checkpoint.tsr`), 'not a token this store keeps');
    const tsrRefused = run(['custody', 'export', CASE, tokens, '-e', EV]);
    expect(tsrRefused.code).toBe(1);
    expectOneLineError(tsrRefused.stderr, /checkpoint\.tsr exists and is not a time-stamp token this case store holds/);
    expect(fs.readFileSync(path.join(tokens, `${EV}.checkpoint.tsr`), 'utf8')).toBe('not a token this store keeps');
    expect(fs.readFileSync(path.join(other, 'EV-7.checkpoint'), 'utf8')).toBe(cp);
    expect(fs.existsSync(path.join(other, 'EV-7.checkpoint.tsr'))).toBe(true);
    // An item of the same number in this case does not make the other case's folder its own: the record there names its case.
    expect(run(['evidence', 'add', CASE, 'EV-7', '-x', 'J. Doe']).code).toBe(0);
    fs.rmSync(path.join(other, 'EV-7.checkpoint'));
    fs.rmSync(path.join(other, 'EV-7.checkpoint.tsr'));
    const before = fs.readdirSync(other).sort();
    const sameNumber = run(['custody', 'export', CASE, other, '-e', 'EV-7']);
    expect(sameNumber.code).toBe(1);
    expectOneLineError(sameNumber.stderr, new RegExp(`the record beside EV-7 in .* is of case C-OTHER, not ${CASE}`));
    expect(fs.readdirSync(other).sort()).toEqual(before); // nothing written, not even the keys
  });
});
