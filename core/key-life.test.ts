import { describe, expect, it } from 'vitest';
import { checkCustodyLog } from './custody-check.js';
import { generateSigningKey, readPrivateKey, sha256Hex, signBytes, type NewSigningKey } from './crypto.js';
import { encodeEntry, GENESIS_PREV, lineHashInput, logLine, type CustodyEntry, type CustodyKind, type Payload } from './custody.js';
import { checkAgainstRegister, parseTrustRegister, registerText } from './trust-register.js';

const oldKey = generateSigningKey();
const newKey = generateSigningKey();
const other = generateSigningKey();
const NAME = 'Ann Example';

interface Step {
  kind: CustodyKind;
  payload: Payload;
  by: NewSigningKey[];
  at: string; // UTC
  name?: string; // the actor's name, when not NAME
}

function build(steps: Step[]): string[] {
  const lines: string[] = [];
  let prev = GENESIS_PREV;
  steps.forEach((s, i) => {
    const [actor, ...co] = s.by;
    const entry: CustodyEntry = {
      v: 1,
      case: 'C-1',
      seq: i + 1,
      prev,
      time: { utc: s.at, local: s.at },
      actor: { name: s.name ?? NAME, key: actor!.fingerprint },
      ...(co.length > 0 ? { cosigners: co.map((k) => ({ name: NAME, key: k.fingerprint })) } : {}),
      kind: s.kind,
      payload: s.payload,
    };
    const bytes = encodeEntry(entry);
    const line = logLine(bytes, s.by.map((k) => ({ key: k.fingerprint, sig: signBytes(readPrivateKey(k.privatePem, 'k'), bytes) })));
    lines.push(line);
    prev = sha256Hex(lineHashInput(line));
  });
  return lines;
}

const t = (h: number): string => `2026-11-22T${String(h).padStart(2, '0')}:00:00.000Z`;
const registered = (k: NewSigningKey, at: string): Step => ({ kind: 'key.registered', payload: { examiner: NAME, key: k.fingerprint, public_key: k.publicPem }, by: [k], at });
const item = (n: number, k: NewSigningKey, at: string): Step => ({ kind: 'evidence.registered', payload: { number: `EV-${n}` }, by: [k], at });
const rotated = (at: string, by = [oldKey, newKey]): Step => ({ kind: 'key.rotated', payload: { examiner: NAME, old_key: oldKey.fingerprint, key: newKey.fingerprint, public_key: newKey.publicPem }, by, at });
const revoked = (k: NewSigningKey, effective: string, at: string, by = k): Step => ({ kind: 'key.revoked', payload: { examiner: NAME, key: k.fingerprint, reason: 'stolen', effective }, by: [by], at });

describe('rotation in the log', () => {
  it('checks across a rotation signed by both keys; the new key needs no key.registered', () => {
    const c = checkCustodyLog(build([registered(oldKey, t(1)), item(1, oldKey, t(2)), rotated(t(3)), item(2, newKey, t(4))]));
    expect(c.problems).toEqual([]);
    expect(c.keys.get(oldKey.fingerprint)?.retiredBy).toEqual({ entry: 3, key: newKey.fingerprint });
  });

  it('fails an entry signed by the old key after the rotation, and a rotation not signed by both', () => {
    const late = checkCustodyLog(build([registered(oldKey, t(1)), rotated(t(3)), item(2, oldKey, t(4))]));
    expect(late.problems.map((p) => p.message)).toEqual([`entry 3: is signed with key ${oldKey.fingerprint.slice(0, 16)} of ${NAME}, which entry 2 replaced with key ${newKey.fingerprint.slice(0, 16)}`]);
    const half = checkCustodyLog(build([registered(oldKey, t(1)), rotated(t(3), [oldKey])]));
    expect(half.problems[0]?.message).toMatch(/entry 2: rotates key .* but is not signed by exactly those two keys, old first/);
  });

  it('calls a second key.registered for the same name a second key, unless the first was rotated or revoked', () => {
    const second = checkCustodyLog(build([registered(oldKey, t(1)), registered(other, t(2))]));
    expect(second.problems[0]?.message).toMatch(/registers a second key/);
    const afterRevoke = checkCustodyLog(build([registered(oldKey, t(1)), revoked(oldKey, t(2), t(2)), registered(other, t(3))]));
    expect(afterRevoke.problems).toEqual([]);
  });
});

