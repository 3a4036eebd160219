/**
 * Setup file of the `e2e-devices` project: one file at a time on this machine
 * may attach loop devices, serve faulty disks through nbdkit and FUSE, or mount
 * file systems, while other test files run beside it. The claim is an abstract
 * Unix socket, which the kernel frees when the holding process ends however it
 * ends, so a crashed test file never leaves the others waiting. The time spent
 * waiting counts in the file's reported duration.
 */
import net from 'node:net';
import { afterAll } from 'vitest';

const NAME = '\0exhibit-tests-devices';

function claim(): Promise<net.Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((c) => c.destroy());
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(undefined) : reject(err)));
    server.listen({ path: NAME, exclusive: true }, () => resolve(server));
  });
}

let held: net.Server | undefined;
while (!(held = await claim())) await new Promise((r) => setTimeout(r, 100));
const server = held;
server.unref();

afterAll(() => new Promise<void>((r) => server.close(() => r())));
