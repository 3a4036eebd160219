import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, parseSize } from './units.js';

describe('parseSize', () => {
  it('reads binary and decimal units', () => {
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('2GiB')).toBe(2 * 1024 ** 3);
    expect(parseSize('2G')).toBe(2 * 1024 ** 3);
    expect(parseSize('640 MiB')).toBe(640 * 1024 ** 2);
    expect(parseSize('700MB')).toBe(700_000_000);
    expect(parseSize('1.5KiB')).toBe(1536);
    expect(parseSize('8kib')).toBe(8192);
  });
  it('rejects what is not a size', () => {
    for (const bad of ['', 'GiB', '2 GiBs', '-1', '1e9', 'two']) expect(() => parseSize(bad)).toThrow(/is not a size/);
  });
});

describe('formatting', () => {
  it('formats bytes and durations', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(2 * 1024 ** 3)).toBe('2.00 GiB');
    expect(formatDuration(5)).toBe('5s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(3723)).toBe('1h02m03s');
  });
});
