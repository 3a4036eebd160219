/**
 * Cloning a drive straight onto another (or into a new file) in one pass:
 * the source is opened read-only with the same proof as an acquisition and
 * read with the same retries and fill, every byte is hashed as it is written,
 * the target is made durable and read back, and both hash sets must match.
 * The clone's record (YAML, never overwritten) lists the source's facts, the
 * read-only proof, the unreadable ranges and both hash sets.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import type { EvidenceSource, KnownEvidence } from '../core/evidence-identity.js';
import { digestsEqual, type Digests, type HashAlgorithm } from '../core/crypto.js';
import { describeSystemError, ExhibitError } from '../core/errors.js';
import { hashStream } from '../core/hash-stream.js';
import { writeFileAtomic } from '../core/record.js';
import { timestamp } from '../core/time.js';
import { formatBytes } from '../core/units.js';
import { BadSectorMap, fillSector, type BadRange, type FillSpec } from '../source/bad-sectors.js';
import { beginReadOnlyProof, checkMounts, checkOutputNotOnSource, type ReadOnlyProof } from '../source/read-only.js';
import { SourceReader } from '../source/source-reader.js';
import { openSource, type SourceFacts } from '../source/source.js';
import { openTarget, probeTarget, publishTarget, readBackHashes, refuseTarget, writeAll, writePath } from '../source/target.js';

export interface CloneOptions {
  source: string;
  target: string;
  recordFile: string;
  examiner: string;
  yes: boolean;
  hashes: HashAlgorithm[];
  retries: number;
  fill: FillSpec;
  allowMounted: boolean;
  known: KnownEvidence; // what the case store and records know as evidence: never a target
  commandLine: string[];
  version: string;
  signal?: AbortSignal;
  onPhase?: (phase: 'cloning' | 'reading back', bytes: number) => void;
  onProgress?: (done: number) => void;
}

export interface CloneOutcome {
  recordFile: string;
  target: string; // where the clone is: the target, or <target>.partial when it did not check out
  source: SourceFacts;
  bytes: number;
  sourceHashes: Digests;
  targetHashes: Digests;
  readOnly: ReadOnlyProof;
  unreadable: BadRange[];
  problems: string[];
  /** Bytes of a larger target past the clone, left as they were (its old data). */
  excessBytes: number;
}

const PIECE = 4 * 1024 * 1024;

