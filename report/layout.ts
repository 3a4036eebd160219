/**
 * Page furniture and tables for the custody report, on pdfkit: embedded
 * DejaVu fonts (PDF/A allows no font that is not embedded; DejaVu covers
 * Latin, Greek, Cyrillic, Arabic and Hebrew names), headings, label/value
 * lists, and tables that split across pages with their header row repeated.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import PDFDocument from 'pdfkit';

export type Doc = PDFKit.PDFDocument;

const FONT_DIR = path.join(path.dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
export const MARGIN = 50;
const HEADER_SPACE = 28; // above the top margin's text
const FOOTER_SPACE = 24;

export function newDocument(info: { title: string; author: string; subject: string }): Doc {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN + HEADER_SPACE, bottom: MARGIN + FOOTER_SPACE, left: MARGIN, right: MARGIN },
    bufferPages: true, // headers and "Page N of M" are drawn once the page count is known
    pdfVersion: '1.7',
    subset: 'PDF/A-3b',
    lang: 'en',
    displayTitle: true,
    info: { Title: info.title, Author: info.author, Subject: info.subject, Creator: 'exhibit', Producer: 'exhibit' },
  });
  doc.registerFont('sans', path.join(FONT_DIR, 'DejaVuSans.ttf'));
  doc.registerFont('bold', path.join(FONT_DIR, 'DejaVuSans-Bold.ttf'));
  doc.registerFont('mono', path.join(FONT_DIR, 'DejaVuSansMono.ttf'));
  doc.font('sans').fontSize(9.5);
  return doc;
}

/**
 * Text with a zero-width space after every 120 characters of a run with no
 * break in it. pdfkit breaks an over-long word character by character at a
 * cost that grows with the square of its length (a 20 KB word took minutes
 * and gigabytes); shorter words cost nothing. Hashes (128 hex digits at most)
 * and ordinary words are never touched.
 */
const LONGEST_RUN = 120;
const longRun = new RegExp(`[^\\s\u200b]{${LONGEST_RUN + 1},}`, 'g');
export function breakable(text: string): string {
  return text.replace(longRun, (run) => run.replace(new RegExp(`[^]{${LONGEST_RUN}}(?=[^])`, 'g'), '$&\u200b'));
}

/** One line for the page header: long text is cut with an ellipsis (it is never wrapped). */
export function oneLine(text: string, max = 160): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export const width = (doc: Doc) => doc.page.width - doc.page.margins.left - doc.page.margins.right;
const bottom = (doc: Doc) => doc.page.height - doc.page.margins.bottom;

/** Start a new page when fewer than `need` points are left on this one. */
export function ensureRoom(doc: Doc, need: number): void {
  if (doc.y + need > bottom(doc)) doc.addPage();
}

export function heading(doc: Doc, text: string, level: 1 | 2 = 1): void {
  ensureRoom(doc, level === 1 ? 60 : 40);
  doc.moveDown(level === 1 ? 0.8 : 0.5);
  doc.font('bold').fontSize(level === 1 ? 14 : 11).fillColor('black').text(breakable(text), MARGIN, doc.y, { width: width(doc) });
  doc.moveDown(0.3);
  doc.font('sans').fontSize(9.5);
}

export function paragraph(doc: Doc, text: string, font: 'sans' | 'mono' = 'sans'): void {
  doc.font(font).fontSize(font === 'mono' ? 8 : 9.5).text(breakable(text), MARGIN, doc.y, { width: width(doc) });
  doc.font('sans').fontSize(9.5);
  doc.moveDown(0.3);
}

