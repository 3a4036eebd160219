/**
 * One timed step of bench/pieces.ts, in a process of its own (so GNU time
 * measures it alone): `acquire <out> none|stream|spread` or `verify <folder> [every]`
 * (every: --every-piece, each piece hashed although the media's SHA-256 proves them).
 * Calls exhibit's own acquire() and verifyImage(), the code the commands run,
 * with no case store (the custody entry is not what is measured).
 */
import os from 'node:os';
import { acquire } from '../acquire/acquire.js';
import { DEFAULT_HASHES } from '../core/crypto.js';
import { verifyImage } from '../verify/verify.js';
import { fillSpec } from '../source/bad-sectors.js';

const [step, target, variant] = process.argv.slice(2);
if (step === 'acquire') {
  const out = await acquire({
    source: process.env.EXHIBIT_BENCH_INPUT ?? '/var/tmp/exhibit-bench/mixed-2g.bin',
    outDir: target!,
    evidence: 'EV',
    caseId: 'BENCH',
    examiner: 'bench',
    settings: { format: 'raw' },
    hashes: [...DEFAULT_HASHES],
    fill: fillSpec('zero'),
    retries: 0,
    maxBadRun: 0,
    allowMounted: true,
    commandLine: ['bench'],
    version: 'bench',
    // none: no pieces; stream: as shipped (one more SHA-256 stream restarted at each piece, its pieces
    // shared among one worker per core by cost); spread: more workers than cores, the system sharing
    // the cores among them: what a tree of smaller hashes would gain by hashing its leaves on any core.
    pieceSize: variant === 'none' ? null : 64 * 1024 * 1024,
    ...(variant === 'spread' ? { threads: os.availableParallelism() + 2 } : {}),
  });
  if (out.error) throw out.error;
  process.stdout.write(`${JSON.stringify({ hashes: out.record.media.hashes, pieces: out.record.media.pieces ?? null })}\n`);
} else if (step === 'verify') {
  const r = await verifyImage({ target: target!, ...(variant === 'every' ? { everyPiece: true } : {}) });
  if (r.problems.length > 0) throw new Error(r.problems.join('\n'));
  process.stdout.write(`${JSON.stringify({ hashes: r.hashes, pieces: r.pieces ?? null })}\n`);
} else throw new Error('usage: pieces-run acquire <out> none|stream|spread | verify <folder> [every]');
