/**
 * Time for the custody record (issue 20): RFC 3161 tokens from a real TSA (openssl ts -reply behind
 * a tiny HTTP server on 127.0.0.1, with a CA made here), checked by exhibit and by openssl ts
 * -verify; a tampered token fails; a TSA out of reach never stops an acquisition and the token is
 * fetched later; a store restored from an older backup is reported as rolled back by verify of a
 * folder made after the backup, and the token proves the copy's entries existed by its time.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointBody, checkpointText, parseCheckpoint } from '../core/custody.js';
import { derElement, derOid, derSequence, TAG } from '../core/der.js';
import { readPrivateKey, signBytes } from '../core/crypto.js';
import { makeSourceFile, run, type RunResult, tempDir } from './helpers/cli.js';
import { securityScript } from './helpers/security-script.js';
import { startTsa, type TestTsa } from './helpers/tsa.js';

const work = tempDir('exhibit-tsa-');
const src = path.join(work, 'disk.bin');
const home = path.join(work, 'lab-home');
const as = (h: string, args: string[]): RunResult => run(args, { env: { EXHIBIT_HOME: h } });
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
let tsa: TestTsa;

function configure(h: string, url: string): void {
  fs.mkdirSync(h, { recursive: true });
  fs.writeFileSync(path.join(h, 'config.yaml'), `tsa:\n  url: ${url}\n  ca: ${tsa.caFile}\n`);
}

function acquire(h: string, out: string, evidence: string): RunResult {
  const r = as(h, ['acquire', src, '-o', out, '-f', 'raw', '-c', 'CASE-T', '-e', evidence, '-x', 'J. Doe']);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

function opensslVerify(folder: string, evidence: string): { code: number | null; out: string } {
  const r = spawnSync('openssl', ['ts', '-verify', '-data', path.join(folder, `${evidence}.checkpoint`), '-in', path.join(folder, `${evidence}.checkpoint.tsr`), '-CAfile', tsa.caFile], { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A port on 127.0.0.1 where nothing listens: a TSA out of reach. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

beforeAll(async () => {
  if (!hasOpenssl) return;
  makeSourceFile(src, 1024 * 1024, 21);
  tsa = await startTsa(path.join(work, 'tsa'));
  configure(home, tsa.url);
});
afterAll(async () => {
  await tsa?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!hasOpenssl)('RFC 3161 time-stamps from a local TSA', () => {
  it('stamps the checkpoint of an acquisition; the token beside it verifies with exhibit and with openssl ts -verify', () => {
    const folder = path.join(work, 'a');
    const r = acquire(home, folder, 'EV-001');
    expect(r.stderr).toMatch(/time-stamped case CASE-T's checkpoint \(4 entries\): CN=exhibit test TSA says it existed at \d{4}-/);
    expect(fs.existsSync(path.join(folder, 'EV-001.checkpoint.tsr'))).toBe(true);
    const v = as(home, ['verify', folder, '--no-record']);
    expect(v.code, v.stdout).toBe(0);
    expect(v.stdout).toMatch(/time {4}EV-001\.checkpoint\.tsr: the log's first 4 entries existed at \d{4}-\d{2}-\d{2}T[\d:.]+Z \(RFC 3161 token by CN=exhibit test TSA, serial [0-9a-f]+\)/);
    const c = as(home, ['custody', 'verify', folder]);
    expect(c.code, c.stdout).toBe(0);
    expect(c.stdout).toMatch(/the time-stamp token proves the log's first 4 entries existed at/);
    const o = opensslVerify(folder, 'EV-001');
    expect(o.code, o.out).toBe(0);
    expect(o.out).toMatch(/Verification: OK/);
  });

  it('fails a tampered token, and a token moved beside another checkpoint, as openssl does', () => {
    const folder = path.join(work, 'tampered');
    fs.cpSync(path.join(work, 'a'), folder, { recursive: true });
    const tsr = path.join(folder, 'EV-001.checkpoint.tsr');
    const bytes = fs.readFileSync(tsr);
    bytes[bytes.length - 20]! ^= 0x01; // inside the TSA's signature, the token's last field
    fs.writeFileSync(tsr, bytes);
    const v = as(home, ['verify', folder, '--no-record']);
    expect(v.code).toBe(4);
    expect(v.stdout).toMatch(/the time-stamp token EV-001\.checkpoint\.tsr fails its check: the TSA's signature does not match the token/);
    expect(opensslVerify(folder, 'EV-001').code).not.toBe(0);
    // A genuine token beside a checkpoint it was not made for.
    const moved = path.join(work, 'moved');
    fs.cpSync(path.join(work, 'a'), moved, { recursive: true });
    fs.appendFileSync(path.join(moved, 'EV-001.checkpoint'), ' ');
    const m = as(home, ['custody', 'verify', moved]);
    expect(m.code).toBe(4);
    expect(m.stdout).toMatch(/its message imprint is not the SHA256 of the checkpoint/);
  });

  it('fails a token whose stated time was changed (the signed digest no longer matches)', () => {
    const folder = path.join(work, 'retimed');
    fs.cpSync(path.join(work, 'a'), folder, { recursive: true });
    const tsr = path.join(folder, 'EV-001.checkpoint.tsr');
    const bytes = fs.readFileSync(tsr);
    const year = String(new Date().getUTCFullYear());
    const at = bytes.indexOf(Buffer.from(`\x18\x0f${year}`, 'latin1')); // GeneralizedTime YYYYMMDDHHMMSSZ
    expect(at).toBeGreaterThan(0);
    bytes[at + 5] = bytes[at + 5] === 0x30 ? 0x31 : 0x30; // another year
    fs.writeFileSync(tsr, bytes);
    const v = as(home, ['verify', folder, '--no-record']);
    expect(v.code).toBe(4);
    expect(v.stdout).toMatch(/fails its check: its signed message digest does not match the TSTInfo/);
    expect(opensslVerify(folder, 'EV-001').code).not.toBe(0);
  });

  it('fails a planted token whose imprint is right but whose certificate is not one (no error of its own, exit 4)', () => {
    const folder = path.join(work, 'planted');
    fs.cpSync(path.join(work, 'a'), folder, { recursive: true });
    const checkpoint = fs.readFileSync(path.join(folder, 'EV-001.checkpoint'));
    const int = (n: number) => derElement(TAG.INTEGER, Buffer.from([n]));
    const imprint = derSequence(derSequence(derOid('2.16.840.1.101.3.4.2.1'), derElement(TAG.NULL, Buffer.alloc(0))), derElement(TAG.OCTET_STRING, crypto.createHash('sha256').update(checkpoint).digest()));
    const tst = derSequence(int(1), derOid('1.2.3.4'), imprint, int(5), derElement(TAG.GENERALIZED_TIME, Buffer.from('20260101000000Z')));
    const encap = derSequence(derOid('1.2.840.113549.1.9.16.1.4'), derElement(0xa0, derElement(TAG.OCTET_STRING, tst)));
    const signed = derSequence(int(3), derElement(TAG.SET, Buffer.alloc(0)), encap, derElement(0xa0, derSequence(int(1))), derElement(TAG.SET, Buffer.alloc(0)));
    fs.writeFileSync(path.join(folder, 'EV-001.checkpoint.tsr'), derSequence(derSequence(int(0)), derSequence(derOid('1.2.840.113549.1.7.2'), derElement(0xa0, signed))));
    const v = as(home, ['verify', folder, '--no-record']);
    expect(v.code, v.stderr).toBe(4);
    expect(v.stdout).toMatch(/^FAILED/m);
    expect(v.stdout).toMatch(/the time-stamp token EV-001\.checkpoint\.tsr fails its check: /);
  });

  it('never stops an acquisition when the TSA is out of reach; the token is fetched later and copied beside the image', async () => {
    const h = path.join(work, 'offline-home');
    configure(h, `http://127.0.0.1:${await closedPort()}/tsr`);
    const folder = path.join(work, 'offline');
    const r = acquire(h, folder, 'EV-001');
    expect(r.stderr).toMatch(/case CASE-T's checkpoint is not time-stamped yet: the time-stamping authority http:\/\/127\.0\.0\.1:\d+\/tsr could not be reached/);
    expect(r.stderr).toMatch(/fetch the token later with: exhibit custody timestamp CASE-T/);
    expect(fs.existsSync(path.join(folder, 'EV-001.checkpoint.tsr'))).toBe(false);
    const v = as(h, ['verify', folder, '--no-record']);
    expect(v.code, v.stdout).toBe(0);
    expect(v.stdout).toMatch(/note: the checkpoint has no RFC 3161 time-stamp token \(EV-001\.checkpoint\.tsr\)/);
    const down = as(h, ['custody', 'timestamp', 'CASE-T']);
    expect(down.code).toBe(1);
    expect(down.stderr.split('\n')[0]).toMatch(/^exhibit: error: the time-stamping authority .* could not be reached/);
    configure(h, tsa.url); // the TSA answers again
    const t = as(h, ['custody', 'timestamp', 'CASE-T']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/time-stamped case CASE-T's checkpoint \(4 entries\)/);
    expect(as(h, ['custody', 'timestamp', 'CASE-T']).stdout).toMatch(/already time-stamped/);
    expect(as(h, ['custody', 'export', 'CASE-T', folder, '-e', 'EV-001']).code).toBe(0);
    expect(opensslVerify(folder, 'EV-001').code).toBe(0);
    expect(as(h, ['verify', folder, '--no-record']).stdout).toMatch(/time {4}EV-001\.checkpoint\.tsr: the log's first 4 entries existed at/);
  });

  it('stamps the checkpoint of a custody transfer; the token verifies with exhibit and openssl ts -verify, and fails when tampered', () => {
    const h = path.join(work, 'transfer-home');
    configure(h, tsa.url);
    const folder = path.join(work, 'transfer');
    acquire(h, folder, 'EV-001');
    expect(as(h, ['key', 'create', '-x', 'K. Smith']).code).toBe(0);
    const t = as(h, ['custody', 'transfer', 'CASE-T', 'EV-001', '--from', 'J. Doe', '--to', 'K. Smith', '--purpose', 'analysis', '--location', 'Lab 2']);
    expect(t.code, t.stderr).toBe(0);
    // The transfer logs K. Smith's key and the transfer: 6 entries, stamped by the transfer itself.
    expect(t.stderr).toMatch(/time-stamped case CASE-T's checkpoint \(6 entries\): CN=exhibit test TSA says it existed at \d{4}-/);
    expect(as(h, ['custody', 'timestamp', 'CASE-T']).stdout).toMatch(/checkpoint \(6 entries\) is already time-stamped/);
    expect(as(h, ['custody', 'export', 'CASE-T', folder, '-e', 'EV-001']).code).toBe(0);
    const o = opensslVerify(folder, 'EV-001');
    expect(o.code, o.out).toBe(0);
    const c = as(h, ['custody', 'verify', folder]);
    expect(c.code, c.stdout).toBe(0);
    expect(c.stdout).toMatch(/the time-stamp token proves the log's first 6 entries existed at/);
    const tsr = path.join(folder, 'EV-001.checkpoint.tsr');
    const bytes = fs.readFileSync(tsr);
    bytes[bytes.length - 20]! ^= 0x01; // inside the TSA's signature
    fs.writeFileSync(tsr, bytes);
    const bad = as(h, ['custody', 'verify', folder]);
    expect(bad.code).toBe(4);
    expect(bad.stdout).toMatch(/the time-stamp token EV-001\.checkpoint\.tsr fails its check: the TSA's signature does not match the token/);
    expect(opensslVerify(folder, 'EV-001').code).not.toBe(0);
  });

  it('records a transfer when the TSA is out of reach, and says how to fetch the token later', async () => {
    const h = path.join(work, 'transfer-offline-home');
    configure(h, tsa.url);
    acquire(h, path.join(work, 'transfer-offline'), 'EV-001');
    configure(h, `http://127.0.0.1:${await closedPort()}/tsr`);
    expect(as(h, ['key', 'create', '-x', 'K. Smith']).code).toBe(0);
    const t = as(h, ['custody', 'transfer', 'CASE-T', 'EV-001', '--from', 'J. Doe', '--to', 'K. Smith', '--purpose', 'analysis', '--location', 'Lab 2']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/^recorded: EV-001 passed from J\. Doe to K\. Smith; custody log entry 6 of case CASE-T/);
    expect(t.stderr).toMatch(/case CASE-T's checkpoint is not time-stamped yet: the time-stamping authority .* could not be reached/);
    expect(t.stderr).toMatch(/fetch the token later with: exhibit custody timestamp CASE-T/);
    configure(h, tsa.url);
    expect(as(h, ['custody', 'timestamp', 'CASE-T']).stdout).toMatch(/time-stamped case CASE-T's checkpoint \(6 entries\)/);
  });

  it('refuses custody timestamp with no TSA configured, as a usage error', () => {
    const h = path.join(work, 'plain-home');
    acquire(h, path.join(work, 'plain'), 'EV-001');
    const r = as(h, ['custody', 'timestamp', 'CASE-T']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/no time-stamping authority is configured/);
  });
});

describe.skipIf(!hasOpenssl)('rollback', () => {
  it('reports a store restored from an older backup as rolled back when a folder made after the backup is verified, with counts, heads and the token', () => {
    const h = path.join(work, 'rollback-home');
    configure(h, tsa.url);
    acquire(h, path.join(work, 'rb-1'), 'EV-001');
    const backup = path.join(work, 'rollback-backup');
    fs.cpSync(h, backup, { recursive: true }); // the store at rest: cases.db with its -wal, keys, settings
    acquire(h, path.join(work, 'rb-2'), 'EV-002'); // after the backup
    fs.rmSync(h, { recursive: true });
    fs.cpSync(backup, h, { recursive: true }); // restored
    const v = as(h, ['verify', path.join(work, 'rb-2'), '-x', 'J. Doe']);
    expect(v.code).toBe(4);
    expect(v.stdout).toMatch(/ROLLBACK: the case store's log of case CASE-T is older than the custody log beside the image, which begins with all of it and goes on: the store has 4 entries \(head [0-9a-f]{64}\), the copy 6 \(head [0-9a-f]{64}\)/);
    expect(v.stdout).toMatch(/the time-stamp token proves the copy's 6 entries existed at .*: the store was rolled back past that time/);
    expect(v.stderr).toMatch(/not logged in case CASE-T's custody log: the case store was rolled back/);
    expect(v.stderr).toMatch(/signed into case CASE-T's checkpoint in the store by J\. Doe: a copy of its log with 6 entries was seen/);
    // Nothing was added to the rolled-back store, and from now on nothing is: an entry would fork the log.
    expect(JSON.parse(as(h, ['custody', 'log', 'CASE-T', '--json']).stdout).entries).toBe(4);
    const more = as(h, ['acquire', src, '-o', path.join(work, 'rb-3'), '-f', 'raw', '-c', 'CASE-T', '-e', 'EV-003', '-x', 'J. Doe']);
    expect(more.code).toBe(4);
    expect(more.stderr.split('\n')[0]).toMatch(/^exhibit: error: the case store's log of case CASE-T was rolled back: a copy of it beside an image \(.*EV-002\.custody\.jsonl, seen .*\) holds 6 entries \(head [0-9a-f]{64}\), the store 4/);
    expect(fs.existsSync(path.join(work, 'rb-3'))).toBe(false);
    expect(JSON.parse(as(h, ['custody', 'log', 'CASE-T', '--json']).stdout).entries).toBe(4);
    const c = as(h, ['custody', 'verify', path.join(work, 'rb-2')]);
    expect(c.code).toBe(4);
    expect(c.stdout).toMatch(/ROLLBACK/);
    // The folder made before the backup is still a copy of the store's log.
    expect(as(h, ['verify', path.join(work, 'rb-1'), '--no-record']).code).toBe(0);
  });

  it("keeps the rollback in the store's signed checkpoint, so an edit of the store's table does not hide it", () => {
    const h = path.join(work, 'hide-home');
    acquire(h, path.join(work, 'hd-1'), 'EV-001');
    const backup = path.join(work, 'hide-backup');
    fs.cpSync(h, backup, { recursive: true });
    acquire(h, path.join(work, 'hd-2'), 'EV-002');
    fs.rmSync(h, { recursive: true });
    fs.cpSync(backup, h, { recursive: true });
    expect(as(h, ['verify', path.join(work, 'hd-2'), '-x', 'J. Doe']).code).toBe(4);
    // The attacker, with the store file in hand, removes what the table remembers.
    const sql = (q: string, ...args: unknown[]): void => {
      const db = new Database(path.join(h, 'cases.db'));
      db.prepare(q).run(...args);
      db.close();
    };
    sql('DELETE FROM rollbacks_seen');
    const log = as(h, ['custody', 'log', 'CASE-T']);
    expect(log.code).toBe(4);
    expect(log.stdout).toMatch(/ROLLBACK: the signed checkpoint \(by J\. Doe\) says a copy of this log with 6 entries \(head [0-9a-f]{64}\) was seen, but the log holds 4 \(head [0-9a-f]{64}\)/);
    const more = as(h, ['acquire', src, '-o', path.join(work, 'hd-3'), '-f', 'raw', '-c', 'CASE-T', '-e', 'EV-003', '-x', 'J. Doe']);
    expect(more.code).toBe(4);
    expect(more.stderr.split('\n')[0]).toMatch(/^exhibit: error: the case store's log of case CASE-T was rolled back: its own signed checkpoint says a copy of it with 6 entries \(head [0-9a-f]{64}\) was seen, the store holds 4$/);
    expect(fs.existsSync(path.join(work, 'hd-3'))).toBe(false);
    // The image logged before the backup still verifies against what the store holds, with a note.
    const early = as(h, ['verify', path.join(work, 'hd-1'), '--no-record']);
    expect(early.code, early.stdout).toBe(0);
    expect(early.stdout).toMatch(/note: in the case store's log of case CASE-T, ROLLBACK: .*this image's entry 4 is among the entries it still holds/);
    // Taking the line out of the checkpoint breaks its signature: a tampered store, and still nothing is added.
    sql("UPDATE checkpoints SET text = replace(text, substr(text, instr(text, 'seen '), 72), '')");
    const cut = as(h, ['custody', 'log', 'CASE-T']);
    expect(cut.code).toBe(4);
    expect(cut.stdout).toMatch(/the checkpoint's signature by J\. Doe does not match it: the checkpoint was changed/);
    expect(as(h, ['acquire', src, '-o', path.join(work, 'hd-3'), '-f', 'raw', '-c', 'CASE-T', '-e', 'EV-003', '-x', 'J. Doe']).code).toBe(4);
    // Restoring the old store once more puts back an old checkpoint with it: the copy beside the image tells again.
    fs.rmSync(h, { recursive: true });
    fs.cpSync(backup, h, { recursive: true });
    expect(as(h, ['verify', path.join(work, 'hd-2'), '--no-record']).stdout).toMatch(/ROLLBACK: the case store's log of case CASE-T is older than the custody log beside the image/);
  });

  it('a copy whose checkpoint says a longer copy was seen fails the SECURITY.md script and exhibit as a rollback', () => {
    const h = path.join(work, 'seen-home');
    const folder = path.join(work, 'seen');
    acquire(h, folder, 'EV-001');
    const file = path.join(folder, 'EV-001.checkpoint');
    const cp = parseCheckpoint(fs.readFileSync(file, 'utf8'))!;
    const priv = readPrivateKey(fs.readFileSync(path.join(h, 'keys', `${cp.key}.pem`), 'utf8'), 'the examiner key');
    const body = checkpointBody(cp.caseNumber, cp.size, cp.head, { size: cp.size + 2, head: 'cd'.repeat(32) });
    fs.writeFileSync(file, checkpointText(body, cp.key, signBytes(priv, body)));
    const r = spawnSync('bash', ['-c', securityScript()], { cwd: folder, env: { ...process.env, E: 'EV-001' }, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).not.toBe(0);
    expect(r.stdout).toContain(`the checkpoint says a longer copy of the log was seen: seen ${cp.size + 2} ${'cd'.repeat(32)}`);
    const v = as(path.join(work, 'no-store-home'), ['custody', 'verify', folder]);
    expect(v.code).toBe(4);
    expect(v.stdout).toMatch(new RegExp(`ROLLBACK: the signed checkpoint \\(by J\\. Doe\\) says a copy of this log with ${cp.size + 2} entries`));
  });

  it('reports a fork when the store and a copy part, naming both counts and heads', () => {
    const h = path.join(work, 'fork-home');
    acquire(h, path.join(work, 'fk-1'), 'EV-001');
    const backup = path.join(work, 'fork-backup');
    fs.cpSync(h, backup, { recursive: true });
    acquire(h, path.join(work, 'fk-2'), 'EV-002');
    fs.rmSync(h, { recursive: true });
    fs.cpSync(backup, h, { recursive: true });
    acquire(h, path.join(work, 'fk-3'), 'EV-003'); // the restored store goes on: another history
    const v = as(h, ['verify', path.join(work, 'fk-2'), '--no-record']);
    expect(v.code).toBe(4);
    expect(v.stdout).toMatch(/the two part at entry 5 \(a FORK\): the store has 6 entries \(head [0-9a-f]{64}\), the copy 6 \(head [0-9a-f]{64}\)/);
  });
});
