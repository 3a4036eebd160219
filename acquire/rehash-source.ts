/**
 * Reading a source again to compare it with its record (exhibit verify
 * --source): opened read-only with the same proof as an acquisition, read
 * with the same retries and fill, and hashed. The sectors the record lists as
 * unreadable are hashed as the fill the image holds there, whatever they read
 * now, so a drive that has not changed gives the recorded hashes; the result
 * says how many sectors that was, and which sectors are unreadable now.
 */
import type { Digests, HashAlgorithm } from '../core/crypto.js';
import { ExhibitError } from '../core/errors.js';
import { hashStream } from '../core/hash-stream.js';
import { BadSectorMap, parseFill, type BadRange } from './bad-sectors.js';
import { beginReadOnlyProof, checkMounts, type ReadOnlyProof } from './read-only.js';
import { SourceReader } from './source-reader.js';
import { openSource, type SourceFacts } from './source.js';

export interface SourceRehashOptions {
  source: string;
  algorithms: HashAlgorithm[];
  mediaBytes: number; // what the record says the source holds
  paddingBytes: number; // zeros the image adds after the source (E01 of an odd-sized source)
  sectorSize: number;
  fill: string;
  retries: number;
  recordedUnreadable: readonly { first_sector: number; sectors: number }[];
  allowMounted: boolean;
  signal?: AbortSignal;
  onStart?: (bytes: number) => void;
  onProgress?: (done: number) => void;
}

export interface SourceRehash {
  facts: SourceFacts;
  hashes: Digests;
  readOnly: ReadOnlyProof;
  unreadableNow: BadRange[];
  recordedSectorsHashedAsFill: number;
}

const BLOCK = 4 * 1024 * 1024;

export async function rehashSource(o: SourceRehashOptions): Promise<SourceRehash> {
  const { handle, facts } = await openSource(o.source);
  try {
    if (facts.size_bytes !== o.mediaBytes) {
      throw new ExhibitError('VERIFY_FAILED', `the source ${o.source} holds ${facts.size_bytes} bytes; the record says the acquired one held ${o.mediaBytes}`);
    }
    const mounted = checkMounts(facts, o.allowMounted);
    const proof = await beginReadOnlyProof(facts, handle, o.allowMounted, mounted);
    const fill = parseFill(o.fill, o.sectorSize);
    const bad = new BadSectorMap();
    const reader = SourceReader.of(handle, facts, { retries: o.retries, fill, maxBadRun: 0 }, bad);
    let asFill = 0;
    const total = o.mediaBytes + o.paddingBytes;
    o.onStart?.(total);
    async function* pieces(): AsyncGenerator<Uint8Array> {
      const buf = Buffer.alloc(BLOCK);
      for (let pos = 0; pos < o.mediaBytes; pos += BLOCK) {
        if (o.signal?.aborted) throw new ExhibitError('INTERRUPTED', 'interrupted while reading the source again');
        const n = Math.min(BLOCK, o.mediaBytes - pos);
        const into = buf.subarray(0, n);
        await reader.read(into, pos);
        // The recorded unreadable sectors hold the fill in the image: hash them so here too.
        const first = Math.floor(pos / o.sectorSize);
        const last = Math.ceil((pos + n) / o.sectorSize);
        for (const r of o.recordedUnreadable) {
          for (let s = Math.max(first, r.first_sector); s < Math.min(last, r.first_sector + r.sectors); s++) {
            const at = s * o.sectorSize - pos;
            fill.sector.copy(into, at, 0, Math.min(o.sectorSize, n - at));
            asFill++;
          }
        }
        yield into;
      }
      if (o.paddingBytes > 0) yield Buffer.alloc(o.paddingBytes);
    }
    const results = await hashStream(
      pieces(),
      o.algorithms.map((a) => ({ id: a, algorithm: a })),
      { size: total, ...(o.onProgress ? { onBytes: o.onProgress } : {}) },
    );
    const readOnly = await proof.finish();
    const hashes: Digests = {};
    for (const a of o.algorithms) hashes[a] = results.get(a)![0]!;
    return { facts, hashes, readOnly, unreadableNow: bad.ranges, recordedSectorsHashedAsFill: asFill };
  } finally {
    await handle.close();
  }
}
