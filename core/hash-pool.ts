/**
 * Multi-core hashing of a shared buffer ring. Each worker thread runs one group
 * of hash jobs (see planHashGroups), so MD5 and SHA-256 run on different cores
 * while every worker reads the same bytes from shared memory: no copies.
 *
 * Lives in core/ (not acquire/) because verify hashes images the same way and
 * must not import acquire.
 */
import type { Worker } from 'node:worker_threads';
import os from 'node:os';
import { ExhibitError } from './errors.js';
import { planHashGroups, type EmittedSegment, type HashJob } from './hash-plan.js';
import { GroupHasher } from './segment-digest.js';
import { releaseEnded, type GatePass } from './core-gate.js';
import { holdCoreShare, type CoreShareHold } from './core-share.js';
import { parkWorker, takeWorker } from './thread-park.js';
import { workerUrl } from './worker-url.js';

const HASH_WORKER = workerUrl(import.meta.url, 'hash-worker');

export type WorkerRequest =
  | { t: 'init'; buffer: SharedArrayBuffer; jobs: HashJob[]; gate?: GatePass }
  | { t: 'data'; seq: number; offset: number; length: number }
  | { t: 'end' };
export type WorkerReply =
  | { t: 'done'; seq: number; segments?: EmittedSegment[] }
  | { t: 'result'; results: Record<string, string[]>; segments?: EmittedSegment[] }
  | { t: 'error'; message: string };

interface Pending {
  resolve: () => void;
  reject: (e: Error) => void;
}

class GroupWorker implements Group {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private finishing: { resolve: (r: Record<string, string[]>) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private terminating = false;
  private parked = false;

  constructor(
    buffer: SharedArrayBuffer,
    jobs: HashJob[],
    private readonly pass: GatePass,
    private readonly onSegments: ((s: EmittedSegment[]) => void) | undefined,
  ) {
    this.worker = takeWorker(HASH_WORKER);
    this.worker.postMessage({ t: 'init', buffer, jobs, gate: this.pass } satisfies WorkerRequest);
    this.worker.on('message', (msg: WorkerReply) => this.onMessage(msg));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      releaseEnded(this.pass); // it may have died inside the gate
      if (!this.terminating) this.fail(new Error(`a hash worker stopped unexpectedly (exit code ${code})`));
    });
  }

  private onMessage(msg: WorkerReply): void {
    if (msg.t !== 'error' && msg.segments && msg.segments.length > 0) this.onSegments?.(msg.segments);
    if (msg.t === 'done') {
      const p = this.pending.get(msg.seq);
      this.pending.delete(msg.seq);
      p?.resolve();
    } else if (msg.t === 'result') {
      const f = this.finishing;
      this.finishing = undefined;
      f?.resolve(msg.results);
    } else {
      this.fail(new Error(msg.message));
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.finishing?.reject(err);
    this.finishing = undefined;
  }

  update(seq: number, offset: number, length: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.worker.postMessage({ t: 'data', seq, offset, length } satisfies WorkerRequest);
    });
  }

  finish(): Promise<Record<string, string[]>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.finishing = { resolve, reject };
      this.worker.postMessage({ t: 'end' } satisfies WorkerRequest);
    });
  }

  async terminate(): Promise<void> {
    if (this.parked) return; // the thread may be another pool's by now
    this.terminating = true;
    this.fail(new Error('hashing was stopped'));
    await this.worker.terminate();
    releaseEnded(this.pass); // stopped mid-batch, it could not give its place in the gate back
  }

  /** After its digests came back: the thread, idle and holding nothing of this pool, is kept for the next. */
  async park(): Promise<void> {
    if (this.parked) return;
    if (this.failure || this.pending.size > 0 || this.finishing) return this.terminate();
    this.terminating = true;
    this.failure = new Error('hashing has ended');
    this.parked = true;
    parkWorker(HASH_WORKER, this.worker);
  }
}

/** What HashPool asks of a group: a worker thread's, or one hashed on this thread. */
interface Group {
  update(seq: number, offset: number, length: number): Promise<void>;
  finish(): Promise<Record<string, string[]>>;
  terminate(): Promise<void>;
  park(): Promise<void>;
}

/**
 * Every job on this thread, the same code a worker runs: for small inputs,
 * where starting a worker (about 0.1 s of a core for Node's own start) costs
 * more than the hashing, and nothing is left to overlap.
 */
class InlineGroup implements Group {
  private readonly hasher: GroupHasher;
  constructor(
    private readonly buffer: SharedArrayBuffer,
    jobs: readonly HashJob[],
    onSegments: ((s: EmittedSegment[]) => void) | undefined,
  ) {
    this.hasher = new GroupHasher(jobs, onSegments);
  }
  async update(_seq: number, offset: number, length: number): Promise<void> {
    this.hasher.update(Buffer.from(this.buffer, offset, length));
  }
  async finish(): Promise<Record<string, string[]>> {
    return this.hasher.results();
  }
  async terminate(): Promise<void> {}
  async park(): Promise<void> {}
}

export class HashPool {
  private readonly groups: Group[];
  private seq = 0;
  private readonly share: CoreShareHold | undefined;

  /**
   * Start one worker per group; `threads` defaults to the cores Node may use, and 0 hashes on this
   * thread. The workers work within the process's share of the machine's cores (core/core-share.ts).
   */
  constructor(buffer: SharedArrayBuffer, jobs: readonly HashJob[], threads = os.availableParallelism(), onSegments?: (s: EmittedSegment[]) => void) {
    if (jobs.length === 0) throw new ExhibitError('INTERNAL', 'no hash jobs');
    if (threads === 0) {
      this.groups = [new InlineGroup(buffer, jobs, onSegments)];
      return;
    }
    const share = holdCoreShare();
    this.share = share;
    const groups: GroupWorker[] = [];
    try {
      for (const g of planHashGroups(jobs, threads)) groups.push(new GroupWorker(buffer, g, share.pass(), onSegments));
    } catch (err) {
      for (const g of groups) void g.terminate();
      share.release();
      throw err;
    }
    this.groups = groups;
  }

  get threadCount(): number {
    return this.groups.length;
  }

  /** Digest `length` bytes at `offset` of the shared buffer; resolves when every worker is done with them. */
  async update(offset: number, length: number): Promise<void> {
    const seq = this.seq++;
    await Promise.all(this.groups.map((g) => g.update(seq, offset, length)));
  }

  /** Finish every job: one hex digest per job, or one per segment for segmented jobs. */
  async finish(): Promise<Map<string, string[]>> {
    let parts: Record<string, string[]>[];
    try {
      parts = await Promise.all(this.groups.map((g) => g.finish()));
    } catch (err) {
      await this.terminate();
      throw err;
    }
    await Promise.all(this.groups.map((g) => g.park()));
    this.share?.release();
    // A job shared among workers comes back from each with empty strings for the segments another digested.
    const out = new Map<string, string[]>();
    for (const p of parts) {
      for (const [id, d] of Object.entries(p)) {
        const had = out.get(id);
        out.set(id, had ? had.map((h, i) => h || d[i] || '') : d);
      }
    }
    for (const [id, d] of out) if (d.some((h) => h === '')) throw new ExhibitError('INTERNAL', `no worker digested every segment of ${id}`);
    return out;
  }

  async terminate(): Promise<void> {
    await Promise.all(this.groups.map((g) => g.terminate()));
    this.share?.release();
  }
}
