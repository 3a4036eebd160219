/**
 * Benchmark: two acquisitions on one machine at once against the same two one
 * after the other (the lab issue: several acquisitions share a host's cores).
 * Each acquires the first EXHIBIT_BENCH_CONCURRENT_SIZE bytes (default 1 GiB)
 * of the cached bench input, with MD5, SHA-1, SHA-256 and the pieces, into
 * /dev/shm, as raw and as seekable zstd. Per round: the two run one after the
 * other (the sum of their times), then both started together (the time until
 * both are done), the order of the two kinds alternating between rounds.
 * While they run together, each image's size is sampled every 50 ms: the
 * longest stretch in which one of them did not grow, once it had begun to,
 * shows whether both made progress throughout (before its first bytes a job
 * checks its case, its source and its output). Every 50 ms it also counts the threads of both
 * processes, their main threads left out, that are running or waiting for a
 * core (state R in /proc/<pid>/task/<tid>/stat), and the jobs registered in
 * /proc/net/unix as sharing the cores (core/core-share.ts). Not a test: it
 * prints the ratio (together / one after the other; at most 1 means sharing
 * costs nothing in total), the stalls and the thread counts.
 *
 *   npm run bench:concurrent [-- --json]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registeredNames } from '../core/core-share.js';
import { die, EXHIBIT, INPUT, log, median, MiB, ok, prepareInput, report, ROUNDS, SCRATCH, table, waitIdle } from './lib.js';

const SLICE = Number(process.env.EXHIBIT_BENCH_CONCURRENT_SIZE ?? 1024 * MiB);
const KINDS = [
  { name: 'raw', args: ['-f', 'raw'], image: 'EV.raw' },
  { name: 'zst', args: ['-f', 'zst'], image: 'EV.zst' },
] as const;

interface Job {
  pid: number;
  done: Promise<number>; // seconds from the start of the batch
  size: () => number; // the image's bytes now
  finished: () => boolean;
}

/** The threads of `pid` other than its main thread that are running or waiting for a core. */
function runnableThreads(pid: number): number {
  let n = 0;
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0; // ended
  }
  for (const tid of tasks) {
    if (tid === String(pid)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'R') n++;
    } catch {
      /* the thread ended */
    }
  }
  return n;
}

const registeredJobs = (): number => registeredNames(fs.readFileSync('/proc/net/unix', 'latin1')).length;

