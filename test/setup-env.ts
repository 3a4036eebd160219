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

// EXHIBIT_TEST_CPU_LOG=<file>: each test file appends one line with the CPU it used (this process's
// threads, and the child processes it waited for), to find what makes the suite slow. Measured from
// the file's first hook to its end (its imports are not counted), so the figures are per file also
// where files share a process. Each line ends with when the file ran and on which worker: the run's
// timeline, to see where a worker waited; then the worker's memory at the file's end, to see what
// files sharing a process leave behind.
const cpuLog = process.env.EXHIBIT_TEST_CPU_LOG;
if (cpuLog) {
  const TICK = 100; // USER_HZ on Linux
  const sample = () => {
    const self = process.cpuUsage();
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    return { user: self.user / 1e6, system: self.system / 1e6, childUser: Number(fields[13]) / TICK, childSystem: Number(fields[14]) / TICK, wall: Date.now() / 1000 };
  };
  let file = '?';
  let start = sample();
  beforeAll(({}, suite) => {
    file = path.relative(process.cwd(), suite.file.filepath);
    start = sample();
  });
  afterAll(() => {
    const end = sample();
    const d = (k: keyof typeof end) => end[k] - start[k];
    const total = d('user') + d('system') + d('childUser') + d('childSystem');
    const f = (n: number) => n.toFixed(1);
    const mem = process.memoryUsage();
    const mib = (n: number) => (n / 2 ** 20).toFixed(0);
    fs.appendFileSync(
      cpuLog,
      `${f(total)} s CPU  ${file}  (self ${f(d('user'))} user ${f(d('system'))} system; children ${f(d('childUser'))} user ${f(d('childSystem'))} system; ${f(d('wall'))} s wall; ` +
        `from ${f(start.wall)} to ${f(end.wall)} on worker ${process.env.VITEST_POOL_ID ?? '?'}; heap ${mib(mem.heapUsed)} MiB, outside it ${mib(mem.external)} MiB, rss ${mib(mem.rss)} MiB)\n`,
    );
  });
}
