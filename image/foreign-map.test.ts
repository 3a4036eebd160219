import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { foreignMapBeside, parseBlocks } from './foreign-map.js';
import { tempDir } from '../test/helpers/cli.js';

const dir = tempDir('exhibit-foreign-map-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const MAP = (blocks: string[], status = '0x00000000     +               1') => `# Mapfile. Created by GNU ddrescue version 1.27\n# current_pos  current_status  current_pass\n${status}\n#      pos        size  status\n${blocks.join('\n')}\n`;

function withMap(name: string, mapName: string, text: string): string {
  const image = path.join(dir, name);
  fs.writeFileSync(image, '');
  fs.writeFileSync(path.join(dir, mapName), text);
  return image;
}

describe('a ddrescue mapfile beside raw media', () => {
  it('gives the areas not read, each saying why, in 512-byte sectors', () => {
    const image = withMap('a.img', 'a.map', MAP(['0x00000000  0x00100000  +', '0x00100000  0x00001000  -', '0x00101000  0x00000200  *', '0x00101200  0x001FEE00  +', '0x00300000  0x00100000  ?']));
    const warnings: string[] = [];
    const m = foreignMapBeside(image, 4 << 20, warnings)!;
    expect(warnings).toEqual([]);
    expect(m.unreadable).toEqual([{ first_sector: 2048, sectors: 8, error: 'unreadable (ddrescue map: -)' }, { first_sector: 2056, sectors: 1, error: 'unreadable, not trimmed (ddrescue map: *)' }]);
    expect(m.untried).toEqual([{ first_sector: 6144, sectors: 2048, error: 'never tried (ddrescue map: ?)' }]);
    expect(m.all.map((r) => r.first_sector)).toEqual([2048, 2056, 6144]);
  });

  it('is found under the usual names (disk.map, disk.log, disk.img.map), and not when it is something else', () => {
    for (const mapName of ['b.log', 'b.img.map', 'b.mapfile']) {
      fs.rmSync(path.join(dir, 'b.img'), { force: true });
      for (const n of ['b.log', 'b.img.map', 'b.mapfile']) fs.rmSync(path.join(dir, n), { force: true });
      const image = withMap('b.img', mapName, MAP(['0x00000000  0x00001000  -']));
      expect(foreignMapBeside(image, 4096, [])?.file, mapName).toBe(path.join(dir, mapName));
    }
    const image = withMap('c.img', 'c.log', 'kernel: sd 2:0:0:0: [sdb] 7814037168 512-byte logical blocks\n');
    expect(foreignMapBeside(image, 4096, [])).toBeUndefined();
  });

  it('of a source larger than the image is used when nothing past the image\'s end was read; otherwise it is another\'s', () => {
    const short = withMap('d.img', 'd.map', MAP(['0x00000000  0x00300000  +', '0x00300000  0x00100000  ?']));
    const m = foreignMapBeside(short, 3 << 20, [])!;
    expect(m.sourceBytes).toBe(4 << 20);
    expect(m.all).toEqual([]);
    const warnings: string[] = [];
    expect(foreignMapBeside(short, 2 << 20, warnings)).toBeUndefined(); // it says bytes past 2 MiB were read
    expect(warnings[0]).toMatch(/does not fit the image's 2097152 bytes: it is not this image's map/);
  });

  it('refuses blocks that do not follow each other from byte 0', () => {
    expect(parseBlocks(MAP(['0x00000000  0x00001000  +', '0x00002000  0x00001000  +']))).toBeUndefined();
    expect(parseBlocks(MAP(['0x00000200  0x00001000  +']))).toBeUndefined();
    expect(parseBlocks(MAP(['0x00000000  0x00001000  +']))).toEqual([{ pos: 0, size: 4096, status: '+' }]);
  });
});