/** Start `exhibit acquire` of the slice into `out`; settles with its time once it ends well. */
function start(slice: string, out: string, args: readonly string[], image: string, t0: number): Job {
  const child = spawn(process.execPath, [EXHIBIT, 'acquire', slice, '-o', out, '-c', 'BENCH-CONC', '-e', 'EV', '-x', 'bench', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, EXHIBIT_NO_PROGRESS: '1', EXHIBIT_HOME: path.join(SCRATCH, 'home') },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let ended = false;
  const done = new Promise<number>((resolve) =>
    child.on('exit', (code) => {
      ended = true;
      if (code !== 0) die(`exhibit acquire into ${out} failed (${code}):\n${stderr.slice(-1500)}`);
      resolve((performance.now() - t0) / 1000);
    }),
  );
  const file = path.join(out, image);
  return { pid: child.pid!, done, size: () => fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0, finished: () => ended };
}

async function main(): Promise<void> {
  prepareInput();
  const dir = path.join(SCRATCH, `concurrent-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const slice = path.join(dir, 'slice.bin');
  {
    const buf = Buffer.alloc(8 * MiB);
    const from = fs.openSync(INPUT, 'r');
    const to = fs.openSync(slice, 'w');
    for (let at = 0; at < SLICE; ) {
      const n = fs.readSync(from, buf, 0, Math.min(buf.length, SLICE - at), at);
      if (n === 0) die(`${INPUT} holds fewer than ${SLICE} bytes`);
      fs.writeSync(to, buf, 0, n);
      at += n;
    }
    fs.closeSync(from);
    fs.closeSync(to);
  }
  waitIdle();
  const rounds: { sequential_s: number; together_s: number; ratio: number; finished_s: number[]; longest_stall_s: number[]; runnable_mean: number; over_cores: number; jobs_registered_most: number }[] = [];
  const cores = os.availableParallelism();
  let n = 0;
  const fresh = () => path.join(dir, `out-${n++}`);
  for (let round = 1; round <= ROUNDS; round++) {
    const kinds = round % 2 ? KINDS : [...KINDS].reverse();
    let sequential = 0;
    for (const k of kinds) {
      const out = fresh();
      sequential += await start(slice, out, k.args, k.image, performance.now()).done;
      fs.rmSync(out, { recursive: true, force: true });
    }
    const t0 = performance.now();
    const outs = kinds.map(() => fresh());
    const jobs = kinds.map((k, i) => start(slice, outs[i]!, k.args, k.image, t0));
    const last = jobs.map(() => ({ size: -1, since: 0 }));
    const firstByte: (number | undefined)[] = jobs.map(() => undefined);
    const stall = jobs.map(() => 0);
    const runnable: number[] = [];
    let registered = 0;
    const timer = setInterval(() => {
      const now = (performance.now() - t0) / 1000;
      if (!jobs.some((j) => j.finished())) {
        runnable.push(jobs.reduce((a, j) => a + runnableThreads(j.pid), 0));
        registered = Math.max(registered, registeredJobs());
      }
      jobs.forEach((j, i) => {
        if (j.finished()) return;
        const s = j.size();
        if (s !== last[i]!.size) last[i] = { size: s, since: now };
        if (s === 0) return; // not copying yet: the job checks its case, source and output first
        firstByte[i] ??= now;
        stall[i] = Math.max(stall[i]!, now - last[i]!.since);
      });
    }, 50);
    const finished = await Promise.all(jobs.map((j) => j.done));
    clearInterval(timer);
    const together = Math.max(...finished);
    for (const o of outs) fs.rmSync(o, { recursive: true, force: true });
    const runnableMean = runnable.reduce((a, b) => a + b, 0) / Math.max(1, runnable.length);
    const overCores = runnable.filter((r) => r > cores).length / Math.max(1, runnable.length);
    rounds.push({ sequential_s: sequential, together_s: together, ratio: together / sequential, finished_s: finished, longest_stall_s: stall, runnable_mean: runnableMean, over_cores: overCores, jobs_registered_most: registered });
    log(
      `round ${round}/${ROUNDS}: one after the other ${sequential.toFixed(2)} s, together ${together.toFixed(2)} s (${kinds.map((k, i) => `${k.name} first bytes at ${(firstByte[i] ?? NaN).toFixed(2)} s, done at ${finished[i]!.toFixed(2)} s, longest stall ${stall[i]!.toFixed(2)} s`).join('; ')}); ` +
        `while both ran: ${runnableMean.toFixed(2)} threads besides the main ones running or waiting on average, more than ${cores} in ${(overCores * 100).toFixed(0)}% of samples; ${registered} jobs registered at most`,
    );
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const ratio = median(rounds.map((r) => r.ratio));
  const stallMax = Math.max(...rounds.flatMap((r) => r.longest_stall_s));
  const runnableMedian = median(rounds.map((r) => r.runnable_mean));
  const overMedian = median(rounds.map((r) => r.over_cores));
  report(
    () => ({ slice_bytes: SLICE, rounds, ratio_median: ratio, longest_stall_s: stallMax, runnable_mean_median: runnableMedian, over_cores_median: overMedian }),
    () => [
      `two acquisitions of ${SLICE / MiB} MiB (raw and zst, MD5 + SHA-1 + SHA-256 + pieces), ${ROUNDS} rounds`,
      ...table(
        [{ title: 'one after the other s', width: 22 }, { title: 'together s', width: 12 }, { title: 'ratio', width: 8 }],
        rounds.map((r, i) => [`round ${i + 1}`, [r.sequential_s.toFixed(2), r.together_s.toFixed(2), r.ratio.toFixed(3)]]),
        'round',
      ),
      `together / one after the other, median: ${ratio.toFixed(3)} (at most 1: ${ok(ratio <= 1)})`,
      `longest stretch either image did not grow while both ran, once it had begun to: ${stallMax.toFixed(2)} s (both make progress throughout)`,
      `threads besides the main ones running or waiting for a core while both ran, median of the rounds' means: ${runnableMedian.toFixed(2)} on ${cores} cores; samples with more than ${cores}: ${(overMedian * 100).toFixed(0)}%`,
    ],
  );
}

void main();
