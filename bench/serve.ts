/**
 * Benchmark: the dashboard's pages with a large store. Builds one case with
 * EXHIBIT_BENCH_ITEMS evidence items (default 1,000) and EXHIBIT_BENCH_ENTRIES
 * custody entries in all (default 100,000: the registrations, then transfers
 * between two examiners, each from the item's holder, countersigned), signed
 * and appended by the case store's own append in batches (one check per
 * batch), then starts `exhibit serve` in this process and times each page
 * (median and slowest of 5), after the custody check (on its worker thread)
 * is done. Not a test; the aim is under 200 ms a page.
 *
 *   npm run bench:serve [-- --json]
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CaseStore, createKey, exhibitPaths, loadSigner, openCase, type Signer } from '../case-store/index.js';
import { appendToCase, type Append } from '../case-store/custody-log.js';
import { evidencePayload } from '../case-store/payloads.js';
import { startServer } from '../serve/server.js';
import { log, machine, median, report, SCRATCH, table } from './lib.js';

const ITEMS = Number(process.env.EXHIBIT_BENCH_ITEMS ?? 1000);
const ENTRIES = Number(process.env.EXHIBIT_BENCH_ENTRIES ?? 100_000);
const ROUNDS = 5;
const CASE = 'BENCH-SERVE';
const home = `${SCRATCH}-serve-${process.pid}`; // its own folder: other benches clear SCRATCH when they start
const ev = (i: number): string => `EV-${String(i).padStart(4, '0')}`;

function build(): { entries: number; buildS: number } {
  fs.rmSync(home, { recursive: true, force: true });
  const paths = exhibitPaths({ EXHIBIT_HOME: home });
  const store = CaseStore.open(paths);
  const t0 = performance.now();
  createKey(store, 'Bench Examiner');
  createKey(store, 'Bench Analyst');
  const a = loadSigner(store, 'Bench Examiner');
  const b = loadSigner(store, 'Bench Analyst');
  openCase(store, CASE, 'dashboard bench', a);
  const c = store.getCase(CASE);
  const holder: Signer[] = [];
  let pending: Append[] = [];
  let count = 3; // case opened, two keys registered as they first sign
  const flush = (): void => {
    const batch = pending;
    pending = [];
    store.immediate(() => appendToCase(store, c, batch));
    log(`${count} entries`);
  };
  for (let i = 0; i < ITEMS; i++) {
    pending.push({ kind: 'evidence.registered', payload: evidencePayload({ number: ev(i), description: `bench item ${i}`, model: 'BENCH DISK', serial: `SN${i}`, capacity_bytes: 500_107_862_016 }), signers: [a] });
    holder.push(a);
    count++;
  }
  for (let k = 0; count < ENTRIES; k++, count++) {
    const i = k % ITEMS;
    const from = holder[i]!;
    const to = from === a ? b : a;
    pending.push({ kind: 'custody.transferred', payload: { evidence: ev(i), from: { name: from.name, key: from.fingerprint }, to: { name: to.name, key: to.fingerprint }, purpose: `hand-over ${k}`, location: 'bench' }, signers: [from, to] });
    holder[i] = to;
    if (pending.length >= 10_000) flush();
  }
  if (pending.length > 0) flush();
  const entries = Number((store.db.get('SELECT count(*) AS n FROM custody_entries') as { n: number }).n);
  store.close();
  return { entries, buildS: (performance.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  log(`building a case with ${ITEMS} items and ${ENTRIES} custody entries`);
  const built = build();
  const paths = exhibitPaths({ EXHIBIT_HOME: home });
  const t0 = performance.now();
  const served = await startServer({ paths, host: '127.0.0.1', port: 0, actions: false, reportsDir: path.join(home, 'reports'), exhibitBin: '', env: {} });
  const open = await fetch(`${served.url}?token=${served.token}`, { redirect: 'manual' });
  const cookie = (open.headers.get('set-cookie') ?? '').split(';')[0]!;
  const get = async (p: string): Promise<{ ms: number; body: string; status: number }> => {
    const t = performance.now();
    const r = await fetch(`${served.url}${p}`, { headers: { cookie } });
    const body = await r.text();
    return { ms: performance.now() - t, body, status: r.status };
  };
  let first: Awaited<ReturnType<typeof get>>;
  do {
    first = await get(`cases/${CASE}`);
    if (first.body.includes('data-wait-case')) await new Promise((r) => setTimeout(r, 200));
  } while (first.body.includes('data-wait-case'));
  const checkS = (performance.now() - t0) / 1000;
  if (!first.body.includes('chain, signatures and checkpoint check')) throw new Error('the bench log does not check');
  const pages = ['', 'cases', `cases/${CASE}`, `cases/${CASE}/items/${ev(0)}`, `cases/${CASE}/items/${ev(ITEMS - 1)}`];
  const rows: { page: string; median_ms: number; max_ms: number; bytes: number }[] = [];
  for (const p of pages) {
    const ms: number[] = [];
    let bytes = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const r = await get(p);
      if (r.status !== 200) throw new Error(`/${p} answered ${r.status}`);
      ms.push(r.ms);
      bytes = r.body.length;
    }
    rows.push({ page: `/${p}`, median_ms: median(ms), max_ms: Math.max(...ms), bytes });
  }
  await served.close();
  fs.rmSync(home, { recursive: true, force: true });
  report(
    () => ({ machine: machine(), items: ITEMS, entries: built.entries, build_s: built.buildS, first_check_s: checkS, pages: rows }),
    () => [
      `exhibit serve with ${ITEMS} items and ${built.entries} custody entries in one case (${machine().cpu}, ${machine().cores} cores)`,
      `store built in ${built.buildS.toFixed(1)} s; the custody check of the case (worker thread, from the server's start) took ${checkS.toFixed(1)} s`,
      ...table(
        [{ title: 'median ms', width: 10 }, { title: 'slowest ms', width: 11 }, { title: 'KiB', width: 8 }],
        rows.map((r) => [r.page, [r.median_ms.toFixed(1), r.max_ms.toFixed(1), (r.bytes / 1024).toFixed(0)]]),
        'page',
      ),
    ],
  );
}

void main();
