/**
 * Checking the custody files beside an image, with nothing but what is in
 * the folder: <evidence>.custody.jsonl, <evidence>.checkpoint and the public
 * keys in <evidence>.keys/. Every key the log registers must be among those
 * files, each file must be named by its key's fingerprint, and the checkpoint
 * must cover the whole log.
 */
import fs from 'node:fs';
import path from 'node:path';
import { checkCustodyLog, splitLog, type CustodyCheck, type CustodyProblem } from '../core/custody-check.js';
import { keyFingerprint, readPublicKey, type PublicKey } from '../core/crypto.js';
import { describeSystemError, ExhibitError } from '../core/errors.js';
import { readTextIfExists } from '../core/text.js';
import { readInputSync, readInputTextSync } from '../core/input-file.js';

export const LOG_SUFFIX = '.custody.jsonl';

export interface CustodyFilesCheck extends CustodyCheck {
  log: string;
  lines: string[]; // the log's lines as read, without their newlines
  checkpoint: string;
  keysDir: string;
}

/** The custody log named by `target`: the .custody.jsonl file itself, or the one in a folder. */
export function findCustodyLog(target: string): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(target);
  } catch (err) {
    throw new ExhibitError('NOT_FOUND', `cannot read ${target}: ${describeSystemError(err)}`, { cause: err });
  }
  if (!st.isDirectory()) return target;
  let logs: string[];
  try {
    logs = fs.readdirSync(target).filter((n) => n.endsWith(LOG_SUFFIX));
  } catch (err) {
    throw new ExhibitError('NOT_FOUND', `cannot read the folder ${target}: ${describeSystemError(err)}`, { cause: err });
  }
  if (logs.length === 0) throw new ExhibitError('NOT_FOUND', `there is no custody log (*${LOG_SUFFIX}) in ${target}`);
  if (logs.length > 1) throw new ExhibitError('USAGE', `${target} holds ${logs.length} custody logs`, { hints: [`name one: ${logs.join(', ')}`] });
  return path.join(target, logs[0]!);
}

/**
 * The most exhibit reads of each custody file: a log of 256 MiB holds some 200,000 entries; a
 * checkpoint or a public key is a few hundred bytes. A file larger than that, or not a regular
 * file (a named pipe, /dev/zero), is refused before it is read, so a file put in the place of one
 * can neither hold verify up nor fill its memory.
 */
export const MAX_LOG_BYTES = 256 * 1024 * 1024;
export const MAX_CHECKPOINT_BYTES = 64 * 1024;
const MAX_KEY_BYTES = 64 * 1024;

/**
 * `trustedKeys` (keys given by the verifier, e.g. `--key`) replaces the key
 * files beside the log as what every registered key must be one of.
 */

