/** AFF4 (Standard v1.0) disk images in one zip container: read, never written. */
import type { ReadableFormat } from '../descriptor.js';

/** A zip whose first member is one an AFF4 container starts with, or whose first bytes name AFF4 members. */
export function recogniseAff4(head: Uint8Array): boolean {
  if (head.length < 30) return false;
  const b = Buffer.from(head.buffer, head.byteOffset, head.length);
  if (b.readUInt32LE(0) !== 0x04034b50) return false;
  const nameLength = b.readUInt16LE(26);
  const first = b.subarray(30, Math.min(b.length, 30 + nameLength)).toString('latin1');
  if (first === 'container.description' || first === 'information.turtle' || /^aff4%3A%2F%2F/i.test(first)) return true;
  return /information\.turtle|container\.description/.test(b.toString('latin1'));
}

export const aff4Format: ReadableFormat<'aff4'> = {
  name: 'aff4',
  title: 'an AFF4 image',
  fileNames: { extensions: 'aff4|af4', first: /^(.*)\.(aff4|af4)$/i },
  recognise: recogniseAff4,
  async open(file) {
    // Loaded when an AFF4 image is opened: its RDF parser is not needed by any other command line.
    const { Aff4Reader } = await import('./reader.js');
    const reader = await Aff4Reader.open(file);
    return { reader, warnings: [...reader.warnings] };
  },
  container: true,
  listsReadErrors: true,
};
