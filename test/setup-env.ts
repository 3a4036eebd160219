/**
 * Every test file gets its own exhibit home (case store, keys, settings), so
 * tests never touch a developer's real case store and cannot see each other's.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'exhibit-home-'));
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
// A file whose tests were all skipped runs no afterAll: the home goes when the process does
// (one exit listener per process, however many files it runs).
const g = globalThis as { exhibitHomes?: string[] };
if (!g.exhibitHomes) {
  const homes: string[] = (g.exhibitHomes = []);
  process.once('exit', () => homes.forEach((h) => fs.rmSync(h, { recursive: true, force: true })));
}
g.exhibitHomes.push(home);
