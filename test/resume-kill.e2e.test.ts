/**
 * Resuming `exhibit acquire` through the real command after kill -9 at random
 * moments: before any output, mid-copy, in the final flush, after the record;
 * resumes killed too. (test/resume.e2e.test.ts has Ctrl-C, a full destination,
 * refusals and kills at exact steps.)
 *
 * The rounds are random but reproducible: the seed is printed and can be set
 * with EXHIBIT_RESUME_SEED.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSourceFile, tempDir, withoutNotices } from './helpers/cli.js';
import {
  acquireArgsOf,
  digests,
  EV,
  EXAMINER,
  expectResumableError,
  imageBytes,
  imageHolds,
  journalPath,
  MiB,
  prng,
  readJournal,
  readRecord,
  recordPath,
  RESUMER,
  resumeArgs,
  run,
  spawnRun,
  type Format,
  type KillAt,
} from './helpers/resume.js';

const work = tempDir('exhibit-resume-kill-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('kill -9 at random points, then resume', () => {
  const SEED = Number(process.env.EXHIBIT_RESUME_SEED ?? 20260117);
  const ROUNDS = 8;
  // Rounds are stratified: bucket k covers the k-th eighth of the run. The first and last buckets are
  // placed by the clock (they reach the windows before any output and after the copy); the others by
  // progress, once the image holds that share of the source, so they land mid-copy on any machine.
  const SPLIT_BUCKETS = new Set([1, 4, 6]); // early, mid-run and late, with split-raw
  // Mid-copy rounds whose resumes are killed as well (bucket 5: the first and the second resume).
  const RESUME_KILLS = new Map([
    [3, 1],
    [4, 1],
    [5, 2],
  ]);
  // The rounds copy a source of 16 MiB: in four pieces of 4 MiB, with a safe point every 2 MiB and, for
  // split raw, in 8 files: four pieces and seven safe points, as a 32 MiB copy with 8 MiB pieces and a
  // safe point every 4 MiB has, at half its cost. Kills placed by progress are shares of it.
  const SIZE = 16 * MiB;
  const SRC = path.join(work, 'source-16m.bin');
  const acquireArgs = (src: string, out: string, format: Format): string[] => acquireArgsOf(src, out, format, ['--sync-every', '2MiB', '--piece-size', '4MiB']);
  let source: Buffer;
  let expected: Record<string, string>;
  const ref: Record<Format, { dir: string; record: any; ms: number }> = {} as never;
  beforeAll(async () => {
    makeSourceFile(SRC, SIZE, 11);
    source = fs.readFileSync(SRC);
    expected = digests(SRC);
    // Uninterrupted runs, as processes: the reference records, and the typical run time the kill delays are spread over.
    for (const format of ['raw', 'split-raw'] as const) {
      const dir = path.join(work, `kill-reference-${format}`);
      const r = await spawnRun(acquireArgs(SRC, dir, format));
      expect(withoutNotices(r.stderr)).toBe('');
      expect(r.code).toBe(0);
      ref[format] = { dir, record: readRecord(dir), ms: r.ms };
      expect(ref[format].record.media.hashes).toEqual(expected);
    }
  }, 60_000);

  it(`survives ${ROUNDS} kills (seed ${SEED}): image equals the source, hashes equal the uninterrupted run's`, async () => {
    const rnd = prng(SEED);
    const order = [...Array(ROUNDS).keys()];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const log: string[] = [`seed ${SEED}; uninterrupted run: raw ${Math.round(ref.raw.ms)} ms, split-raw ${Math.round(ref['split-raw'].ms)} ms`];
    let midCopyKills = 0;
    let roundsWithKilledResume = 0;
    const t0 = performance.now();

    try {
      for (const [round, bucket] of order.entries()) {
        const format: Format = SPLIT_BUCKETS.has(bucket) ? 'split-raw' : 'raw';
        const T = ref[format].ms;
        const share = (bucket + rnd()) / ROUNDS;
        const dir = path.join(work, `kill-${round}`);
        const byClock = bucket === 0 || bucket === ROUNDS - 1;
        const firstKill: KillAt = byClock ? Math.round(50 + share * (T - 50)) : { dir, bytes: Math.round((share * SIZE) / 512) * 512 };
        const original = acquireArgs(SRC, dir, format);
        const line: string[] = [`round ${round} ${format.padEnd(9)} kill ${typeof firstKill === 'number' ? `at ${String(firstKill).padStart(4)} ms` : `once ${(firstKill.bytes / MiB).toFixed(1)} MiB are written`}`];
        let resumeKills = RESUME_KILLS.get(bucket) ?? 0;
        let last = await spawnRun(original, firstKill);
        let lastExaminer = EXAMINER;
        let endedCompleteWithJournal = false;
        let resumeKilled = false;

        for (let step = 0; ; step++) {
          expect(step, 'too many resume attempts').toBeLessThan(8);
          // What the kill left behind; none of it may claim more than is there.
          const written = imageBytes(dir);
          const record = fs.existsSync(recordPath(dir)) ? readRecord(dir) : undefined;
          const journal = fs.existsSync(journalPath(dir)) ? readJournal(dir) : undefined;
          expect(written).toBeLessThanOrEqual(SIZE);
          expect(imageHolds(dir, source.subarray(0, written)), 'the partial image is a prefix of the source').toBe(true);
          if (record) {
            expect(['complete', 'incomplete']).toContain(record.result);
            if (record.result === 'complete') {
              expect(imageHolds(dir, source), 'a record that says complete has the whole image').toBe(true);
              expect(record.media.hashes).toEqual(expected);
            } else expect(record.media.hashes).toBeUndefined();
          }
          if (journal) {
            expect(journal.safe_bytes).toBeLessThanOrEqual(written);
            expect(journal.safe_bytes % 512).toBe(0);
          }
          if (record && record.result !== 'complete') {
            // The journal is made before the record, so an unfinished record always has one to resume from.
            expect(journal, 'an incomplete record never exists without a journal').toBeDefined();
          }
          if (last.signal !== 'SIGKILL') {
            line.push(`-> exit ${last.code} (${Math.round(last.ms)} ms)`);
            break; // it ended by itself: checked below
          }
          const phase = !record
            ? 'before any output'
            : !journal
              ? record.result === 'complete'
                ? 'after the journal was removed'
                : 'record written, no journal yet'
              : record.result === 'complete'
                ? 'final record written, journal not yet removed'
                : written === SIZE
                  ? `final flush (safe ${journal.safe_bytes / MiB} MiB)`
                  : `copying (${(written / MiB).toFixed(1)} MiB written, ${journal.safe_bytes / MiB} MiB safe)`;
          line.push(`[${phase}]`);
          if (step === 0 && journal && written > 0 && written < SIZE) midCopyKills++;

          let next: string[];
          if (journal && record?.result === 'complete') {
            // Killed after the final record, before the journal's removal: complete; the stale journal goes.
            let r = run(resumeArgs(dir));
            if (r.code === 2) {
              // Killed before its record was logged: only an examiner the record credits logs it, not the resumer.
              expect(r.stderr).toMatch(/the record credits .*, not Resuming Examiner: only one of them logs it/);
              expect(fs.existsSync(journalPath(dir))).toBe(true); // nothing changed
              r = run([...resumeArgs(dir).slice(0, -1), record.examiner]);
            }
            expect(r.code, r.stderr).toBe(0); // what was left (the logging, the stale journal) is done
            expect(r.stderr).toMatch(/the acquisition had already finished/);
            expect(fs.existsSync(journalPath(dir))).toBe(false);
            endedCompleteWithJournal = true; // the completing session was the killed one
            break;
          } else if (journal) {
            next = resumeArgs(dir);
          } else if (record?.result === 'complete') {
            if (fs.existsSync(path.join(dir, `${EV}.lock`))) {
              // Killed after the journal was removed, before its lock was: the owner is dead, so the
              // next run on this folder takes the lock over (and, refused here, lets go of it).
              const again = run(original);
              expect(again.code).toBe(1);
              expectResumableError(again.stderr, /already exists; exhibit never overwrites/);
              expect(fs.existsSync(path.join(dir, `${EV}.lock`))).toBe(false);
            }
            last = { ...last, code: 0 };
            break;
          } else if (record) {
            // The journal is made before the record: a record without one would be stranded.
            expect.fail(`round ${round}: an incomplete record without a journal cannot be resumed`);
          } else {
            next = original; // nothing was started: run the command again
          }
          // A resume takes about as long as a whole run (it re-reads what is there): kill it while it works.
          // Planned kills, plus more in the later rounds while fewer than two resumes were killed (timing decides
          // where a round's first kill lands, and so whether a planned round has a resume to kill at all).
          const wanted = resumeKills > 0 || (next !== original && !resumeKilled && roundsWithKilledResume < 2 && round >= ROUNDS / 2);
          // A resume is killed by progress too: once it has copied part of what is left (it first cuts the
          // image back to the safe point and reads it again, then copies on), or by the clock near the end.
          const r = rnd();
          const have = written;
          const killAt: KillAt | undefined = !wanted
            ? undefined
            : have < SIZE - SIZE / 8
              ? { dir, bytes: Math.round((have + (0.1 + 0.6 * r) * (SIZE - SIZE / 16 - have)) / 512) * 512 }
              : Math.round((0.2 + 0.55 * r) * T);
          if (resumeKills > 0) resumeKills--;
          lastExaminer = next === original ? EXAMINER : RESUMER;
          line.push(next === original ? 'rerun' : 'resume', ...(killAt !== undefined ? [typeof killAt === 'number' ? `(kill at ${killAt} ms)` : `(kill once ${(killAt.bytes / MiB).toFixed(1)} MiB are written)`] : []));
          last = killAt === undefined ? run(next) : await spawnRun(next, killAt);
          if (killAt !== undefined && last.signal === 'SIGKILL' && next !== original) resumeKilled = true;
        }

        // The end of the round: the complete image, as an uninterrupted run makes it.
        const rec = readRecord(dir);
        expect(imageHolds(dir, source), `round ${round}: image equals the source`).toBe(true);
        expect(rec.result).toBe('complete');
        expect(rec.media.hashes).toEqual(expected);
        expect(rec.media.hashes).toEqual(ref[format].record.media.hashes);
        expect(rec.media.pieces).toEqual(ref[format].record.media.pieces); // four pieces of 4 MiB, rebuilt across the kills
        expect(rec.media.pieces.count).toBe(4);
        expect(rec.image).toEqual(ref[format].record.image);
        expect(rec.media.zero_sectors).toEqual(ref[format].record.media.zero_sectors);
        expect(rec.media.bytes_acquired).toBe(SIZE);
        expect(rec.read_errors.unreadable_sectors).toBe(0);
        expect(fs.readFileSync(path.join(dir, `${EV}.map`), 'utf8')).toMatch(/^# Finished$[^]*^0x00000000 {2}0x01000000 {2}\+$/m);
        const sessions = rec.sessions as any[];
        expect(sessions[0].from_byte).toBe(0);
        for (let k = 1; k < sessions.length; k++) expect(sessions[k].from_byte).toBeGreaterThanOrEqual(sessions[k - 1].from_byte);
        expect(sessions.at(-1)).toMatchObject({ outcome: 'complete', to_byte: SIZE });
        if (!endedCompleteWithJournal) {
          expect(last.code, `round ${round}: ${last.stderr}`).toBe(0);
          expect(sessions.at(-1).examiner).toBe(lastExaminer);
        }
        expect(fs.existsSync(journalPath(dir)), 'no journal is left').toBe(false);
        const names = fs.readdirSync(dir).filter((n) => !n.startsWith('.'));
        expect(names.sort()).toEqual(fs.readdirSync(ref[format].dir).sort());
        expect(fs.readdirSync(dir).filter((n) => n.startsWith('.')), 'no temporary file is left').toEqual([]);
        if (resumeKilled) roundsWithKilledResume++;
        line.push(`sessions ${sessions.length}`);
        log.push(line.join(' '));
        fs.rmSync(dir, { recursive: true }); // keep /tmp small
      }
    } finally {
      log.push(`total ${((performance.now() - t0) / 1000).toFixed(1)} s; kills mid-copy: ${midCopyKills}; rounds with a resume killed: ${roundsWithKilledResume}`);
      console.log(log.join('\n'));
    }
    expect(midCopyKills, 'some kills land mid-copy').toBeGreaterThanOrEqual(3);
    expect(roundsWithKilledResume, 'some resumes are killed too').toBeGreaterThanOrEqual(2);
  }, 400_000); // a guard against a hang only: eight rounds of two or three runs each take minutes on a loaded machine
});
