import { describe, expect, it } from 'vitest';
import { renderMapfile } from './mapfile.js';
import { parseBlocks } from '../image/foreign-map.js';

const MiB = 1024 * 1024;
const render = (o: Partial<Parameters<typeof renderMapfile>[0]>) =>
  renderMapfile({ size: 16 * MiB, sectorSize: 512, done: 16 * MiB, bad: [], commandLine: ['exhibit', 'acquire'], started: new Date(0), version: 't', ...o });

describe('the ddrescue mapfile exhibit writes', () => {
  it('marks read areas +, unreadable sectors -, and what is past the safe point ?', () => {
    const blocks = parseBlocks(render({ done: 12 * MiB, bad: [{ first_sector: 2048, sectors: 16, error: 'EIO' }] }))!;
    expect(blocks).toEqual([
      { pos: 0, size: MiB, status: '+' },
      { pos: MiB, size: 8192, status: '-' },
      { pos: MiB + 8192, size: 11 * MiB - 8192, status: '+' },
      { pos: 12 * MiB, size: 4 * MiB, status: '?' },
    ]);
  });

  it('marks the areas --skip-bad deferred, not read yet, ? and never +', () => {
    const blocks = parseBlocks(render({ done: 12 * MiB, untried: [{ pos: 4 * MiB, len: MiB }, { pos: 8 * MiB, len: 2 * MiB }] }))!;
    expect(blocks).toEqual([
      { pos: 0, size: 4 * MiB, status: '+' },
      { pos: 4 * MiB, size: MiB, status: '?' },
      { pos: 5 * MiB, size: 3 * MiB, status: '+' },
      { pos: 8 * MiB, size: 2 * MiB, status: '?' },
      { pos: 10 * MiB, size: 2 * MiB, status: '+' },
      { pos: 12 * MiB, size: 4 * MiB, status: '?' },
    ]);
  });
});
