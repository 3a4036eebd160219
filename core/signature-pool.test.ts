import { describe, expect, it } from 'vitest';
import { checkCustodyLog } from './custody-check.js';
import { generateSigningKey, readPrivateKey, sha256Hex, signBytes } from './crypto.js';
import { checkpointBody, checkpointText, encodeEntry, GENESIS_PREV, lineHashInput, logLine, type CustodyEntry } from './custody.js';
import { PARALLEL_FROM_LINES, verifySignaturesInParallel } from './signature-pool.js';

const ann = generateSigningKey();
const bob = generateSigningKey();
const annKey = readPrivateKey(ann.privatePem, 'test key');
const bobKey = readPrivateKey(bob.privatePem, 'test key');
const time = { utc: '2026-11-22T09:00:00.000Z', local: '2026-11-22T10:00:00.000+01:00' };
const N = PARALLEL_FROM_LINES + 500;

/** A log long enough to be checked on workers: Ann's key, then Bob's at entry 1000, each entry signed by its actor; `forge` gets a signature over other bytes. */
function buildLog(forge?: number): { lines: string[]; checkpoint: string } {
  const lines: string[] = [];
  let prev = GENESIS_PREV;
  for (let seq = 1; seq <= N; seq++) {
    const [who, key, priv] = seq >= 1000 && seq % 2 === 0 ? ['Bob Example', bob, bobKey] as const : ['Ann Example', ann, annKey] as const;
    const registers = seq === 1 || seq === 1000;
    const entry: CustodyEntry = {
      v: 1,
      case: 'C-1',
      seq,
      prev,
      time,
      actor: { name: who, key: key.fingerprint },
      kind: registers ? 'key.registered' : 'evidence.registered',
      payload: registers ? { examiner: who, key: key.fingerprint, public_key: key.publicPem } : { number: `EV-${seq}` },
    };
    const bytes = encodeEntry(entry);
    const line = logLine(bytes, [{ key: key.fingerprint, sig: signBytes(priv, seq === forge ? `${bytes} ` : bytes) }]);
    lines.push(line);
    prev = sha256Hex(lineHashInput(line));
  }
  const body = checkpointBody('C-1', lines.length, prev);
  return { lines, checkpoint: checkpointText(body, ann.fingerprint, signBytes(annKey, body)) };
}

describe('signatures verified on worker threads', () => {
  it('vouches for each signature that verifies under the key its fingerprint names, and for no other', () => {
    const { lines } = buildLog(2222);
    const vouched = verifySignaturesInParallel(lines, 2)!;
    expect(vouched).toBeDefined();
    const yes = lines.map((_, i) => vouched(i + 1, 0));
    expect(yes.filter((v) => !v)).toHaveLength(1);
    expect(yes[2221]).toBe(false);
    expect(vouched(1, 1)).toBe(false); // no second signature
    expect(verifySignaturesInParallel(lines.slice(0, 100), 2)).toBeUndefined(); // short: checked on the caller's thread
  });

  it('gives the same check as one thread: a sound long log passes, a forged signature is named', () => {
    const good = buildLog();
    expect(checkCustodyLog(good.lines, { caseNumber: 'C-1', checkpoint: good.checkpoint }).problems).toEqual([]);
    const bad = buildLog(2222);
    const problems = checkCustodyLog(bad.lines, { caseNumber: 'C-1', checkpoint: bad.checkpoint }).problems;
    expect(problems.map((p) => p.message)).toEqual(['entry 2222: the signature by Bob Example (key ' + bob.fingerprint.slice(0, 16) + ') does not match the entry: the entry or its signature was changed']);
  });
});
