/**
 * The RFC 3161 token beside a checkpoint (<evidence>.checkpoint.tsr): checked as openssl ts -verify
 * checks it, against the CA certificates of the lab's time-stamping authority (tsa.ca in
 * config.yaml). A token that fails is a failure; a missing one, or one with no CA to check it
 * against, is a note.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { X509Certificate } from 'node:crypto';
import { readInputSync } from '../core/input-file.js';
import { parseCheckpoint } from '../core/custody.js';
import { checkTimestamp, TimestampError } from '../core/timestamp-token.js';

export const TOKEN_SUFFIX = '.tsr';
const MAX_TOKEN = 1024 * 1024;

export interface TokenFinding {
  problem?: string;
  note?: string;
  /** What a token that checks proves: the log, as far as the checkpoint covers it, existed at `time`. */
  proven?: { file: string; time: string; entries: number; tsa: string; serial: string };
}

export function checkTokenBeside(checkpointFile: string, ca: readonly X509Certificate[] | undefined): TokenFinding {
  const file = `${checkpointFile}${TOKEN_SUFFIX}`;
  const name = path.basename(file);
  if (!fs.existsSync(file)) return { note: `the checkpoint has no RFC 3161 time-stamp token (${name}): nothing beside the log fixes when it existed` };
  let token: Buffer;
  let checkpoint: Buffer;
  try {
    if (fs.statSync(file).size > MAX_TOKEN) return { problem: `the time-stamp token ${name} is larger than 1 MiB: it is not one` };
    token = readInputSync(file, { code: 'VERIFY_FAILED' });
    checkpoint = readInputSync(checkpointFile, { code: 'VERIFY_FAILED' });
  } catch (err) {
    return { problem: `the time-stamp token ${name} or its checkpoint cannot be read: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!ca) return { note: `a time-stamp token is beside the checkpoint (${name}), but no time-stamping authority's CA is configured here (tsa.ca in config.yaml) to check it with` };
  try {
    const facts = checkTimestamp(token, checkpoint, ca);
    const entries = parseCheckpoint(checkpoint.toString('utf8'))?.size ?? 0;
    return { proven: { file, time: facts.time.toISOString(), entries, tsa: facts.tsa, serial: facts.serial } };
  } catch (err) {
    if (!(err instanceof TimestampError)) throw err;
    return { problem: `the time-stamp token ${name} fails its check: ${err.message}` };
  }
}
