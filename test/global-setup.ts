/**
 * One temporary folder for the whole run: every test's temporary folders and exhibit homes go
 * under it (TMPDIR), and it is removed at the end, also for files whose tests all skipped (their
 * own teardown never runs) and for workers that end without an exit event.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exhibit-run-'));
  fs.chmodSync(dir, 0o755); // the read-only-store test runs a command as another user
  process.env.TMPDIR = dir;
  return () => {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // something still mounted under it: its own test reports that
    }
  };
}
