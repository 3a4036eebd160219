import type { Findings } from './findings.js';
import { isUnused, type MbrRecord } from './mbr-record.js';
import { mbrTypeHex, PROTECTIVE_TYPE } from './mbr-type-names.js';

/** True when one of the MBR records is a GPT protective (0xEE) entry. */
export function hasProtectiveEntry(records: readonly MbrRecord[]): boolean {
  return records.some((r) => r.type === PROTECTIVE_TYPE);
}

/**
 * Check a protective MBR: one 0xEE entry starting at sector 1 and covering
 * the disk (or 0xFFFFFFFF sectors when the disk is larger than that). Other
 * entries make it a hybrid MBR, which is legal but worth knowing about.
 */
export function checkProtectiveMbr(records: readonly MbrRecord[], totalSectors: number, findings: Findings): void {
  const protective = records.filter((r) => r.type === PROTECTIVE_TYPE);
  const others = records.filter((r) => r.type !== PROTECTIVE_TYPE && !isUnused(r));
  const p = protective[0];
  if (p === undefined) return;
  if (protective.length > 1) findings.warning(`the protective MBR has ${protective.length} entries of type 0xee; one is usual`);
  if (p.start !== 1) findings.warning(`the protective MBR entry (slot ${p.slot + 1}) starts at sector ${p.start}, not 1`);
  const expected = Math.min(totalSectors - 1, 0xffffffff);
  if (p.count !== expected && p.count !== 0xffffffff) findings.info(`the protective MBR entry covers ${p.count} sectors, not the ${expected} after sector 0`);
  const real = others.filter((r) => r.type !== 0);
  if (real.length > 0) {
    const list = real.map((r) => `slot ${r.slot + 1} type ${mbrTypeHex(r.type)} at sectors ${r.start}-${r.start + r.count - 1}`).join(', ');
    findings.info(`the MBR is a hybrid: besides the protective entry it holds ${list}; the GPT was used`);
  }
}
