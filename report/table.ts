/**
 * Tables for the custody report: columns sized to what they hold, so no word
 * is broken inside a cell; header row repeated on every page the table
 * continues on; kept with the heading before it.
 *
 * Widths follow the usual automatic table layout: each column needs at least
 * its longest word (a hash: its whole line) and would like its longest line;
 * what the page has beyond the needs is shared in proportion to the wishes.
 * A hash column that leaves too little room for the others goes on a line of
 * its own under each row, labelled with its title. Only if the words still do
 * not fit is the text made smaller (to 6.5 pt), and after that, for text no
 * one could set whole (a name of 60 letters), broken where it must be.
 */
import { BODY, bottom, breakable, draw, keepWithNext, MARGIN, measure, useFont, width, type Doc, type Style } from './layout.js';

export interface Column {
  title: string;
  style?: Style; // 'hash': the cells are hashes in groups, one per line
}

const PAD = 3;
const SIZES = [8.5, 8, 7.5, 7, 6.5];
/** Characters that separate words in a cell: spaces, line breaks and the zero-width spaces of breakable(); not the no-break space. */
const GAPS = /[ \t\r\n\u200b]+/;

interface Fit {
  size: number;
  grid: number[]; // the columns laid side by side
  under: number[]; // hash columns on a line of their own under the row
  widths: number[]; // of the grid columns
}

export function table(doc: Doc, columns: Column[], rawRows: string[][]): void {
  const rows = rawRows.map((r) => r.map((cell, i) => (columns[i]!.style === 'hash' ? cell : breakable(cell))));
  const fit = layout(doc, columns, rows);
  const style = (i: number): Style => columns[i]!.style ?? 'words';
  const labelWidth = Math.max(0, ...fit.under.map((i) => (useFont(doc, 'words', fit.size, true), doc.widthOfString(columns[i]!.title) + 8)));
  const underWidth = width(doc) - 2 * PAD - labelWidth;

  const rowHeight = (cells: string[], header: boolean): number => {
    let h = 0;
    fit.grid.forEach((i, k) => {
      useFont(doc, header ? 'words' : style(i), fit.size, header);
      h = Math.max(h, measure(doc, header ? columns[i]!.title : cells[i]!, fit.widths[k]! - 2 * PAD, header ? 'words' : style(i)));
    });
    if (!header) for (const i of fit.under) (useFont(doc, 'hash', fit.size), (h += measure(doc, cells[i]!, underWidth, 'hash')));
    return h + 2 * PAD;
  };
  const drawRow = (cells: string[], header: boolean): void => {
    const h = rowHeight(cells, header);
    const y = doc.y;
    if (header) doc.rect(MARGIN, y, width(doc), h).fill('#e8e8e8').fillColor('black');
    let x = MARGIN;
    let lineY = y + PAD;
    fit.grid.forEach((i, k) => {
      const s = header ? 'words' : style(i);
      useFont(doc, s, fit.size, header);
      draw(doc, header ? columns[i]!.title : cells[i]!, x + PAD, y + PAD, fit.widths[k]! - 2 * PAD, s);
      if (!header) lineY = Math.max(lineY, y + PAD + measure(doc, cells[i]!, fit.widths[k]! - 2 * PAD, s));
      x += fit.widths[k]!;
    });
    if (!header) {
      for (const i of fit.under) {
        useFont(doc, 'words', fit.size, true);
        doc.text(columns[i]!.title, MARGIN + PAD, lineY + (BODY - fit.size) * 0.8, { lineBreak: false });
        useFont(doc, 'hash', fit.size);
        draw(doc, cells[i]!, MARGIN + PAD + labelWidth, lineY, underWidth, 'hash');
        lineY += measure(doc, cells[i]!, underWidth, 'hash');
      }
    }
    doc.moveTo(MARGIN, y + h).lineTo(MARGIN + width(doc), y + h).lineWidth(0.4).strokeColor('#999999').stroke();
    doc.x = MARGIN;
    doc.y = y + h;
  };

  const titles = columns.map((c) => c.title);
  keepWithNext(doc, rowHeight(titles, true) + (rows[0] ? rowHeight(rows[0], false) : 0));
  drawRow(titles, true);
  for (const r of rows) {
    if (doc.y + rowHeight(r, false) > bottom(doc)) {
      doc.addPage();
      drawRow(titles, true);
    }
    drawRow(r, false);
  }
  doc.font('sans').fontSize(BODY);
  doc.x = MARGIN;
  doc.moveDown(0.5);
}