export function checkCustodyFiles(logFile: string, opts: { trustedKeys?: Map<string, PublicKey> } = {}): CustodyFilesCheck {
  if (!logFile.endsWith(LOG_SUFFIX)) throw new ExhibitError('USAGE', `${logFile} is not a custody log: its name should end in ${LOG_SUFFIX}`);
  const stem = logFile.slice(0, -LOG_SUFFIX.length);
  const checkpointFile = `${stem}.checkpoint`;
  const keysDir = `${stem}.keys`;
  let bytes: Buffer;
  const sizeProblems: { message: string }[] = [];
  // A log past the bound is checked as an empty one with that problem: a verdict (FAILED), not a stop.
  const big = fs.statSync(logFile, { throwIfNoEntry: false });
  if (big?.isFile() && big.size > MAX_LOG_BYTES) {
    bytes = Buffer.alloc(0);
    sizeProblems.push({ message: `the log is ${big.size} bytes, more than the ${MAX_LOG_BYTES} exhibit reads as a custody log: not one exhibit wrote, or padded` });
  } else {
    try {
      bytes = readInputSync(logFile, { code: 'NOT_FOUND', max: { bytes: MAX_LOG_BYTES, what: 'a custody log' } });
    } catch (err) {
      if (err instanceof ExhibitError) throw err;
      throw new ExhibitError('NOT_FOUND', `cannot read the custody log ${logFile}: ${describeSystemError(err)}`, { cause: err });
    }
  }
  // Strict UTF-8 (and a byte order mark kept as a byte): a lenient decoder would turn different
  // bytes into the same text and so into the same hashes, which sha256sum would not.
  let text: string;
  const encodingProblems: { message: string }[] = [];
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    text = bytes.toString('latin1');
    encodingProblems.push({ message: 'the log is not valid UTF-8: bytes in it were changed' });
  }
  const { lines, problems: splitProblems } = splitLog(text);
  const checkpoint = readCheckpointText(checkpointFile);

  const trusted = new Map<string, PublicKey>();
  const keyProblems: { message: string }[] = [];
  let names: string[] = [];
  // With the keys given (--key), the folder beside the log is not what the signatures are checked with: it need not be there.
  if (!opts.trustedKeys) {
    try {
      names = fs.readdirSync(keysDir).filter((n) => n.endsWith('.pem'));
    } catch {
      keyProblems.push({ message: `there is no folder of public keys beside the log (${path.basename(keysDir)}/)` });
    }
  }
  for (const name of names) {
    let pem = '';
    try {
      pem = readInputTextSync(path.join(keysDir, name), { code: 'NOT_FOUND', max: { bytes: MAX_KEY_BYTES, what: 'a public key' } });
    } catch (err) {
      keyProblems.push({ message: `${path.basename(keysDir)}/${name} cannot be read: ${err instanceof ExhibitError ? err.message.replace(`${path.join(keysDir, name)} is `, 'it is ') : describeSystemError(err)}` });
      continue;
    }
    const key = readPublicKey(pem);
    if (!key) {
      keyProblems.push({ message: `${path.basename(keysDir)}/${name} is not an Ed25519 public key` });
      continue;
    }
    const fp = keyFingerprint(key);
    if (`${fp}.pem` !== name) keyProblems.push({ message: `${path.basename(keysDir)}/${name} holds key ${fp.slice(0, 16)}..., not the one its name says` });
    else trusted.set(fp, key);
  }

  const result = checkCustodyLog(lines, {
    ...(checkpoint !== undefined ? { checkpoint } : {}),
    trustedKeys: opts.trustedKeys ?? trusted,
    trustedKeysSource: opts.trustedKeys ? 'the keys given to check with' : `the key files in ${path.basename(keysDir)}/`,
  });
  const problems = [...sizeProblems, ...encodingProblems, ...splitProblems, ...result.problems, ...keyProblems];
  if (checkpoint === undefined) {
    const there = fs.existsSync(checkpointFile);
    problems.push({ message: there ? `the checkpoint beside the log (${path.basename(checkpointFile)}) cannot be read as one (too large, or not a regular file): a shortened log could not be told from a whole one` : `there is no checkpoint beside the log (${path.basename(checkpointFile)}): a shortened log could not be told from a whole one` });
  }
  problems.sort((a, b) => ((a as { entry?: number }).entry ?? Infinity) - ((b as { entry?: number }).entry ?? Infinity));
  return { ...result, problems, log: logFile, lines, checkpoint: checkpointFile, keysDir };
}

/** A checkpoint's text, or undefined when there is none or it is unreadable (a named pipe or /dev/zero in its place, or too large). */
export function readCheckpointText(file: string): string | undefined {
  try {
    return readTextIfExists(file, { max: { bytes: MAX_CHECKPOINT_BYTES, what: 'a checkpoint' } });
  } catch {
    return undefined; // unreadable: reported as missing
  }
}

/** Public keys from PEM files named by the verifier, by fingerprint. */
export function readKeyFiles(files: readonly string[]): Map<string, PublicKey> {
  const out = new Map<string, PublicKey>();
  for (const f of files) {
    let pem: string;
    try {
      pem = readInputTextSync(f, { code: 'USAGE' });
    } catch (err) {
      if (err instanceof ExhibitError) throw err;
      throw new ExhibitError('USAGE', `cannot read the key ${f}: ${describeSystemError(err)}`, { cause: err });
    }
    const key = readPublicKey(pem);
    if (!key) throw new ExhibitError('USAGE', `${f} is not an Ed25519 public key (PEM)`, { hints: ['export one with: exhibit key export <examiner>'] });
    out.set(keyFingerprint(key), key);
  }
  return out;
}

/** Custody-log problems shown at most in verify's lists (all of them are in the report's custody section). */
const SHOWN_PROBLEMS = 100;

/**
 * The custody log's problems into verify's lists: those in `blocking` fail the image, the others are
 * notes; past SHOWN_PROBLEMS of each, one line says how many more there are (a log of junk lines
 * would otherwise print a line for each).
 */
export function sayCustody(all: readonly CustodyProblem[], blocking: ReadonlySet<CustodyProblem>, problems: string[], notes: string[]): void {
  const lists = [
    { into: problems, of: all.filter((p) => blocking.has(p)) },
    { into: notes, of: all.filter((p) => !blocking.has(p)) },
  ];
  for (const { into, of } of lists) {
    for (const p of of.slice(0, SHOWN_PROBLEMS)) into.push(`custody log: ${p.message}`);
    if (of.length > SHOWN_PROBLEMS) into.push(`custody log: and ${of.length - SHOWN_PROBLEMS} more like these (listed in --json under custody.problems)`);
  }
}
