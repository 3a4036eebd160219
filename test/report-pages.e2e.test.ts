/**
 * The custody report as a clerk reads it, checked on the rendered pages:
 * words and their positions from `pdftotext -bbox`, pages drawn with
 * `pdftoppm`. Who issued it, hashes at body size in groups of 8 on one line,
 * no word broken inside a table cell, sizes on one line, each heading on the
 * page of its table, plain words for the read-only proof, every page with
 * something on it, and the template's example organisation warned about.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CaseStore, exhibitPaths, loadSigner, recordTransfer } from '../case-store/index.js';
import { fileDigest, have, makeSourceFile, run, tempDir } from './helpers/cli.js';

const work = tempDir('exhibit-report-pages-');
const CASE = 'RP-2026-4';
const X = 'R. Examiner';
const pdf = path.join(work, 'report.pdf');
/** The report's body text size, in points: hashes are set at it. */
const BODY = 9.5;
/** DejaVu Sans Mono: every glyph is 1233/2048 of the size wide. */
const MONO_ADVANCE = 1233 / 2048;
// Long words in narrow columns: each must stay whole.
const LONG_PLACE = 'Hauptasservatenkammer';
const LONG_PURPOSE = 'Sachverständigengutachten';
const LONG_RECEIVER = 'Bartholomäus Oberstaatsanwaltschaftsmitarbeiter';
const missing = ['pdftotext', 'pdftoppm', 'pdfinfo'].filter((t) => !have(t));
let fingerprint = '';
let stderr = '';