/** The text size, which hash columns go under the row, and the widths of the others. */
function layout(doc: Doc, columns: Column[], rows: string[][]): Fit {
  const W = width(doc);
  let fit: Fit | undefined;
  for (const size of SIZES) {
    const need: number[] = [];
    const wish: number[] = [];
    columns.forEach((c, i) => {
      const [n, w] = extent(doc, c, rows.map((r) => r[i] ?? ''), size);
      need.push(n + 2 * PAD + 0.5);
      wish.push(Math.max(n, w) + 2 * PAD + 0.5);
    });
    let grid = columns.map((_, i) => i);
    const under: number[] = [];
    const sum = (list: number[], of: number[]) => list.reduce((t, i) => t + of[i]!, 0);
    // Hash columns go under the row, widest first, while the grid does not fit.
    for (const i of [...grid].filter((i) => columns[i]!.style === 'hash').sort((a, b) => need[b]! - need[a]!)) {
      if (sum(grid, need) <= W || grid.length === 1) break;
      grid = grid.filter((g) => g !== i);
      under.push(i);
    }
    const needs = grid.map((i) => need[i]!);
    const wishes = grid.map((i) => wish[i]!);
    const totalNeed = needs.reduce((a, b) => a + b, 0);
    const totalWish = wishes.reduce((a, b) => a + b, 0);
    let widths: number[];
    if (totalWish <= W) widths = wishes.map((w) => w + ((W - totalWish) * w) / totalWish);
    else if (totalNeed <= W) widths = needs.map((n, k) => n + ((W - totalNeed) * (wishes[k]! - n)) / (totalWish - totalNeed));
    else widths = capped(needs, W); // some words will break: only in the widest columns, the narrow ones keep their words whole
    fit = { size, grid, under: under.sort((a, b) => a - b), widths };
    if (totalNeed <= W) break;
  }
  return fit!;
}

/**
 * Widths for columns that need more than `W` together: each column gets what it needs, up to a cap
 * chosen so that they fill `W` (water filling), so only the columns with the longest words (a URL, a
 * long location) are narrowed, and an item number or a date is never broken for them.
 */
export function capped(needs: readonly number[], W: number): number[] {
  const sorted = [...needs].sort((a, b) => a - b);
  let left = W;
  let cap = 0;
  for (let k = 0; k < sorted.length; k++) {
    const share = left / (sorted.length - k);
    if (sorted[k]! > share) {
      cap = share;
      break;
    }
    left -= sorted[k]!;
    cap = sorted[k]!;
  }
  return needs.map((n) => Math.min(n, cap));
}

/** What a column needs (its longest word, or a hash's longest line) and would like (its longest line), at `size`. */
function extent(doc: Doc, c: Column, cells: string[], size: number): [number, number] {
  let need = 0;
  let wish = 0;
  useFont(doc, 'words', size, true);
  for (const line of c.title.split('\n')) {
    wish = Math.max(wish, doc.widthOfString(line));
    for (const word of line.split(GAPS)) if (word) need = Math.max(need, doc.widthOfString(`${word} `));
  }
  useFont(doc, c.style ?? 'words', size);
  const seen = new Set<string>();
  for (const cell of cells) {
    if (seen.has(cell)) continue; // a column repeats itself a lot (names, dates): measure each text once
    seen.add(cell);
    for (const line of cell.split('\n')) {
      const lw = doc.widthOfString(line);
      wish = Math.max(wish, lw);
      if (c.style === 'hash') need = Math.max(need, lw);
      else for (const word of line.split(GAPS)) if (word) need = Math.max(need, doc.widthOfString(`${word} `));
    }
  }
  return [need, wish];
}
