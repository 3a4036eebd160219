import { describe, expect, it } from 'vitest';
import { verificationWords } from './verification-words.js';

describe('a logged verification in words', () => {
  it('is a plain VERIFIED only when whole and resting on an independent reference', () => {
    expect(verificationWords({ result: 'verified', rests_on: 'independent' })).toEqual({ ok: true, whole: true, words: 'VERIFIED' });
    expect(verificationWords({ result: 'verified', rests_on: 'keys-beside' })).toMatchObject({ ok: false, words: 'VERIFIED (against keys that came with the image)' });
    expect(verificationWords({ result: 'verified', rests_on: 'stored-hash' })).toMatchObject({ ok: false, words: "VERIFIED (against the image's own stored hash)" });
    expect(verificationWords({ result: 'verified', rests_on: 'independent', pieces: { checked: 3, of: 8 } })).toMatchObject({ ok: false, whole: false, words: 'VERIFIED (part: 3 of 8 pieces; the rest not read)' });
    expect(verificationWords({ result: 'failed' })).toMatchObject({ ok: false, words: 'FAILED' });
  });

  it('an entry that does not say what its success rested on (an earlier exhibit\'s, or a value no exhibit writes) is not a plain VERIFIED', () => {
    for (const payload of [{ result: 'verified' }, { result: 'verified', rests_on: 'the moon' }, { result: 'verified', rests_on: 7 }]) {
      expect(verificationWords(payload)).toEqual({ ok: false, whole: true, words: 'VERIFIED (what it rested on was not logged)' });
    }
  });

  it('a result exhibit does not log, even one that upper-cases to VERIFIED, is shown as an unknown result', () => {
    for (const result of ['VERIFIED', 'Verified', 'ver\u0131f\u0131ed', 'ok']) {
      const w = verificationWords({ result, rests_on: 'independent' });
      expect(w.ok).toBe(false);
      expect(w.words).toBe(`unknown result (${JSON.stringify(result)})`);
    }
    expect(verificationWords({}).words).toBe('unknown result (null)');
  });
});
