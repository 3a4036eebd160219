/**
 * GUIDs as GPT stores them: the first three fields little-endian, the last
 * two as bytes in order. Printed upper-case in the canonical form sgdisk uses,
 * e.g. "C12A7328-F81F-11D2-BA4B-00A0C93EC93B".
 */

function hexBytes(bytes: Uint8Array, from: number, to: number, reverse: boolean): string {
  let out = '';
  if (reverse) for (let i = to - 1; i >= from; i--) out += bytes[i]!.toString(16).padStart(2, '0');
  else for (let i = from; i < to; i++) out += bytes[i]!.toString(16).padStart(2, '0');
  return out;
}

/** The GUID in the 16 bytes at `offset` of `bytes` (which must hold them). */
export function formatGuid(bytes: Uint8Array, offset = 0): string {
  const g = bytes.subarray(offset, offset + 16);
  if (g.length < 16) throw new RangeError('a GUID needs 16 bytes');
  return [hexBytes(g, 0, 4, true), hexBytes(g, 4, 6, true), hexBytes(g, 6, 8, true), hexBytes(g, 8, 10, false), hexBytes(g, 10, 16, false)]
    .join('-')
    .toUpperCase();
}

/** True when all 16 bytes at `offset` are zero (an unused GPT entry). */
export function isZeroGuid(bytes: Uint8Array, offset = 0): boolean {
  for (let i = offset; i < offset + 16; i++) if (bytes[i] !== 0) return false;
  return true;
}
