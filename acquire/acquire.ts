/**
 * One acquisition session, start to finish, in phases (acquire/phases/):
 * prepare (check the options, open the source read-only, settle the settings,
 * refuse what must be refused before a byte is read, make and lock the output
 * folder), checkResume (the partial image against the source and the
 * journal), copy (the read-only proof begins, the journal and a provisional
 * record claim the evidence id, the pipeline copies and hashes), rescue (the
 * --skip-bad passes), seal (the image, the after-readings, the map and the
 * final record).
 *
 * The record exists from the first moment, saying `incomplete`; it is
 * replaced by the final one only after every image file is fsynced, so a crash
 * at any point leaves an incomplete record and a journal to resume from.
 */
import { checkResume } from './phases/check-resume.js';
import { copy } from './phases/copy.js';
import { prepare } from './phases/prepare.js';
import { rescue, rescueDue } from './phases/rescue.js';
import { finishImage, release, seal } from './phases/seal.js';
import type { AcquireOptions, AcquireOutcome } from './phases/session.js';

export { checkEvidenceId, checkText } from './checks.js';
export type { AcquireOptions, AcquireOutcome } from './phases/session.js';

export async function acquire(o: AcquireOptions): Promise<AcquireOutcome> {
  const s = await prepare(o);
  try {
    const from = await checkResume(s);
    const copied = await copy(s, from);
    const { files, error } = await finishImage(s, copied, from.bad);
    const run = rescueDue(copied, error === undefined) ? await rescue(s, copied, files, from.bad) : copied.run;
    return await seal(s, { copied, run, files, bad: from.bad, resumedAt: from.resumedAt, ...(error ? { error } : {}) });
  } finally {
    await release(s); // after the journal is gone
  }
}
