/**
 * What a VERIFIED verdict rests on, in the words of its headline. The files
 * beside an image are the opponent's to rewrite, keys included: a custody log
 * signed by keys that came with the image proves only that it was not changed
 * by someone without those keys. Only an account from outside the image's
 * folder vouches for who made it: this machine's case store, a key given with
 * --key or listed in a trust register (--trust), the store's own key for the
 * signer's name, a hash given with --expect, or the source read again.
 */
import type { RestsOn } from '../core/verification-words.js';
import type { VerifyReport } from './verify.js';

export type { RestsOn };

export function restsOn(r: VerifyReport): RestsOn {
  const held = r.comparisons.filter((c) => c.anchor && c.equal);
  // A signer's key revoked since leaves the entry's time the signer's own claim (verify/trust.ts revokedSignerWords).
  const keysVouched = r.revoked_signer === undefined && (r.trust !== undefined || r.custody?.trusted_by.startsWith('the keys given with --key') === true || (r.custody !== undefined && r.custody.keys.length > 0 && r.custody.keys.every((k) => k.store_key === 'same' && !k.store_revoked)));
  if (held.some((c) => /^the case store's entry \d+/.test(c.against) || c.against === 'the hash given with --expect' || c.against === 'the source, read again' || (/^custody log entry \d+$/.test(c.against) && keysVouched))) return 'independent';
  return held.some((c) => /^custody log entry \d+$/.test(c.against)) ? 'keys-beside' : 'stored-hash';
}

/** The headline of a verdict that holds, saying what it rests on when nothing from outside the image's folder vouches for it. */
export function verifiedWords(r: VerifyReport): string {
  switch (restsOn(r)) {
    case 'independent':
      return 'VERIFIED: every byte of the media matches what was recorded';
    case 'keys-beside':
      if (r.revoked_signer !== undefined) {
        return 'VERIFIED against the custody log beside the image: every byte of the media matches what it records, but the key that signed its entry was revoked since, and nothing here shows the entry was made before then (see the note); the lab\'s case store holding it, or a time-stamp token, would';
      }
      return 'VERIFIED against the custody log beside the image: every byte of the media matches what it records, but its signing keys came with the image and nothing on this machine vouches for them; compare their fingerprints (above) with the examiner\'s, or give --key or --trust';
    case 'stored-hash':
      return 'VERIFIED against the hash stored in the image: every byte of the media matches it, which shows the image intact since it was written, not who wrote it; compare it with the acquiring side\'s report, or give it with --expect';
  }
}
