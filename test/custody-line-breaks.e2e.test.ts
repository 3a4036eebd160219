/**
 * Line breaks and control characters in anything a custody entry holds. The
 * log is one entry per line, split on "\n" alone, by exhibit and by the shell
 * check in SECURITY.md alike; no entry may hold a raw line terminator of any
 * kind (U+2028 and U+2029 are ones to JavaScript), and both checkers must
 * accept and reject the same logs. Typed text (a location, a purpose, a case
 * title) is refused with one line; names exhibit did not choose (a source
 * file, an output folder) are recorded escaped. Logs written before the
 * escaping, with such characters raw, must still check.
 */
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPrivateKey, sha256Hex, signBytes } from '../core/crypto.js';
import { checkpointBody, checkpointText, lineHashInput, logLine, splitLogLine, type CustodyEntry } from '../core/custody.js';
import { have, makeSourceFile, run as inProcess, type RunResult, tempDir } from './helpers/cli.js';
import { securityScript } from './helpers/security-script.js';
import { expectOneLineError } from './helpers/expect.js';
import { because, needsTools } from './helpers/skip.js';

/** Every C0 and C1 control, DEL, and the Unicode line and paragraph separators (NEL, VT and FF are among them). U+0000 cannot be passed in an argument or a file name. */
const CODES = [...range(0x01, 0x1f), ...range(0x7f, 0x9f), 0x2028, 0x2029];
const LINE_BREAKS = [0x0a, 0x0b, 0x0c, 0x0d, 0x85, 0x2028, 0x2029];
const ALL = String.fromCodePoint(...CODES);
const hex = (c: number) => `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;

const work = tempDir('exhibit-linebreaks-');
const home = path.join(work, 'home');
const src = path.join(work, `source ${ALL} end.bin`);
const out = path.join(work, `out ${ALL} end`);
const CASE = 'C-LB';
const EV = 'EV-1';
const run = (args: string[], env: NodeJS.ProcessEnv = {}): RunResult => inProcess(args, { env: { EXHIBIT_HOME: home, ...env } });

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

beforeAll(() => {
  makeSourceFile(src, 64 * 1024, 5);
  expect(run(['key', 'create', '-x', 'K. Smith']).code).toBe(0);
  const a = run(['acquire', src, '-o', out, '-c', CASE, '-e', EV, '-x', 'J. Doe']);
  expect(a.code, a.stderr).toBe(0);
});

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

/**
 * The SECURITY.md check, run in `dir`, in the C locale and in a UTF-8 one: it must not matter which the
 * user's shell has. One exception, where the second run would check the same bytes the same way: a log
 * of ASCII alone (NUL and CR among them) beside a checkpoint already checked in both locales reads the
 * same in every locale, so it is checked once, in the UTF-8 locale most shells have. (The checkpoint is
 * never ASCII alone: its signature line starts with a dash of three bytes.)
 */
const checkedInBoth = new Set<string>();
function runScript(dir: string): { code: number | null; out: string } {
  const checkpoint = fs.readFileSync(path.join(dir, `${EV}.checkpoint`), 'latin1');
  const once = fs.readFileSync(logOf(dir)).every((b) => b < 0x80) && checkedInBoth.has(checkpoint);
  const results = (once ? ['C.UTF-8'] : ['C', 'C.UTF-8']).map((locale) => {
    const scratch = tempDir('exhibit-script-tmp-'); // its mktemp folder goes here, and must be gone after, pass or fail
    const r = spawnSync('bash', ['-c', securityScript()], { cwd: dir, env: { ...process.env, E: EV, LANG: locale, LC_ALL: locale, TMPDIR: scratch }, encoding: 'utf8' });
    expect(fs.readdirSync(scratch), 'the script leaves no scratch folder').toEqual([]);
    fs.rmdirSync(scratch);
    return { code: r.status, out: `[${locale}] ${r.stdout}${r.stderr}` };
  });
  if (!once) {
    expect(results[0]!.code === 0, results.map((r) => r.out).join('\n')).toBe(results[1]!.code === 0);
    checkedInBoth.add(checkpoint);
  }
  return results[0]!;
}

const logOf = (dir: string) => path.join(dir, `${EV}.custody.jsonl`);

/** A copy of the custody files beside the image, with the log replaced by `log` (and the checkpoint by `checkpoint`). */
function custodyCopy(name: string, log: Buffer | string, checkpoint?: string): string {
  const dir = path.join(work, 'copies', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(path.join(out, `${EV}.keys`), path.join(dir, `${EV}.keys`), { recursive: true });
  fs.writeFileSync(path.join(dir, `${EV}.checkpoint`), checkpoint ?? fs.readFileSync(path.join(out, `${EV}.checkpoint`)));
  fs.writeFileSync(logOf(dir), log);
  return dir;
}

/** Both checkers on one folder: exhibit's exit code and the script's. */
function bothCheck(dir: string): { exhibit: RunResult; script: { code: number | null; out: string } } {
  return { exhibit: inProcess(['custody', 'verify', logOf(dir)]), script: runScript(dir) };
}

/** One byte of the log changed: a character of the entry at `line`, inside the source name. */
function oneByteChanged(log: Buffer): Buffer {
  const copy = Buffer.from(log);
  const at = copy.indexOf('source ');
  expect(at).toBeGreaterThan(0);
  copy[at] = 'S'.charCodeAt(0);
  return copy;
}

describe('typed text with a line break is refused in one line, and nothing is logged', () => {
  // Every other control character is refused by the same check: see core/text.test.ts.
  let before = '';
  beforeAll(() => {
    expect(run(['custody', 'transfer', CASE, EV, '--from', 'J. Doe', '--to', 'K. Smith', '--purpose', 'analysis', '--location', 'Lab 2']).code).toBe(0);
    before = run(['custody', 'log', CASE, '--json']).stdout;
  });

  it.each(LINE_BREAKS.map((c) => ({ c, name: hex(c) })))('$name in --location, --purpose and a case title', ({ c }) => {
    const ch = String.fromCodePoint(c);
    const code = hex(c).replace('+', '\\+');
    const l = run(['custody', 'transfer', CASE, EV, '--from', 'K. Smith', '--to', 'J. Doe', '--purpose', 'return', '--location', `Lab${ch}2`]);
    expect(l.code, l.stderr).toBe(2);
    expectOneLineError(l.stderr, new RegExp(`--location contains .*control character \\(${code}\\)`));
    const p = run(['custody', 'transfer', CASE, EV, '--from', 'K. Smith', '--to', 'J. Doe', '--purpose', `re${ch}turn`, '--location', 'Lab 2']);
    expect(p.code, p.stderr).toBe(2);
    expectOneLineError(p.stderr, new RegExp(`--purpose contains .*control character \\(${code}\\)`));
    const o = run(['case', 'open', `C-T-${c}`, '--title', `Fraud${ch}at Example Ltd`, '-x', 'J. Doe']);
    expect(o.code, o.stderr).toBe(2);
    expectOneLineError(o.stderr, new RegExp(`--title contains .*control character \\(${code}\\)`));
  });

  it('left the log as it was and opened no case', () => {
    expect(run(['custody', 'log', CASE, '--json']).stdout).toBe(before);
    const cases = JSON.parse(run(['case', 'list', '--json']).stdout) as { case: string }[];
    expect(cases.map((c) => c.case)).toEqual([CASE]);
  });
});

describe('a source file and an output folder whose names hold every line break and control character', () => {
  it('are logged escaped, so the log checks in the store, beside the image and with the SECURITY.md script, and takes more entries', () => {
    const log = run(['custody', 'log', CASE, '--json']);
    expect(log.code, log.stdout + log.stderr).toBe(0);
    const j = JSON.parse(log.stdout) as { verified: boolean; log: CustodyEntry[] };
    expect(j.verified).toBe(true);
    const acq = j.log.find((e) => e.kind === 'acquisition.completed')!;
    expect((acq.payload as { source: { path: string } }).source.path).toBe(src); // every character kept, exactly
    expect((acq.payload as { folder: string }).folder).toBe(out);
    expect(run(['case', 'show', CASE]).code).toBe(0);

    const t = run(['custody', 'transfer', CASE, EV, '--from', 'K. Smith', '--to', 'J. Doe', '--purpose', 'second', '--location', 'Lab 3']);
    expect(t.code, t.stderr).toBe(0);
    expect(run(['custody', 'export', CASE, out, '-e', EV]).code).toBe(0);

    const bytes = fs.readFileSync(logOf(out));
    const text = bytes.toString('utf8');
    // "\n" ends each line and appears nowhere else; no other line terminator or control character is raw.
    expect(text.endsWith('\n')).toBe(true);
    expect(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/.test(text)).toBe(false);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(j.log.length + 1);
    for (const l of lines) expect(() => JSON.parse(l) as unknown).not.toThrow();

    const v = inProcess(['custody', 'verify', out]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    // On the terminal, each name is shown on its line with its control characters as code points: a name cannot
    // start a line of its own, nor send an escape sequence (one that hides the text after it, say).
    for (const [r, named] of [[v, true], [run(['custody', 'log', CASE]), false], [run(['case', 'show', CASE]), true], [run(['verify', out, '--no-record']), true]] as const) {
      expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
      if (named) expect(r.stdout).toContain('[U+001B]');
      expect(r.code, r.stdout).toBe(0); // the genuine image verifies: its mapfile holds the command line on one comment line
      expect(r.stdout).not.toMatch(/^[\u000b-\u000d\u0085 ]*end/m); // what follows a line break in a name stays on the name's line
    }
    if (have('openssl')) {
      const s = runScript(out);
      expect(s.code, s.out).toBe(0);
    }
  });

  it.skipIf(!have('openssl'))(because('both checkers reject the same tampered log: one byte changed, an escape made raw, a NUL added, CRLF line ends', needsTools('openssl')), () => {
    const bytes = fs.readFileSync(logOf(out));
    const text = bytes.toString('utf8');
    const raw = Buffer.from(text.replace('\\u2028', '\u2028'));
    expect(raw.length).toBe(bytes.length - 3); // the escape was there and is now the raw character
    const lastNul = Buffer.concat([bytes.subarray(0, bytes.length - 3), Buffer.from([0]), bytes.subarray(bytes.length - 3)]);
    for (const [name, log] of [
      ['one-byte', oneByteChanged(bytes)],
      ['raw-2028', raw],
      ['nul-in-last-line', lastNul],
      ['nul-for-a-byte', Buffer.from(text.replace('source ', 'source\u0000'))],
      ['crlf', Buffer.from(text.replaceAll('\n', '\r\n'))],
    ] as const) {
      const { exhibit: e, script: s } = bothCheck(custodyCopy(name, log));
      expect(e.code, `${name}: ${e.stdout}`).toBe(4);
      expect(s.code, `${name}: ${s.out}`).not.toBe(0);
    }
  });
});

describe('a log written by an older exhibit, with these characters raw (not escaped)', () => {
  /** The entry encoding of exhibit before the escaping: strings as JSON.stringify writes them. */
  function legacyJson(v: unknown): string {
    if (Array.isArray(v)) return `[${v.map(legacyJson).join(',')}]`;
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      return `{${Object.keys(o)
        .sort()
        .filter((k) => o[k] !== undefined)
        .map((k) => `${JSON.stringify(k)}:${legacyJson(o[k])}`)
        .join(',')}}`;
    }
    return JSON.stringify(v);
  }

  /** The case's log re-written and re-signed as the older exhibit wrote it, with its checkpoint. */
  function legacyLog(): { lines: string[]; checkpoint: string } {
    const keys = JSON.parse(run(['key', 'list', '--json']).stdout) as { fingerprint: string; private_key_file: string }[];
    const priv = new Map(keys.map((k) => [k.fingerprint, readPrivateKey(fs.readFileSync(k.private_key_file, 'utf8'), 'test key')]));
    const lines: string[] = [];
    let prev = '0'.repeat(64);
    let cpKey = '';
    for (const line of fs.readFileSync(logOf(out), 'utf8').trimEnd().split('\n')) {
      const entry = { ...(JSON.parse(splitLogLine(line)!.entryBytes) as CustodyEntry), prev };
      const bytes = legacyJson(entry);
      const signers = [entry.actor, ...(entry.cosigners ?? [])];
      const l = logLine(bytes, signers.map((p) => ({ key: p.key, sig: signBytes(priv.get(p.key)!, bytes) })));
      lines.push(l);
      prev = sha256Hex(lineHashInput(l));
      cpKey = entry.actor.key;
    }
    const body = checkpointBody(CASE, lines.length, prev);
    return { lines, checkpoint: checkpointText(body, cpKey, signBytes(priv.get(cpKey)!, body)) };
  }

  it('still checks beside the image and with the SECURITY.md script; one byte changed fails both', () => {
    const { lines, checkpoint } = legacyLog();
    const log = `${lines.join('\n')}\n`;
    expect(log).toContain('\u2028'); // the older encoding really is different
    expect(log).toContain('\u0085');
    const dir = custodyCopy('legacy', log, checkpoint);
    const ok = bothCheck(dir);
    expect(ok.exhibit.code, ok.exhibit.stdout + ok.exhibit.stderr).toBe(0);
    if (have('openssl')) expect(ok.script.code, ok.script.out).toBe(0);

    const bad = bothCheck(custodyCopy('legacy-one-byte', oneByteChanged(Buffer.from(log)), checkpoint));
    expect(bad.exhibit.code, bad.exhibit.stdout).toBe(4);
    if (have('openssl')) expect(bad.script.code, bad.script.out).not.toBe(0);
  });

  it('still checks in a case store that holds it, and the case takes new entries', () => {
    const { lines, checkpoint } = legacyLog();
    const copy = path.join(work, 'home-legacy');
    fs.cpSync(home, copy, { recursive: true });
    const db = new Database(path.join(copy, 'cases.db'));
    const id = (db.prepare('SELECT id FROM cases WHERE number = ?').get(CASE) as { id: number }).id;
    const put = db.prepare('UPDATE custody_entries SET line = ? WHERE case_id = ? AND seq = ?');
    lines.forEach((l, i) => put.run(l, id, i + 1));
    db.prepare('UPDATE checkpoints SET text = ? WHERE case_id = ?').run(checkpoint, id);
    db.close();
    const env = { EXHIBIT_HOME: copy };
    const log = run(['custody', 'log', CASE], env);
    expect(log.code, log.stdout + log.stderr).toBe(0);
    const t = run(['custody', 'transfer', CASE, EV, '--from', 'J. Doe', '--to', 'K. Smith', '--purpose', 'return', '--location', 'Lab 2'], env);
    expect(t.code, t.stderr).toBe(0);
    expect(run(['custody', 'log', CASE], env).code).toBe(0);
  });
});
