import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readInputSync } from './input-file.js';

// A kernel file that says it is empty and reads out hundreds of GiB (each page's entry): a record or lock
// linked to it must be refused within a bound, not read until memory runs out.
const PAGEMAP = '/proc/self/pagemap';
const have = fs.existsSync(PAGEMAP) && fs.statSync(PAGEMAP).size === 0;

describe.skipIf(!have)('a file that says it is empty but reads on', () => {
  it('is read only up to the limit given, and refused past it', () => {
    expect(() => readInputSync(PAGEMAP, { max: { bytes: 64 * 1024, what: 'a lock file' } })).toThrow(/is more than 65536 bytes, more than exhibit reads as a lock file/);
  });

  it('is read only up to 64 MiB when no limit is given, and refused past it', () => {
    expect(() => readInputSync(PAGEMAP)).toThrow(/says it is empty but reads on past 67108864 bytes/);
  });

  it('a truly empty file still reads as empty', () => {
    const f = `${fs.mkdtempSync('/tmp/exhibit-input-')}/empty`;
    fs.writeFileSync(f, '');
    try {
      expect(readInputSync(f).length).toBe(0);
    } finally {
      fs.rmSync(f.replace(/\/empty$/, ''), { recursive: true, force: true });
    }
  });
});