interface Word {
  page: number;
  text: string;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Every word of the PDF with its page and box, in reading order. */
function words(file = pdf): Word[] {
  const xml = spawnSync('pdftotext', ['-bbox', file, '-'], { encoding: 'utf8' }).stdout;
  const out: Word[] = [];
  let page = 0;
  for (const m of xml.matchAll(/<page |<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g)) {
    if (m[0] === '<page ') page++;
    else out.push({ page, text: decode(m[5]!), x0: Number(m[1]), y0: Number(m[2]), x1: Number(m[3]), y1: Number(m[4]) });
  }
  return out;
}
const decode = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
const pageText = (p: number, file = pdf) => spawnSync('pdftotext', ['-layout', '-f', String(p), '-l', String(p), file, '-'], { encoding: 'utf8' }).stdout;
const pages = (file = pdf) => Number(/Pages:\s+(\d+)/.exec(spawnSync('pdfinfo', [file], { encoding: 'utf8' }).stdout)![1]);

/** Where `hex` is printed as groups of 8 characters on one line: the words of each place. */
function hashPlaces(all: Word[], hex: string): Word[][] {
  const groups = hex.match(/.{1,8}/g)!;
  const found: Word[][] = [];
  for (let i = 0; i + groups.length <= all.length; i++) {
    const run = all.slice(i, i + groups.length);
    if (run.every((w, k) => w.text === groups[k])) found.push(run);
  }
  return found;
}

beforeAll(() => {
  if (missing.length > 0) return;
  expect(run(['case', 'open', CASE, '--title', 'Report pages', '-x', X]).code).toBe(0);
  for (const [i, format] of [[1, 'raw'], [2, 'zst']] as const) {
    const ev = `EV-${i}`;
    expect(run(['evidence', 'add', CASE, ev, '--description', `drive ${i}`, '--make', 'Seagate', '--serial', `SN-${i}`, '-x', X]).code).toBe(0);
    const src = path.join(work, `src-${i}.bin`);
    makeSourceFile(src, 1024 * 1024 + 512 * i, 7 + i);
    const a = run(['acquire', src, '-o', path.join(work, 'evidence'), '-c', CASE, '-e', ev, '-x', X, '-f', format]);
    expect(a.code, a.stderr).toBe(0);
  }
  expect(run(['key', 'create', '-x', 'S. Receiver']).code).toBe(0);
  const store = CaseStore.open(exhibitPaths());
  try {
    const a = loadSigner(store, X);
    fingerprint = a.fingerprint;
    const b = loadSigner(store, 'S. Receiver');
    for (let i = 0; i < 40; i++) {
      const [from, to] = Math.floor(i / 2) % 2 === 0 ? [a, b] : [b, a]; // each item goes back and forth from its holder
      recordTransfer(store, CASE, `EV-${(i % 2) + 1}`, from, { name: to.name, signer: to }, `hand-over ${i}`, `room ${i % 5}`);
    }
    recordTransfer(store, CASE, 'EV-1', a, { name: LONG_RECEIVER }, LONG_PURPOSE, LONG_PLACE);
  } finally {
    store.close();
  }
  expect(run(['verify', path.join(work, 'evidence', 'EV-1.raw'), '-x', X]).code).toBe(0);
  const r = run(['report', CASE, '--out', pdf, '-x', X]);
  expect(r.code, r.stderr).toBe(0);
  stderr = r.stderr;
}, 120_000);

describe.skipIf(missing.length > 0)(`the report's pages${missing.length ? ` (skipped: ${missing.join(', ')} missing; apt-get install poppler-utils)` : ''}`, () => {
  it('names who issued it on page one, and their name and key fingerprint on the declaration, on its page', () => {
    expect(pageText(1)).toMatch(new RegExp(`Issued by\\s+${X.replace('.', '\\.')}`));
    const all = words();
    const declared = all.find((w) => w.text === 'Declaration' && all.some((v) => v.page === w.page && v.y0 > w.y0 && v.text === 'Examiner'));
    expect(declared, 'a declaration naming its examiner').toBeDefined();
    const after = all.filter((w) => w.page > declared!.page || (w.page === declared!.page && w.y0 > declared!.y0));
    expect(after.map((w) => w.text).join(' ')).toContain(X);
    expect(hashPlaces(after, fingerprint), 'the fingerprint, grouped, on one line').toHaveLength(1);
  });

  it('prints every hash at body size, in groups of 8 characters, each on one line', () => {
    const all = words();
    const hashes: string[] = [fingerprint];
    for (const i of [1, 2]) for (const a of ['md5', 'sha1', 'sha256']) hashes.push(fileDigest(a, path.join(work, `src-${i}.bin`)));
    for (const f of fs.readdirSync(path.join(work, 'evidence')).filter((n) => /\.(raw|zst)$/.test(n))) hashes.push(fileDigest('sha256', path.join(work, 'evidence', f)));
    for (const h of hashes) {
      const places = hashPlaces(all, h);
      expect(places.length, `${h} printed in groups of 8`).toBeGreaterThan(0);
      for (const place of places) {
        for (const w of place) {
          expect(Math.abs(w.y0 - place[0]!.y0), `${h} on one line`).toBeLessThan(0.5);
          expect(w.page).toBe(place[0]!.page);
          const size = (w.x1 - w.x0) / (8 * MONO_ADVANCE);
          if (w.text.length === 8) expect(size, `${h}: ${w.text} at ${size.toFixed(2)} pt`).toBeCloseTo(BODY, 1);
        }
      }
    }
  });

  it('breaks no word inside a table cell, keeps sizes on one line, and each heading on the page of its table', () => {
    const all = words();
    const count = (t: string) => all.filter((w) => w.text === t).length;
    expect(count(LONG_PLACE), LONG_PLACE).toBe(1);
    expect(count(LONG_PURPOSE), LONG_PURPOSE).toBe(1);
    for (const part of LONG_RECEIVER.split(' ')) expect(count(part), part).toBeGreaterThanOrEqual(1);
    expect(count('countersigned)'), '"(not countersigned)" whole').toBe(1);
    for (const w of all.filter((v) => v.text === 'hand-over')) {
      const n = all[all.indexOf(w) + 1]!;
      expect(/^\d+$/.test(n.text) && Math.abs(n.y0 - w.y0) < 0.5, `hand-over ${n.text}`).toBe(true);
    }
    // Each image file's size: the number and "bytes" on one line.
    for (const f of fs.readdirSync(path.join(work, 'evidence')).filter((n) => /\.(raw|zst)$/.test(n))) {
      const size = String(fs.statSync(path.join(work, 'evidence', f)).size);
      const at = all.filter((w) => w.text === size);
      expect(at.length, `${f}'s size ${size}`).toBeGreaterThan(0);
      for (const w of at) {
        const next = all[all.indexOf(w) + 1]!;
        expect(next.text === 'bytes' && Math.abs(next.y0 - w.y0) < 0.5, `${size} bytes on one line`).toBe(true);
      }
    }
    // Headings and the first header cell of the table that follows them.
    for (const [head, first] of [['Verifications', 'Entry'], ['Chain', 'Released'], ['All', 'Event']] as const) {
      const h = all.find((w, i) => w.text === head && w.y1 - w.y0 > 12 && (head !== 'All' || all[i + 1]?.text === 'custody') && all[i + 3]?.text !== 'report'); // a heading, not a label or the title
      expect(h, head).toBeDefined();
      const below = all.filter((w) => w.page === h!.page && w.y0 > h!.y0 && w.text === first);
      expect(below.length, `"${head}" and its table on page ${h!.page}`).toBeGreaterThan(0);
    }
  });

  it('says in plain words how the source was kept from change, and gives a time once when the zone is UTC', () => {
    // Every page's text in one pdftotext run: the same as the pages' texts one after the other (each ends in a form feed).
    const text = spawnSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' }).stdout;
    expect(text.split('\f')).toHaveLength(pages() + 1);
    expect(text).not.toMatch(/O_RDONLY|O_NOATIME|BLKROSET/);
    expect(text).toMatch(/opened\s+for\s+reading\s+only;\s+its\s+size\s+and\s+modification\s+time\s+were\s+the\s+same\s+before\s+and\s+after/);
    if (new Date().getTimezoneOffset() === 0) {
      expect(text).not.toMatch(/\(UTC \d{4}-/);
      expect(text).toMatch(/Started\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\s/);
    } else {
      expect(text).toMatch(/Started\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)/);
    }
  });

  it('sets the line under each holders timeline below the dates of its segments, however they wrap', () => {
    const all = words();
    for (const ev of ['EV-1:', 'EV-2:']) {
      // "EV-1: no gap, no override" follows the timeline's bar and the dates under it.
      const said = all.find((w, i) => w.text === ev && all[i + 1]?.text === 'no' && all[i + 2]?.text === 'gap,');
      expect(said, `${ev} no gap, no override`).toBeDefined();
      // The words of the segments' labels ("from entry N, date"), however many lines they take.
      const above = all.filter((w) => w.page === said!.page && w.y0 < said!.y0 - 0.5 && w.y0 > said!.y0 - 100);
      expect(above.some((w) => w.text === 'from'), `${ev}: the labels under its bar`).toBe(true);
      for (const w of above) expect(w.y1, `${ev}: "${w.text}" ends above the line after the timeline`).toBeLessThanOrEqual(said!.y0 + 0.5);
    }
  });

  it('draws something on every page (pdftoppm)', () => {
    const dir = path.join(work, 'pages');
    fs.mkdirSync(dir);
    const r = spawnSync('pdftoppm', ['-gray', '-r', '36', pdf, path.join(dir, 'p')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const files = fs.readdirSync(dir).sort();
    expect(files).toHaveLength(pages());
    for (const f of files) {
      const { width, height, pixels } = readPgm(path.join(dir, f));
      // The body, between the header rule and the footer: ink on more than 0.5% of it (a page that holds only the
      // declaration and who makes it, kept together, has about 1%; a blank page none).
      const top = Math.round(height * 0.1);
      const body = pixels.subarray(top * width, Math.round(height * 0.9) * width);
      const ink = body.reduce((n, v) => n + (v < 160 ? 1 : 0), 0);
      expect(ink / body.length, `${f}: share of dark pixels`).toBeGreaterThan(0.005);
    }
  });

  it('warns while the template names its example organisation, and takes the lab\'s from config.yaml', () => {
    expect(stderr).toMatch(/warning: .*example organisation/);
    expect(stderr).toContain(path.join(exhibitPaths().configDir, 'config.yaml'));
    const config = exhibitPaths().configFile;
    fs.writeFileSync(config, 'report:\n  organisation:\n    name: "County Forensic Unit"\n    address: ["4 Court Lane", "Shiretown"]\n');
    try {
      const out = path.join(work, 'lab.pdf');
      const r = run(['report', CASE, '--out', out, '-x', X]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/example organisation/);
      const first = pageText(1, out);
      expect(first).toContain('County Forensic Unit, 4 Court Lane, Shiretown');
      expect(first).not.toContain('Example Street');
    } finally {
      fs.rmSync(config);
    }
  });
});

function readPgm(file: string): { width: number; height: number; pixels: Buffer } {
  const buf = fs.readFileSync(file);
  const m = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(buf.subarray(0, 64).toString('latin1'));
  if (!m) throw new Error(`${file} is not a binary PGM`);
  return { width: Number(m[1]), height: Number(m[2]), pixels: buf.subarray(m[0].length) };
}
