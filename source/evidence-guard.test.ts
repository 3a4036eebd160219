import { describe, expect, it } from 'vitest';
import { driveMatch } from './evidence-guard.js';

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
