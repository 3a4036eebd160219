import { describe, expect, it } from 'vitest';
import { checkCustodyLog, short, type CustodyCheck } from '../core/custody-check.js';
import { generateSigningKey, readPrivateKey, sha256Hex, signBytes, type NewSigningKey } from '../core/crypto.js';
import { encodeEntry, GENESIS_PREV, lineHashInput, logLine, type CustodyEntry, type Payload } from '../core/custody.js';
import { compareWithStore, entryForRecord, impostorProblems, signerViews, signerWords, type StoreView } from './anchor.js';

const time = { utc: '2026-11-22T09:00:00.000Z', local: '2026-11-22T10:00:00.000+01:00' };
const ann = generateSigningKey();
const annAgain = generateSigningKey(); // a second key made under the same name elsewhere
const bob = generateSigningKey();
const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

type Step = { kind: CustodyEntry['kind']; payload: Payload };

/** A log of case C-1 signed by `key` under `name`: the key registered, then `steps`. */
function signedLog(key: NewSigningKey, name: string, steps: Step[]): string[] {
  const priv = readPrivateKey(key.privatePem, 'test key');
  const all: Step[] = [{ kind: 'key.registered', payload: { examiner: name, key: key.fingerprint, public_key: key.publicPem } }, ...steps];
  const lines: string[] = [];
  let prev = GENESIS_PREV;
  all.forEach((s, i) => {
    const entry: CustodyEntry = { v: 1, case: 'C-1', seq: i + 1, prev, time, actor: { name, key: key.fingerprint }, kind: s.kind, payload: s.payload };
    const bytes = encodeEntry(entry);
    const line = logLine(bytes, [{ key: key.fingerprint, sig: signBytes(priv, bytes) }]);
    lines.push(line);
    prev = sha256Hex(lineHashInput(line));
  });
  return lines;
}

const acquired = (evidence: string, sha: string, kind: CustodyEntry['kind'] = 'acquisition.completed'): Step => ({ kind, payload: { evidence, record: { file: `${evidence}.exhibit.yaml`, sha256: sha } } });
const registered = (n: string): Step => ({ kind: 'evidence.registered', payload: { number: n } });

function checked(lines: string[]): { case: string; lines: string[]; check: CustodyCheck } {
  const check = checkCustodyLog(lines);
  expect(check.problems).toEqual([]); // the logs built here are sound: what is tested is the comparison
  return { case: 'C-1', lines, check };
}

/** A store that knows these names under these fingerprints. */
function storeKnowing(keys: Record<string, string[]>): StoreView {
  return { caseLog: () => undefined, keysFor: (name) => keys[name] ?? [] };
}

describe('signerViews', () => {
  const log = checked(signedLog(ann, 'Ann Example', [registered('EV-1')]));

  it('with no store, every signer is "no-store"', () => {
    expect(signerViews(log.check.keys, undefined)).toEqual([{ fingerprint: ann.fingerprint, examiner: 'Ann Example', store_key: 'no-store' }]);
  });

  it("names the store's own key 'same', an unknown name 'unknown', another key under the name 'different' with the store's fingerprints", () => {
    expect(signerViews(log.check.keys, storeKnowing({ 'Ann Example': [ann.fingerprint] }))[0]!.store_key).toBe('same');
    expect(signerViews(log.check.keys, storeKnowing({ 'Bob Other': [bob.fingerprint] }))[0]!.store_key).toBe('unknown');
    const impostor = signerViews(log.check.keys, storeKnowing({ 'Ann Example': [annAgain.fingerprint] }))[0]!;
    expect(impostor).toEqual({ fingerprint: ann.fingerprint, examiner: 'Ann Example', store_key: 'different', store_fingerprints: [annAgain.fingerprint] });
    expect(signerWords(impostor)).toBe(`NOT the case store's key for Ann Example (the store's is ${annAgain.fingerprint})`);
  });

  it('a name the store knows under several keys is the same signer when one of them matches', () => {
    expect(signerViews(log.check.keys, storeKnowing({ 'Ann Example': [annAgain.fingerprint, ann.fingerprint] }))[0]!.store_key).toBe('same');
  });
});

