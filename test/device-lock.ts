/**
 * Setup file of the `e2e` project: one file at a time on this machine may
 * attach loop devices, serve faulty disks through nbdkit and FUSE, or mount
 * file systems (the files listed in test/device-files.ts), while other test
 * files run beside it; any other file passes through. The claim is an abstract
 * Unix socket, which the kernel frees when the holding process ends however it
 * ends, so a crashed test file never leaves the others waiting.
 *
 * The claim is taken in the file's first beforeAll and given back in its last
 * afterAll: a file whose tests all skip runs neither hook, so it never holds the
 * claim, and a file that runs its tests runs both. So device files can share a
 * process with each other (vitest's isolate: false) and still never keep the
 * claim past their own end. Every device operation of a file happens in its
 * hooks and tests, never while its module loads. The time spent waiting counts
 * in the file's reported duration.
 */
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { isDeviceFile } from './device-files.js';

const NAME = '\0exhibit-tests-devices';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'); // the project's, wherever vitest runs from

function claim(): Promise<net.Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((c) => c.destroy());
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(undefined) : reject(err)));
    server.listen({ path: NAME, exclusive: true }, () => resolve(server));
  });
}

let held: net.Server | undefined;

beforeAll(async ({}, suite) => {
  if (!isDeviceFile(suite.file.filepath, ROOT)) return;
  // Still held from an earlier file of this worker (its afterAll did not get here, after another of its
  // hooks threw): given back first, or this worker would wait on itself for ever.
  if (held) {
    const stale = held;
    held = undefined;
    await new Promise<void>((r) => stale.close(() => r()));
  }
  let server: net.Server | undefined;
  while (!(server = await claim())) await new Promise((r) => setTimeout(r, 100));
  server.unref();
  held = server;
}, 600_000); // as long as the longest device file may hold the claim

afterAll(async () => {
  const server = held;
  held = undefined;
  if (server) await new Promise<void>((r) => server.close(() => r()));
});
