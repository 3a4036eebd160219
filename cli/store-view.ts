/** The case store as `verify` reads it: the reference for every case it holds. */
import fs from 'node:fs';
import path from 'node:path';
import { CaseStore, storeExists, checkCase, exhibitPaths, knownEvidence, listKeys, logLines, registerKeys } from '../case-store/index.js';
import type { Digests, HashAlgorithm } from '../core/crypto.js';
import { ExhibitError } from '../core/errors.js';
import type { EvidenceFile } from '../core/evidence-identity.js';
import { caseNumbersLookAlike, looksAlike } from '../core/look-alike.js';
import type { TrustRegister } from '../core/trust-register.js';
import type { StoreView } from '../verify/anchor.js';
import { io } from './io.js';

/** This machine's case store as a StoreView, or undefined when there is none. */
export function openStoreView(): { view: StoreView; close: () => void } | undefined {
  const paths = exhibitPaths(io().env);
  if (!storeExists(paths)) return undefined;
  const store = CaseStore.openReadOnly(paths);
  const keys = listKeys(store);
  let register: TrustRegister | undefined; // the store's keys as a register, made when first asked
  let written: Map<string, string> | undefined; // every logged file's path (as logged and resolved) to its case, read once when first asked
  const view: StoreView = {
    caseLog: (n) => {
      const c = store.findCase(n);
      return c ? store.db.snapshot(() => ({ case: c.number, lines: logLines(store, c), check: checkCase(store, c) })) : undefined;
    },
    // A look-alike of a name (Cyrillic letters, an invisible character) counts as that name: its key is not theirs.
    keysFor: (name) => keys.filter((k) => k.examiner === name || looksAlike(k.examiner, name)).map((k) => k.fingerprint),
    lookAlikeCase: (n) => store.listCases().find((c) => c.number !== n && caseNumbersLookAlike(c.number, n))?.number,
    keyRegister: () => (register ??= { file: 'the case store', sha256: '', keys: new Map(registerKeys(store).map((k) => [k.fingerprint, k])), where: 'this case store' }),
    caseOfFile: (file) => {
      written ??= pathsToCases(knownEvidence(store).files);
      return written.get(file) ?? written.get(realOrSame(file));
    },
    filesLoggedIn: (folder) => {
      const here = new Set([folder, realOrSame(folder)]);
      return knownEvidence(store).files.filter((f) => here.has(path.dirname(f.path)) || here.has(path.dirname(realOrSame(f.path)))).map((f) => ({ path: f.path, what: f.what }));
    },
  };
  return { view, close: () => store.close() };
}

/** Each logged file's path, as logged and resolved, to its case (the first case that logged it). */
function pathsToCases(files: readonly EvidenceFile[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const f of files) {
    if (!f.case) continue;
    for (const p of [f.path, realOrSame(f.path)]) if (!m.has(p)) m.set(p, f.case);
  }
  return m;
}

/** The real path of `p`, or `p` when it cannot be resolved (gone, unreadable). */
function realOrSame(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

const DIGEST_HEX: Record<HashAlgorithm, number> = { md5: 32, sha1: 40, sha256: 64, sha512: 128 };

/** --expect md5:<hex> (repeatable) as digests; one per algorithm. */
export function parseExpected(values: readonly string[]): Digests {
  const out: Digests = {};
  for (const v of values) {
    const m = /^(md5|sha1|sha256|sha512|sha-1|sha-256|sha-512):([0-9a-fA-F]+)$/i.exec(v.trim()); // SHA256:, SHA-256: as other tools print them
    const algorithm = m?.[1]!.toLowerCase().replace('-', '') as HashAlgorithm | undefined;
    if (!m || !algorithm || m[2]!.length !== DIGEST_HEX[algorithm]) {
      throw new ExhibitError('USAGE', `--expect ${JSON.stringify(v)} is not <algorithm>:<hex digest>`, { hints: ['e.g. --expect sha256:<64 hex digits>; algorithms: md5, sha1, sha256, sha512'] });
    }
    const hex = m[2]!.toLowerCase();
    if (out[algorithm] !== undefined && out[algorithm] !== hex) throw new ExhibitError('USAGE', `--expect gives two different ${algorithm} hashes`);
    out[algorithm] = hex;
  }
  return out;
}
