/**
 * `npm run docs:report`: the pages of the demo's custody report as PNG images
 * under docs/report/, for the README. Runs after `npm run demo` (the script
 * runs both), and draws each page with pdftoppm (poppler-utils).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url)); // dist/test/docs-report.js -> project root
const pdf = path.join(root, 'demo-output', 'DEMO-2026-001-custody.pdf');
const out = path.join(root, 'docs', 'report');
/** Dots per inch, in grey: an A4 page becomes 744 x 1052 pixels (about 150 KB), readable on a screen and small in the repository. */
const DPI = 90;

function main(): number {
  if (!fs.existsSync(pdf)) {
    process.stderr.write(`docs:report: ${path.relative(root, pdf)} is missing: run npm run demo first\n`);
    return 1;
  }
  if (spawnSync('sh', ['-c', 'command -v pdftoppm']).status !== 0) {
    process.stderr.write('docs:report: pdftoppm is missing: apt-get install poppler-utils\n');
    return 1;
  }
  fs.mkdirSync(out, { recursive: true });
  for (const f of fs.readdirSync(out)) if (/^page-\d+\.png$/.test(f)) fs.rmSync(path.join(out, f));
  const r = spawnSync('pdftoppm', ['-png', '-gray', '-r', String(DPI), pdf, path.join(out, 'page')], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`docs:report: pdftoppm failed: ${r.stderr.trim()}\n`);
    return 1;
  }
  // pdftoppm numbers pages with as many digits as the last one needs (page-1 or page-01): name them page-N.png.
  for (const f of fs.readdirSync(out)) {
    const m = /^page-0*(\d+)\.png$/.exec(f);
    if (m && f !== `page-${m[1]}.png`) fs.renameSync(path.join(out, f), path.join(out, `page-${m[1]}.png`));
  }
  const pages = fs.readdirSync(out).filter((f) => /^page-\d+\.png$/.test(f)).sort((a, b) => parseInt(a.slice(5), 10) - parseInt(b.slice(5), 10));
  for (const p of pages) process.stdout.write(`docs/report/${p}  ${fs.statSync(path.join(out, p)).size} bytes\n`);
  return 0;
}

process.exitCode = main();
