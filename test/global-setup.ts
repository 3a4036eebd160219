/**
 * Every temporary folder the tests make is listed in one file for the run
 * (tempDir() in test/helpers/cli.ts appends to it), and this teardown, in the
 * main vitest process, removes every folder listed once all files are done.
 * A worker's own exit listener removes its folders sooner, but a worker that
 * is ended without an exit event (as vitest may end one whose file skipped
 * every test) would leave them behind. The folders themselves stay directly
 * in the system's temporary folder: paths under them must stay short enough
 * for Unix sockets (108 bytes).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const TEMP_LIST_VARIABLE = 'EXHIBIT_TEST_TEMP_LIST';

export default function setup(): (() => void) | undefined {
  if (process.env[TEMP_LIST_VARIABLE]) return undefined; // one list per run, whichever project starts first
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exhibit-run-'));
  const list = path.join(dir, 'temporary-folders');
  fs.writeFileSync(list, '');
  process.env[TEMP_LIST_VARIABLE] = list;
  return () => {
    const tmp = `${path.resolve(os.tmpdir())}${path.sep}exhibit-`;
    const dirs = new Set(fs.readFileSync(list, 'utf8').split('\n').filter((d) => d.startsWith(tmp) && !d.includes(`${path.sep}..`)));
    for (const d of dirs) {
      try {
        fs.rmSync(d, { recursive: true, force: true });
      } catch (err) {
        process.stderr.write(`test teardown: could not remove ${d}: ${(err as Error).message}\n`); // something still mounted under it
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
    delete process.env[TEMP_LIST_VARIABLE];
  };
}
