/**
 * Inputs that are not files, and signals: a named pipe (or a socket, or a
 * character device) named like an image, a record, a custody log, a key, a
 * template or a passphrase file gets one error line naming it and what it is,
 * at once (before, open() waited for a writer forever, and SIGTERM could not
 * stop it); and SIGTERM or SIGINT ends every command with exit 130.
 *
 * Signals are placed by a preloaded module, not by time: it makes exhibit send
 * itself the signal at a chosen file operation (the n-th read of an image, the
 * opening of a file), so the signal lands mid-run on any machine.
 *
 * The refusals run exhibit in this process (`refused()`), a real process being
 * needed only for the signals. What a process's exit used to prove (nothing
 * was left waiting on the pipe) is checked on the pipe itself afterwards: no
 * reader holds it open or waits in open() for a writer (`nothingWaitsOn()`).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, makeSourceFile, run as inProcess, tempDir, withoutNotices } from './helpers/cli.js';
import { expectOneLineError } from './helpers/expect.js';

const work = tempDir('exhibit-inputs-');
const home = path.join(work, 'home');
const env = { EXHIBIT_HOME: home, EXHIBIT_NO_PROGRESS: '1' };
const src = path.join(work, 'source.bin');
const acquired = path.join(work, 'acquired');
const fifo = (name: string): string => {
  const p = path.join(work, 'pipes', name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  if (!fs.existsSync(p)) sh('mkfifo', [p]);
  return p;
};
let sockets: net.Server[] = [];
let hook = '';

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Run exhibit, killed (SIGKILL) if it has not ended after `limitMs` (45 s: far beyond a busy machine's slowest run, within the test's 60 s): a hang shows as
 * `signal: SIGKILL`, never as a stuck test. With `signalAt`, the preloaded hook sends
 * the signal: "read:<n>:<SIG>" at the n-th FileHandle read, "open:<suffix>:<SIG>[:<n>]" when
 * a file whose name ends with <suffix> is opened or read (the n-th time).
 */
