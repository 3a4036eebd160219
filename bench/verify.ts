/**
 * Benchmark: `exhibit verify` against libewf's `ewfverify` on the same E01
 * (exhibit's own, fast compression, of the cached input; made once, not
 * timed), one run each, after the machine is idle. ewfverify checks MD5
 * only; exhibit checks MD5, SHA-1 and SHA-256, every chunk checksum, each
 * file's SHA-256 and the custody log, and, with --hash md5, MD5 alone (still
 * every chunk and file). Not a test: it prints the ratios against the
 * targets and exits 1 if either tool rejects the image.
 *
 *   npm run bench:verify [-- --json]
 *   env: see bench/lib.ts (input, size)
 */
import path from 'node:path';
import { die, EVIDENCE, EXHIBIT, exhibitAcquire, INPUT, log, machine, ok, preflight, prepareInput, report, SCRATCH, SIZE, MiB, table, timed, waitIdle } from './lib.js';

const TARGET_ALL = 0.75; // exhibit (md5, sha1, sha256) / ewfverify (md5)
const TARGET_MD5 = 0.5; // exhibit --hash md5 / ewfverify

function main(): void {
  preflight([{ cmd: 'ewfverify', pkg: 'ewf-tools' }]);
  prepareInput();
  const dir = path.join(SCRATCH, 'image');
  log(`making the E01 once (not timed): exhibit acquire ${INPUT} -f e01 --compression fast`);
  exhibitAcquire(dir, ['--format', 'e01', '--compression', 'fast', '--hash', 'md5,sha1,sha256'], ['md5', 'sha1', 'sha256']);
  const image = path.join(dir, `${EVIDENCE}.E01`);

  waitIdle();
  log(`ewfverify -q ${image}`);
  const ewf = timed(['ewfverify', '-q', image]);
  if (!/ewfverify: SUCCESS/.test(ewf.stdout + ewf.stderr)) die(`ewfverify did not say SUCCESS:\n${(ewf.stdout + ewf.stderr).slice(-1500)}`);
  waitIdle();
  log(`exhibit verify ${image} --no-record (md5, sha1, sha256)`);
  const all = timed([process.execPath, EXHIBIT, 'verify', image, '--no-record']);
  if (!/^VERIFIED/m.test(all.stdout)) die(`exhibit verify did not say VERIFIED:\n${all.stdout.slice(-1500)}`);
  waitIdle();
  log(`exhibit verify ${image} --no-record --hash md5`);
  const md5 = timed([process.execPath, EXHIBIT, 'verify', image, '--no-record', '--hash', 'md5']);
  if (!/^VERIFIED/m.test(md5.stdout)) die(`exhibit verify --hash md5 did not say VERIFIED:\n${md5.stdout.slice(-1500)}`);

  const rAll = all.wall_s / ewf.wall_s;
  const rMd5 = md5.wall_s / ewf.wall_s;
  const mibs = (s: number) => (SIZE / MiB / s).toFixed(0);
  report(
    () => ({ input: INPUT, size: SIZE, ewfverify: ewf, exhibit_all: all, exhibit_md5: md5, ratio_all: rAll, ratio_md5: rMd5, targets: { all: TARGET_ALL, md5: TARGET_MD5 } }),
    () => [
      `machine: ${machine().cpu}, ${machine().cores} cores, node ${machine().node}`,
      `input:   E01 (fast) of ${INPUT} (${(SIZE / MiB).toFixed(0)} MiB of media), page-cached, one run each`,
      ...table(
        [{ title: 'wall s', width: 8 }, { title: 'MiB/s', width: 7 }, { title: 'peak RSS MiB', width: 13 }, { title: 'ratio', width: 7 }],
        [
          ['ewfverify (md5)', [ewf.wall_s.toFixed(2), mibs(ewf.wall_s), (ewf.rss_kib / 1024).toFixed(1), '1']],
          ['exhibit verify (md5, sha1, sha256)', [all.wall_s.toFixed(2), mibs(all.wall_s), (all.rss_kib / 1024).toFixed(1), rAll.toFixed(3)]],
          ['exhibit verify --hash md5', [md5.wall_s.toFixed(2), mibs(md5.wall_s), (md5.rss_kib / 1024).toFixed(1), rMd5.toFixed(3)]],
        ],
      ),
      `target: all three hashes at most ${TARGET_ALL} of ewfverify's time: ${ok(rAll <= TARGET_ALL)}`,
      `target: MD5 alone at most ${TARGET_MD5} of ewfverify's time: ${ok(rMd5 <= TARGET_MD5)}`,
    ],
  );
}

main();
