import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquisitionFileBeside, driveMatch } from './evidence-guard.js';

const TB = 1_000_204_886_016;
const what = 'the source of EV-001 in case 2026-0117';

describe('driveMatch: when a drive is an evidence item', () => {
  it('by serial or WWID', () => {
    expect(driveMatch({ serial: 'WD-123 ' }, TB, { serial: 'WD-123', what })).toMatch(/serial WD-123 is the one recorded/);
    expect(driveMatch({ wwid: 'naa.5000c500a1b2c3d4' }, TB, { wwid: 'naa.5000c500a1b2c3d4', what })).toMatch(/WWID/);
    expect(driveMatch({ serial: 'OTHER' }, TB, { serial: 'WD-123', what })).toBeUndefined();
  });

  it('by model and size when no serial or WWID tells them apart', () => {
    const ev = { model: 'WDC WD10EZEX', size_bytes: TB, serial: 'WD-123', what };
    // The target shows no serial (a USB bridge that hides it): it may be the evidence.
    expect(driveMatch({ model: 'WDC WD10EZEX' }, TB, ev)).toMatch(/no serial or WWID tells the two apart/);
    // The evidence item recorded no serial: same.
    expect(driveMatch({ model: 'WDC WD10EZEX', serial: 'NEW-1' }, TB, { model: 'WDC WD10EZEX', size_bytes: TB, what })).toMatch(/tells the two apart/);
    // Both have serials and they differ: another drive of the same model.
    expect(driveMatch({ model: 'WDC WD10EZEX', serial: 'NEW-1' }, TB, ev)).toBeUndefined();
    // Another size or model: not it.
    expect(driveMatch({ model: 'WDC WD10EZEX' }, TB - 512, ev)).toBeUndefined();
    expect(driveMatch({ model: 'ST1000DM010' }, TB, ev)).toBeUndefined();
    // Nothing known of the drive but its size (a loop device): size alone identifies nothing.
    expect(driveMatch({}, TB, { size_bytes: TB, what })).toBeUndefined();
  });
});

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exhibit-guard-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('acquisitionFileBeside', () => {
  it('names a file, existing or not, called for an evidence item beside its record, journal or lock, whatever its capitals', () => {
    fs.writeFileSync(path.join(dir, 'ev.acquisition.yaml'), ''); // as a file system that ignores capitals may list it
    fs.writeFileSync(path.join(dir, 'DISK.journal.json'), '');
    fs.writeFileSync(path.join(dir, 'USB.lock'), '');
    expect(acquisitionFileBeside(path.join(dir, 'EV.E04'))).toBe('a file of evidence ev (beside its record)');
    expect(acquisitionFileBeside(path.join(dir, 'DISK.012'))).toMatch(/evidence DISK \(beside its resume journal/);
    expect(acquisitionFileBeside(path.join(dir, 'usb.custody.jsonl'))).toMatch(/evidence USB \(beside its lock/);
    expect(acquisitionFileBeside(path.join(dir, 'other.raw'))).toBeUndefined();
    expect(acquisitionFileBeside(path.join(dir, 'EVIDENCE.raw'))).toBeUndefined(); // "ev." is not its beginning
    expect(acquisitionFileBeside(path.join(dir, 'no-such-folder', 'EV.E01'))).toBeUndefined();
  });
});
