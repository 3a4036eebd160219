/**
 * Phase 4, --skip-bad only: once the first pass has finished, read the
 * regions it deferred sector by sector, patch them into the image, and read
 * the image back to compute its hashes.
 */
import path from 'node:path';
import { ExhibitError } from '../../core/errors.js';
import type { ImageFile } from '../../image/types.js';
import { PieceDigests } from '../digests.js';
import { writeJournal } from '../journal.js';
import { runPipeline, type PipelineResult } from '../pipeline.js';
import { rescueDeferred } from '../skip-bad.js';
import type { BadSectorMap } from '../../source/bad-sectors.js';
import type { Copied } from './copy.js';
import type { Session } from './session.js';

/** Passes 2 and 3; returns the result of the last pass run. Call only when the first pass finished and deferred something. */
export async function rescue(s: Session, c: Copied, files: ImageFile[], bad: BadSectorMap): Promise<PipelineResult> {
  const { o, j, outDir, facts, format } = s;
  const regions = c.skipping!.deferred;
  // Note the finished first pass, then rescue and rehash.
  j.deferred = regions;
  await writeJournal(outDir, j, false, o.signJournal);
  o.onPass?.('rescue', regions.reduce((a, r) => a + r.len, 0));
  const imageFiles = files.map((f) => path.join(outDir, f.name));
  const reader = s.sourceReader!;
  const run = await rescueDeferred({
    regions,
    read: (into, pos) => reader.read(into, pos),
    patch: (pos, data) => format.patch!(outDir, j.evidence, j, pos, data),
    rehash: async () => {
      o.onPass?.('rehash', facts.size_bytes);
      const image = await format.openPartial(imageFiles, undefined, j);
      const pieces = new PieceDigests();
      try {
        const rehashed = await runPipeline({
          source: { read: async () => Promise.reject(new ExhibitError('INTERNAL', 'the rehash pass reads only the image')) },
          size: facts.size_bytes,
          sectorSize: s.sectorSize,
          writer: s.writer,
          jobs: c.jobs,
          replay: { image, upTo: facts.size_bytes },
          ...(o.threads ? { threads: o.threads } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
          onProgress: (n) => o.onProgress?.(n, facts.size_bytes),
          onSegments: pieces.take,
        });
        pieces.complete(rehashed.digests);
        return rehashed;
      } finally {
        await image.close();
      }
    },
    ...(o.signal ? { signal: o.signal } : {}),
    onProgress: (n, total) => o.onProgress?.(n, total),
  });
  if (run.failure === undefined && !run.interrupted) j.bad_ranges = bad.ranges;
  return run;
}

/** Whether the rescue passes are due: the first pass finished, sealed its image, and deferred something. */
export function rescueDue(c: Copied, sealedWithoutError: boolean): boolean {
  return sealedWithoutError && !c.run.interrupted && c.run.failure === undefined && c.skipping !== undefined && c.skipping.deferred.length > 0;
}
