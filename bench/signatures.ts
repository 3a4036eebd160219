/**
 * Benchmark: the Ed25519 verification of a long custody log on worker threads (core/signature-pool.ts,
 * what the full check of a case uses from 2,000 entries on) against the same verification on one
 * thread, alternating, EXHIBIT_BENCH_ROUNDS rounds (default 3), on a log of EXHIBIT_BENCH_ENTRIES
 * countersigned entries (default 20,000: 40,000 signatures) built in memory. Prints the medians, the
 * median of the ratios and the process's CPU time in each, so a loaded machine (where the workers
 * cannot get more CPU than one thread) is told from a slow pool.
 *
 *   npm run bench:signatures [-- --json]
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { generateSigningKey, readPrivateKey, readPublicKey, sha256Hex, signBytes, verifyBytes, type PublicKey } from '../core/crypto.js';
import { encodeEntry, GENESIS_PREV, lineHashInput, logLine, splitLogLine, type CustodyEntry } from '../core/custody.js';
import { verifySignaturesInParallel } from '../core/signature-pool.js';
import { die, log, median, report, ROUNDS } from './lib.js';

const N = Number(process.env.EXHIBIT_BENCH_ENTRIES ?? 20_000);

function buildLog(): { lines: string[]; keys: Map<string, PublicKey> } {
  const people = ['Ann Example', 'Bob Example'].map((name) => {
    const k = generateSigningKey();
    return { name, k, priv: readPrivateKey(k.privatePem, name) };
  });
  const lines: string[] = [];
  let prev = GENESIS_PREV;
  const time = { utc: '2026-11-22T09:00:00.000Z', local: '2026-11-22T10:00:00.000+01:00' };
  for (let seq = 1; seq <= N; seq++) {
    const [from, to] = seq % 2 ? [people[0]!, people[1]!] : [people[1]!, people[0]!];
    const registers = seq <= 2; // each key registered in the log first, as the store does
    const entry: CustodyEntry = {
      v: 1, case: 'B-1', seq, prev, time,
      actor: { name: from.name, key: from.k.fingerprint },
      ...(registers ? {} : { cosigners: [{ name: to.name, key: to.k.fingerprint }] }),
      kind: registers ? 'key.registered' : 'custody.transferred',
      payload: registers
        ? { examiner: from.name, key: from.k.fingerprint, public_key: from.k.publicPem }
        : { evidence: 'EV-1', from: { name: from.name, key: from.k.fingerprint }, to: { name: to.name, key: to.k.fingerprint }, purpose: 'bench', location: 'bench' },
    };
    const bytes = encodeEntry(entry);
    const line = logLine(bytes, (registers ? [from] : [from, to]).map((p) => ({ key: p.k.fingerprint, sig: signBytes(p.priv, bytes) })));
    lines.push(line);
    prev = sha256Hex(lineHashInput(line));
  }
  return { lines, keys: new Map(people.map((p) => [p.k.fingerprint, readPublicKey(p.k.publicPem)!])) };
}

function oneThread(lines: string[], keys: Map<string, PublicKey>): number {
  let ok = 0;
  for (const line of lines) {
    const parts = splitLogLine(line)!;
    for (const s of parts.signatures as { key: string; sig: string }[]) if (verifyBytes(keys.get(s.key)!, parts.entryBytes, s.sig)) ok++;
  }
  return ok;
}

function timed(fn: () => number): { wall_s: number; cpu_s: number; ok: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const ok = fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall_s: wall, cpu_s: (c.user + c.system) / 1e6, ok };
}

function main(): void {
  log(`signing ${N} countersigned entries`);
  const { lines, keys } = buildLog();
  const load = os.loadavg();
  const one: ReturnType<typeof timed>[] = [];
  const pool: ReturnType<typeof timed>[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    one.push(timed(() => oneThread(lines, keys)));
    pool.push(timed(() => {
      const v = verifySignaturesInParallel(lines)!;
      let ok = 0;
      for (let n = 1; n <= lines.length; n++) for (let i = 0; i < 2; i++) if (v(n, i)) ok++;
      return ok;
    }));
    log(`round ${r + 1}: one thread ${one[r]!.wall_s.toFixed(2)} s (cpu ${one[r]!.cpu_s.toFixed(2)}), workers ${pool[r]!.wall_s.toFixed(2)} s (cpu ${pool[r]!.cpu_s.toFixed(2)})`);
  }
  if ([...one, ...pool].some((t) => t.ok !== 2 * N - 2)) die('a signature did not verify');
  const ratio = median(one.map((o, i) => o.wall_s / pool[i]!.wall_s));
  report(
    () => ({ entries: N, signatures: 2 * N - 2, cores: os.availableParallelism(), load_before: load, one_thread_s: median(one.map((t) => t.wall_s)), workers_s: median(pool.map((t) => t.wall_s)), speedup_median_of_ratios: ratio, one_thread_cpu_s: median(one.map((t) => t.cpu_s)), workers_cpu_s: median(pool.map((t) => t.cpu_s)) }),
    () => [
      `${2 * N - 2} Ed25519 signatures, ${os.availableParallelism()} cores, load average ${load.map((l) => l.toFixed(1)).join(' ')}`,
      `one thread: ${median(one.map((t) => t.wall_s)).toFixed(2)} s (cpu ${median(one.map((t) => t.cpu_s)).toFixed(2)} s)`,
      `workers:    ${median(pool.map((t) => t.wall_s)).toFixed(2)} s (cpu ${median(pool.map((t) => t.cpu_s)).toFixed(2)} s)`,
      `speed-up (median of ${ROUNDS} ratios): ${ratio.toFixed(2)}x`,
    ],
  );
}

main();
