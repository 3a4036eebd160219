/**
 * Benchmark: `exhibit verify` of an Ex01 against `exhibit verify` of an E01
 * of the same media, both written by the same libewf `ewfacquire` with the
 * same deflate level (so the two differ in container only), ROUNDS rounds
 * once the machine is idle, the order reversed every other round, MD5 and
 * SHA-1 (what both store); the ratio is taken within each round, its median
 * printed. Per media byte the Ex01 must verify at least as fast as the E01.
 * Not a test: it prints the figures and the ratio and exits 1 if either
 * image does not verify.
 *
 * Writing EWF2 needs libewf 20240506 or later (Debian's ewf-tools 20140813
 * writes EWF1 only): give its ewfacquire in EXHIBIT_EWFACQUIRE_V2.
 *
 *   EXHIBIT_EWFACQUIRE_V2=/path/to/ewfacquire node dist/bench/verify-ex01.js [--json]
 *   env: see bench/lib.ts (input, size)
 */
import fs from 'node:fs';
import path from 'node:path';
import { die, EXHIBIT, INPUT, log, machine, median, MiB, ok, prepareInput, report, ROUNDS, SCRATCH, SIZE, table, timed, waitIdle } from './lib.js';

const TARGET = 1.0; // Ex01 seconds per media byte / E01 seconds per media byte

function acquire(tool: string, format: string, target: string): void {
  const r = timed([tool, '-u', '-q', '-f', format, '-c', 'deflate:fast', '-d', 'sha1', '-S', '8GiB', '-t', target, INPUT]);
  if (!/SUCCESS/.test(r.stdout + r.stderr)) die(`${tool} -f ${format} failed:\n${(r.stdout + r.stderr).slice(-1500)}`);
}

function main(): void {
  const tool = process.env.EXHIBIT_EWFACQUIRE_V2;
  if (!tool || !fs.existsSync(tool)) die('set EXHIBIT_EWFACQUIRE_V2 to an ewfacquire that writes EWF2 (libewf 20240506 or later)');
  prepareInput();
  const dir = path.join(SCRATCH, 'ex01');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  log(`making the E01 and the Ex01 once (not timed): ${tool} -f encase6 / encase7-v2 -c deflate:fast ${INPUT}`);
  acquire(tool, 'encase6', path.join(dir, 'E01'));
  acquire(tool, 'encase7-v2', path.join(dir, 'EX'));
  const e01 = path.join(dir, 'E01.E01');
  const ex01 = path.join(dir, 'EX.Ex01');
  if (!fs.existsSync(ex01)) die(`${tool} wrote no ${ex01}: it cannot write EWF2`);
  const verify = (image: string) => {
    log(`exhibit verify ${image} --no-record --hash md5,sha1`);
    const r = timed([process.execPath, EXHIBIT, 'verify', image, '--no-record', '--hash', 'md5,sha1']);
    if (!/^VERIFIED/m.test(r.stdout)) die(`exhibit verify ${image} did not say VERIFIED:\n${(r.stdout + r.stderr).slice(-1500)}`);
    return r;
  };
  // ROUNDS rounds, the order reversed every other round; each ratio is taken within its round.
  waitIdle();
  const e01Runs: ReturnType<typeof verify>[] = [];
  const ex01Runs: ReturnType<typeof verify>[] = [];
  const ratios: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    let x: ReturnType<typeof verify>;
    let y: ReturnType<typeof verify>;
    if (round % 2) {
      x = verify(e01);
      y = verify(ex01);
    } else {
      y = verify(ex01);
      x = verify(e01);
    }
    e01Runs.push(x);
    ex01Runs.push(y);
    ratios.push(y.wall_s / x.wall_s); // same media: per media byte is per run
    log(`round ${round}/${ROUNDS}: E01 ${x.wall_s.toFixed(2)} s, Ex01 ${y.wall_s.toFixed(2)} s, ratio ${ratios.at(-1)!.toFixed(3)}`);
  }
  const mid = (runs: ReturnType<typeof verify>[]) => ({ ...runs[0]!, wall_s: median(runs.map((r) => r.wall_s)), rss_kib: Math.max(...runs.map((r) => r.rss_kib)) });
  const a = mid(e01Runs);
  const b = mid(ex01Runs);
  const ratio = median(ratios);
  const mibs = (s: number) => (SIZE / MiB / s).toFixed(0);
  const sizeOf = (p: string) => (fs.statSync(p).size / MiB).toFixed(0);
  report(
    () => ({ input: INPUT, size: SIZE, rounds: ROUNDS, e01: { ...a, file_mib: Number(sizeOf(e01)) }, ex01: { ...b, file_mib: Number(sizeOf(ex01)) }, ratio, ratios, target: TARGET }),
    () => [
      `machine: ${machine().cpu}, ${machine().cores} cores, node ${machine().node}`,
      `input:   ${INPUT} (${(SIZE / MiB).toFixed(0)} MiB of media), page-cached, ${ROUNDS} rounds (median wall, peak RSS), MD5 and SHA-1`,
      ...table(
        [{ title: 'image MiB', width: 10 }, { title: 'wall s', width: 8 }, { title: 'media MiB/s', width: 12 }, { title: 'peak RSS MiB', width: 13 }],
        [
          ['exhibit verify E01 (encase6, deflate fast)', [sizeOf(e01), a.wall_s.toFixed(2), mibs(a.wall_s), (a.rss_kib / 1024).toFixed(1)]],
          ['exhibit verify Ex01 (encase7-v2, deflate fast)', [sizeOf(ex01), b.wall_s.toFixed(2), mibs(b.wall_s), (b.rss_kib / 1024).toFixed(1)]],
        ],
        'image',
      ),
      `target: Ex01 at most ${TARGET} x the E01's time per media byte (median ${ratio.toFixed(3)}; rounds ${ratios.map((r) => r.toFixed(3)).join(', ')}): ${ok(ratio <= TARGET)}`,
    ],
  );
}

main();
