import { makeEntry, sectorRange } from './entry.js';
import type { Findings } from './findings.js';
import type { GptHeader } from './gpt-header.js';
import { gptTypeName } from './gpt-type-names.js';
import { formatGuid, isZeroGuid } from './guid.js';
import type { PartitionEntry } from './types.js';

const NAME_OFFSET = 56;
const NAME_BYTES = 72;

/** A GPT name: UTF-16LE, at most 36 code units, ending at the first NUL. */
export function decodeGptName(bytes: Uint8Array): string {
  let units = Math.floor(bytes.length / 2);
  for (let i = 0; i < units; i++) {
    if (bytes[2 * i] === 0 && bytes[2 * i + 1] === 0) {
      units = i;
      break;
    }
  }
  return new TextDecoder('utf-16le').decode(bytes.subarray(0, units * 2));
}

/**
 * The used entries (type GUID not all zero) of a GPT entry array, numbered
 * from 1 by their place in the array. Entries that end before they start are
 * left out; entries outside the usable area or the disk are listed with a
 * finding.
 */
/**
 * Partitions listed at most from one GPT: a valid table may have room for 100,000 entries (sgdisk -S),
 * but an image that fills them all would make a mount folder of as many files, slow to list.
 */
export const MAX_GPT_PARTITIONS = 16384;

export function parseGptEntries(array: Uint8Array, header: GptHeader, totalSectors: number, sectorSize: number, findings: Findings): PartitionEntry[] {
  const out: PartitionEntry[] = [];
  const view = new DataView(array.buffer, array.byteOffset, array.byteLength);
  for (let i = 0; i < header.entryCount; i++) {
    const at = i * header.entrySize;
    if (at + header.entrySize > array.length) break;
    if (isZeroGuid(array, at)) continue;
    if (out.length === MAX_GPT_PARTITIONS) {
      let more = 0;
      for (let j = i; j < header.entryCount && (j + 1) * header.entrySize <= array.length; j++) if (!isZeroGuid(array, j * header.entrySize)) more++;
      findings.error(`the GPT lists ${MAX_GPT_PARTITIONS + more} partitions: the first ${MAX_GPT_PARTITIONS} are listed, the other ${more} (from entry ${i + 1} on) are not`);
      break;
    }
    const index = i + 1;
    const first = Number(view.getBigUint64(at + 32, true));
    const last = Number(view.getBigUint64(at + 40, true));
    const attributes = view.getBigUint64(at + 48, true);
    const type = formatGuid(array, at);
    const name = decodeGptName(array.subarray(at + NAME_OFFSET, at + NAME_OFFSET + Math.min(NAME_BYTES, header.entrySize - NAME_OFFSET)));
    const what = `GPT entry ${index}${name ? ` ("${name}")` : ''}`;
    if (last < first) {
      findings.error(`${what} ends (sector ${last}) before it starts (sector ${first}); it was left out`);
      continue;
    }
    if (first < header.firstUsable || last > header.lastUsable)
      findings.warning(`${what} (${sectorRange(first, last)}) lies outside the usable area (${sectorRange(header.firstUsable, header.lastUsable)})`);
    if (first >= totalSectors) findings.warning(`${what} starts past the end of the disk (last sector ${totalSectors - 1})`);
    else if (last >= totalSectors) findings.warning(`${what} ends past the end of the disk (last sector ${totalSectors - 1}): the image may be truncated`);
    const entry = makeEntry(
      { index, scheme: 'gpt', kind: 'gpt', firstSector: first, count: last - first + 1, type, typeName: gptTypeName(type), name, guid: formatGuid(array, at + 16) },
      sectorSize,
    );
    if ((attributes & 4n) !== 0n) entry.bootable = true; // legacy BIOS bootable
    out.push(entry);
  }
  return out;
}
