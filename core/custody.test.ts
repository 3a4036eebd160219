import { describe, expect, it } from 'vitest';
import { checkCustodyLog, splitLog } from './custody-check.js';
import { generateSigningKey, readPrivateKey, sha256Hex, signBytes, verifyBytes, readPublicKey } from './crypto.js';
import { checkpointBody, checkpointText, encodeEntry, GENESIS_PREV, lineHashInput, logLine, parseCheckpoint, splitLogLine, type CustodyEntry } from './custody.js';

const key = generateSigningKey();
const priv = readPrivateKey(key.privatePem, 'test key');
const time = { utc: '2026-11-22T09:00:00.000Z', local: '2026-11-22T10:00:00.000+01:00' };

/** A small log built by hand: the key registered, then `n` more entries. */
function buildLog(n: number): { lines: string[]; checkpoint: string } {
  const lines: string[] = [];
  let prev = GENESIS_PREV;
  for (let seq = 1; seq <= n + 1; seq++) {
    const entry: CustodyEntry = {
      v: 1,
      case: 'C-1',
      seq,
      prev,
      time,
      actor: { name: 'Ann Example', key: key.fingerprint },
      kind: seq === 1 ? 'key.registered' : 'evidence.registered',
      payload: seq === 1 ? { examiner: 'Ann Example', key: key.fingerprint, public_key: key.publicPem } : { number: `EV-${seq}`, description: `entry ${seq} \u00e9 "quoted"` },
    };
    const bytes = encodeEntry(entry);
    const line = logLine(bytes, [{ key: key.fingerprint, sig: signBytes(priv, bytes) }]);
    lines.push(line);
    prev = sha256Hex(lineHashInput(line));
  }
  const body = checkpointBody('C-1', lines.length, prev);
  return { lines, checkpoint: checkpointText(body, key.fingerprint, signBytes(priv, body)) };
}

