import { describe, expect, it } from 'vitest';
import { renderMapfile } from '../source/mapfile.js';
import { liveMap, parseMapfile } from './map.js';

describe('the media map', () => {
  it('reads back the mapfile exhibit writes: read, unreadable and not yet read', () => {
    const text = renderMapfile({
      size: 1 << 20,
      sectorSize: 512,
      done: 768 * 1024,
      bad: [{ first_sector: 10, sectors: 2, error: 'EIO' }, { first_sector: 100, sectors: 1, error: 'EIO' }],
      commandLine: ['exhibit', 'acquire'],
      started: new Date(0),
      version: '0.1.0',
    });
    expect(parseMapfile(text)).toEqual({
      size: 1 << 20,
      blocks: [
        { pos: 0, size: 5120, state: 'read' },
        { pos: 5120, size: 1024, state: 'unreadable' },
        { pos: 6144, size: 45056, state: 'read' },
        { pos: 51200, size: 512, state: 'unreadable' },
        { pos: 51712, size: 768 * 1024 - 51712, state: 'read' },
        { pos: 768 * 1024, size: 256 * 1024, state: 'unread' },
      ],
    });
  });

  it('refuses blocks that leave a gap or overlap, and lines that are not blocks', () => {
    expect(parseMapfile('0x0 + 1\n0x0 0x200 +\n0x400 0x200 -\n')).toMatch(/does not follow/);
    expect(parseMapfile('0x0 + 1\n0x0 0x200 +\n0x100 0x200 -\n')).toMatch(/does not follow/);
    expect(parseMapfile('0x0 + 1\n0x0 0x200 X\n')).toMatch(/is not a mapfile block/);
    expect(parseMapfile('# nothing\n')).toMatch(/no status line/);
  });

  it("draws a running acquisition's map from its published status", () => {
    expect(liveMap(4096, 2048, 512, [{ first_sector: 1, sectors: 1 }, { first_sector: 6, sectors: 1 }])).toEqual({
      size: 4096,
      blocks: [
        { pos: 0, size: 512, state: 'read' },
        { pos: 512, size: 512, state: 'unreadable' },
        { pos: 1024, size: 1024, state: 'read' },
        { pos: 2048, size: 2048, state: 'unread' },
      ],
    });
  });
});