describe('compareWithStore', () => {
  const storeLines = signedLog(ann, 'Ann Example', [registered('EV-1'), acquired('EV-1', SHA_A), registered('EV-2')]);
  const store = checked(storeLines);
  const same = signerViews(store.check.keys, storeKnowing({ 'Ann Example': [ann.fingerprint] }));

  it('a log beside the image that is a prefix of the store\'s, and a record the store logged: no problem', () => {
    const prefix = storeLines.slice(0, 3);
    const r = compareWithStore(store, { lines: prefix, check: checkCustodyLog(prefix), signers: same }, ['EV-1'], SHA_A);
    expect(r.problems).toEqual([]);
    expect(r.entry?.seq).toBe(3);
    expect(r.reference?.seq).toBe(3);
  });

  it('a log with an entry the store does not have is a fork, and the entry, both counts and both heads are named', () => {
    const forked = signedLog(ann, 'Ann Example', [registered('EV-1'), acquired('EV-1', SHA_A), registered('EV-9')]);
    const check = checkCustodyLog(forked);
    const r = compareWithStore(store, { lines: forked, check, signers: same }, ['EV-1'], SHA_A);
    expect(r.problems).toEqual([
      `the custody log beside the image is not a copy of the case store's log of case C-1: the two part at entry 4 (a FORK): the store has 4 entries (head ${store.check.head}), the copy 4 (head ${check.head})`,
    ]);
    expect(r.rollback).toBeUndefined();
  });

  it('a sound log that goes on past the store\'s whole log shows the store rolled back, with both lengths and heads', () => {
    const longer = signedLog(ann, 'Ann Example', [registered('EV-1'), acquired('EV-1', SHA_A), registered('EV-2'), registered('EV-3')]);
    const check = checkCustodyLog(longer);
    const r = compareWithStore(store, { lines: longer, check, signers: same }, ['EV-1'], SHA_A);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toContain(`ROLLBACK: the case store's log of case C-1 is older than the custody log beside the image`);
    expect(r.problems[0]).toContain(`the store has 4 entries (head ${store.check.head}), the copy 5 (head ${check.head})`);
    expect(r.rollback).toEqual({ store: 4, copy: 5, copy_head: check.head });
  });

  it('a longer log whose extra entries a key the store does not hold signed is no proof of a rollback (else anyone could mark one)', () => {
    // The store's whole log, then one entry a stranger signed: a key of their own, registered by itself.
    const mallory = generateSigningKey();
    const priv = readPrivateKey(mallory.privatePem, 'test key');
    const entry: CustodyEntry = {
      v: 1,
      case: 'C-1',
      seq: storeLines.length + 1,
      prev: sha256Hex(lineHashInput(storeLines[storeLines.length - 1]!)),
      time,
      actor: { name: 'Mallory M.', key: mallory.fingerprint },
      kind: 'key.registered',
      payload: { examiner: 'Mallory M.', key: mallory.fingerprint, public_key: mallory.publicPem },
    };
    const bytes = encodeEntry(entry);
    const longer = [...storeLines, logLine(bytes, [{ key: mallory.fingerprint, sig: signBytes(priv, bytes) }])];
    const check = checkCustodyLog(longer);
    expect(check.problems).toEqual([]); // sound on its own: only the store can tell
    const signers = signerViews(check.keys, storeKnowing({ 'Ann Example': [ann.fingerprint] }));
    const r = compareWithStore(store, { lines: longer, check, signers }, ['EV-1'], SHA_A);
    expect(r.rollback).toBeUndefined();
    expect(r.problems).toEqual([
      `the custody log beside the image is not a copy of the case store's log of case C-1: it has 5 entries, the store 4; the entries it has beyond the store's are signed by ${short(mallory.fingerprint)}, which this store holds no current key of (unknown here, or revoked), so they are not taken as entries the store lost`,
    ]);
  });

  it('a longer log that fails its own check is not taken for proof of a rollback', () => {
    const longer = signedLog(ann, 'Ann Example', [registered('EV-1'), acquired('EV-1', SHA_A), registered('EV-2'), registered('EV-3')]);
    const check = checkCustodyLog(longer.slice(0, -1).concat(longer[longer.length - 1]!.replace('EV-3', 'EV-4')));
    const r = compareWithStore(store, { lines: longer, check, signers: same }, ['EV-1'], SHA_A);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(/^the custody log beside the image is not a copy of the case store's log of case C-1: it has 5 entries, the store 4; its entries beyond the store's fail their check \(entry 5: .*\), so they are not taken as entries the store lost$/);
    expect(r.rollback).toBeUndefined();
  });

  it('an impostor who signed a log of their own under the examiner\'s name is named with both fingerprints', () => {
    const fake = signedLog(annAgain, 'Ann Example', [registered('EV-1'), acquired('EV-1', SHA_A)]);
    const check = checkCustodyLog(fake);
    const signers = signerViews(check.keys, storeKnowing({ 'Ann Example': [ann.fingerprint] }));
    const r = compareWithStore(store, { lines: fake, check, signers }, ['EV-1'], SHA_A);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toContain('the two part at entry 1 (a FORK)');
    expect(r.problems[0]).toContain(`it is signed by Ann Example with key ${annAgain.fingerprint}, but the store's key for Ann Example is ${ann.fingerprint}`);
    expect(impostorProblems(signers)).toEqual([
      `the custody log beside the image is signed by Ann Example with key ${annAgain.fingerprint}, but this case store's key for Ann Example is ${ann.fingerprint} (key ${short(annAgain.fingerprint)} is not theirs here)`,
    ]);
  });

  it("a record whose SHA-256 the store never logged is not exhibit's record", () => {
    const r = compareWithStore(store, undefined, ['EV-1'], SHA_B);
    expect(r.entry).toBeUndefined();
    expect(r.problems).toEqual([`the record's SHA-256 (${SHA_B}) is in none of the case store's 1 entries for EV-1 in case C-1: this is not the record exhibit logged`]);
    expect(r.notes).toEqual([`there is no custody log beside the image: checked against the case store's log of case C-1`]);
  });

  it('an item the store holds no acquisition of: the image and record are not the ones exhibit logged', () => {
    const r = compareWithStore(store, undefined, ['EV-2'], SHA_A);
    expect(r.problems).toEqual([`the case store holds case C-1 but logged no acquisition or conversion of EV-2: this image and its record are not the ones exhibit logged`]);
  });

  it('a missing record is a problem when the store logged one, and the last completed entry is the reference', () => {
    const r = compareWithStore(store, undefined, ['EV-1'], undefined);
    expect(r.reference?.seq).toBe(3);
    expect(r.problems).toEqual([`the acquisition record is missing or unreadable: the case store's entry 3 (case C-1) logged one for EV-1`]);
  });

  it("a store log that fails its own check is a problem, whatever else matches", () => {
    const damaged = [...storeLines];
    damaged[1] = damaged[1]!.replace('EV-1', 'EV-X');
    const r = compareWithStore({ case: 'C-1', lines: damaged, check: checkCustodyLog(damaged) }, undefined, ['EV-1'], SHA_A);
    expect(r.problems.some((p) => p.startsWith("the case store's custody log of case C-1 fails its check: "))).toBe(true);
  });
});

describe('entryForRecord', () => {
  it('without a record, the last entry that is not incomplete; with one, only the entry of that SHA-256', () => {
    const check = checkCustodyLog(signedLog(ann, 'Ann Example', [acquired('EV-1', SHA_A), acquired('EV-1', SHA_B, 'acquisition.incomplete')]));
    expect(entryForRecord(check.entries, undefined)?.seq).toBe(2);
    expect(entryForRecord(check.entries, SHA_B)?.seq).toBe(3);
    expect(entryForRecord(check.entries, 'c'.repeat(64))).toBeUndefined();
  });
});
