/**
 * Every test file gets its own exhibit home (case store, keys, settings), so
 * tests never touch a developer's real case store and cannot see each other's.
 */
import fs from 'node:fs';
import { afterAll } from 'vitest';
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
