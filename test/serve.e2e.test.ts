/// <reference lib="dom" />
/**
 * `exhibit serve` in a real browser: Debian's chromium, headless, driven by
 * puppeteer-core (nothing downloaded). The server runs as its own process (a
 * server is the point); acquisitions that must run alongside it too.
 * Screenshots of each page are taken when EXHIBIT_SCREENSHOTS=<dir> names a
 * folder for them (`npm run docs:dashboard`); otherwise none is taken, as
 * nobody would see them. The waits for a page to change are woken by the
 * page's own changes (DOM mutations), not polled on every animation frame.
 */
import crypto from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, exhibitAsync, makeSourceFile, run, tempDir } from './helpers/cli.js';
import { detachAllFaulty, faultyDeviceUnavailable, makeFaultyDevice } from './helpers/faulty-device.js';

const CHROMIUM = '/usr/bin/chromium';
const why = fs.existsSync(CHROMIUM) ? undefined : 'needs chromium (apt-get install chromium)';
if (why) console.warn(`skipping dashboard tests: ${why}`);
const deviceWhy = faultyDeviceUnavailable();

const work = tempDir();
const shots = process.env.EXHIBIT_SCREENSHOTS ? path.resolve(process.env.EXHIBIT_SCREENSHOTS) : undefined;
const X = 'J. Doe';
const home = process.env.EXHIBIT_HOME!;

let server: ChildProcess | undefined;
let base = '';
let token = '';
let browser: Browser | undefined;
let page: Page;
const consoleErrors: string[] = [];

async function startServe(): Promise<void> {
  server = spawn(process.execPath, [BIN, 'serve', '--listen', '127.0.0.1:0', '--allow-actions', '-x', X], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  server.stderr!.on('data', (d: Buffer) => process.stderr.write(`[serve] ${d.toString()}`));
  await new Promise<void>((resolve, reject) => {
    server!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)\?token=([A-Za-z0-9_-]+)/.exec(out);
      if (m) {
        base = m[1]!;
        token = m[2]!;
        resolve();
      }
    });
    server!.once('exit', (code) => reject(new Error(`exhibit serve ended with ${code}: ${out}`)));
  });
}

