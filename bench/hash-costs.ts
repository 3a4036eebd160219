/**
 * Benchmark: the CPU cost per byte of what the hash workers do, on one core:
 * each digest (what HASH_COST in core/crypto.ts should say, relative to one
 * another), the zero-sector count on random, text and zero data, and the
 * zero test that spares all-zero pieces their SHA-256. CPU time (not wall
 * time), best of 5, so other work on the machine disturbs it little.
 *
 *   npm run bench:hash-costs [-- --json]
 */
import crypto from 'node:crypto';
import { HASH_COST, type HashAlgorithm } from '../core/crypto.js';
import { allZero, countZeroSectors } from '../core/segment-digest.js';
import { machine, report, table } from './lib.js';

const MiB = 1024 * 1024;
const BLOCK = 4 * MiB; // one ring slot
const PER_GIB = 1024 / 4;

/** Best-of-5 CPU milliseconds of `fn`, run `times` times. */
function cpuMs(fn: () => void, times: number): number {
  let best = Infinity;
  for (let k = 0; k < 5; k++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < times; i++) fn();
    const u = process.cpuUsage(t0);
    best = Math.min(best, (u.user + u.system) / 1000);
  }
  return best / times;
}

const random = crypto.randomBytes(BLOCK);
const text = Buffer.alloc(BLOCK, 'The quick brown fox jumps over the lazy dog while the examiner writes down every hash. ');
const zero = Buffer.alloc(BLOCK);

const algs: HashAlgorithm[] = ['md5', 'sha1', 'sha256', 'sha512'];
const digest = algs.map((a) => {
  const h = crypto.createHash(a);
  const ms = cpuMs(() => h.update(random), 16);
  return { alg: a, mib_per_s: BLOCK / MiB / (ms / 1000), ns_per_byte: (ms * 1e6) / BLOCK, hash_cost: HASH_COST[a] };
});
const kinds = [['random', random], ['text', text], ['zero', zero]] as const;
const zeroCount = kinds.map(([kind, b]) => ({ kind, ms_per_gib: cpuMs(() => countZeroSectors(b, 512), 32) * PER_GIB }));
const zeroTest = kinds.map(([kind, b]) => ({ kind, ms_per_gib: cpuMs(() => allZero(b), 32) * PER_GIB }));

report(() => ({ digest, zero_sector_count: zeroCount, zero_test: zeroTest }), () => [
  `machine: ${machine().cpu}, node ${machine().node}; CPU time on one core, best of 5, 4 MiB updates`,
  '',
  ...table([{ title: 'MiB/s', width: 8 }, { title: 'ns/byte', width: 9 }, { title: 'HASH_COST', width: 10 }],
    digest.map((d) => [d.alg, [d.mib_per_s.toFixed(0), d.ns_per_byte.toFixed(3), d.hash_cost.toFixed(2)]]), 'digest'),
  '',
  ...table([{ title: 'count zero sectors, ms/GiB', width: 28 }, { title: 'zero test, ms/GiB', width: 19 }],
    kinds.map(([kind], i) => [kind, [zeroCount[i]!.ms_per_gib.toFixed(1), zeroTest[i]!.ms_per_gib.toFixed(1)]]), 'data'),
]);