/** Label and value pairs, one per line; values in `monoKeys` (hashes) in the fixed-width font. */
export function fields(doc: Doc, pairs: [string, string | undefined][], mono: (label: string) => boolean = () => false): void {
  const labelWidth = 130;
  for (const [label, raw] of pairs) {
    if (raw === undefined || raw === '') continue;
    const value = breakable(raw);
    const isMono = mono(label);
    doc.font(isMono ? 'mono' : 'sans').fontSize(isMono ? 8 : 9.5);
    const h = doc.heightOfString(value, { width: width(doc) - labelWidth });
    ensureRoom(doc, h + 2);
    const y = doc.y;
    doc.font('bold').fontSize(9).text(label, MARGIN, y, { width: labelWidth - 6 });
    doc.font(isMono ? 'mono' : 'sans').fontSize(isMono ? 8 : 9.5).text(value, MARGIN + labelWidth, y, { width: width(doc) - labelWidth });
    doc.y = Math.max(doc.y, y + h) + 2;
  }
  doc.font('sans').fontSize(9.5);
}

export interface Column {
  title: string;
  share: number; // relative width
  mono?: boolean;
}

/** A table that continues on the next page with its header row repeated. */
export function table(doc: Doc, columns: Column[], rawRows: string[][]): void {
  const rows = rawRows.map((r) => r.map(breakable));
  const total = columns.reduce((n, c) => n + c.share, 0);
  const widths = columns.map((c) => (c.share / total) * width(doc));
  const pad = 3;
  const rowHeight = (cells: string[], header: boolean) =>
    Math.max(
      ...cells.map((cell, i) => {
        doc.font(header ? 'bold' : columns[i]!.mono ? 'mono' : 'sans').fontSize(header ? 8.5 : columns[i]!.mono ? 7.5 : 8.5);
        return doc.heightOfString(cell || ' ', { width: widths[i]! - 2 * pad });
      }),
    ) + 2 * pad;
  const drawRow = (cells: string[], header: boolean) => {
    const h = rowHeight(cells, header);
    const y = doc.y;
    if (header) doc.rect(MARGIN, y, width(doc), h).fill('#e8e8e8').fillColor('black');
    let x = MARGIN;
    cells.forEach((cell, i) => {
      doc.font(header ? 'bold' : columns[i]!.mono ? 'mono' : 'sans').fontSize(header ? 8.5 : columns[i]!.mono ? 7.5 : 8.5);
      doc.text(cell, x + pad, y + pad, { width: widths[i]! - 2 * pad });
      x += widths[i]!;
    });
    doc.moveTo(MARGIN, y + h).lineTo(MARGIN + width(doc), y + h).lineWidth(0.4).strokeColor('#999999').stroke();
    doc.y = y + h;
  };
  const titles = columns.map((c) => c.title);
  ensureRoom(doc, rowHeight(titles, true) + (rows[0] ? rowHeight(rows[0], false) : 0));
  drawRow(titles, true);
  for (const r of rows) {
    if (doc.y + rowHeight(r, false) > bottom(doc)) {
      doc.addPage();
      drawRow(titles, true);
    }
    drawRow(r, false);
  }
  doc.font('sans').fontSize(9.5);
  doc.x = MARGIN;
  doc.moveDown(0.5);
}

/** Header (organisation, case) and footer ("Page N of M", generation time) on every page. */
export function furnish(doc: Doc, header: string, footer: (page: number, pages: number) => string): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const { top, bottom: bot } = doc.page.margins;
    doc.page.margins.top = 0;
    doc.page.margins.bottom = 0; // writing in the margins must not start a new page
    doc.font('sans').fontSize(8).fillColor('#444444');
    doc.text(oneLine(header), MARGIN, MARGIN - 10, { width: width(doc), lineBreak: false });
    doc.moveTo(MARGIN, MARGIN + 4).lineTo(doc.page.width - MARGIN, MARGIN + 4).lineWidth(0.5).strokeColor('#999999').stroke();
    doc.text(footer(i - range.start + 1, range.count), MARGIN, doc.page.height - MARGIN - 4, { width: width(doc), lineBreak: false, align: 'center' });
    doc.page.margins.top = top;
    doc.page.margins.bottom = bot;
    doc.fillColor('black');
  }
}
