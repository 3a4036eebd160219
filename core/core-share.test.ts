import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers/cli.js';
import { GATE_BUSY, GATE_LIMIT, newInsideFlag, releaseEnded } from './core-gate.js';
import { holdCoreShare, registeredNames, REGISTRY_PREFIX, shareOf } from './core-share.js';

const dist = (f: string): string => pathToFileURL(path.resolve('dist/core', f)).href;

describe('core share', () => {
  it('splits the cores evenly, the oldest jobs taking what does not divide, never under one', () => {
    expect([0].map((older) => shareOf(2, { jobs: 1, older }))).toEqual([2]);
    expect([0, 1].map((older) => shareOf(2, { jobs: 2, older }))).toEqual([1, 1]);
    expect([0, 1, 2].map((older) => shareOf(2, { jobs: 3, older }))).toEqual([1, 1, 1]);
    expect([0, 1, 2].map((older) => shareOf(8, { jobs: 3, older }))).toEqual([3, 3, 2]);
    expect([0, 1].map((older) => shareOf(1, { jobs: 2, older }))).toEqual([1, 1]);
  });

  it('reads the registered jobs from /proc/net/unix, sorted by when they registered', () => {
    const text = [
      'Num       RefCount Protocol Flags    Type St Inode Path',
      `0000000000000000: 00000002 00000000 00010000 0001 01 1234 @${REGISTRY_PREFIX}000001700000002-99-0@@@@@@@@@@@@`,
      '0000000000000000: 00000002 00000000 00010000 0001 01 1235 /run/systemd/notify',
      `0000000000000000: 00000002 00000000 00010000 0001 01 1236 @${REGISTRY_PREFIX}000001700000001-42-3`,
      '0000000000000000: 00000002 00000000 00010000 0001 01 1237 @exhibit-tests-devices',
    ].join('\n');
    expect(registeredNames(text)).toEqual([`${REGISTRY_PREFIX}000001700000001-42-3`, `${REGISTRY_PREFIX}000001700000002-99-0`]);
  });

  it('a process holding its share is seen by another, which takes its part; gone, it is forgotten; alone, a job has no limit', async () => {
    const script = `import { holdCoreShare } from ${JSON.stringify(dist('core-share.js'))};
holdCoreShare(); setTimeout(() => console.log('held'), 100); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;
    const file = path.join(tempDir('exhibit-share-'), 'hold.mjs'); // removed with the test process, and at the end of the run
    fs.writeFileSync(file, script);
    const child = spawn(process.execPath, [file], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise((r) => child.stdout.once('data', r));
    const theirs = (): string[] => registeredNames(fs.readFileSync('/proc/net/unix', 'latin1')).filter((n) => n.includes(`-${child.pid}-`));
    expect(theirs()).toHaveLength(1);
    const share = holdCoreShare();
    const gate = new Int32Array(share.pass().gate);
    const cores = os.availableParallelism();
    // Other files of the suite may hold shares of their own meanwhile: the limit must be what this
    // process's standing gives, and less than every core while the other process holds its part.
    const standing = (): number => {
      const names = registeredNames(fs.readFileSync('/proc/net/unix', 'latin1'));
      const mine = names.filter((n) => n.includes(`-${process.pid}-`));
      return names.length > 1 ? shareOf(cores, { jobs: names.length, older: names.indexOf(mine[0]!) }) : 1 << 30; // alone: no limit
    };
    const until = async (ok: () => boolean): Promise<boolean> => {
      for (let i = 0; i < 60 && !ok(); i++) await new Promise((r) => setTimeout(r, 100));
      return ok();
    };
    expect(await until(() => Atomics.load(gate, GATE_LIMIT) === standing())).toBe(true);
    if (cores > 1) expect(Atomics.load(gate, GATE_LIMIT)).toBeLessThan(cores);
    child.stdin.end();
    await new Promise((r) => child.once('exit', r));
    expect(await until(() => theirs().length === 0)).toBe(true);
    expect(await until(() => Atomics.load(gate, GATE_LIMIT) === standing())).toBe(true);
    share.release();
    expect(registeredNames(fs.readFileSync('/proc/net/unix', 'latin1')).filter((n) => n.includes(`-${process.pid}-`))).toEqual([]);
  });

  it('the gate lets no more threads work at once than its limit, and more as soon as it grows', async () => {
    const gate = new Int32Array(new SharedArrayBuffer(8));
    const seen = new Int32Array(new SharedArrayBuffer(12)); // [inside now, most inside at once, batches done]
    Atomics.store(gate, GATE_LIMIT, 1);
    const code = `const { workerData } = require('node:worker_threads');
import(${JSON.stringify(dist('core-gate.js'))}).then(({ enterGate, leaveGate }) => {
  const gate = new Int32Array(workerData.gate), seen = new Int32Array(workerData.seen), inside = new Int32Array(workerData.inside);
  for (let i = 0; i < 300; i++) {
    enterGate(gate, inside);
    const now = Atomics.add(seen, 0, 1) + 1;
    for (let m = Atomics.load(seen, 1); now > m && Atomics.compareExchange(seen, 1, m, now) !== m; m = Atomics.load(seen, 1));
    const t = Date.now(); while (Date.now() - t < 1);
    Atomics.sub(seen, 0, 1);
    Atomics.add(seen, 2, 1);
    leaveGate(gate, inside);
  }
});`;
    const workers = Array.from({ length: 3 }, () => new Worker(code, { eval: true, workerData: { gate: gate.buffer, seen: seen.buffer, inside: newInsideFlag() } }));
    const ended = Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));
    while (Atomics.load(seen, 2) < 300) await new Promise((r) => setTimeout(r, 10));
    expect(Atomics.load(seen, 1)).toBe(1);
    Atomics.store(gate, GATE_LIMIT, 2);
    Atomics.notify(gate, GATE_BUSY);
    await ended;
    expect(Atomics.load(seen, 2)).toBe(900);
    expect(Atomics.load(seen, 1)).toBe(2);
    expect(Atomics.load(gate, GATE_BUSY)).toBe(0);
  });

  it('a thread stopped inside the gate has its place given back once, by its pool', async () => {
    const gate = new Int32Array(new SharedArrayBuffer(8));
    Atomics.store(gate, GATE_LIMIT, 1);
    const pass = { gate: gate.buffer as SharedArrayBuffer, inside: newInsideFlag() };
    const code = `const { workerData } = require('node:worker_threads');
import(${JSON.stringify(dist('core-gate.js'))}).then(({ throughGate }) => throughGate(workerData.pass, () => { for (;;); }));`;
    const w = new Worker(code, { eval: true, workerData: { pass } });
    const inside = new Int32Array(pass.inside);
    for (let i = 0; i < 200 && Atomics.load(inside, 0) === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(Atomics.load(gate, GATE_BUSY)).toBe(1);
    await w.terminate(); // no finally runs on the stopped thread
    expect(Atomics.load(gate, GATE_BUSY)).toBe(1);
    releaseEnded(pass);
    expect(Atomics.load(gate, GATE_BUSY)).toBe(0);
    releaseEnded(pass); // a second time gives nothing back
    expect(Atomics.load(gate, GATE_BUSY)).toBe(0);
  });
});
