/**
 * `exhibit serve`: the lab dashboard over node:http. Every request must come
 * from the same site (Host, Origin and Sec-Fetch-Site are checked) and carry
 * the session the one-time access token opened; only GET and HEAD are served
 * unless actions are allowed. Requests name cases, items and entries of the
 * store, and jobs by id; no part of a request becomes a path: files are read
 * only where the store (or a job's status) names them.
 */
import { oneLine } from '../core/text.js';
import crypto from 'node:crypto';
import os from 'node:os';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CaseStore, findJobStatus, jobStatuses, type CaseRow, type ExhibitPaths } from '../case-store/index.js';
import { CLIENT_SCRIPT } from './client.js';
import { CustodyCache, type CaseCheck } from './custody-cache.js';
import { esc, page, STYLE } from './html.js';
import { liveMap } from './map.js';
import { casePage, casesPage, checkingPage, itemPage, jobRows, jobsPage, mapPage, type View } from './pages.js';
import { Actions, acquisitionMap, reportDownload, type ActionOptions } from './files.js';
import { Refusal } from './refusal.js';

/** Live event streams served at once, across sessions: far more pages than a lab keeps open. */
const MAX_STREAMS = 256;

export interface ServeOptions extends ActionOptions {
  paths: ExhibitPaths;
  host: string;
  port: number;
  actions: boolean;
}

export interface Served {
  url: string; // http://host:port/
  token: string;
  close(): Promise<void>;
}

