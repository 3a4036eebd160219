/**
 * Fetching an RFC 3161 token for a case's current checkpoint from the time-stamping authority named
 * in config.yaml (tsa: {url, ca}), checking it, and keeping it in the store. An acquisition never
 * waits on it for long nor stops for it: a TSA that cannot be reached is said, and the token is
 * fetched later with exhibit custody timestamp <case>.
 */
import { currentCheckpoint, keepToken, loadConfig, type CaseRow, type CaseStore } from '../case-store/index.js';
import { describeSystemError, ExhibitError } from '../core/errors.js';
import { readInputTextSync } from '../core/input-file.js';
import { checkTimestamp, newNonce, readCertificates, timestampRequest, TimestampError, type TimestampFacts } from '../core/timestamp-token.js';
import { info } from './messages.js';

const TIMEOUT_MS = 15_000;
const MAX_REPLY = 1024 * 1024;

export interface Stamped {
  entries: number;
  facts?: TimestampFacts; // absent when the checkpoint already had its token
}

/** The CA certificates tokens must chain to (tsa.ca), or undefined when no TSA is configured. */
export function tsaCertificates(configFile: string): ReturnType<typeof readCertificates> | undefined {
  const tsa = loadConfig(configFile).tsa;
  if (!tsa) return undefined;
  let certs: ReturnType<typeof readCertificates>;
  try {
    certs = readCertificates(readInputTextSync(tsa.ca, { code: 'CONFIG' }));
  } catch (err) {
    if (err instanceof ExhibitError) throw err;
    throw new ExhibitError('CONFIG', `cannot read the TSA's CA certificate ${tsa.ca} (tsa.ca in ${configFile}): ${describeSystemError(err)}`, { cause: err });
  }
  if (certs.length === 0) throw new ExhibitError('CONFIG', `${tsa.ca} (tsa.ca in ${configFile}) holds no PEM certificate`);
  return certs;
}

/** Time-stamp the case's current checkpoint; throws TSA (or CONFIG) when it cannot. Undefined when no TSA is configured. */
export async function stampCheckpoint(store: CaseStore, c: CaseRow): Promise<Stamped | undefined> {
  const tsa = loadConfig(store.paths.configFile).tsa;
  if (!tsa) return undefined;
  const ca = tsaCertificates(store.paths.configFile)!;
  const cur = currentCheckpoint(store, c);
  if (!cur) throw new ExhibitError('NOT_FOUND', `case ${c.number} has no checkpoint to time-stamp`);
  const entries = Number(cur.text.split('\n')[1]);
  if (cur.token) return { entries };
  const nonce = newNonce();
  let reply: Buffer;
  try {
    const res = await fetch(tsa.url, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
      body: new Uint8Array(timestampRequest(Buffer.from(cur.text, 'utf8'), nonce.bytes)),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`it answered HTTP ${res.status}`);
    if (Number(res.headers.get('content-length') ?? 0) > MAX_REPLY) throw new Error('its reply is larger than 1 MiB');
    reply = Buffer.from(await res.arrayBuffer());
    if (reply.length > MAX_REPLY) throw new Error('its reply is larger than 1 MiB');
  } catch (err) {
    const why = (err as Error).name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS / 1000} seconds` : ((err as { cause?: Error }).cause?.message ?? (err as Error).message);
    throw new ExhibitError('TSA', `the time-stamping authority ${tsa.url} could not be reached: ${why}`, { cause: err });
  }
  let facts: TimestampFacts;
  try {
    facts = checkTimestamp(reply, Buffer.from(cur.text, 'utf8'), ca, nonce.hex);
  } catch (err) {
    if (!(err instanceof TimestampError)) throw err;
    throw new ExhibitError('TSA', `the reply of the time-stamping authority ${tsa.url} does not check: ${err.message}`, { cause: err });
  }
  keepToken(store, c, cur.text, reply, facts.time);
  return { entries, facts };
}

/** stampCheckpoint for commands that must go on without it (an acquisition): says what happened, never throws. */
export async function stampOrSay(store: CaseStore, c: CaseRow): Promise<void> {
  try {
    const s = await stampCheckpoint(store, c);
    if (s?.facts) info(`time-stamped case ${c.number}'s checkpoint (${s.entries} entries): ${s.facts.tsa} says it existed at ${s.facts.time.toISOString()}`);
  } catch (err) {
    info(`case ${c.number}'s checkpoint is not time-stamped yet: ${err instanceof Error ? err.message : String(err)}`);
    info(`  fetch the token later with: exhibit custody timestamp ${c.number}`);
  }
}
