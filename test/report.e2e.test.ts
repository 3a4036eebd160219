/**
 * exhibit report through the real command: a case of 3 evidence items and
 * 200 transfers rendered as PDF/A-3b, read back with poppler (pdftotext,
 * pdfinfo, pdfdetach) and qpdf; the CASE/UCO export expanded as JSON-LD with
 * the network refused; broken templates refused with the line and field.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import jsonld from 'jsonld';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseStore, exhibitPaths, loadSigner, recordTransfer } from '../case-store/index.js';
import { exhibitAsync, fileDigest, have, makeSourceFile, run as inProcess, type RunResult, tempDir } from './helpers/cli.js';
import { until } from './helpers/resume.js';
import { expectOneLineError } from './helpers/expect.js';
import { hashGroups } from '../report/words.js';

const work = tempDir('exhibit-report-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true })); // registered first, so it runs after every other teardown
const CASE = 'R-2026-9';
const X = 'R. Examiner';
const TRANSFERS = 200;
const pdf = path.join(work, 'report.pdf');
const run = (args: string[]): RunResult => inProcess(args);
const json = (r: RunResult): any => JSON.parse(r.stdout);
const tools = ['pdftotext', 'pdfinfo', 'pdfdetach', 'qpdf'].filter((t) => !have(t));
const text = (args: string[] = []) => spawnSync('pdftotext', ['-layout', ...args, pdf, '-'], { encoding: 'utf8' }).stdout;
let rawText: string | undefined;
/** The report's text in reading order (`pdftotext -raw`), taken once: the report is written once and never changed. */
const raw = (): string => (rawText ??= text(['-raw']));