const COOKIE = 'exhibit_session';
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin', // not no-referrer: a form would then be sent with the origin "null", which is refused
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export async function startServer(o: ServeOptions): Promise<Served> {
  const store = CaseStore.openReadOnly(o.paths);
  const token = crypto.randomBytes(24).toString('base64url');
  let tokenSpent = false;
  const sessions = new Set<string>();
  const streams = new Set<http.ServerResponse>();
  const send = (event: string, data: unknown): void => {
    for (const s of streams) s.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const cache = new CustodyCache(store, (caseId) => send('checked', String(caseId)));
  const actions = new Actions(o);
  cache.warm(store.listCases().map((c) => c.id));
  const view: View = { actions: o.actions, ...(o.examiner ? { examiner: o.examiner } : {}) };

  // The jobs table, from the store's live status (every workstation's, in a lab's shared store),
  // pushed whenever a job's row changes (each publishes every 2 seconds, and when it starts and ends).
  const listJobs = () => jobStatuses(store);
  let lastRows = '';
  const poll = setInterval(() => {
    if (streams.size === 0) return;
    let rows: string;
    try {
      rows = jobRows(listJobs());
    } catch {
      return; // the store did not answer this time: the page keeps its table
    }
    if (rows !== lastRows) send('jobs', (lastRows = rows));
  }, 250);
  const heartbeat = setInterval(() => {
    for (const s of streams) s.write(': still here\n\n');
  }, 15_000);

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      const status = err instanceof Refusal ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      if (!(err instanceof Refusal)) process.stderr.write(`exhibit serve: ${oneLine(`${req.method} ${req.url}: ${message}`)}\n`);
      if (res.headersSent) return void res.end();
      res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=utf-8' });
      res.end(page({ title: status === 404 ? 'Not found' : status === 401 || status === 403 ? 'Refused' : 'Something went wrong', body: `<p>${esc(message)}</p>`, nav: '', actions: o.actions }));
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const origin = checkSameSite(req);
    const url = new URL(req.url ?? '/', origin);
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') throw new Refusal(405, `${method} is not served here`);

    // The one-time token opens a session (a cookie only this site's pages send) and is spent.
    const given = url.searchParams.get('token');
    if (given !== null) {
      if (tokenSpent || !sameSecret(given, token)) throw new Refusal(401, 'This access token is not valid (each token opens one session, and only while the exhibit serve that printed it runs).');
      tokenSpent = true;
      const session = crypto.randomBytes(24).toString('base64url');
      sessions.add(session);
      url.searchParams.delete('token');
      res.writeHead(303, { ...SECURITY_HEADERS, Location: url.pathname + url.search, 'Set-Cookie': `${COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/` });
      return void res.end();
    }
    const session = cookie(req, COOKIE);
    if (session === undefined || ![...sessions].some((s) => sameSecret(session, s))) {
      throw new Refusal(401, 'This dashboard needs the access token that exhibit serve printed when it started: open the address it printed.');
    }
    if (url.pathname === '/favicon.ico') return void res.writeHead(204, SECURITY_HEADERS).end();
    if (method === 'POST') return post(url, req, res);

    const parts = pathParts(url);
    const html = (body: string, status = 200): void => {
      res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=utf-8' });
      res.end(method === 'HEAD' ? undefined : body);
    };
    if (url.pathname === '/') return html(jobsPage(listJobs(), view));
    if (url.pathname === '/static/style.css') return asset(res, 'text/css', STYLE);
    if (url.pathname === '/static/app.js') return asset(res, 'text/javascript', CLIENT_SCRIPT);
    if (url.pathname === '/events') return events(res);
    if (url.pathname === '/cases') return html(casesPage(store, (id) => cache.peek(id), view));
    if (parts[0] === 'jobs' && parts.length === 3 && (parts[2] === 'map' || parts[2] === 'map.json')) {
      const job = findJobStatus(store, parts[1]!);
      if (!job || job.kind !== 'acquisition' || job.total_bytes <= 0) throw new Refusal(404, 'There is no acquisition job with that id in the case store.');
      const map = liveMap(job.total_bytes, job.state === 'complete' ? job.total_bytes : job.done_bytes, job.sector_size ?? 512, job.bad_ranges ?? []);
      if (parts[2] === 'map.json') return asset(res, 'application/json', JSON.stringify(map));
      const back = `<a href="/">Jobs</a> · ${esc(job.evidence ?? job.subject)}: ${esc(job.state)}${job.map ? ` · at the end the map is kept in ${esc(job.map)}` : ''}`;
      return html(mapPage({ title: `Media map of ${job.evidence ?? job.subject}`, back, map, sectorSize: job.sector_size ?? 512, liveJob: job.id }, view));
    }
    if (parts[0] === 'cases' && parts.length >= 2) {
      const c = findCase(parts[1]!);
      const rest = parts.slice(2);
      if (rest.length === 0 || (rest[0] === 'items' && rest.length === 2)) {
        const check = await checkWithin(c, 150);
        if (!check) return html(checkingPage(c, entryCount(c), view));
        if (rest.length === 0) return html(casePage(store, c, check, view, (n) => actions.hasReport(n), Number(url.searchParams.get('page') ?? 1) || 1));
        if (!store.db.get('SELECT 1 FROM evidence WHERE case_id = ? AND number = ?', [c.id, rest[1]!]) && !check.itemEntries.has(rest[1]!)) {
          throw new Refusal(404, `Case ${c.number} has no evidence item ${rest[1]}.`);
        }
        return html(itemPage(store, c, rest[1]!, check, view, (n) => actions.hasReport(n)));
      }
      if (rest[0] === 'acquisitions' && rest.length === 3 && rest[2] === 'map') {
        // The folder it reads comes from the store's rows: only from a log that checks.
        if ((await cache.get(c.id)).problems.length > 0) throw new Refusal(409, `The custody log of case ${c.number} fails its check: no map is drawn from the folders its rows name.`);
        const m = acquisitionMap(store, c, entrySeq(rest[1]!));
        const back = `<a href="/cases/${encodeURIComponent(c.number)}/items/${encodeURIComponent(m.evidence)}">${esc(m.evidence)}</a> · case ${esc(c.number)} · ${esc(m.file)}`;
        return html(mapPage({ title: `Media map of ${m.evidence} (entry ${rest[1]})`, back, map: m.map, sectorSize: m.sectorSize }, view));
      }
      if (rest[0] === 'reports' && rest.length === 2) {
        const check = await cache.get(c.id);
        if (check.problems.length > 0) throw new Refusal(409, `The custody log of case ${c.number} fails its check, so its reports are not handed out here.`);
        const r = reportDownload(store, c, entrySeq(rest[1]!), o.reportsDir);
        res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': r.type, 'Content-Length': String(r.bytes.length), 'Content-Disposition': `attachment; filename="${r.name.replace(/[^A-Za-z0-9._-]/g, '_')}"` });
        return void res.end(method === 'HEAD' ? undefined : r.bytes);
      }
    }
    throw new Refusal(404, 'There is no such page.');
  }

  async function post(url: URL, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!o.actions) throw new Refusal(403, 'This dashboard is read-only: start exhibit serve with --allow-actions to verify or issue reports from it.');
    if (!req.headers.origin) throw new Refusal(403, 'A form sent without its origin is refused.');
    req.resume(); // the forms carry nothing: what they do is in their address
    const parts = pathParts(url);
    if (parts[0] === 'cases' && parts.length === 5 && parts[2] === 'acquisitions' && parts[4] === 'verify') {
      const c = findCase(parts[1]!);
      await requireIntact(c);
      actions.verify(store, c, entrySeq(parts[3]!));
    } else if (parts[0] === 'cases' && parts.length === 3 && parts[2] === 'report') {
      const c = findCase(parts[1]!);
      await requireIntact(c);
      actions.report(c);
    } else throw new Refusal(404, 'There is no such action.');
    res.writeHead(303, { ...SECURITY_HEADERS, Location: '/' });
    res.end();
  }

  async function requireIntact(c: CaseRow): Promise<void> {
    const check = await cache.get(c.id);
    if (check.problems.length > 0) throw new Refusal(409, `The custody log of case ${c.number} fails its check: exhibit adds nothing to it.`);
  }

  function findCase(number: string): CaseRow {
    const c = store.findCase(number);
    if (!c) throw new Refusal(404, `There is no case ${number} in this case store.`);
    return c;
  }

  function entryCount(c: CaseRow): number {
    return Number((store.db.get('SELECT max(seq) AS n FROM custody_entries WHERE case_id = ?', [c.id]) as { n: number | null }).n ?? 0);
  }

  async function checkWithin(c: CaseRow, ms: number): Promise<CaseCheck | undefined> {
    const ready = cache.peek(c.id);
    if (ready) return ready;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
    const got = await Promise.race([cache.get(c.id), late]);
    clearTimeout(timer);
    return got;
  }

  function events(res: http.ServerResponse): void {
    // Each open page keeps one stream; a runaway client opening thousands would hold as many file descriptors.
    if (streams.size >= MAX_STREAMS) throw new Refusal(503, `Too many live views are open (${MAX_STREAMS}): close some pages and reload.`);
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
    res.write(`event: jobs\ndata: ${JSON.stringify((lastRows = jobRows(listJobs())))}\n\n`);
    streams.add(res);
    res.on('close', () => streams.delete(res));
  }

  function checkSameSite(req: http.IncomingMessage): string {
    const host = req.headers.host ?? '';
    const own = `http://${host}`;
    if (!allowedHost(host)) throw new Refusal(403, 'This request names another site as its host, so it is refused.');
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new Refusal(403, 'Requests from other sites are refused.');
    const from = req.headers.origin;
    if (from !== undefined && from !== own) throw new Refusal(403, 'Requests from other sites are refused.');
    return own;
  }

  let listening: AddressInfo;
  function allowedHost(host: string): boolean {
    const port = String(listening.port);
    const names = [o.host, listening.address, listening.family === 'IPv6' ? `[${listening.address}]` : listening.address];
    if (isLoopback(listening.address)) names.push('localhost');
    const wildcard = listening.address === '0.0.0.0' || listening.address === '::';
    // Listening on every address: the names this machine answers to (its host name, its interfaces' addresses), never
    // any name at all, which a page rebinding its own name to this machine would send.
    if (wildcard) {
      names.push('localhost', os.hostname());
      for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) names.push(a.family === 'IPv6' ? `[${a.address}]` : a.address);
    }
    return names.some((n) => host.toLowerCase() === `${n}:${port}`.toLowerCase());
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => resolve());
    });
  } catch (err) {
    // Nothing may keep the process alive after a refused listen: the command exits with its error.
    clearInterval(poll);
    clearInterval(heartbeat);
    await cache.close();
    store.close();
    throw err;
  }
  listening = server.address() as AddressInfo;
  const shownHost = listening.family === 'IPv6' ? `[${listening.address}]` : listening.address;
  return {
    url: `http://${shownHost}:${listening.port}/`,
    token,
    close: async () => {
      clearInterval(poll);
      clearInterval(heartbeat);
      for (const s of streams) s.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await cache.close();
      store.close();
    },
  };
}

/** The address's parts, decoded; a malformed escape (`%E0%A4%A`) names no page. */
function pathParts(url: URL): string[] {
  try {
    return url.pathname.split('/').slice(1).map((p) => decodeURIComponent(p));
  } catch {
    throw new Refusal(404, 'There is no such page.');
  }
}

function asset(res: http.ServerResponse, type: string, body: string): void {
  res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': `${type}; charset=utf-8` });
  res.end(body);
}

function entrySeq(text: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(text)) throw new Refusal(404, 'There is no such entry.');
  return Number(text);
}

function cookie(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y);
}

export function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address === 'localhost' || address === '::ffff:127.0.0.1';
}
