/**
 * A logged verification in a few words, for the places that list them (the
 * dashboard, the jobs list): its result, and what a success rests on. A check
 * of some pieces only (`verify --pieces`), a success resting on keys or a
 * hash that came with the image, and one whose entry does not say what it
 * rested on (an earlier exhibit's) are never shown as a plain VERIFIED.
 */

/** How a VERIFIED verdict is anchored (verify/vouch.ts restsOn), as the entry logs it. */
export type RestsOn = 'independent' | 'keys-beside' | 'stored-hash';

export interface VerificationWords {
  /** A plain, whole, independently anchored success. */
  ok: boolean;
  /** A whole verification (not a check of some pieces only). */
  whole: boolean;
  words: string;
}

/** The results a verification entry logs (cli/commands/verify.ts loggedResult). */
const KNOWN_RESULTS: ReadonlySet<string> = new Set(['verified', 'failed', 'unverifiable']);

const count = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The words of a verification entry's payload (anything: it is read from a store others may write). */
export function verificationWords(payload: unknown): VerificationWords {
  const p = (payload !== null && typeof payload === 'object' ? payload : {}) as { result?: unknown; pieces?: { checked?: unknown; of?: unknown }; rests_on?: unknown };
  // Only the results exhibit logs are put in capitals; any other text (a look-alike of 'verified' among them) is shown as what it is.
  const result = typeof p.result === 'string' && KNOWN_RESULTS.has(p.result) ? p.result : `unknown result (${JSON.stringify(typeof p.result === 'string' ? p.result : (p.result ?? null))})`;
  if (!KNOWN_RESULTS.has(result)) return { ok: false, whole: true, words: result };
  const part = count(p.pieces?.checked) && count(p.pieces?.of) && p.pieces.checked < p.pieces.of ? { checked: p.pieces.checked, of: p.pieces.of } : undefined;
  if (result !== 'verified') return { ok: false, whole: part === undefined, words: `${result.toUpperCase()}${part ? ` (part: ${part.checked} of ${part.of} pieces)` : ''}` };
  if (part) return { ok: false, whole: false, words: `VERIFIED (part: ${part.checked} of ${part.of} pieces; the rest not read)` };
  if (p.rests_on === 'keys-beside') return { ok: false, whole: true, words: 'VERIFIED (against keys that came with the image)' };
  if (p.rests_on === 'stored-hash') return { ok: false, whole: true, words: "VERIFIED (against the image's own stored hash)" };
  if (p.rests_on === 'independent') return { ok: true, whole: true, words: 'VERIFIED' };
  // An entry from before exhibit logged what a success rests on (or one that names what no exhibit writes):
  // it may have rested on keys or a hash that came with the image, so it is not shown as a plain VERIFIED.
  return { ok: false, whole: true, words: 'VERIFIED (what it rested on was not logged)' };
}
