/**
 * The 16-byte partition records of an MBR or EBR sector (four at byte 446)
 * and the 0x55AA boot signature at byte 510.
 */

export interface MbrRecord {
  /** 0-3: the record's place in the sector. */
  slot: number;
  /** The boot indicator: 0x80 bootable, 0x00 not; anything else is invalid. */
  status: number;
  type: number;
  /** Start sector: absolute in the MBR, relative in an EBR (see ebr-chain.ts). */
  start: number;
  count: number;
}

export const RECORDS_OFFSET = 446;
export const RECORD_SIZE = 16;

/** True when the sector (at least 512 bytes) ends in 0x55 0xAA at bytes 510-511. */
export function hasBootSignature(sector: Uint8Array): boolean {
  return sector.length >= 512 && sector[510] === 0x55 && sector[511] === 0xaa;
}

/** The four records of a 512-byte (or longer) MBR or EBR sector. */
export function parseRecords(sector: Uint8Array): [MbrRecord, MbrRecord, MbrRecord, MbrRecord] {
  const view = new DataView(sector.buffer, sector.byteOffset, sector.byteLength);
  const record = (slot: number): MbrRecord => {
    const at = RECORDS_OFFSET + slot * RECORD_SIZE;
    return { slot, status: view.getUint8(at), type: view.getUint8(at + 4), start: view.getUint32(at + 8, true), count: view.getUint32(at + 12, true) };
  };
  return [record(0), record(1), record(2), record(3)];
}

/** A record with type 0 and no sectors: an unused slot. */
export function isUnused(r: MbrRecord): boolean {
  return r.type === 0 && r.count === 0 && r.start === 0;
}
