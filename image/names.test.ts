import { describe, expect, it } from 'vitest';
import { imageFileName, isFirstImageFile, isImageFileOf } from './names.js';

describe('image file names', () => {
  it.each([
    ['EV-1.raw', 'raw', 'EV-1', true],
    ['EV-1.DD', 'raw', 'EV-1', true],
    ['disk.img', 'raw', 'disk', true],
    ['EV.1.bin', 'raw', 'EV.1', true],
    ['EV-1.zst', 'zst', 'EV-1', true],
    ['EV-1.001', 'split-raw', 'EV-1', true],
    ['EV-1.002', 'split-raw', 'EV-1', false],
    ['EV-1.1000', 'split-raw', 'EV-1', false],
    ['EV-1.E01', 'e01', 'EV-1', true],
    ['EV-1.e01', 'e01', 'EV-1', true],
    ['EV-1.s01', 'e01', 'EV-1', true],
    ['EV-1.E02', 'e01', 'EV-1', false],
    ['EV-1.EAB', 'e01', 'EV-1', false],
    ['EV-1.FAA', 'e01', 'EV-1', false],
    ['EV-1.Ex01', 'ex01', 'EV-1', true],
    ['EV-1.ex01', 'ex01', 'EV-1', true],
    ['EV-1.Ex02', 'ex01', 'EV-1', false],
    ['EV-1.ExAA', 'ex01', 'EV-1', false],
    ['EV-1.EzZZ', 'ex01', 'EV-1', false],
  ] as const)('%s is %s of %s (first: %s)', (name, kind, base, first) => {
    expect(imageFileName(name)).toEqual({ kind, base, first });
    expect(isFirstImageFile(name)).toBe(first);
    expect(isImageFileOf(name, base)).toBe(true);
  });

  it.each(['EV-1.acquisition.yaml', 'EV-1.custody.jsonl', 'EV-1.journal.json', '.raw', 'EV-1', 'EV-1.01', 'EV-1.E1'])('%s is no image file', (name) => {
    expect(imageFileName(name)).toBeUndefined();
    expect(isFirstImageFile(name)).toBe(false);
  });

  it('a file of another evidence id is not this one\'s', () => {
    expect(isImageFileOf('EV-10.raw', 'EV-1')).toBe(false);
    expect(isImageFileOf('EV-1.x.raw', 'EV-1')).toBe(false);
  });
});
