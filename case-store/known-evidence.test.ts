import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCase } from './custody-log.js';
import { logForEvidence, openCase, recordEvidenceEvent, registerEvidence } from './cases.js';
import { createKey, loadSigner, type Signer } from './keys.js';
import { knownEvidence } from './known-evidence.js';
import type { Payload } from '../core/custody.js';
import { exhibitPaths } from './paths.js';
import { CaseStore } from './store.js';
import { tempDir } from '../test/helpers/cli.js';

const home = tempDir('exhibit-known-');
let store: CaseStore;
let ann: Signer;

beforeAll(() => {
  store = CaseStore.open(exhibitPaths({ EXHIBIT_HOME: home }));
  createKey(store, 'Ann Example');
  ann = loadSigner(store, 'Ann Example');
});
afterAll(() => {
  store?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

/** An acquisition entry's payload with every field the store's row needs, and these. */
function acquisition(evidence: string, folder: string, more: Record<string, unknown>): Payload {
  return {
    evidence,
    result: 'complete',
    format: 'e01',
    folder,
    record: { file: `${evidence}.exhibit.yaml`, sha256: 'a'.repeat(64) },
    media: { size_bytes: 4096, hashes: { md5: '0'.repeat(32) } },
    unreadable_sectors: 0,
    started: { utc: '2026-11-22T09:00:00.000Z' },
    finished: { utc: '2026-11-22T09:01:00.000Z' },
    ...(more as Payload),
  };
}

describe('knownEvidence (what restore and clone refuse to write over)', () => {
  it('an empty store knows nothing', () => {
    expect(knownEvidence(store)).toEqual({ sources: [], files: [] });
  });

  it("takes each acquisition's record, image files and source, and each registered item that can be recognised", () => {
    openCase(store, 'C-1', 'first case', ann);
    registerEvidence(store, 'C-1', { number: 'EV-1', serial: 'SER-1', model: 'Disk X', capacity_bytes: 1000 }, ann);
    // Nothing to recognise a drive by: a model without a size is not enough.
    registerEvidence(store, 'C-1', { number: 'EV-2', model: 'Disk Y' }, ann);
    logForEvidence(store, 'C-1', { number: 'EV-3' }, {
      kind: 'acquisition.completed',
      payload: acquisition('EV-3', '/cases/c1', {
        files: [{ name: 'EV-3.E01' }, { name: 'EV-3.E02' }, { name: '' }],
        source: { kind: 'device', serial: ' WD-123 ', wwid: 'naa.5000', model: 'WDC', backing_file: '/img/disk.bin' },
      }),
      signers: [ann],
    });
    // A file source named by a relative path is not a path the guard can compare.
    logForEvidence(store, 'C-2', { number: 'EV-4' }, {
      kind: 'acquisition.incomplete',
      payload: acquisition('EV-4', '/cases/c2', { result: 'incomplete', source: { kind: 'file', path: 'relative.dd' } }),
      signers: [ann],
    });
    // A size that is not a whole positive number does not count.
    logForEvidence(store, 'C-2', { number: 'EV-5' }, {
      kind: 'acquisition.completed',
      payload: acquisition('EV-5', '/cases/c2', { source: { kind: 'file', path: '/data/ev5.dd', model: 'M' }, media: { size_bytes: -1 } }),
      signers: [ann],
    });
    recordEvidenceEvent(store, 'C-2', 'image.restored', 'EV-5', ann, { target: '/dev/sdz' });

    const known = knownEvidence(store);
    expect(known.files).toEqual([
      { path: '/cases/c1/EV-3.exhibit.yaml', what: 'the acquisition record of EV-3 in case C-1', case: 'C-1' },
      { path: '/cases/c1/EV-3.E01', what: 'an image file of EV-3 in case C-1', case: 'C-1' },
      { path: '/cases/c1/EV-3.E02', what: 'an image file of EV-3 in case C-1', case: 'C-1' },
      { path: '/cases/c2/EV-4.exhibit.yaml', what: 'the acquisition record of EV-4 in case C-2', case: 'C-2' },
      { path: '/cases/c2/EV-5.exhibit.yaml', what: 'the acquisition record of EV-5 in case C-2', case: 'C-2' },
    ]);
    expect(known.sources).toEqual([
      { serial: 'SER-1', model: 'Disk X', size_bytes: 1000, what: 'evidence item EV-1 of case C-1' },
      { serial: 'WD-123', wwid: 'naa.5000', model: 'WDC', size_bytes: 4096, path: '/img/disk.bin', what: 'the source of EV-3 in case C-1' },
      { model: 'M', path: '/data/ev5.dd', what: 'the source of EV-5 in case C-2' },
    ]);
    // The log the evidence came from is sound: knownEvidence read signed entries, not stray rows.
    expect(checkCase(store, store.getCase('C-1')).problems).toEqual([]);
  });

  it('reads the log, not the tables: a projected row changed behind exhibit\'s back changes nothing here, and the check names it', () => {
    const before = knownEvidence(store);
    store.db.run("UPDATE acquisitions SET folder = '/elsewhere' WHERE evidence = 'EV-3'");
    expect(knownEvidence(store)).toEqual(before);
    const problems = checkCase(store, store.getCase('C-1')).problems;
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.map((p) => p.message).join('\n')).toMatch(/acquisitions/);
  });
});
