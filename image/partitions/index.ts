/**
 * Partition table reader for `exhibit inspect`: MBR (with extended and
 * logical partitions) and GPT (primary and backup), hardened against hostile
 * input. See read-table.ts for the rules it follows.
 */
export type { ByteSource, Finding, Gap, PartitionEntry, PartitionTable } from './types.js';
export { readPartitionTable } from './read-table.js';
export { formatTable, tableLines } from './format-table.js';
export { crc32 } from './crc32.js';
export { formatGuid } from './guid.js';
export { detectFilesystem, PartitionBytes, SIGNATURE_WINDOWS } from './fs-signature.js';
