/**
 * Benchmark: a custody append as the case and the store grow. Builds one case
 * of validly signed transfers (each countersigned, so both examiners sign every
 * entry and each append's checkpoint is one its next signer may trust) by
 * writing entries directly in large transactions, and measures at 1,000,
 * 10,000 and 100,000 entries in the case (EXHIBIT_BENCH_SIZES, comma list):
 * an append through the case store (recordTransfer: the quick check from the
 * trusted checkpoint, the rows it relies on, sign, write, checkpoint), an
 * append after a checkpoint signed by someone else (the full check's path),
 * and the full check of the case (`checkCase`: chain, every signature, every
 * projected row). EXHIBIT_BENCH_STORE_TOTAL (default 0) first fills the store
 * with other cases' entries, signed by one examiner, up to that many in all.
 * EXHIBIT_STORE=postgresql://... measures the PostgreSQL backend (on an empty database).
 * Not a test; exits 1 if the full check rejects the log.
 *
 *   npm run bench:custody-append [-- --json]
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { CaseStore, checkCase, createKey, exhibitPaths, loadSigner, openCase, recordTransfer, registerEvidence, type CaseRow, type Signer } from '../case-store/index.js';
import { signEntry, writeCheckpoint } from '../case-store/custody-write.js';
import { lineHashInput } from '../core/custody.js';
import { sha256Hex } from '../core/crypto.js';
import { die, log, median, report, table } from './lib.js';

const SIZES = (process.env.EXHIBIT_BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const STORE_TOTAL = Number(process.env.EXHIBIT_BENCH_STORE_TOTAL ?? 0);
const APPENDS = 21;
const DIR = process.env.EXHIBIT_BENCH_SCRATCH ?? '/var/tmp/exhibit-bench-append';
const EV = 'EV-1';
const BATCH = 5000;

interface Point { entries: number; append_ms: number; append_other_signer_ms: number; full_check_s: number }

function main(): void {
  fs.rmSync(DIR, { recursive: true, force: true });
  const store = CaseStore.open(exhibitPaths({ EXHIBIT_HOME: DIR, ...(process.env.EXHIBIT_STORE ? { EXHIBIT_STORE: process.env.EXHIBIT_STORE } : {}) }));
  createKey(store, 'Bench Examiner');
  createKey(store, 'Bench Analyst');
  const a = loadSigner(store, 'Bench Examiner');
  const b = loadSigner(store, 'Bench Analyst');
  let filled = 0;
  for (let k = 1; filled < STORE_TOTAL - SIZES[SIZES.length - 1]!; k++) {
    const n = Math.min(100_000, STORE_TOTAL - SIZES[SIZES.length - 1]! - filled);
    const c = startCase(store, `FILL-${k}`, a, b);
    fill(store, c, n, a, b);
    filled += n;
    log(`store filled with ${filled} entries of other cases`);
  }
  const c = startCase(store, 'BENCH-1', a, b);
  const points: Point[] = [];
  for (const size of SIZES) {
    grow(store, c, size, a, b);
    const ms: number[] = [];
    const holding = (): [Signer, Signer] => (holderOf(store, c) === a.name ? [a, b] : [b, a]);
    for (let i = 0; i < APPENDS; i++) {
      const [from, to] = holding();
      const t0 = performance.now();
      recordTransfer(store, c.number, EV, from, { name: to.name, signer: to }, `bench ${i}`, 'bench');
      ms.push(performance.now() - t0);
    }
    // A transfer by one examiner alone after a checkpoint the other signed: the full check's path.
    const [h1, o1] = holding();
    recordTransfer(store, c.number, EV, h1, { name: o1.name }, 'bench, alone', 'bench'); // checkpoint by h1
    const t1 = performance.now();
    recordTransfer(store, c.number, EV, o1, { name: h1.name }, 'bench, alone', 'bench'); // o1 cannot trust it
    const other = performance.now() - t1;
    const t2 = performance.now();
    const check = checkCase(store, c);
    const full = (performance.now() - t2) / 1000;
    if (check.problems.length > 0) die(`the full check rejects the bench log: ${check.problems[0]!.message}`);
    points.push({ entries: check.count, append_ms: median(ms), append_other_signer_ms: other, full_check_s: full });
    log(`${check.count} entries: append ${median(ms).toFixed(2)} ms, other signer ${other.toFixed(1)} ms, full check ${full.toFixed(2)} s`);
  }
  const kind = store.db.kind;
  const storeEntries = store.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM custody_entries')!.n;
  store.close();
  fs.rmSync(DIR, { recursive: true, force: true });
  report(
    () => ({ backend: kind, store_entries: storeEntries, points }),
    () => [
      `backend ${kind}, ${storeEntries} entries in the store at the end; appends: median of ${APPENDS}`,
      ...table(
        [{ title: 'append ms', width: 10 }, { title: 'other signer ms', width: 16 }, { title: 'full check s', width: 13 }],
        points.map((p) => [`${p.entries} entries`, [p.append_ms.toFixed(2), p.append_other_signer_ms.toFixed(1), p.full_check_s.toFixed(2)]]),
        'case',
      ),
    ],
  );
}

function holderOf(store: CaseStore, c: CaseRow): string | undefined {
  return store.db.get<{ to_name: string }>('SELECT to_name FROM transfers WHERE case_id = ? AND evidence = ? ORDER BY entry_seq DESC LIMIT 1', [c.id, EV])?.to_name;
}

/** A case opened and its item registered through the store, as an examiner would. */
function startCase(store: CaseStore, number: string, a: Signer, b: Signer): CaseRow {
  openCase(store, number, 'append bench', a);
  registerEvidence(store, number, { number: EV, serial: `S-${number}` }, a);
  recordTransfer(store, number, EV, a, { name: b.name, signer: b }, 'first', 'bench'); // registers b's key
  return store.getCase(number);
}