async function shot(name: string): Promise<void> {
  if (!shots) return;
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

const text = (sel: string): Promise<string> => page.$eval(sel, (e) => (e as HTMLElement).innerText);

beforeAll(async () => {
  if (why) return;
  // A case with one acquired item, made before the server starts.
  makeSourceFile(path.join(work, 'small.bin'), 4 * 1024 * 1024, 3);
  expect(run(['acquire', path.join(work, 'small.bin'), '-o', path.join(work, 'c1'), '-c', 'C-1', '-e', 'EV-1', '-x', X]).code).toBe(0);
  makeSourceFile(path.join(work, 'other.bin'), 1024 * 1024, 4);
  expect(run(['acquire', path.join(work, 'other.bin'), '-o', path.join(work, 'c2'), '-c', 'C-2', '-e', 'EV-9', '-x', X]).code).toBe(0);
  await startServe();
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  page.on('console', (m) => void (m.type() === 'error' && consoleErrors.push(m.text())));
  page.on('pageerror', (e) => void consoleErrors.push(String(e)));
});

afterAll(async () => {
  await browser?.close();
  server?.kill('SIGINT');
  if (server && server.exitCode === null) await new Promise((r) => server!.once('exit', r));
  await detachAllFaulty();
});

describe.skipIf(why !== undefined)('exhibit serve in a browser', () => {
  it('refuses a request without the token, from another site, or with a spent token', async () => {
    expect((await fetch(base)).status).toBe(401);
    expect((await fetch(`${base}cases`)).status).toBe(401);
    expect((await fetch(`${base}?token=${'x'.repeat(32)}`, { redirect: 'manual' })).status).toBe(401);
    // The browser spends the token: it opens a session, and the token is then no good to anyone.
    const res = await page.goto(`${base}?token=${token}`);
    expect(res?.status()).toBe(200);
    expect(page.url()).toBe(base);
    expect((await fetch(`${base}?token=${token}`, { redirect: 'manual' })).status).toBe(401);
    // With the session cookie but from another site, or naming another host: refused.
    const cookies = await page.cookies();
    const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    expect((await fetch(`${base}cases`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${base}cases`, { headers: { cookie, origin: 'http://evil.example' } })).status).toBe(403);
    expect((await fetch(`${base}cases`, { headers: { cookie, 'sec-fetch-site': 'cross-site' } })).status).toBe(403);
    expect((await fetch(`${base}cases/C-1/report`, { method: 'POST', headers: { cookie, origin: 'http://evil.example' } })).status).toBe(403);
    // Live event streams are bounded: a client opening hundreds is refused past the limit, and the server goes on answering.
    const opened: AbortController[] = [];
    const held: Response[] = []; // kept, so no stream is closed by the garbage collector before the count
    const statuses: number[] = [];
    try {
      for (let i = 0; i < 260; i++) {
        const ac = new AbortController();
        opened.push(ac);
        const res = await fetch(`${base}events`, { headers: { cookie }, signal: ac.signal });
        held.push(res);
        statuses.push(res.status);
      }
      expect(statuses.filter((x) => x === 200).length).toBeLessThanOrEqual(256);
      expect(statuses.at(-1)).toBe(503);
      expect((await fetch(`${base}cases`, { headers: { cookie } })).status).toBe(200);
    } finally {
      for (const ac of opened) ac.abort();
    }
    await shot('jobs');
  });

  it("shows each item's custody, checked, with signers and fingerprints", async () => {
    await page.goto(`${base}cases`);
    await page.waitForFunction(() => document.body.innerText.includes('C-1'), { polling: 'mutation' });
    await page.click('a[href="/cases/C-1"]');
    await page.waitForSelector('#custody-check');
    expect(await text('#custody-check')).toContain('chain, signatures and checkpoint check');
    await shot('case');
    await page.click('a[href="/cases/C-1/items/EV-1"]');
    await page.waitForSelector('#entries');
    const entries = await text('#entries');
    expect(entries).toContain('evidence registered');
    expect(entries).toContain('acquisition completed');
    const fp = JSON.parse(run(['key', 'list', '--json']).stdout) as { examiner: string; fingerprint: string }[];
    const mine = fp.find((k) => k.examiner === X)!.fingerprint;
    expect(entries.replace(/\s/g, '')).toContain(mine);
    expect(await text('#acquisitions')).toContain(crypto.createHash('sha256').update(fs.readFileSync(path.join(work, 'small.bin'))).digest('hex').slice(0, 8));
    await shot('item');
  });

  it('shows a tampered custody log as failed on the item page', async () => {
    const db = new Database(path.join(home, 'cases.db'));
    const c = db.prepare('SELECT id FROM cases WHERE number = ?').get('C-2') as { id: number };
    const row = db.prepare("SELECT seq, line FROM custody_entries WHERE case_id = ? AND line LIKE '%acquisition.completed%'").get(c.id) as { seq: number; line: string };
    db.prepare('UPDATE custody_entries SET line = ? WHERE case_id = ? AND seq = ?').run(row.line.replace('"J. Doe"', '"J. Dop"'), c.id, row.seq);
    db.close();
    await page.goto(`${base}cases/C-2/items/EV-9`);
    await page.waitForSelector('#custody-problems', { timeout: 20_000 });
    expect(await text('#custody-check')).toContain('FAILS its check');
    expect(await text('#entries')).toContain('FAILS');
    await shot('item-tampered');
    // Nothing is added to a log that fails: the actions are refused.
    const cookie = (await page.cookies()).map((k) => `${k.name}=${k.value}`).join('; ');
    expect((await fetch(`${base}cases/C-2/report`, { method: 'POST', headers: { cookie, origin: base.replace(/\/$/, '') }, redirect: 'manual' })).status).toBe(409);
  });

  it('issues a report as a job; it downloads, and its SHA-256 is the one in the log', async () => {
    await page.goto(`${base}cases/C-1`);
    await page.waitForSelector('#issue-report');
    await Promise.all([page.waitForNavigation(), page.click('#issue-report')]);
    expect(page.url()).toBe(base);
    await page.waitForFunction(() => [...document.querySelectorAll('#jobs-body tr')].some((r) => r.textContent!.includes('report') && r.textContent!.includes('issued')), { timeout: 60_000, polling: 'mutation' });
    await page.goto(`${base}cases/C-1`);
    await page.waitForSelector('a[data-report]');
    const downloads = path.join(work, 'downloads');
    fs.mkdirSync(downloads, { recursive: true });
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    await page.click('a[data-report]');
    const deadline = Date.now() + 30_000;
    let file: string | undefined;
    // Chrome makes an empty file of the final name first and renames its .crdownload over it when done.
    const done = () => {
      const names = fs.readdirSync(downloads);
      const pdf = names.find((n) => n.endsWith('.pdf'));
      return pdf && !names.some((n) => n.endsWith('.crdownload')) && fs.statSync(path.join(downloads, pdf)).size > 0 ? pdf : undefined;
    };
    while (!file && Date.now() < deadline) {
      file = done();
      if (!file) await new Promise((r) => setTimeout(r, 100));
    }
    expect(file).toBeDefined();
    const got = crypto.createHash('sha256').update(fs.readFileSync(path.join(downloads, file!))).digest('hex');
    const log = JSON.parse(run(['custody', 'log', 'C-1', '--json']).stdout) as { verified: boolean; log: { kind: string; payload: { sha256?: string } }[] };
    expect(log.verified).toBe(true);
    const issued = log.log.filter((e) => e.kind === 'report.issued').map((e) => e.payload.sha256);
    expect(issued).toEqual([got]);
    await shot('case-with-report');
  });

  it('starts a verification as a job, logged and signed as from the command line', async () => {
    await page.goto(`${base}cases/C-1/items/EV-1`);
    await page.waitForSelector('button[data-verify]');
    await Promise.all([page.waitForNavigation(), page.click('button[data-verify]')]);
    await page.waitForFunction(() => [...document.querySelectorAll('#jobs-body tr')].some((r) => r.textContent!.includes('verification') && r.textContent!.includes('VERIFIED')), { timeout: 60_000, polling: 'mutation' });
    await page.goto(`${base}cases/C-1/items/EV-1`);
    await page.waitForSelector('#verifications');
    expect(await text('#verifications')).toContain('VERIFIED');
    expect(await text('#verifications')).toContain(X);
  });

  it('never shows a check of some pieces as VERIFIED, nor lets it hide a failed verification of the whole image; escapes numbers read from the store', async () => {
    makeSourceFile(path.join(work, 'parts.bin'), 4 * 1024 * 1024, 5);
    const dir = path.join(work, 'cp');
    expect(run(['acquire', path.join(work, 'parts.bin'), '-o', dir, '-c', 'C-P', '-e', 'EV-P', '-x', X, '--piece-size', '1MiB']).code).toBe(0);
    const fd = fs.openSync(path.join(dir, 'EV-P.raw'), 'r+');
    fs.writeSync(fd, Buffer.from('X'), 0, 1, 3 * 1024 * 1024 + 5);
    fs.closeSync(fd);
    expect(run(['verify', dir, '-x', X]).code).toBe(4); // the whole image: FAILED, piece 3
    const part = run(['verify', dir, '-x', X, '--pieces', '0']);
    expect(part.code).toBe(0);
    expect(part.stdout).toMatch(/^VERIFIED \(part\)/m);
    await page.goto(`${base}cases/C-P`);
    const row = await page.$$eval('table tr', (trs) => trs.map((tr) => (tr as HTMLElement).innerText).find((t) => t.includes('EV-P')) ?? '');
    expect(row).toContain('FAILED');
    expect(row).not.toContain('VERIFIED');
    await page.goto(`${base}cases/C-P/items/EV-P`);
    const vers = await text('#verifications');
    expect(vers).toMatch(/FAILED/);
    expect(vers).toContain('VERIFIED (part: 1 of 4 pieces; the rest not read)');
    expect(vers).toContain('EV-P.raw');
    expect(await page.$eval('#verifications', (t) => [...t.querySelectorAll('span.ok')].map((e) => e.textContent))).toEqual([]);
    // The mapfile is unsigned: one edited to show unreadable sectors the record does not have is not drawn.
    fs.writeFileSync(path.join(dir, 'EV-P.map'), '# edited\n0x0 +\n0x0 0x100 +\n0x100 0x10 -\n0x110 0x3ffef0 +\n');
    await page.goto(`${base}cases/C-P/items/EV-P`);
    await Promise.all([page.waitForNavigation(), page.click('#acquisitions a[href$="/map"]')]);
    expect(await page.evaluate(() => document.body.innerText)).toMatch(/The mapfile does not agree with the acquisition record/);
    expect(await page.$('#unreadable')).toBeNull();
    // A number column of the store's tables holding markup (anyone who can write a shared store can) is shown as text.
    const db = new Database(path.join(home, 'cases.db'));
    db.prepare("UPDATE acquisitions SET unreadable_sectors = '<b id=\"injected\">VERIFIED</b>' WHERE evidence = 'EV-P'").run();
    db.close();
    await page.goto(`${base}cases/C-P/items/EV-P`);
    expect(await page.$('#injected')).toBeNull();
    expect(await text('#acquisitions')).toContain('<b id="injected">VERIFIED</b>');
  });

  it.skipIf(deviceWhy !== undefined)(`updates the jobs table while an acquisition runs, and maps its unreadable ranges${deviceWhy !== undefined ? ` (skipped: ${deviceWhy})` : ''}`, async () => {
    const baseFile = path.join(work, 'faulty-base.img');
    makeSourceFile(baseFile, 32 * 1024 * 1024, 7);
    const bad = Array.from({ length: 24 }, (_, i) => ({ first: 2048 + i * 2600, count: 8 }));
    const dev = await makeFaultyDevice({ baseFile, badSectors: bad, workDir: work });
    await page.goto(base);
    // Every state and percentage the live table shows for the acquisition, as the page receives them.
    await page.evaluate(() => {
      const seen: string[] = ((window as unknown as { seen: string[] }).seen = []);
      const note = (): void => {
        for (const r of document.querySelectorAll('#jobs-body tr')) {
          if (r.textContent!.includes('EV-F')) seen.push(`${r.querySelector('[data-state]')!.textContent} ${r.querySelector('[data-percent]')!.textContent}`);
        }
      };
      new MutationObserver(note).observe(document.getElementById('jobs-body')!, { childList: true, subtree: true });
    });
    const acq = exhibitAsync(['acquire', dev.device, '-o', path.join(work, 'cf'), '-c', 'C-F', '-e', 'EV-F', '-x', X, '--retries', '8']);
    const started = Date.now();
    const code = await new Promise<number | null>((r) => acq.once('exit', r));
    const seconds = (Date.now() - started) / 1000;
    expect(code).toBe(3); // complete, with unreadable sectors
    await page.waitForFunction(() => (window as unknown as { seen: string[] }).seen.some((s) => s.startsWith('complete')), { timeout: 10_000, polling: 'mutation' });
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    const running = seen.filter((s) => s.startsWith('running')).map((s) => parseFloat(s.split(' ')[1]!));
    console.log(`acquisition took ${seconds.toFixed(1)} s; the page saw ${seen.length} updates: ${[...new Set(seen)].join(', ')}`);
    expect(running.length).toBeGreaterThan(0); // seen while it ran, pushed to the page without a reload
    expect(new Set(seen).size).toBeGreaterThan(1);
    expect(seen[seen.length - 1]).toBe('complete 100.0%');
    await shot('jobs-after-acquisition');

    // The map of the finished acquisition, from its ddrescue mapfile: every injected range listed.
    await page.goto(`${base}cases/C-F/items/EV-F`);
    await page.waitForSelector('#acquisitions a[href$="/map"]', { timeout: 20_000 });
    await Promise.all([page.waitForNavigation(), page.click('#acquisitions a[href$="/map"]')]);
    await page.waitForSelector('#unreadable');
    const rows = await page.$$eval('#unreadable tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => Number(td.textContent))));
    expect(rows).toEqual(bad.map((b) => [b.first, b.count]));
    // The canvas shows unreadable squares in red.
    const red = await page.$eval('canvas.map', (c) => {
      const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] === 0xd0 && d[i + 1] === 0x14 && d[i + 2] === 0x2c) n++;
      return n;
    });
    expect(red).toBeGreaterThan(0);
    await shot('map');
    await page.click('canvas.map', { offset: { x: 10, y: 10 } });
    const [, from, to] = /^showing bytes (\d+) to (\d+)/.exec(await text('#map-view'))!.map(Number);
    expect(to! - from! + 1).toBe(2 * 1024 * 1024); // a sixteenth of the media
    await shot('map-zoomed');
    await dev.teardown();
  });

  it('logged no console error on any page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
