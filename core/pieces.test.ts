import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ExhibitError } from './errors.js';
import { parsePieces, parsePieceSelection, pieceCount, pieceSpan, renderPieces, summarise } from './pieces.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const list = { evidence: 'EV-1', mediaBytes: 5 * 1024 * 1024 + 512, sectorSize: 512, pieceSize: 1024 * 1024, sha256: ['a', 'b', 'c', 'd', 'e', 'f'].map(sha) };

describe('the pieces file', () => {
  it('renders offset, length and SHA-256 a line, the last piece shorter, and parses back to the same list', () => {
    const text = renderPieces(list);
    const lines = text.trimEnd().split('\n');
    expect(lines.slice(0, 5)).toEqual(['# exhibit pieces 1', '# evidence EV-1', `# media_bytes ${list.mediaBytes}`, '# sector_size 512', '# piece_size 1048576']);
    expect(lines[5]).toBe(`0 1048576 ${sha('a')}`);
    expect(lines[10]).toBe(`5242880 512 ${sha('f')}`);
    expect(parsePieces(text)).toEqual(list);
    expect(summarise(list, text)).toEqual({ file: 'EV-1.pieces', piece_size: 1048576, count: 6, sha256: sha(text) });
  });

  it('counts pieces and spans them in sectors', () => {
    expect(pieceCount(0, 4096)).toBe(1);
    expect(pieceCount(8192, 4096)).toBe(2);
    expect(pieceCount(8193, 4096)).toBe(3);
    expect(pieceSpan(list, 5)).toEqual({ index: 5, first_byte: 5 * 1024 * 1024, bytes: 512, first_sector: 10240, sectors: 1 });
  });

  it('refuses a file that is cut short, reordered, missing a piece, or not its own', () => {
    const text = renderPieces(list);
    expect(() => parsePieces(text.slice(0, -1))).toThrow(/cut short/);
    expect(() => parsePieces(text.replace('# exhibit pieces 1', '# something else'))).toThrow(/not an exhibit pieces file/);
    const lines = text.trimEnd().split('\n');
    expect(() => parsePieces(`${[...lines.slice(0, 6), ...lines.slice(7)].join('\n')}\n`)).toThrow(/lists 5 pieces; .* make 6/);
    [lines[6], lines[7]] = [lines[7]!, lines[6]!];
    expect(() => parsePieces(`${lines.join('\n')}\n`)).toThrow(/line 7 says piece 1 is 1048576 bytes at 2097152/);
    expect(() => parsePieces(text.replace(sha('c'), sha('c').toUpperCase()))).toThrow(/line 8 is not "<offset> <length> <sha256>"/);
    expect(() => parsePieces(text.replace('# piece_size 1048576', '# piece_size 1000'))).toThrow(/not a whole number of 512-byte sectors/);
    expect(() => parsePieces(`${text}\n`)).toThrow(/line 12 is not "<offset> <length> <sha256>" \(it is empty\)/); // not "lists 7 pieces"
  });

  it('--pieces takes numbers and ranges from 0, and refuses what does not exist', () => {
    expect(parsePieceSelection('3', 6)).toEqual([3]);
    expect(parsePieceSelection('4-5, 0,4', 6)).toEqual([0, 4, 5]);
    expect(() => parsePieceSelection('6', 6)).toThrow(/names piece 6, but the media has 6 pieces \(0 to 5\)/);
    expect(() => parsePieceSelection('3-1', 6)).toThrow(/runs backwards/);
    expect(() => parsePieceSelection('x', 6)).toThrow(ExhibitError);
  });
});