export async function cloneDrive(o: CloneOptions): Promise<CloneOutcome> {
  // lstat, so a link (even to nothing) is refused too: the record is never written through one.
  if (fs.lstatSync(o.recordFile, { throwIfNoEntry: false })) throw new ExhibitError('OUTPUT_EXISTS', `${o.recordFile} exists; exhibit never overwrites a record`);
  const started = timestamp();
  const { handle, facts } = await openSource(o.source);
  let target: fsp.FileHandle | undefined;
  let reader: SourceReader | undefined;
  try {
    const bytes = facts.size_bytes;
    const mounted = checkMounts(facts, o.allowMounted);
    // The source itself is evidence too: a loop device over its file, or its own serial, is refused like any acquired drive.
    const self: EvidenceSource = {
      ...(facts.device?.serial ? { serial: facts.device.serial } : {}),
      ...(facts.device?.wwid ? { wwid: facts.device.wwid } : {}),
      path: facts.device?.loop_backing_file ?? facts.resolved_path,
      what: `the source being cloned`,
    };
    const probe = await probeTarget(o.target);
    const known = { sources: [self].concat(o.known.sources), files: o.known.files };
    await refuseTarget(probe, bytes, { yes: o.yes, known, verb: 'cloning', mustNotHold: [o.recordFile], ...(facts.device?.whole_disk ? { sourceDisk: facts.device.whole_disk } : {}) });
    // Nothing the clone writes (a new target file, the record) may land on the source.
    const targetFacts = probe.facts;
    await checkOutputNotOnSource(facts, path.dirname(path.resolve(o.recordFile)));
    if (!targetFacts) await checkOutputNotOnSource(facts, path.dirname(path.resolve(o.target)));
    try {
      fs.accessSync(path.dirname(path.resolve(o.recordFile)), fs.constants.W_OK); // found now, not after hours of copying
    } catch (err) {
      throw new ExhibitError('OUTPUT_WRITE', `cannot write the clone record in ${path.dirname(path.resolve(o.recordFile))}: ${describeSystemError(err)}`, { cause: err });
    }
    const proof = await beginReadOnlyProof(facts, handle, o.allowMounted, mounted);
    // The target is opened before anything is recorded: one that cannot be (a .partial an earlier run left) is refused, and no record says this run began.
    target = await openTarget(probe);
    const fill = fillSector(o.fill, facts.logical_sector_size);
    const bad = new BadSectorMap();
    const sourceReader = (reader = SourceReader.of(handle, facts, { retries: o.retries, fill, maxBadRun: 0 }, bad));
    const written = writePath(probe); // a new file is <target>.partial until read back and checked
    const targetFields = (p: string) => ({ path: p, kind: targetFacts?.kind ?? 'file', size_bytes: targetFacts?.size_bytes ?? bytes, ...(targetFacts?.device ? { device: targetFacts.device } : {}) });
    const common = () => ({
      tool: { name: 'exhibit', version: o.version, node: process.version, openssl: process.versions.openssl ?? 'unknown' },
      command_line: o.commandLine,
      host: { hostname: os.hostname(), user: os.userInfo().username },
      examiner: o.examiner,
      started,
      finished: timestamp(),
      source: facts,
    });
    let copied = 0;
    let sourceSums: Map<string, string[]>;
    let readOnly: ReadOnlyProof | undefined;
    let targetSums: Map<string, string[]>;
    const readErrors = () => ({ unreadable_sectors: bad.ranges.reduce((n, r) => n + r.sectors, 0), ranges: bad.ranges, fill: fill.spec, retries: o.retries });
    const incomplete = (why: string, ro?: ReadOnlyProof): string =>
      `# exhibit clone record\n${YAML.stringify(
        {
          record: 'exhibit clone',
          record_version: 1,
          result: 'incomplete',
          incomplete_reason: why,
          ...common(),
          ...(ro ? { read_only: ro } : {}),
          target: targetFields(written),
          bytes,
          bytes_copied: copied,
          read_errors: readErrors(),
        },
        { lineWidth: 0, aliasDuplicateObjects: false },
      )}`;
    // Written before the first byte is copied and replaced at the end: a run killed outright still leaves a record that says incomplete.
    try {
      await writeRecord(o.recordFile, incomplete('the clone did not finish: the run ended before it could record how far it got'), false);
    } catch (err) {
      // Nothing was copied: a new target file, still empty, goes too.
      await target.close().catch(() => undefined);
      target = undefined;
      if (!probe.facts) fs.rmSync(written, { force: true });
      throw err;
    }
    try {
      const t = target;
      o.onPhase?.('cloning', bytes);
      async function* pieces(): AsyncGenerator<Uint8Array> {
        const buf = Buffer.alloc(PIECE);
        for (let pos = 0; pos < bytes; pos += PIECE) {
          if (o.signal?.aborted) throw new ExhibitError('INTERRUPTED', `interrupted after ${formatBytes(pos)}: the target holds part of the source`);
          const n = Math.min(PIECE, bytes - pos);
          await sourceReader.read(buf.subarray(0, n), pos);
          await writeAll(t, buf.subarray(0, n), pos, written);
          copied = pos + n;
          yield buf.subarray(0, n);
        }
      }
      const jobs = o.hashes.map((a) => ({ id: a, algorithm: a }));
      sourceSums = await hashStream(pieces(), jobs, { size: bytes, ...(o.onProgress ? { onBytes: o.onProgress } : {}) });
      await t.sync().catch((err: unknown) => {
        throw new ExhibitError('OUTPUT_WRITE', `cannot make the target ${written} durable: ${describeSystemError(err)}`, { cause: err });
      });
      await t.close();
      target = undefined;
      readOnly = await proof.finish();
      o.onPhase?.('reading back', bytes);
      targetSums = await readBackHashes(written, bytes, o.hashes, o.onProgress, 0, o.signal);
    } catch (err) {
      // A clone that stops still leaves its record, saying incomplete and how far it got.
      await target?.close().catch(() => undefined);
      target = undefined;
      const why = err instanceof ExhibitError ? err.message : describeSystemError(err);
      const ro = readOnly ?? (await proof.finish().catch(() => undefined));
      await writeRecord(o.recordFile, incomplete(why, ro), true); // in place of the provisional one
      const hints = [...(probe.facts ? [] : [`what was written is left unfinished as ${written} (never under the target's own name)`]), `the clone record says incomplete: ${o.recordFile}`];
      if (err instanceof ExhibitError) throw new ExhibitError(err.code, err.message, { cause: err.cause ?? err, hints: [...err.hints, ...hints] });
      throw new ExhibitError('OUTPUT_WRITE', why, { cause: err, hints });
    }
    const pick = (m: Map<string, string[]>): Digests => Object.fromEntries(o.hashes.map((a) => [a, m.get(a)![0]!]));
    const excessBytes = Math.max(0, (targetFacts?.size_bytes ?? bytes) - bytes);
    const out: CloneOutcome = { recordFile: o.recordFile, target: written, source: facts, bytes, sourceHashes: pick(sourceSums), targetHashes: pick(targetSums), readOnly, unreadable: bad.ranges, problems: [], excessBytes };
    for (const a of o.hashes) {
      if (!digestsEqual(out.sourceHashes[a]!, out.targetHashes[a]!)) out.problems.push(`${a.toUpperCase()} of the target read back is ${out.targetHashes[a]}, the source's is ${out.sourceHashes[a]}`);
    }
    if (!readOnly.unchanged) out.problems.push('the source changed while it was read: its write counters or file attributes moved');
    // Checked: a new file takes its name. One that does not match keeps the name that says it is unfinished.
    if (out.problems.length === 0) await publishTarget(probe);
    out.target = out.problems.length === 0 ? o.target : written;
    const record = {
      record: 'exhibit clone',
      record_version: 1,
      result: out.problems.length === 0 ? 'complete' : 'failed',
      problems: out.problems,
      ...common(),
      read_only: readOnly,
      target: { ...targetFields(out.target), ...(excessBytes > 0 ? { beyond_the_clone: `${excessBytes} bytes past the clone's end left as they were: the target's old data` } : {}) },
      bytes,
      hashes: { source: out.sourceHashes, target_read_back: out.targetHashes },
      read_errors: readErrors(),
    };
    await writeRecord(o.recordFile, `# exhibit clone record\n${YAML.stringify(record, { lineWidth: 0, aliasDuplicateObjects: false })}`, true); // in place of the provisional one
    return out;
  } finally {
    await target?.close().catch(() => undefined);
    await reader?.close(); // its O_DIRECT handle on the source, if it opened one
    await handle.close();
  }
}

/** The clone record, written atomically; a failure (a full disk, say) is said in exhibit's words, naming the record. */
async function writeRecord(file: string, text: string, replace: boolean): Promise<void> {
  try {
    await writeFileAtomic(file, text, replace);
  } catch (err) {
    throw new ExhibitError('OUTPUT_WRITE', `cannot write the clone record ${file}: ${describeSystemError(err)}`, { cause: err });
  }
}
