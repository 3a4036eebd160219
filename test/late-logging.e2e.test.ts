/**
 * An acquisition's entry is signed by someone its record credits (the record's examiner, or the examiner
 * of one of its sessions): a finished record that a colleague's run would log late, signed with their
 * key, is refused, since the entry would read as their work signed for another's record (and verify
 * fails such an entry, verify/verify.ts signerNotCredited).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { logAcquisition, prepareCustody } from '../cli/acquire-custody.js';
import { readRecord } from '../core/record/read.js';
import { makeSourceFile, run, tempDir } from './helpers/cli.js';

const work = tempDir('exhibit-late-log-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('logging a finished record', () => {
  it('is refused to an examiner the record does not credit, and left to one it does', async () => {
    const src = path.join(work, 'src.bin');
    makeSourceFile(src, 256 * 1024, 3);
    const dir = path.join(work, 'done');
    expect(run(['acquire', src, '-o', dir, '-c', 'LATE-1', '-e', 'EV-1', '-x', 'A. One']).code).toBe(0);
    expect(run(['key', 'create', '-x', 'B. Two']).code).toBe(0);
    // A finished record no entry logs yet: the same acquisition's record under another evidence number.
    const recordFile = path.join(dir, 'EV-2.acquisition.yaml');
    fs.writeFileSync(recordFile, fs.readFileSync(path.join(dir, 'EV-1.acquisition.yaml'), 'utf8').replace(/^evidence: EV-1$/m, 'evidence: EV-2'));
    const { record } = readRecord(recordFile);
    const other = prepareCustody('B. Two', 'LATE-1', undefined);
    try {
      await expect(logAcquisition(other, record, recordFile)).rejects.toThrow(/the record credits A\. One, not B\. Two: only one of them logs it/);
    } finally {
      other.store.close();
    }
    const own = prepareCustody('A. One', 'LATE-1', undefined);
    try {
      const logged = await logAcquisition(own, record, recordFile);
      expect(logged.appended).toBe(true);
    } finally {
      own.store.close();
    }
  });
});