beforeAll(async () => {
  expect(run(['case', 'open', CASE, '--title', 'Report test: Ünïcødé names, Ελληνικά, Кириллица', '-x', X]).code).toBe(0);
  const formats = ['raw', 'e01', 'zst'];
  for (let i = 1; i <= 3; i++) {
    const ev = `EV-${i}`;
    expect(run(['evidence', 'add', CASE, ev, '--description', `drive ${i}`, '--make', 'Seagate', '--model', `ST${i}000`, '--serial', `SN-000${i}`, '--seal', `A-${i}00`, '--condition', 'sealed', '-x', X]).code).toBe(0);
    const src = path.join(work, `src-${i}.bin`);
    makeSourceFile(src, 1024 * 1024 + 512 * i, 50 + i);
    const a = run(['acquire', src, '-o', path.join(work, 'evidence'), '-c', CASE, '-e', ev, '-x', X, '-f', formats[i - 1]!]);
    expect(a.code, a.stderr).toBe(0);
  }
  expect(run(['key', 'create', '-x', 'S. Receiver']).code).toBe(0);
  const store = CaseStore.open(exhibitPaths());
  try {
    const a = loadSigner(store, X);
    const b = loadSigner(store, 'S. Receiver');
    for (let i = 0; i < TRANSFERS; i++) {
      const [from, to] = Math.floor(i / 3) % 2 === 0 ? [a, b] : [b, a]; // each item goes back and forth from its holder
      recordTransfer(store, CASE, `EV-${(i % 3) + 1}`, from, { name: to.name, signer: to }, `hand-over ${i}`, `room ${i % 7}`);
    }
  } finally {
    store.close();
  }
  const r = run(['report', CASE, '--out', pdf, '-x', X]);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);

describe.skipIf(tools.length > 0)(`the PDF${tools.length ? ` (skipped: ${tools.join(', ')} missing; apt-get install poppler-utils qpdf)` : ''}`, () => {
  it('holds every hash, serial and transfer row, and the checkpoint', () => {
    const t = raw();
    const records = fs.readdirSync(path.join(work, 'evidence')).filter((n) => n.endsWith('.acquisition.yaml'));
    expect(records).toHaveLength(3);
    for (let i = 1; i <= 3; i++) {
      const src = path.join(work, `src-${i}.bin`);
      for (const a of ['md5', 'sha1', 'sha256']) expect(t).toContain(hashGroups(fileDigest(a, src)));
      expect(t).toContain(`SN-000${i}`);
      expect(t).toContain(`A-${i}00`);
    }
    for (const f of fs.readdirSync(path.join(work, 'evidence')).filter((n) => /\.(raw|E01|zst)$/.test(n))) {
      expect(t.replace(/\s+/g, '')).toContain(fileDigest('sha256', path.join(work, 'evidence', f)));
    }
    for (let i = 0; i < TRANSFERS; i++) expect(t).toMatch(new RegExp(`hand-over\\s+${i}\\b`)); // a narrow column may wrap it
    const dir = detach('contents');
    const cp = fs.readFileSync(path.join(dir, `case-${CASE}.checkpoint`), 'utf8').split('\n');
    expect(t).toContain(hashGroups(cp[2]!)); // the head
    expect(t).toMatch(new RegExp(`Entries\\s+${cp[1]}`));
    expect(t).toContain('Ünïcødé names, Ελληνικά, Кириллица');
  });

  it('numbers every page "Page N of M" and repeats the table header on each page a table continues on', () => {
    const pages = Number(/Pages:\s+(\d+)/.exec(spawnSync('pdfinfo', [pdf], { encoding: 'utf8' }).stdout)![1]);
    expect(pages).toBeGreaterThan(5);
    // Each page's text: pdftotext ends every page with a form feed, so one run gives them all, as `-f p -l p` would one by one.
    const all = text().split('\f');
    expect(all.pop()).toBe('');
    expect(all).toHaveLength(pages);
    let transferPages = 0;
    for (let p = 1; p <= pages; p++) {
      const page = all[p - 1]!;
      expect(page).toContain(`Page ${p} of ${pages}`);
      expect(page).toContain(`Case ${CASE}`);
      if (/hand-over \d+/.test(page)) {
        transferPages++;
        expect(page, `page ${p} continues the transfers table`).toMatch(/Released by/);
      }
    }
    expect(transferPages).toBeGreaterThan(1);
  });

  it('passes qpdf --check and says it is PDF/A-3b, with its fonts embedded', () => {
    const q = spawnSync('qpdf', ['--check', pdf], { encoding: 'utf8' });
    expect(q.status, q.stdout + q.stderr).toBe(0);
    const meta = spawnSync('pdfinfo', ['-meta', pdf], { encoding: 'utf8' }).stdout;
    expect(meta).toMatch(/<pdfaid:part>3<\/pdfaid:part>/);
    expect(meta).toMatch(/<pdfaid:conformance>B<\/pdfaid:conformance>/);
    const fonts = spawnSync('pdffonts', [pdf], { encoding: 'utf8' }).stdout.split('\n').slice(2).filter(Boolean);
    expect(fonts.length).toBeGreaterThan(0);
    for (const f of fonts) expect(f, f).toMatch(/\byes\s+yes\s+(yes|no)\s+\d+\s+\d+\s*$/); // embedded, subset
  });

  it('carries the custody log, its checkpoint, every record and pieces file and the CASE/UCO export, equal to their sources', () => {
    const dir = detach('attachments');
    const names = fs.readdirSync(dir).sort();
    const evidence = [1, 2, 3].flatMap((i) => [`EV-${i}.acquisition.yaml`, `EV-${i}.pieces`]);
    const keyFiles = names.filter((n) => /^[0-9a-f]{64}\.pem$/.test(n));
    expect(keyFiles.length).toBeGreaterThan(0);
    expect(names).toEqual([...evidence, ...keyFiles, `case-${CASE}.checkpoint`, `case-${CASE}.custody.jsonl`, `case-${CASE}.jsonld`].sort());
    // The attachments check on their own, as the report says: with the attached keys, on a machine with no store.
    const alone = inProcess(['custody', 'verify', path.join(dir, `case-${CASE}.custody.jsonl`), ...keyFiles.flatMap((k) => ['--key', path.join(dir, k)])], { env: { EXHIBIT_HOME: path.join(work, 'elsewhere') } });
    expect(alone.code, alone.stdout).toBe(0);
    for (const n of evidence) expect(fs.readFileSync(path.join(dir, n)).equals(fs.readFileSync(path.join(work, 'evidence', n))), n).toBe(true);
    // Each acquisition lists its piece count and the pieces file's SHA-256 (grouped by 8, as every hash).
    const t = raw();
    for (let i = 1; i <= 3; i++) {
      const rec = fs.readFileSync(path.join(work, 'evidence', `EV-${i}.acquisition.yaml`), 'utf8');
      const sum = /pieces:[\s\S]*?sha256: ([0-9a-f]{64})/.exec(rec)![1]!;
      expect(t).toContain(hashGroups(sum));
      // Media of 1 MiB and a few sectors: one piece, as long as the media (not the 64 MiB a piece could hold).
      expect(t).toMatch(new RegExp(`1 piece, the whole 1\\.00 MiB of media, the SHA-256 of each in EV-${i}\\.pieces \\(attached\\)`));
    }
    // The log and checkpoint as they stood when the report was made: the copy beside an image, extended since, starts with it.
    const log = fs.readFileSync(path.join(dir, `case-${CASE}.custody.jsonl`), 'utf8');
    expect(run(['custody', 'export', CASE, path.join(work, 'evidence'), '-e', 'EV-1']).code).toBe(0);
    expect(fs.readFileSync(path.join(work, 'evidence', 'EV-1.custody.jsonl'), 'utf8').startsWith(log)).toBe(true);
    const lines = log.trimEnd().split('\n').length;
    expect(fs.readFileSync(path.join(dir, `case-${CASE}.checkpoint`), 'utf8').split('\n')[1]).toBe(String(lines));
    const jl = run(['report', CASE, '--format', 'jsonld', '--out', path.join(work, 'again.jsonld'), '-x', X]);
    expect(jl.code).toBe(0);
    expect(fs.readFileSync(path.join(dir, `case-${CASE}.jsonld`), 'utf8')).toBe(fs.readFileSync(path.join(work, 'again.jsonld'), 'utf8'));
  });

  it('is logged: a report-issued entry with the SHA-256 of the file', () => {
    const log = json(run(['custody', 'log', CASE, '--json']));
    const issued = log.log.filter((e: { kind: string }) => e.kind === 'report.issued');
    expect(issued[0].payload).toMatchObject({ file: 'report.pdf', format: 'pdf', sha256: fileDigest('sha256', pdf) });
    expect(json(run(['case', 'show', CASE, '--json'])).reports).toContainEqual(expect.objectContaining({ file: 'report.pdf', sha256: fileDigest('sha256', pdf), examiner: X }));
  });

  it('never overwrites a report', () => {
    const before = fs.readFileSync(pdf);
    const r = run(['report', CASE, '--out', pdf, '-x', X]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /exists; exhibit never overwrites a report/);
    expect(fs.readFileSync(pdf).equals(before)).toBe(true);
  });
});

describe('a report onto a full disk', () => {
  it('fails in one line, leaves no cut-short file and logs nothing', (ctx) => {
    ctx.skip(process.getuid?.() !== 0, 'needs root to mount a small tmpfs');
    const small = path.join(work, 'small');
    fs.mkdirSync(small);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small]).status).toBe(0);
    try {
      fs.writeFileSync(path.join(small, 'fill'), Buffer.alloc(990 * 1024)); // a few KiB left: the report is larger
      const before = json(run(['custody', 'log', CASE, '--json'])).entries;
      const r = run(['report', CASE, '--out', path.join(small, 'r.pdf'), '-x', X]);
      expect(r.code).toBe(1);
      expectOneLineError(r.stderr, /cannot write .*r\.pdf: no space left on the device \(ENOSPC\)/);
      expect(fs.readdirSync(small)).toEqual(['fill']);
      expect(json(run(['custody', 'log', CASE, '--json'])).entries).toBe(before);
    } finally {
      spawnSync('umount', [small]);
    }
  });
});