function run(args: string[], o: { signalAt?: string; limitMs?: number } = {}): Promise<Run> {
  const child = spawn(process.execPath, [...(o.signalAt ? ['--import', hook] : []), BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env, ...(o.signalAt ? { EXHIBIT_TEST_SIGNAL_AT: o.signalAt } : {}) },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), o.limitMs ?? 45_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

beforeAll(() => {
  makeSourceFile(src, 1024 * 1024, 5);
  const r = inProcess(['acquire', src, '-o', acquired, '-c', 'IN-1', '-e', 'EV', '-x', 'I. Examiner'], { env });
  expect(r.code, r.stderr).toBe(0);
  hook = path.join(work, 'signal-hook.mjs');
  fs.writeFileSync(
    hook,
    [
      "import fs from 'node:fs';",
      "import fsp from 'node:fs/promises';",
      "const [op, arg, sig, nth = '1'] = (process.env.EXHIBIT_TEST_SIGNAL_AT ?? '').split(':');",
      'let fired = false;',
      'const fire = () => { if (!fired) { fired = true; process.kill(process.pid, sig); } };',
      "if (op === 'read') {",
      "  const h = await fsp.open('/dev/null');",
      '  const proto = Object.getPrototypeOf(h);',
      '  await h.close();',
      '  const orig = proto.read;',
      '  let n = 0;',
      '  proto.read = function (...a) { if (++n === Number(arg)) fire(); return orig.apply(this, a); };',
      '}',
      "if (op === 'open') {",
      '  let seen = 0;',
      "  const watch = (obj, name) => { const orig = obj[name]; obj[name] = function (...a) { if (String(a[0]).endsWith(arg) && ++seen === Number(nth)) fire(); return orig.apply(this, a); }; };",
      "  watch(fs, 'openSync'); watch(fs, 'readFileSync'); watch(fsp, 'open');",
      '}',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await Promise.all(sockets.map((s) => new Promise((r) => s.close(r))));
  sockets = [];
  fs.rmSync(work, { recursive: true, force: true });
});

/**
 * Run exhibit in this process (the same main() as bin/exhibit.js, with the same environment as
 * `run`). A run that never ends comes back after run()'s own limit with `code: null`, a hang.
 */
function refused(args: string[]): Run {
  const r = inProcess(args, { env });
  return { ...r, signal: null };
}

/**
 * Nothing in this process holds the named pipe open for reading or waits in open() for a writer:
 * a writer's non-blocking open finds no reader (ENXIO). (Opened, it wakes whoever waited.)
 */
function nothingWaitsOn(fifoPath: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(fifoPath, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe('ENXIO');
  }
  if (fd !== undefined) fs.closeSync(fd);
  expect(fd, `something still has ${fifoPath} open for reading, or waits on it`).toBeUndefined();
}

/** One error line naming `file` and `kind`; ended by exhibit itself, not by the test's kill. */
function expectRefused(r: Run, file: string, kind: RegExp, code?: number): void {
  expect(r.signal, `exhibit hung (stderr: ${r.stderr})`).toBeNull();
  expect(r.code, `exhibit hung (stderr: ${r.stderr})`).not.toBeNull();
  expect(r.code).not.toBe(0);
  if (code !== undefined) expect(r.code, r.stderr).toBe(code);
  expectOneLineError(withoutNotices(r.stderr), new RegExp(`${path.basename(file).replace(/\./g, '\\.')}.*${kind.source}`));
}

describe('a named pipe named like an image', () => {
  it.each(['x.E01', 'x.raw', 'x.zst', 'x.001'])('verify %s: one error line, at once', (name) => {
    const p = fifo(name);
    const r = refused(['verify', p, '--no-record']);
    expectRefused(r, p, /named pipe \(FIFO\)/, 1); // not an image at all: an input that cannot be read (exit 1), not a damaged image (4)
    nothingWaitsOn(p);
  });

  it.each(['x.E01', 'x.raw', 'x.zst', 'x.001'])('inspect %s: one error line, at once', (name) => {
    const p = fifo(name);
    const r = refused(['inspect', p]);
    expectRefused(r, p, /named pipe \(FIFO\)/);
    nothingWaitsOn(p);
  });

  it.each(['x.E01', 'x.raw', 'x.zst'])('convert %s: one error line, at once, nothing written', (name) => {
    const p = fifo(name);
    const out = path.join(work, `convert-${name}`);
    const r = refused(['convert', p, '--to', 'raw', '-o', out]);
    expectRefused(r, p, /named pipe \(FIFO\)/, 1);
    nothingWaitsOn(p);
    expect(fs.existsSync(path.join(out, 'x.raw'))).toBe(false);
  });

  it('restore x.E01: one error line, at once, the target not created', () => {
    const p = fifo('x.E01');
    const target = path.join(work, 'restored.dd');
    const r = refused(['restore', p, target, '--no-record']);
    expectRefused(r, p, /named pipe \(FIFO\)/);
    nothingWaitsOn(p);
    expect(fs.existsSync(target)).toBe(false);
  });

  it('the second segment of a split raw image is a named pipe: verify names it', () => {
    const dir = path.join(work, 'split');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 's.001'), Buffer.alloc(4096));
    sh('mkfifo', [path.join(dir, 's.002')]);
    const r = refused(['verify', path.join(dir, 's.001'), '--no-record']);
    expectRefused(r, 's.002', /named pipe \(FIFO\)/);
    nothingWaitsOn(path.join(dir, 's.002'));
  });

  it('a socket named like an image: inspect says it is a socket', async () => {
    const p = path.join(work, 'sock.raw');
    const server = net.createServer();
    sockets.push(server);
    await new Promise<void>((r) => server.listen(p, r));
    const r = refused(['inspect', p]);
    expectRefused(r, p, /socket/);
  });

  it('a character device as an image: verify says so and never opens it', () => {
    const r = refused(['verify', '/dev/zero', '--no-record']);
    expectRefused(r, '/dev/zero', /character device/);
  });
});

describe('a named pipe where a record, a log, a key, a template or a passphrase is read', () => {
  /** A copy of the acquisition whose `name` is replaced by a named pipe. */
  function withPipe(name: string): string {
    const dir = path.join(work, `pipe-as-${name.replace(/\./g, '-')}`);
    fs.cpSync(acquired, dir, { recursive: true });
    fs.rmSync(path.join(dir, name), { recursive: true });
    sh('mkfifo', [path.join(dir, name)]);
    return dir;
  }

  it('the record beside the image: verify fails and names it', () => {
    const dir = withPipe('EV.acquisition.yaml');
    const r = refused(['verify', path.join(dir, 'EV.raw'), '--no-record']);
    expectRefused(r, 'EV.acquisition.yaml', /named pipe \(FIFO\)/, 4);
    nothingWaitsOn(path.join(dir, 'EV.acquisition.yaml'));
  });

  it('the record named as the target: verify names it', () => {
    const dir = withPipe('EV.acquisition.yaml');
    const r = refused(['verify', path.join(dir, 'EV.acquisition.yaml'), '--no-record']);
    expectRefused(r, 'EV.acquisition.yaml', /named pipe \(FIFO\)/);
    nothingWaitsOn(path.join(dir, 'EV.acquisition.yaml'));
  });

  it('the custody log: verify stops and names it; custody verify too', () => {
    const dir = withPipe('EV.custody.jsonl');
    const r = refused(['verify', dir, '--no-record']);
    expectRefused(r, 'EV.custody.jsonl', /named pipe \(FIFO\)/);
    expect(r.stdout).not.toMatch(/VERIFIED/);
    nothingWaitsOn(path.join(dir, 'EV.custody.jsonl'));
    const c = refused(['custody', 'verify', dir]);
    expect(c.signal, c.stderr).toBeNull();
    expect(c.code, `exhibit hung (stderr: ${c.stderr})`).not.toBeNull();
    expect(c.code).not.toBe(0);
    expect(c.stdout + c.stderr).toMatch(/EV\.custody\.jsonl.*named pipe \(FIFO\)/);
    nothingWaitsOn(path.join(dir, 'EV.custody.jsonl'));
  });

  it('a key file beside the image: verify fails and names it', () => {
    const dir = path.join(work, 'pipe-as-key');
    fs.cpSync(acquired, dir, { recursive: true });
    const keys = path.join(dir, 'EV.keys');
    const [pem] = fs.readdirSync(keys);
    fs.rmSync(path.join(keys, pem!));
    sh('mkfifo', [path.join(keys, pem!)]);
    const r = refused(['verify', dir, '--no-record']);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, `exhibit hung (stderr: ${r.stderr})`).not.toBeNull();
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/\.pem.*named pipe \(FIFO\)/);
    nothingWaitsOn(path.join(keys, pem!));
  });

  it('--key names a named pipe: one error line', () => {
    const p = fifo('key.pem');
    const r = refused(['verify', acquired, '--key', p, '--no-record']);
    expectRefused(r, p, /named pipe \(FIFO\)/);
    nothingWaitsOn(p);
  });

  it('--template names a named pipe: one error line, no report', () => {
    const p = fifo('template.yaml');
    const out = path.join(work, 'report.pdf');
    const r = refused(['report', 'IN-1', '--out', out, '--template', p, '-x', 'I. Examiner']);
    expectRefused(r, p, /named pipe \(FIFO\)/, 1); // an input that cannot be read: exit 1
    nothingWaitsOn(p);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('--passphrase-file names a named pipe: one error line, no key made', () => {
    const p = fifo('passphrase');
    const r = refused(['key', 'create', '-x', 'P. Piped', '--passphrase-file', p]);
    expectRefused(r, p, /named pipe \(FIFO\)/, 1);
    nothingWaitsOn(p);
    const list = inProcess(['key', 'list', '--json'], { env });
    expect(list.stdout).not.toMatch(/P\. Piped/);
  });
});

describe('SIGTERM and SIGINT end every command with exit 130', () => {
  it.each(['SIGTERM', 'SIGINT'])('verify of a 256 MiB image, %s after 8 reads: exit 130, one line', async (sig) => {
    const big = path.join(work, `big-${sig}`, 'big.raw');
    fs.mkdirSync(path.dirname(big));
    fs.closeSync(fs.openSync(big, 'w'));
    fs.truncateSync(big, 256 * 1024 * 1024);
    const r = await run(['verify', big, '--no-record'], { signalAt: `read:8:${sig}` });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(130);
    expectOneLineError(r.stderr, /interrupted/);
    expect(r.stdout).not.toMatch(/VERIFIED/);
  });

  it('inspect, SIGTERM while it opens the image: exit 130, one line', async () => {
    const r = await run(['inspect', path.join(acquired, 'EV.raw')], { signalAt: 'open:EV.raw:SIGTERM' });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(130);
    expectOneLineError(r.stderr, /interrupted/);
  });

  it('report, SIGTERM while it reads the template: exit 130, one line, no report', async () => {
    const out = path.join(work, 'interrupted.pdf');
    const r = await run(['report', 'IN-1', '--out', out, '-x', 'I. Examiner'], { signalAt: 'open:custody-report.yaml:SIGTERM' });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(130);
    expectOneLineError(r.stderr, /interrupted/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('restore, SIGTERM while it reads the target back: exit 130, one line, nothing logged as checked', async () => {
    const dir = path.join(work, 'restore-back');
    fs.mkdirSync(dir);
    const img = path.join(dir, 'img.raw');
    fs.closeSync(fs.openSync(img, 'w'));
    fs.truncateSync(img, 32 * 1024 * 1024);
    const target = path.join(dir, 'restored.dd');
    // The target (a new file: restored.dd.partial until checked) is opened twice: to be written, then to be read back.
    const r = await run(['restore', img, target, '--no-record'], { signalAt: 'open:restored.dd.partial:SIGTERM:2' });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(130);
    expectOneLineError(r.stderr, /interrupted while reading the target back/);
    expect(r.stdout).not.toMatch(/RESTORED/);
  });

  it('a named pipe and SIGTERM: verify never waits on the pipe', async () => {
    const p = fifo('late.raw');
    const r = await run(['verify', p, '--no-record'], { signalAt: 'open:late.raw:SIGTERM' });
    expect(r.signal, r.stderr).toBeNull();
    expect([1, 4, 130]).toContain(r.code);
  });
});