/**
 * Add `more` validly signed transfers (by the holder alone) to a filler case, signed by the store's own
 * signEntry and written many rows to a statement: what fills a 1,000,000-entry store in minutes on PostgreSQL too.
 */
function fill(store: CaseStore, c: CaseRow, more: number, a: Signer, b: Signer, countersign = false): void {
  const start = store.db.get<{ seq: number; line: string }>('SELECT seq, line FROM custody_entries WHERE case_id = ? ORDER BY seq DESC LIMIT 1', [c.id])!;
  let seq = Number(start.seq);
  let head = sha256Hex(lineHashInput(start.line));
  let fromA = holderOf(store, c) === a.name;
  const end = seq + more;
  const ROWS = 500;
  while (seq < end) {
    const stop = Math.min(end, seq + BATCH);
    store.immediate(() => {
      let last: Signer = a;
      while (seq < stop) {
        const lines: (string | number)[] = [];
        const rows: (string | number | null)[] = [];
        let cols: string[] = [];
        const n = Math.min(ROWS, stop - seq);
        for (let i = 0; i < n; i++) {
          const [from, to] = fromA ? [a, b] : [b, a];
          const payload = { evidence: EV, from: { name: from.name, key: from.fingerprint }, to: { name: to.name, ...(countersign ? { key: to.fingerprint } : {}) }, purpose: 'bench', location: 'bench' };
          const e = signEntry(c, seq + 1, head, 'custody.transferred', payload, countersign ? [from, to] : [from]);
          seq = e.seq;
          head = e.hash;
          last = from;
          fromA = !fromA;
          lines.push(c.id, e.seq, e.line);
          cols = Object.keys(e.row!.values);
          rows.push(c.id, e.seq, ...cols.map((k) => e.row!.values[k] ?? null));
        }
        store.db.run(`INSERT INTO custody_entries (case_id, seq, line) VALUES ${Array(n).fill('(?, ?, ?)').join(', ')}`, lines);
        store.db.run(`INSERT INTO transfers (case_id, entry_seq, ${cols.join(', ')}) VALUES ${Array(n).fill(`(${Array(cols.length + 2).fill('?').join(', ')})`).join(', ')}`, rows);
      }
      writeCheckpoint(store, c, seq, head, last);
    });
  }
}

/** Add validly signed, countersigned transfers until the case has `target` entries. */
function grow(store: CaseStore, c: CaseRow, target: number, a: Signer, b: Signer): void {
  const at = Number(store.db.get<{ n: number }>('SELECT max(seq) AS n FROM custody_entries WHERE case_id = ?', [c.id])!.n);
  if (target > at) fill(store, c, target - at, a, b, true);
}

main();