describe.skipIf(tools.length > 0)('a case whose log fails its check on a revoked key', () => {
  it('says so in the summary, whatever sections the template keeps', () => {
    const C = 'R-2026-REV';
    expect(run(['key', 'create', '-x', 'G. Revoked']).code).toBe(0);
    const fp = json(run(['key', 'list', '--json'])).find((k: { examiner: string }) => k.examiner === 'G. Revoked').fingerprint;
    expect(run(['case', 'open', C, '-x', X]).code).toBe(0);
    const revokedFrom = new Date().toISOString(); // after the key was made, before the acquisition it signs
    const src = path.join(work, 'rev-src.bin');
    makeSourceFile(src, 1024 * 1024, 41);
    expect(run(['acquire', src, '-o', path.join(work, 'rev-out'), '-c', C, '-e', 'EV-R', '-x', 'G. Revoked']).code).toBe(0);
    expect(run(['key', 'revoke', fp, '--reason', 'laptop stolen', '--effective', revokedFrom]).code).toBe(0);
    const out = path.join(work, 'revoked-case.pdf');
    const r = run(['report', C, '--out', out, '-x', X]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: the custody log of case R-2026-REV fails its check: \d+ entr(y is|ies are) signed by a key after its revocation; the report says so/);
    const words = spawnSync('pdftotext', ['-raw', out, '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
    expect(words).toMatch(/FAILS ITS CHECK: \d+ entr(y is|ies are) signed by a key after its revocation/);
    expect(words).not.toMatch(/checked: chain, every signature and the signed checkpoint hold/);
    expect(words).toMatch(/after that key was revoked/);
  });
});

describe.skipIf(tools.length > 0)('names in a script the report\'s fonts do not cover', () => {
  it('are printed as code points, and the command says so', () => {
    const C = 'R-2026-CJK';
    expect(run(['case', 'open', C, '-x', X]).code).toBe(0);
    expect(run(['evidence', 'add', C, 'EV-C', '-x', X]).code).toBe(0);
    expect(run(['custody', 'transfer', C, 'EV-C', '--from', X, '--to', '李小龍', '--purpose', 'analysis', '--location', 'Lab 2']).code).toBe(0);
    const out = path.join(work, 'cjk.pdf');
    const r = run(['report', C, '--out', out, '-x', X]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: the report's fonts have no glyph for 3 characters it holds \(李 \(U\+674E\), 小 \(U\+5C0F\), 龍 \(U\+9F8D\)\): they are printed as \[U\+XXXX\] code points/);
    expect(spawnSync('pdftotext', ['-raw', out, '-'], { encoding: 'utf8' }).stdout).toContain('[U+674E][U+5C0F][U+9F8D]');
  });
});

describe.skipIf(tools.length > 0)('a case number with characters a file name cannot hold', () => {
  it('names the attachments with them replaced, so pdfdetach -saveall extracts every one into its folder', () => {
    const C = 'LAB/2026/../0117';
    expect(run(['case', 'open', C, '-x', X]).code).toBe(0);
    const out = path.join(work, 'slash-case.pdf');
    expect(run(['report', C, '--out', out, '-x', X]).code).toBe(0);
    const dir = path.join(work, 'slash-attachments');
    fs.mkdirSync(dir);
    const r = spawnSync('pdfdetach', ['-saveall', '-o', dir, out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const names = fs.readdirSync(dir).filter((n) => !n.endsWith('.pem')).sort();
    expect(names).toEqual(['case-LAB_2026____0117.checkpoint', 'case-LAB_2026____0117.custody.jsonl', 'case-LAB_2026____0117.jsonld']);
    expect(fs.readFileSync(path.join(dir, names[1]!), 'utf8')).toContain('"case":"LAB/2026/../0117"');
    const words = spawnSync('pdftotext', ['-raw', out, '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
    expect(words).toContain('exhibit custody verify case-LAB_2026____0117.custody.jsonl');
  });
});

describe.skipIf(tools.length > 0)('an acquisition stopped before the end', () => {
  it('is shown as stopped, with why and how much of the media it holds', async () => {
    const C = 'R-2026-STOP';
    const src = path.join(work, 'stop-src.bin');
    makeSourceFile(src, 64 * 1024 * 1024, 43);
    const out = path.join(work, 'stop-out');
    const child = exhibitAsync(['acquire', src, '-o', out, '-c', C, '-e', 'EV-S', '-x', X, '--sync-every', '4MiB']);
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    await until('12 MiB of image', () => fs.existsSync(path.join(out, 'EV-S.raw')) && fs.statSync(path.join(out, 'EV-S.raw')).size >= 12 * 1024 * 1024);
    child.kill('SIGINT');
    expect(await closed).toBe(130);
    const pdfFile = path.join(work, 'stopped.pdf');
    expect(run(['report', C, '--out', pdfFile, '-x', X]).code).toBe(0);
    const words = spawnSync('pdftotext', ['-raw', pdfFile, '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
    expect(words).toMatch(/Stopped \d{4}-\d\d-\d\d/);
    expect(words).toMatch(/Why it stopped interrupted after .* of 64\.0 MiB/);
    expect(words).toMatch(/Acquired only .* of it: the image is incomplete/);
    expect(words).not.toMatch(/Finished \d{4}/);
  });
});

describe.skipIf(tools.length > 0)('text the report\'s fonts or layout cannot show as stored', () => {
  it('gives characters with no glyph as [U+XXXX] and right-to-left text with its characters in stored order', () => {
    const C = 'R-2026-SCRIPTS';
    expect(run(['key', 'create', '-x', '\u738b\u5c0f\u660e']).code).toBe(0);
    expect(run(['case', 'open', C, '-x', X]).code).toBe(0);
    expect(run(['evidence', 'add', C, 'EV-9', '-x', X, '--serial', '\u0661\u0662\u0663\u0664', '--description', '\u05d3\u05d5\u05d3 \u05db\u05d4\u05df']).code).toBe(0);
    expect(run(['custody', 'transfer', C, 'EV-9', '--from', X, '--to', '\u738b\u5c0f\u660e', '--purpose', 'analysis', '--location', 'Lab 2']).code).toBe(0);
    const out = path.join(work, 'scripts.pdf');
    expect(run(['report', C, '--out', out, '-x', X]).code).toBe(0);
    const words = spawnSync('pdftotext', ['-raw', out, '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
    expect(words).toContain('[U+738B][U+5C0F][U+660E]');
    expect(words).toContain('[in stored order: U+0661 U+0662 U+0663 U+0664]');
    expect(words).toContain('in stored order: U+05D3 U+05D5 U+05D3 U+0020 U+05DB U+05D4 U+05DF]'); // the bracket before it is moved by the page's own layout
  });
});

function detach(name: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync('pdfdetach', ['-saveall', '-o', dir, pdf], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return dir;
}

describe('the CASE/UCO export', () => {
  it('expands as JSON-LD with the network refused, and has the acquisitions and transfers as investigative actions', async () => {
    const file = path.join(work, 'case.jsonld');
    expect(run(['report', CASE, '--format', 'jsonld', '--out', file, '-x', X]).code).toBe(0);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(typeof doc['@context']).toBe('object');
    const expanded = await jsonld.expand(doc, {
      documentLoader: async (url: string) => {
        throw new Error(`the export tried to fetch ${url}`);
      },
    });
    const INV = 'https://ontology.caseontology.org/case/investigation/';
    const ACTION = 'https://ontology.unifiedcyberontology.org/uco/action/';
    const actions = expanded.filter((n: any) => n['@type']?.includes(`${INV}InvestigativeAction`));
    expect(actions).toHaveLength(3 + TRANSFERS);
    const acquisitions = actions.filter((n: any) => n[`${ACTION}instrument`]);
    expect(acquisitions).toHaveLength(3);
    for (const a of acquisitions) for (const p of ['performer', 'instrument', 'object', 'result']) expect(a[`${ACTION}${p}`], p).toBeDefined();
    const provenance = expanded.filter((n: any) => n['@type']?.includes(`${INV}ProvenanceRecord`));
    expect(provenance.map((n: any) => n[`${INV}exhibitNumber`][0]['@value'])).toContain('EV-2');
  });
});

describe('templates', () => {
  const tpl = (name: string, body: string) => {
    const f = path.join(work, name);
    fs.writeFileSync(f, body);
    return f;
  };
  const good = fs.readFileSync(path.join(__dirname, '..', 'templates', 'custody-report.yaml'), 'utf8');
  it.each([
    ['bad YAML', good.replace('title: "Chain of custody report"', 'title: "Chain of custody report\n  oops: ['), /is not valid YAML \(line \d+, column \d+\)/],
    ['an unknown section', good.replace('  - integrity\n', '  - integrity\n  - appendix-z\n'), /, line \d+: sections\[7\] is "appendix-z", not a known section/],
    ['a wrong type', good.replace('title: "Chain of custody report"', 'title:\n  - a list'), /, line \d+: title should be text/],
    ['an unknown setting', `${good}\nfooter: "x"\n`, /, line \d+: footer is not a known setting/],
  ])('%s: one line naming the file, line and field, and no PDF', (_name, body, pattern) => {
    const out = path.join(work, `broken-${_name.replace(/\W+/g, '-')}.pdf`);
    const r = run(['report', CASE, '--out', out, '--template', tpl(`${_name.replace(/\W+/g, '-')}.yaml`, body), '-x', X]);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, new RegExp(`the template .*\\.yaml.*${pattern.source}`));
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a template or passphrase file that is missing is an input that failed (exit 1), and nothing is written', () => {
    const out = path.join(work, 'missing-inputs.pdf');
    const noTemplate = run(['report', CASE, '--out', out, '--template', path.join(work, 'no-such.yaml'), '-x', X]);
    expect(noTemplate.code).toBe(1);
    expectOneLineError(noTemplate.stderr, /cannot read the template .*no-such\.yaml: /);
    const noPass = run(['report', CASE, '--out', out, '--passphrase-file', path.join(work, 'no-such-pass'), '-x', X]);
    expect(noPass.code).toBe(1);
    expectOneLineError(noPass.stderr, /cannot read the passphrase file .*no-such-pass: /);
    expect(fs.existsSync(out)).toBe(false);
  });
});
