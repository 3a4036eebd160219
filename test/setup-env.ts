/**
 * Every test file gets its own exhibit home (case store, keys, settings), so
 * tests never touch a developer's real case store and cannot see each other's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { tempDir } from './helpers/cli.js';

const home = tempDir('exhibit-home-'); // removed after the file, and in any case at the end of the run
process.env.EXHIBIT_HOME = home;
delete process.env.EXHIBIT_PASSPHRASE;
delete process.env.EXHIBIT_EXAMINER;

// sfdisk, sgdisk, losetup and mkfs live in the sbin folders, which an ordinary user's PATH often
// lacks: look there too, so a tool that is installed is never reported missing.
const dirs = (process.env.PATH ?? '').split(':').filter(Boolean);
for (const d of ['/usr/local/sbin', '/usr/sbin', '/sbin']) if (!dirs.includes(d)) dirs.push(d);
process.env.PATH = dirs.join(':');

afterAll(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

// EXHIBIT_TEST_CPU_LOG=<file>: each test file appends one line with the CPU its process used (this
// thread and its threads, and the child processes it waited for), to find what makes the suite slow.
// vitest runs each file in a process of its own, so the figures are per file.
const cpuLog = process.env.EXHIBIT_TEST_CPU_LOG;
if (cpuLog) {
  let file = '?';
  const t0 = Date.now();
  beforeAll(({}, suite) => {
    file = path.relative(process.cwd(), suite.file.filepath);
  });
  afterAll(() => {
    const self = process.cpuUsage();
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    const tick = 100; // USER_HZ on Linux
    const children = { user: Number(fields[13]) / tick, system: Number(fields[14]) / tick };
    const total = self.user / 1e6 + self.system / 1e6 + children.user + children.system;
    fs.appendFileSync(cpuLog, `${total.toFixed(1)} s CPU  ${file}  (self ${(self.user / 1e6).toFixed(1)} user ${(self.system / 1e6).toFixed(1)} system; children ${children.user.toFixed(1)} user ${children.system.toFixed(1)} system; ${((Date.now() - t0) / 1000).toFixed(1)} s wall)\n`);
  });
}
