/**
 * Benchmark: `exhibit restore` and `exhibit clone` against the peers, on the
 * cached 2 GiB input, all writing to /dev/shm, one run each after the
 * machine is idle. Restore: an E01 (fast) of the input written back to a raw
 * file, against libewf's `ewfexport -f raw` (which computes MD5 and does not
 * read its output back); exhibit also reads the target back and hashes it.
 * Clone: the input copied to a file, against `dc3dd hash=md5 hash=sha1
 * hash=sha256` (which hashes the source only); exhibit hashes the source with
 * the same three and reads the target back with them too. Not a test: it
 * checks that every output equals the input (cmp) and prints the ratios.
 *
 *   npm run bench:restore [-- --json]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { die, EVIDENCE, EXHIBIT, exhibitAcquire, INPUT, log, machine, MiB, preflight, prepareInput, report, SCRATCH, SIZE, table, timed, waitIdle } from './lib.js';

function same(file: string): void {
  const r = spawnSync('cmp', ['-s', INPUT, file]);
  if (r.status !== 0) die(`${file} differs from the input`);
  fs.rmSync(file, { force: true });
}

function main(): void {
  preflight([{ cmd: 'ewfexport', pkg: 'ewf-tools' }, { cmd: 'dc3dd', pkg: 'dc3dd' }], 3);
  prepareInput();
  const dir = path.join(SCRATCH, 'image');
  log('making the E01 once (not timed)');
  exhibitAcquire(dir, ['--format', 'e01', '--compression', 'fast'], ['md5']);
  const e01 = path.join(dir, `${EVIDENCE}.E01`);

  waitIdle();
  log('ewfexport -f raw (E01 to raw)');
  const ewfOut = path.join(SCRATCH, 'ewfexport');
  const ewf = timed(['ewfexport', '-q', '-u', '-f', 'raw', '-t', ewfOut, e01]);
  same(fs.existsSync(`${ewfOut}.raw`) ? `${ewfOut}.raw` : ewfOut);
  waitIdle();
  log('exhibit restore (E01 to a new file, read back and checked)');
  const restored = path.join(SCRATCH, 'restored.dd');
  const restore = timed([process.execPath, EXHIBIT, 'restore', e01, restored, '--no-record']);
  same(restored);

  waitIdle();
  log('dc3dd hash=md5 hash=sha1 hash=sha256 (input to file)');
  const dcOut = path.join(SCRATCH, 'dc3dd.dd');
  const dc = timed(['dc3dd', `if=${INPUT}`, `of=${dcOut}`, 'hash=md5', 'hash=sha1', 'hash=sha256', 'nwspc=on']);
  same(dcOut);
  waitIdle();
  log('exhibit clone (input to file, read back and checked)');
  const cloned = path.join(SCRATCH, 'clone.dd');
  const clone = timed([process.execPath, EXHIBIT, 'clone', INPUT, cloned, '--record', path.join(SCRATCH, 'clone.yaml'), '-x', 'bench']);
  same(cloned);

  const mibs = (s: number) => (SIZE / MiB / s).toFixed(0);
  const result = { restore_s: restore.wall_s, ewfexport_s: ewf.wall_s, clone_s: clone.wall_s, dc3dd_s: dc.wall_s, restore_ratio: restore.wall_s / ewf.wall_s, clone_ratio: clone.wall_s / dc.wall_s };
  fs.rmSync(SCRATCH, { recursive: true, force: true });
  report(
    () => result,
    () => [
      `machine: ${machine().cpu}, ${machine().cores} cores, node ${machine().node}`,
      `input:   ${INPUT} (${(SIZE / MiB).toFixed(0)} MiB), page-cached, outputs in /dev/shm, one run each`,
      ...table(
        [{ title: 'wall s', width: 8 }, { title: 'MiB/s', width: 7 }, { title: 'peak RSS MiB', width: 13 }, { title: 'ratio', width: 7 }],
        [
          ['ewfexport -f raw (MD5, no read-back)', [ewf.wall_s.toFixed(2), mibs(ewf.wall_s), (ewf.rss_kib / 1024).toFixed(1), '1']],
          ['exhibit restore (md5, read back)', [restore.wall_s.toFixed(2), mibs(restore.wall_s), (restore.rss_kib / 1024).toFixed(1), result.restore_ratio.toFixed(3)]],
          ['dc3dd (3 hashes, no read-back)', [dc.wall_s.toFixed(2), mibs(dc.wall_s), (dc.rss_kib / 1024).toFixed(1), '1']],
          ['exhibit clone (3 hashes, read back)', [clone.wall_s.toFixed(2), mibs(clone.wall_s), (clone.rss_kib / 1024).toFixed(1), result.clone_ratio.toFixed(3)]],
        ],
      ),
    ],
  );
}

main();