describe('revocation in the log', () => {
  it('fails what the key signed at or after the effective time, marked revoked; earlier entries stand', () => {
    const c = checkCustodyLog(build([registered(oldKey, t(1)), item(1, oldKey, t(2)), item(2, oldKey, t(4)), revoked(oldKey, t(3), t(5))]));
    expect(c.problems.map((p) => [p.entry, p.revoked])).toEqual([[3, true]]);
    expect(c.problems[0]!.message).toMatch(/entry 3: signed by Ann Example .* after that key was revoked \(from .*T03:00:00.000Z, entry 4: stolen\)/);
    expect(c.revocations).toEqual([{ key: oldKey.fingerprint, name: NAME, entry: 4, effective: t(3), reason: 'stolen' }]);
  });

  it('refuses a revocation signed by someone else, dated after itself, or of an unknown key', () => {
    const lines = build([registered(oldKey, t(1)), registered(other, t(1)), revoked(oldKey, t(9), t(5))]);
    expect(checkCustodyLog(lines).problems.some((p) => /revokes key .* from .*, after the entry's own time/.test(p.message))).toBe(true);
    expect(checkCustodyLog(build([registered(oldKey, t(1)), revoked(other, t(2), t(2), oldKey)])).problems[0]?.message).toMatch(/revokes key .*, which no earlier entry registers/);
  });
});

describe('the trust register', () => {
  const reg = (keys: object[]): Buffer => Buffer.from(registerText(keys as never, 'Test Lab'));
  const lines = build([registered(oldKey, t(1)), item(1, oldKey, t(2)), rotated(t(3)), item(2, newKey, t(4))]);
  const entries = checkCustodyLog(lines).entries;

  it('passes a log whose every signature is by a listed key, valid at its time (the rotation entry itself included)', () => {
    const r = parseTrustRegister(reg([{ examiner: NAME, fingerprint: oldKey.fingerprint, issued: t(0), replaced: t(3), public_key: oldKey.publicPem }, { examiner: NAME, fingerprint: newKey.fingerprint, issued: t(3) }]), 'lab.yaml');
    expect(checkAgainstRegister(entries, undefined, r)).toEqual([]);
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names an unlisted key, another examiner, a key used before it was issued, and after it was revoked', () => {
    const r = parseTrustRegister(reg([{ examiner: 'Someone Else', fingerprint: oldKey.fingerprint, issued: t(2), revoked: t(2) }]), 'lab.yaml');
    const msgs = checkAgainstRegister(entries, undefined, r).map((p) => p.message);
    expect(msgs).toContain(`entry 4: signed by ${NAME} with key ${newKey.fingerprint}, which the trust register lab.yaml does not list`);
    expect(msgs).toContain(`entry 1: signed by "${NAME}" with key ${oldKey.fingerprint}, which the trust register lab.yaml lists as Someone Else's`);
    expect(msgs.some((m) => m.startsWith('entry 1:') && m.includes('before the trust register lab.yaml says it was issued'))).toBe(true);
    expect(msgs.some((m) => m.startsWith('entry 2:') && m.includes('after the trust register lab.yaml says it was revoked'))).toBe(true);
  });

  it('refuses what is not a register: bad fingerprint, a public key that is not the fingerprint\'s, a key twice, no time', () => {
    expect(() => parseTrustRegister(Buffer.from('keys: []'), 'x')).toThrow(/is not an exhibit trust register/);
    expect(() => parseTrustRegister(reg([{ examiner: NAME, fingerprint: 'abc', issued: t(1) }]), 'x')).toThrow(/64 hex digits/);
    expect(() => parseTrustRegister(reg([{ examiner: NAME, fingerprint: oldKey.fingerprint, issued: t(1), public_key: other.publicPem }]), 'x')).toThrow(/its public key is not the key/);
    const twice = { examiner: NAME, fingerprint: oldKey.fingerprint, issued: t(1) };
    expect(() => parseTrustRegister(reg([twice, twice]), 'x')).toThrow(/lists key .* twice/);
    expect(() => parseTrustRegister(reg([{ examiner: NAME, fingerprint: oldKey.fingerprint, issued: 'yesterday' }]), 'x')).toThrow(/"issued" is not a time/);
  });
});

describe("a lab administrator's revocation", () => {
  const ADMIN = 'Lab Admin';
  const adminRegistered: Step = { kind: 'key.registered', payload: { examiner: ADMIN, key: other.fingerprint, public_key: other.publicPem }, by: [other], at: t(1), name: ADMIN };
  const byAdmin = (authority?: string): Step => ({ kind: 'key.revoked', payload: { examiner: NAME, key: oldKey.fingerprint, reason: 'left', effective: t(3), ...(authority ? { authority } : {}) }, by: [other], at: t(5), name: ADMIN });
  const lines = build([registered(oldKey, t(1)), adminRegistered, item(1, oldKey, t(2)), item(2, oldKey, t(4)), byAdmin('administrator')]);

  it('revokes like the owner: later entries fail, earlier ones stand, and the notes say who revoked', () => {
    const c = checkCustodyLog(lines);
    expect(c.problems.map((p) => [p.entry, p.revoked])).toEqual([[4, true]]);
    expect(c.revocations[0]).toMatchObject({ key: oldKey.fingerprint, by: { name: ADMIN, key: other.fingerprint } });
  });

  it("is refused when the checker knows the administrators and the signer is not one, or when it claims no authority", () => {
    expect(checkCustodyLog(lines, { administrators: new Set([other.fingerprint]) }).problems.filter((p) => !p.revoked)).toEqual([]);
    const refused = checkCustodyLog(lines, { administrators: new Set(), administratorsSource: 'in this store' }).problems.filter((p) => !p.revoked);
    expect(refused[0]?.message).toMatch(/entry 5: revokes key .* of Ann Example as a lab administrator, but key .* of Lab Admin is not an administrator's key in this store: the revocation is refused/);
    const plain = checkCustodyLog(build([registered(oldKey, t(1)), adminRegistered, byAdmin()])).problems;
    expect(plain[0]?.message).toMatch(/revokes key .* of Ann Example, but is signed by Lab Admin/);
  });

  it('counts, against the register, only when the register marks the signer an administrator', () => {
    const entries = checkCustodyLog(lines).entries;
    const keys = (admin: boolean): Buffer =>
      Buffer.from(registerText([{ examiner: NAME, fingerprint: oldKey.fingerprint, issued: t(0), revoked: t(3) }, { examiner: ADMIN, fingerprint: other.fingerprint, issued: t(0), ...(admin ? { administrator: true } : {}) }], 'Test Lab'));
    const ok = checkAgainstRegister(entries, undefined, parseTrustRegister(keys(true), 'lab.yaml'));
    expect(ok.map((p) => [p.entry, p.revoked])).toEqual([[4, true]]);
    const refused = checkAgainstRegister(entries, undefined, parseTrustRegister(keys(false), 'lab.yaml')).filter((p) => !p.revoked);
    expect(refused.map((p) => p.message)).toEqual([`entry 5: revokes key ${oldKey.fingerprint} of ${NAME} as a lab administrator, but the trust register lab.yaml does not list key ${other.fingerprint} of ${ADMIN} as an administrator's: the revocation is refused`]);
    expect(() => parseTrustRegister(Buffer.from(`exhibit_trust_register: 1\nkeys:\n  - examiner: A\n    fingerprint: ${other.fingerprint}\n    issued: ${t(0)}\n    administrator: "yes"\n`), 'x')).toThrow(/"administrator" should be true or false/);
  });
});
