/**
 * Benchmark: `exhibit report` on a case of 3 evidence items and
 * EXHIBIT_BENCH_TRANSFERS countersigned transfers (default 1000), built
 * through the case store; times the PDF and the CASE/UCO export (whole
 * commands, medians of 3) and prints pages and sizes. No peer tool makes a
 * custody report; the figures are for the README.
 *
 *   npm run bench:report [-- --json]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CaseStore, createKey, exhibitPaths, loadSigner, openCase, recordTransfer, registerEvidence } from '../case-store/index.js';
import { die, EXHIBIT, log, machine, median, report, SCRATCH, table } from './lib.js';

const N = Number(process.env.EXHIBIT_BENCH_TRANSFERS ?? 1000);
const home = path.join(SCRATCH, 'report-home');

function main(): void {
  fs.rmSync(SCRATCH, { recursive: true, force: true });
  fs.mkdirSync(SCRATCH, { recursive: true });
  const store = CaseStore.open(exhibitPaths({ EXHIBIT_HOME: home }));
  createKey(store, 'Bench Examiner');
  createKey(store, 'Bench Analyst');
  const a = loadSigner(store, 'Bench Examiner');
  const b = loadSigner(store, 'Bench Analyst');
  openCase(store, 'BENCH-R', 'report bench', a);
  for (let i = 1; i <= 3; i++) registerEvidence(store, 'BENCH-R', { number: `EV-${i}`, serial: `S-${i}`, seals: [`A-${i}`] }, a);
  log(`recording ${N} transfers`);
  for (let i = 0; i < N; i++) {
    const [from, to] = Math.floor(i / 3) % 2 === 0 ? [a, b] : [b, a]; // each item goes back and forth from its holder
    recordTransfer(store, 'BENCH-R', `EV-${(i % 3) + 1}`, from, { name: to.name, signer: to }, `hand-over ${i}`, 'bench');
  }
  store.close();

  const time = (format: string, round: number) => {
    const out = path.join(SCRATCH, `r${round}.${format}`);
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [EXHIBIT, 'report', 'BENCH-R', '--format', format, '--out', out, '-x', 'Bench Examiner'], { encoding: 'utf8', env: { ...process.env, EXHIBIT_HOME: home } });
    if (r.status !== 0) die(`exhibit report failed: ${r.stderr}`);
    return { s: (performance.now() - t0) / 1000, bytes: fs.statSync(out).size, out };
  };
  const pdfs = [1, 2, 3].map((i) => time('pdf', i));
  const jsons = [1, 2, 3].map((i) => time('jsonld', i));
  const pages = Number(/Pages:\s+(\d+)/.exec(spawnSync('pdfinfo', [pdfs[0]!.out], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? NaN);
  const result = { transfers: N, pdf_s: median(pdfs.map((x) => x.s)), pdf_bytes: pdfs[0]!.bytes, pages, jsonld_s: median(jsons.map((x) => x.s)), jsonld_bytes: jsons[0]!.bytes };
  fs.rmSync(SCRATCH, { recursive: true, force: true });
  report(
    () => result,
    () => [
      `machine: ${machine().cpu}, ${machine().cores} cores, node ${machine().node}`,
      `case of 3 evidence items and ${N} countersigned transfers; whole commands, medians of 3`,
      ...table([{ title: 'value', width: 14 }], [
        ['exhibit report (PDF/A-3b)', [`${result.pdf_s.toFixed(2)} s`]],
        ['  pages', [String(pages)]],
        ['  size', [`${(result.pdf_bytes / 1024).toFixed(0)} KiB`]],
        ['exhibit report --format jsonld', [`${result.jsonld_s.toFixed(2)} s`]],
        ['  size', [`${(result.jsonld_bytes / 1024).toFixed(0)} KiB`]],
      ], 'measure'),
    ],
  );
}

main();
