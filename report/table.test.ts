import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bottom, heading, newDocument, type Doc } from './layout.js';
import { capped, table } from './table.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exhibit-table-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const poppler = spawnSync('sh', ['-c', 'command -v pdftotext']).status === 0;

/** A document whose text calls are noted with the page they land on. */
function noted(): { doc: Doc; on: (text: string) => number[] } {
  const doc = newDocument({ title: 't', author: 'a', subject: 's' });
  const calls: { page: number; text: string }[] = [];
  const text = doc.text.bind(doc) as (...a: unknown[]) => Doc;
  (doc as unknown as { text: (...a: unknown[]) => Doc }).text = (...a: unknown[]) => {
    calls.push({ page: doc.bufferedPageRange().count, text: String(a[0]) });
    return text(...a);
  };
  return { doc, on: (t) => calls.filter((c) => c.text === t).map((c) => c.page) };
}

function render(doc: Doc): Promise<string> {
  const file = path.join(dir, `t${Math.random().toString(36).slice(2)}.pdf`);
  const chunks: Buffer[] = [];
  doc.on('data', (b: Buffer) => chunks.push(b));
  return new Promise((resolve) => {
    doc.on('end', () => {
      fs.writeFileSync(file, Buffer.concat(chunks));
      resolve(file);
    });
    doc.end();
  });
}

describe('table', () => {
  it('takes its heading to the next page when the heading fits at the bottom of this one but the table does not', async () => {
    const { doc, on } = noted();
    doc.y = bottom(doc) - 80; // room for a heading (60 points), not for it and a tall first row
    heading(doc, 'Transfers');
    table(doc, [{ title: 'Item' }, { title: 'Notes' }], [['EV-1', 'one\ntwo\nthree\nfour\nfive\nsix']]);
    expect(on('Transfers')).toEqual([2]);
    expect(on('Item')).toEqual([2]);
    await render(doc);
  });

  it('keeps headings with the fields or paragraph after them, and leaves no empty page', async () => {
    const { doc, on } = noted();
    heading(doc, 'Top'); // at the top of a page: no page is added for it
    table(doc, [{ title: 'A' }], [['x']]);
    expect(on('Top')).toEqual([1]);
    expect(doc.bufferedPageRange().count).toBe(1);
    await render(doc);
  });

  it.skipIf(!poppler)('gives a column the width of its longest word, so no word is broken (skipped without pdftotext: apt-get install poppler-utils)', async () => {
    const { doc } = noted();
    const long = 'Oberstaatsanwaltschaft';
    table(
      doc,
      [{ title: 'Date and time' }, { title: 'Item' }, { title: 'Released by' }, { title: 'Received by' }, { title: 'Purpose' }, { title: 'Location' }, { title: 'Keys', style: 'hash' }],
      [['2026-11-30 15:51:04 UTC', 'EV-1', 'A. Examiner', `${long} Mitte`, 'Sachverständigengutachten', 'Hauptasservatenkammer', '1a2b3c4d 5e6f7a8b\n9c0d1e2f 3a4b5c6d']],
    );
    const file = await render(doc);
    const words = [...spawnSync('pdftotext', ['-bbox', file, '-'], { encoding: 'utf8' }).stdout.matchAll(/<word [^>]*>([^<]*)<\/word>/g)].map((m) => m[1]);
    for (const w of [long, 'Sachverständigengutachten', 'Hauptasservatenkammer', '2026-11-30', '1a2b3c4d', '5e6f7a8b', 'Released', 'Received']) expect(words, w).toContain(w);
  });

  it('puts a hash column that leaves the others no room on a line of its own under each row', async () => {
    const { doc, on } = noted();
    const hash = 'aee73ebb 9b81bd60 75e03d58 4150dbdb 2c13fa9e 97a23256 c1c6f503 fd5026e0';
    table(doc, [{ title: 'Image file' }, { title: 'Size' }, { title: 'SHA-256', style: 'hash' }], [['EV-001-split.001', '8388608\u00a0bytes', hash]]);
    expect(on(hash)).toEqual([1]); // drawn whole, as one line
    expect(on('SHA-256').length).toBe(1); // its title labels it under the row (the header row holds the others)
    await render(doc);
  });
});

describe('capped widths', () => {
  it('gives narrow columns all they need and narrows only the widest, filling the width', () => {
    const w = capped([30, 40, 300, 50], 200);
    expect(w.slice(0, 2)).toEqual([30, 40]);
    expect(w[3]).toBe(50);
    expect(w[2]).toBeCloseTo(80);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(200);
    // Two over-long columns share what is left evenly.
    const two = capped([20, 500, 400], 220);
    expect(two).toEqual([20, 100, 100]);
  });
});

describe('right-to-left names', () => {
  it('wrap between their words, as measured once: a word is not measured with the stored order appended to it', () => {
    const doc = newDocument({ title: 't', author: 'a', subject: 's' });
    doc.font('sans').fontSize(9.5);
    const line = doc.currentLineHeight(true);
    // The name and its stored order (13 code points) in a column of 300 points take 3 lines; measuring each
    // word with the stored order appended again broke the name letter by letter, over 6.
    expect(doc.heightOfString('محمد عبد الله', { width: 300 }) / line).toBeLessThanOrEqual(3);
    expect(doc.heightOfString('محمد عبد الله', { width: 150 }) / line).toBeLessThanOrEqual(6);
  });
});
