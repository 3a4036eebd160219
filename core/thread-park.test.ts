import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers/cli.js';
import { HashPool } from './hash-pool.js';
import { parkWorker, takeWorker } from './thread-park.js';

const dir = tempDir('exhibit-park-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// A thread that answers each message with its own thread id.
const echo = path.join(dir, 'echo.mjs');
fs.writeFileSync(echo, "import { parentPort, threadId } from 'node:worker_threads';\nparentPort.on('message', () => parentPort.postMessage(threadId));\n");
const ECHO = pathToFileURL(echo);

const ask = (w: import('node:worker_threads').Worker): Promise<number> =>
  new Promise((resolve) => {
    w.once('message', resolve);
    w.postMessage('who');
  });

describe('thread park', () => {
  it('gives a parked thread to the next pool of its kind, without the last pool’s listeners', async () => {
    const first = takeWorker(ECHO);
    const id = await ask(first);
    let heardByOld = 0;
    first.on('message', () => heardByOld++);
    parkWorker(ECHO, first);
    const second = takeWorker(ECHO);
    expect(second).toBe(first);
    expect(await ask(second)).toBe(id);
    expect(heardByOld).toBe(0);
    await second.terminate();
  });

  it('forgets a parked thread that ends, and starts a new one', async () => {
    const w = takeWorker(ECHO);
    const id = await ask(w);
    parkWorker(ECHO, w);
    await w.terminate();
    const next = takeWorker(ECHO);
    expect(next).not.toBe(w);
    expect(await ask(next)).not.toBe(id);
    await next.terminate();
  });

  it('does not keep the process alive', () => {
    const park = pathToFileURL(path.resolve('dist/core/thread-park.js')).href;
    const script = `import { takeWorker, parkWorker } from ${JSON.stringify(park)};
const u = new URL(${JSON.stringify(ECHO.href)});
const w = takeWorker(u);
w.once('message', () => { parkWorker(u, w); console.log('parked'); });
w.postMessage('who');`;
    const file = path.join(dir, 'park-and-end.mjs');
    fs.writeFileSync(file, script);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 20_000 });
    expect(r.signal).toBeNull(); // not killed by the timeout: it ended by itself
    expect(r.stdout.trim()).toBe('parked');
    expect(r.status).toBe(0);
  });

  it('hash pools one after another reuse their threads and digest each pool’s bytes alone', async () => {
    const sab = new SharedArrayBuffer(1 << 20);
    const bytes = Buffer.from(sab);
    const jobs = [
      { id: 'md5', algorithm: 'md5' as const },
      { id: 'sha256', algorithm: 'sha256' as const },
    ];
    for (let round = 0; round < 3; round++) {
      bytes.fill(round + 1);
      const pool = new HashPool(sab, jobs, 2);
      await pool.update(0, bytes.length);
      await pool.update(0, 1000);
      const got = await pool.finish();
      await pool.terminate(); // after finish: must not stop threads another pool may hold by now
      const whole = Buffer.concat([bytes, bytes.subarray(0, 1000)]);
      expect(got.get('md5')).toEqual([crypto.createHash('md5').update(whole).digest('hex')]);
      expect(got.get('sha256')).toEqual([crypto.createHash('sha256').update(whole).digest('hex')]);
    }
  });
});
