/**
 * Custody follows the evidence: only the holder of an item, by the custody
 * log, can pass it on. A transfer from anyone else is refused (exit 2, one
 * line, nothing logged) unless `--override "<reason>"` is given; the reason
 * is signed into the log, kept in the case store, and shown in the report,
 * whose holders timeline flags the gap and the override.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustodyEntry } from '../core/custody.js';
import { have, run as inProcess, type RunResult, tempDir } from './helpers/cli.js';
import { expectOneLineError } from './helpers/expect.js';

const work = tempDir('exhibit-holder-');
const home = path.join(work, 'home');
const CASE = 'C-HOLD';
const run = (args: string[]): RunResult => inProcess(args, { env: { EXHIBIT_HOME: home } });
const json = (r: RunResult): any => JSON.parse(r.stdout);
const transfer = (ev: string, from: string, to: string, extra: string[] = []) =>
  run(['custody', 'transfer', CASE, ev, '--from', from, '--to', to, '--purpose', 'analysis', '--location', 'Lab 2', '--no-countersign', ...extra]);
const entries = (): CustodyEntry[] => json(run(['custody', 'log', CASE, '--json'])).log;

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

beforeAll(() => {
  expect(run(['case', 'open', CASE, '-x', 'Jane Roe']).code).toBe(0);
  for (const ev of ['EV-1', 'EV-2']) expect(run(['evidence', 'add', CASE, ev, '--serial', `S-${ev}`, '-x', 'Jane Roe']).code).toBe(0);
  const t = transfer('EV-1', 'Jane Roe', 'Bob Poe');
  expect(t.code, t.stderr).toBe(0);
});

describe('a transfer from someone who does not hold the item', () => {
  it('is refused in one line naming the holder, exit 2, and nothing is logged', () => {
    const before = entries().length;
    const r = transfer('EV-1', 'Jane Roe', 'Carol Moe');
    expect(r.code, r.stderr).toBe(2);
    expectOneLineError(r.stderr, /Jane Roe does not hold EV-1: by the custody log of case C-HOLD, Bob Poe does/);
    expect(r.stderr).toMatch(/hint: .*--override "<reason>"/);
    expect(entries()).toHaveLength(before);
  });

  it('the holder of another item is still its holder', () => {
    expect(transfer('EV-2', 'Jane Roe', 'Carol Moe').code).toBe(0);
    expect(transfer('EV-2', 'Jane Roe', 'Dan Loe').code).toBe(2);
  });

  it('is recorded with --override, its reason signed into the log and kept in the store', () => {
    const r = transfer('EV-1', 'Jane Roe', 'Carol Moe', ['--override', 'Bob Poe returned it by hand on 3 May; the handover was not logged']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/recorded by override: Bob Poe returned it/);
    const last = entries().at(-1)!;
    expect(last.kind).toBe('custody.transferred');
    expect(last.payload).toMatchObject({ evidence: 'EV-1', from: { name: 'Jane Roe' }, to: { name: 'Carol Moe' }, override: { reason: 'Bob Poe returned it by hand on 3 May; the handover was not logged', holder: 'Bob Poe' } });
    const show = json(run(['case', 'show', CASE, '--json']));
    const rows = show.transfers.filter((t: any) => t.evidence === 'EV-1');
    expect(rows.map((t: any) => t.override)).toEqual([null, 'Bob Poe returned it by hand on 3 May; the handover was not logged']);
    expect(json(run(['custody', 'log', CASE, '--json'])).verified).toBe(true);
    // Carol holds it now: Bob cannot pass it on any more.
    expect(transfer('EV-1', 'Bob Poe', 'Dan Loe').code).toBe(2);
    expect(transfer('EV-1', 'Carol Moe', 'Dan Loe').code).toBe(0);
  });

  it('--override is refused when the releasing party does hold the item, or has no reason', () => {
    const a = transfer('EV-2', 'Carol Moe', 'Jane Roe', ['--override', 'not needed']);
    expect(a.code).toBe(2);
    expectOneLineError(a.stderr, /Carol Moe holds EV-2 by the log: --override is only for a transfer from someone who does not/);
    const b = transfer('EV-2', 'Jane Roe', 'Dan Loe', ['--override', '  ']);
    expect(b.code).toBe(2);
    expectOneLineError(b.stderr, /--override needs the reason/);
  });
});

describe.skipIf(!have('pdftotext'))('the report', () => {
  it("shows each item's holders as a timeline, and flags the gap and the override", () => {
    const pdf = path.join(work, 'report.pdf');
    const r = run(['report', CASE, '--out', pdf, '-x', 'Jane Roe']);
    expect(r.code, r.stderr).toBe(0);
    const text = spawnSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
    expect(text).toMatch(/Holders of each item/);
    expect(text).toMatch(/EV-1: Jane Roe → Bob Poe → Carol Moe → Dan Loe/);
    expect(text).toMatch(/EV-2: Jane Roe → Carol Moe/);
    expect(text).toMatch(/GAP entry \d+: Jane Roe released it, but the log has Bob Poe holding it/);
    expect(text).toMatch(/OVERRIDE entry \d+: transfer recorded by override, because: Bob Poe returned it by hand on 3 May/);
    expect(text).toMatch(/EV-2: no gap, no override/);
  });
});
