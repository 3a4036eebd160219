/**
 * Whether the keys that signed a custody log are the right people's: checked against a lab's trust
 * register (--trust) when one is given; otherwise said plainly that they are not anchored. Keys the
 * log itself revokes later are named, with what stays valid.
 */
import type { CheckedEntry, CustodyCheck } from '../core/custody-check.js';
import { entryTimeNotes, revocationNotes } from '../core/custody-key-life.js';
import { describeSystemError, ExhibitError } from '../core/errors.js';
import { readInputSync } from '../core/input-file.js';
import { checkAgainstRegister, parseTrustRegister, registerNotes, type RegisterKey, type RegisterProblem, type TrustRegister } from '../core/trust-register.js';

export type { TrustRegister };

/** Read --trust <register>; a register that cannot be read or is not one is a usage error (exit 2). */
export function readTrustRegister(file: string): TrustRegister {
  let bytes: Buffer;
  try {
    bytes = readInputSync(file, { code: 'USAGE' });
  } catch (err) {
    if (err instanceof ExhibitError) throw err;
    throw new ExhibitError('USAGE', `cannot read the trust register ${file}: ${describeSystemError(err)}`, { cause: err });
  }
  return parseTrustRegister(bytes, file);
}

export interface TrustFindings {
  problems: string[];
  notes: string[];
  /** What the output says about the keys: anchored by which register, or not anchored. */
  anchored: { register: string; sha256: string } | undefined;
}

/**
 * The signers of `entries` (and the checkpoint) against the register, or the plain statement that they
 * are not anchored. With `imageEntry` (verify of one image), an entry signed after the register's
 * revocation of its key fails only when it is that image's entry; for the others it is a note, as
 * for a revocation the log itself holds.
 */
export function trustFindings(check: Pick<CustodyCheck, 'entries' | 'revocations' | 'keys'>, checkpoint: string | undefined, register: TrustRegister | undefined, imageEntry?: number, keysGiven = false): TrustFindings {
  const notes = [...revocationNotes(check.entries, check.revocations), ...entryTimeNotes(check.entries)];
  if (!register) {
    const fps = [...check.keys].map(([fp, k]) => `${k.name} ${fp}`);
    if (fps.length > 0 && !keysGiven) notes.push(`the signing keys are not anchored: no trust register was given (--trust); compare these fingerprints with the ones the lab published: ${fps.join('; ')}`);
    return { problems: [], notes, anchored: undefined };
  }
  const problems: string[] = [];
  sortFound(checkAgainstRegister(check.entries as CheckedEntry[], checkpoint, register), imageEntry, { problems, notes });
  for (const n of registerNotes(check.entries, register)) if (!notes.some((x) => x.startsWith(n.slice(0, 80)))) notes.push(n);
  return { problems, notes, anchored: { register: register.file, sha256: register.sha256 } };
}

/**
 * A log checked on a machine whose case store does not hold its case: the store still knows its own
 * examiners' keys, and a key it records as revoked or replaced signs nothing after that, in any
 * case. Only the keys the store lists are judged (a key it does not know is said elsewhere). As with
 * a register, a signature after a revocation fails the image only when it is the entry that logs
 * it (`imageEntry`); for the others it is a note. Also where a trust register was given: one
 * published before a revocation this store knows does not tell it.
 */
export function storeKeyFindings(check: Pick<CustodyCheck, 'entries'>, storeKeys: TrustRegister | undefined, imageEntry?: number): { problems: string[]; notes: string[] } {
  const out = { problems: [] as string[], notes: [] as string[] };
  if (storeKeys) sortFound(checkAgainstRegister(check.entries as CheckedEntry[], undefined, storeKeys, { listedOnly: true }), imageEntry, out);
  return out;
}

/** What a register says of the signatures: a problem each, but a signature after a revocation only a note when it is not the image's own entry. */
function sortFound(found: readonly RegisterProblem[], imageEntry: number | undefined, into: { problems: string[]; notes: string[] }): void {
  for (const p of found) (imageEntry !== undefined && p.revoked && p.entry !== imageEntry ? into.notes : into.problems).push(p.message);
}

/**
 * Why a register's (or this store's) word on the keys does not vouch for the entry that logs an image:
 * a key that signed it was revoked since, at whatever time, and nothing from outside the signer proves
 * the entry was made before then. An entry's time is the signer's own claim: whoever holds a stolen key
 * can sign a whole new log dated before the revocation. A time-stamp token that covers the entry, from
 * before the revocation, proves it (`proven`). Undefined when every signer's key stands.
 */
export function revokedSignerWords(
  entries: readonly CheckedEntry[],
  imageEntry: number | undefined,
  registers: readonly (TrustRegister | undefined)[],
  proven: { time: string; entries: number } | undefined,
): string | undefined {
  const e = entries.find((x) => x.seq === imageEntry);
  if (!e) return undefined;
  for (const register of registers) {
    if (!register) continue;
    for (const s of e.signatures) {
      const k: RegisterKey | undefined = register.keys.get(s.key);
      if (k?.revoked === undefined) continue;
      if (proven && proven.entries >= e.seq && Date.parse(proven.time) < Date.parse(k.revoked)) continue;
      const where = register.where ?? `the trust register ${register.file}`;
      return `entry ${e.seq}, which logs this image, was signed with key ${s.key} of ${k.examiner}, which ${where} says was revoked on ${k.revoked}${k.reason ? ` (${k.reason})` : ''}; the entry's own time (${e.entry.time.utc}) is the signer's claim, and whoever held the key could have signed it since, so the register does not vouch for it: the lab's case store holding the entry, or a time-stamp token from before the revocation, would (what the key signed before then stays valid where they do; a key retired, not lost, is replaced with exhibit key rotate, which leaves its entries vouched for)`;
    }
  }
  return undefined;
}