describe('custody log format', () => {
  it('signs and verifies with Ed25519; a changed byte or another key fails', () => {
    const sig = signBytes(priv, 'hello');
    const pub = readPublicKey(key.publicPem)!;
    expect(verifyBytes(pub, 'hello', sig)).toBe(true);
    expect(verifyBytes(pub, 'hellp', sig)).toBe(false);
    expect(verifyBytes(readPublicKey(generateSigningKey().publicPem)!, 'hello', sig)).toBe(false);
    expect(verifyBytes(pub, 'hello', 'not base64')).toBe(false);
  });

  it('splits a line into the exact entry bytes and the signatures, even when the payload mentions signatures', () => {
    const bytes = '{"a":{"signatures":[1]},"b":"],\\"signatures\\":["}';
    const line = logLine(bytes, [{ key: 'k', sig: 's' }]);
    expect(splitLogLine(line)).toEqual({ entryBytes: bytes, signatures: [{ key: 'k', sig: 's' }] });
    expect(splitLogLine('{"entry":{}}')).toBeUndefined();
    for (const bad of ['{"entry":{},"signatures":[]', '{"entry":,"signatures":[]}', '{"entry":{},"signatures":[]]}', '{"entry":{"a":1},"signatures":["x"]}x', 'x{"entry":{},"signatures":[]}']) expect(splitLogLine(bad), bad).toBeUndefined();
    expect(splitLogLine('{"entry":{},"signatures":[]}')).toEqual({ entryBytes: '{}', signatures: [] });
  });

  it('takes a line of several MB apart in one pass (a hostile log line cannot hold a check up)', () => {
    // The regular expression this replaced took minutes on such a line (its time grew with the square of the length).
    const line = `{"entry":{${'},"signatures":['.repeat(250_000)}`;
    expect(splitLogLine(line)).toBeUndefined();
    expect(splitLogLine(`${line}]}`)?.signatures).toEqual([]); // a well-formed line, with an entry that is no JSON
  });

  it('round-trips a checkpoint and rejects a damaged one', () => {
    const { checkpoint } = buildLog(2);
    const cp = parseCheckpoint(checkpoint)!;
    expect(cp).toMatchObject({ caseNumber: 'C-1', size: 3, key: key.fingerprint });
    expect(parseCheckpoint(checkpoint.replace('\n3\n', '\n03\n'))).toBeUndefined();
    expect(parseCheckpoint(checkpoint.slice(0, -2))).toBeUndefined();
  });

  it('accepts a whole log and lists every problem of a damaged one, by entry', () => {
    const { lines, checkpoint } = buildLog(4);
    expect(checkCustodyLog(lines, { checkpoint, caseNumber: 'C-1' }).problems).toEqual([]);
    const swapped = [lines[0]!, lines[2]!, lines[1]!, lines[3]!, lines[4]!];
    const problems = checkCustodyLog(swapped, { checkpoint }).problems.map((p) => p.entry);
    expect(problems).toContain(2);
    expect(problems).toContain(3);
    expect(checkCustodyLog(lines, { checkpoint, caseNumber: 'C-2' }).problems[0]!.message).toMatch(/entry 1: belongs to case "C-1", not "C-2"/);
  });

  it('reads a log file, noticing a missing final newline', () => {
    expect(splitLog('a\nb\n')).toEqual({ lines: ['a', 'b'], problems: [] });
    expect(splitLog('a\nb').problems[0]!.message).toMatch(/entry 2 is cut short/);
    expect(splitLog('')).toEqual({ lines: [], problems: [] });
  });

  it('trusting the checkpoint skips no tampering: a changed signature still breaks the chain and is named', () => {
    const { lines, checkpoint } = buildLog(3);
    expect(checkCustodyLog(lines, { checkpoint, trustCheckpointSignedBy: new Set([key.fingerprint]) }).problems).toEqual([]);
    const other = /"sig":"[^"]+"/.exec(lines[1]!)![0];
    const tampered = lines.map((l, i) => (i === 2 ? l.replace(/"sig":"[^"]+"/, other) : l));
    const messages = checkCustodyLog(tampered, { checkpoint, trustCheckpointSignedBy: new Set([key.fingerprint]) }).problems.map((p) => p.message);
    expect(messages.some((m) => /^entry 3: the signature by Ann Example .* does not match/.test(m))).toBe(true);
    expect(messages.some((m) => /^entry 4: does not link to entry 3/.test(m))).toBe(true);
  });

  it('ties names to keys: signing as someone else, or a second key for one name, is named', () => {
    const { lines } = buildLog(1);
    const e = JSON.parse(splitLogLine(lines[1]!)!.entryBytes) as CustodyEntry;
    e.actor = { ...e.actor, name: 'Someone Else' };
    const bytes = encodeEntry(e);
    const forged = [lines[0]!, logLine(bytes, [{ key: key.fingerprint, sig: signBytes(priv, bytes) }])];
    expect(checkCustodyLog(forged).problems.map((p) => p.message)).toContain(
      `entry 2: names Someone Else as a signer, but key ${key.fingerprint.slice(0, 16)} is registered to Ann Example`,
    );
  });
});

describe('a checkpoint that carries the longest copy seen (a rolled-back store)', () => {
  const { lines } = buildLog(2);
  const head = sha256Hex(lineHashInput(lines[lines.length - 1]!));
  const seen = { size: 7, head: 'ab'.repeat(32) };
  const body = checkpointBody('C-1', lines.length, head, seen);
  const text = checkpointText(body, key.fingerprint, signBytes(priv, body));

  it('keeps the three lines of every other checkpoint byte for byte, and signs the fourth', () => {
    expect(checkpointBody('C-1', 3, head)).toBe(`exhibit custody log, case C-1\n3\n${head}\n`);
    expect(body).toBe(`exhibit custody log, case C-1\n3\n${head}\nseen 7 ${'ab'.repeat(32)}\n`);
    expect(parseCheckpoint(text)).toMatchObject({ size: 3, head, seen, body });
    // A "seen" count not beyond the log's own is no checkpoint of exhibit's.
    const low = checkpointBody('C-1', 3, head, { size: 3, head });
    expect(parseCheckpoint(checkpointText(low, key.fingerprint, signBytes(priv, low)))).toBeUndefined();
  });

  it('is reported as a rollback when signed, and as a changed checkpoint when its line was edited', () => {
    const r = checkCustodyLog(lines, { checkpoint: text });
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ rolledBack: true });
    expect(r.problems[0]!.message).toMatch(/^ROLLBACK: the signed checkpoint \(by Ann Example\) says a copy of this log with 7 entries .* but the log holds 3/);
    const edited = checkCustodyLog(lines, { checkpoint: text.replace('seen 7 ', 'seen 9 ') });
    expect(edited.problems.map((p) => p.message)).toEqual([expect.stringMatching(/the checkpoint's signature by Ann Example does not match it/)]);
    expect(edited.problems[0]!.rolledBack).toBeUndefined();
  });
});
