/**
 * Benchmark: the CPU that test files cost (issue 14: the suite must spend
 * less). Runs each file named, alone, ROUNDS times (files alternating, so a
 * change of load hits them alike), with EXHIBIT_TEST_CPU_LOG set, and prints
 * each run's CPU (its process, threads and the child processes it waited for)
 * and the median per file, with the load average before and after. Not a test.
 *
 *   npm run bench:test-cpu -- test/verify-fuzz.test.ts test/zstd.e2e.test.ts
 *   env: EXHIBIT_BENCH_ROUNDS (default 2)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { die, log, ROOT } from './lib.js';

const files = process.argv.slice(2).filter((a) => !a.startsWith('-'));
if (files.length === 0) die('name the test files to measure, e.g. npm run bench:test-cpu -- test/zstd.e2e.test.ts');
const rounds = Number(process.env.EXHIBIT_BENCH_ROUNDS ?? 2);
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exhibit-bench-cpu-'));
const cpu = new Map<string, number[]>(files.map((f) => [f, []]));
console.log(`load average before: ${load()}`);
try {
  for (let round = 1; round <= rounds; round++) {
    for (const file of files) {
      const logFile = path.join(dir, `${round}-${path.basename(file)}.txt`);
      log(`round ${round}: ${file}`);
      const r = spawnSync('npx', ['vitest', 'run', file], { cwd: ROOT, env: { ...process.env, EXHIBIT_TEST_CPU_LOG: logFile }, stdio: ['ignore', 'ignore', 'inherit'] });
      if (r.status !== 0) die(`${file} failed in round ${round} (exit ${r.status})`);
      const line = fs.readFileSync(logFile, 'utf8').trim();
      console.log(`round ${round}: ${line}`);
      cpu.get(file)!.push(Number(/^([\d.]+) s CPU/.exec(line)?.[1]));
    }
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)]! / 2 + [...v].sort((a, b) => a - b)[Math.ceil((v.length - 1) / 2)]! / 2;
for (const [file, v] of cpu) console.log(`median ${median(v).toFixed(1)} s CPU  ${file}  (${v.map((x) => x.toFixed(1)).join(', ')})`);
console.log(`load average after: ${load()}`);
