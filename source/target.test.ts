import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KnownEvidence } from '../core/evidence-identity.js';
import type { SourceFacts } from './source.js';
import { probeTarget, refuseTarget, type TargetProbe } from './target.js';
import { tempDir } from '../test/helpers/cli.js';

const work = tempDir('exhibit-target-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const none: KnownEvidence = { sources: [], files: [] };
const rules = { yes: true, known: none, mustNotHold: [] };

/** A drive that exists only in the probe: the refusals below must come from the probe alone. */
function drive(size: number, serial?: string): TargetProbe {
  const facts: SourceFacts = {
    path: '/dev/exhibit-no-such-drive', resolved_path: '/dev/exhibit-no-such-drive', kind: 'block-device', size_bytes: size,
    logical_sector_size: 512, physical_sector_size: 512, sector_size_assumed: false, whole_sectors: true, trailing_bytes: 0,
    device: {
      kernel_name: 'sdzz', dev: '8:999', is_partition: false, whole_disk: 'sdzz', size_bytes: size, logical_sector_size: 512, physical_sector_size: 512,
      ...(serial ? { serial } : {}), removable: false, partitions: [], holders: [],
    },
  };
  return { path: facts.path, facts, words: `${facts.path}: a drive` };
}

describe('the restore and clone target', () => {
  it('probes a new file as having no facts, and lets it be written', async () => {
    const p = await probeTarget(path.join(work, 'new.dd'));
    expect(p.facts).toBeUndefined();
    expect(p.words).toMatch(/\(a new file\)$/);
    await expect(refuseTarget(p, 1024, rules)).resolves.toBeUndefined();
  });

  it('refuses an existing file, and a path under /dev that is not there', async () => {
    const file = path.join(work, 'old.dd');
    fs.writeFileSync(file, 'x');
    const p = await probeTarget(file);
    expect(p.facts?.kind).toBe('file');
    await expect(refuseTarget(p, 1, rules)).rejects.toThrow(/exists; exhibit writes into a new file, and never overwrites one/);
    await expect(refuseTarget(await probeTarget('/dev/exhibit-no-such-drive'), 1, rules)).rejects.toThrow(/does not exist: is the drive connected\?/);
  });

  it('refuses a link to nothing before anything is written (it would be found only when the copy takes its name)', async () => {
    const link = path.join(work, 'dangling.dd');
    fs.symlinkSync(path.join(work, 'no-such-folder', 'x.dd'), link);
    await expect(probeTarget(link)).rejects.toThrow(/dangling\.dd is a link to .+no-such-folder\/x\.dd, which does not exist/);
  });

  it('refuses a new target that is, or is written as, a file the run keeps (the clone record)', async () => {
    const t = path.join(work, 'clone.dd');
    for (const record of [t, `${t}.partial`]) {
      await expect(refuseTarget(await probeTarget(t), 1, { ...rules, mustNotHold: [record] })).rejects.toThrow(/cannot be both the target and a file this run writes or reads/);
    }
    await expect(refuseTarget(await probeTarget(t), 1, { ...rules, mustNotHold: [`${t}.yaml`] })).resolves.toBeUndefined();
  });

  it('answers from the probe: the source disk, then the size, are refused without looking at the drive again', async () => {
    await expect(refuseTarget(drive(4096), 1024, { ...rules, sourceDisk: 'sdzz' })).rejects.toThrow(/is on the source disk \(\/dev\/sdzz\): exhibit never writes to evidence/);
    await expect(refuseTarget(drive(4096), 8192, rules)).rejects.toThrow(/the target \/dev\/exhibit-no-such-drive holds .+, less than the .+ of media/);
  });

  it('refuses a drive with an evidence item\'s serial from the probe\'s facts', async () => {
    const known: KnownEvidence = { sources: [{ serial: 'WD-123', what: 'the source of EV-1 in case C-1' }], files: [] };
    await expect(refuseTarget(drive(4096, 'WD-123'), 1024, { ...rules, known })).rejects.toThrow(/is the source of EV-1 in case C-1: exhibit never writes to evidence/);
  });
});
