/**
 * Page furniture for the custody report, on pdfkit: embedded DejaVu fonts
 * (PDF/A allows no font that is not embedded; DejaVu covers Latin, Greek,
 * Cyrillic, Arabic and Hebrew names), headings kept with what follows them,
 * paragraphs, label/value lists, and text in two styles: words, which wrap
 * between words only, and hashes, set at body size in the fixed-width font,
 * one line each, never wrapped (tables are in table.ts).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import PDFDocument from 'pdfkit';
import { codePoint } from '../core/text.js';

export type Doc = PDFKit.PDFDocument;

const FONT_DIR = path.join(path.dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
/** 42 pt margins leave a value column of 411 pt beside a 100 pt label: a SHA-256 in groups (71 characters) at body size takes 406. */
export const MARGIN = 42;
const HEADER_SPACE = 28; // above the top margin's text
const FOOTER_SPACE = 24;
/** The body text size, in points; hashes are set at it too. */
export const BODY = 9.5;
/** The width of a label/value list's labels. */
const LABEL_WIDTH = 100;

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
  doc.font('sans').fontSize(BODY);
  // Every string drawn or measured goes through `drawable`, so what is measured is what is drawn. Only the
  // outermost call: pdfkit measures the words of a text it lays out with widthOfString, and a word made
  // drawable again (an Arabic word with its stored order appended) would measure far wider than it is drawn.
  const d = doc as unknown as Record<'text' | 'widthOfString' | 'heightOfString', (t: unknown, ...rest: unknown[]) => unknown>;
  let depth = 0;
  for (const m of ['text', 'widthOfString', 'heightOfString'] as const) {
    const orig = d[m]!.bind(doc);
    d[m] = (t: unknown, ...rest: unknown[]) => {
      const shown = depth === 0 && typeof t === 'string' ? drawable(doc, t) : t;
      depth++;
      try {
        return orig(shown, ...rest);
      } finally {
        depth--;
      }
    };
  }
  return doc;
}

/** Right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, NKo, ...), and their presentation forms. */
const RTL = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]/;
const RTL_RUN = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff](?:[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]|[ ]+(?=[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]))*/g;

/**
 * Text as the report can show it faithfully: a character the current font has no glyph for (CJK,
 * Devanagari, ...) as [U+XXXX] rather than an empty box; and right-to-left text, which the page
 * lays out without the Unicode bidirectional algorithm (digits and words may come out reversed),
 * followed by its characters in their stored order, so what the record says can always be read.
 */
/** The characters a document's fonts had no glyph for, shown as code points (see drawable). */
const glyphsLacking = new WeakMap<Doc, Set<string>>();

export function charactersWithoutGlyph(doc: Doc): string[] {
  return [...(glyphsLacking.get(doc) ?? [])];
}

export function drawable(doc: Doc, text: string): string {
  const font = (doc as unknown as { _font?: { font?: { hasGlyphForCodePoint?: (cp: number) => boolean } } })._font?.font;
  let out = text;
  if (font?.hasGlyphForCodePoint) {
    let missing = false;
    // Spaces and format characters (the zero-width spaces `breakable` adds) draw nothing anyway.
    const lacks = (ch: string) => ch.codePointAt(0)! > 0x7e && !/[\s\p{Cf}]/u.test(ch) && !font.hasGlyphForCodePoint!(ch.codePointAt(0)!);
    for (const ch of text) if (lacks(ch)) missing = true;
    if (missing) {
      const seen = glyphsLacking.get(doc) ?? new Set<string>();
      glyphsLacking.set(doc, seen);
      out = [...text].map((ch) => (lacks(ch) ? (seen.add(ch), `[${codePoint(ch)}]`) : ch)).join('');
    }
  }
  if (RTL.test(out)) out = out.replace(RTL_RUN, (run) => `${run} [in stored order: ${[...run].map(codePoint).join(' ')}]`);
  return out;
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
export const bottom = (doc: Doc) => doc.page.height - doc.page.margins.bottom;

/** Start a new page when fewer than `need` points are left on this one (never a second empty page). */
export function ensureRoom(doc: Doc, need: number): void {
  if (doc.y + need > bottom(doc) && doc.y > doc.page.margins.top + 1) doc.addPage();
}

/** Text in the report: `words` wrap between words; a `hash` is set in the fixed-width font, its lines as given. */
export type Style = 'words' | 'hash';

/** Set the font for `style` at `size` (a hash is always at body size). */
export function useFont(doc: Doc, style: Style, size: number, bold = false): void {
  if (style === 'hash') doc.font('mono').fontSize(BODY);
  else doc.font(bold ? 'bold' : 'sans').fontSize(size);
}

/** The height `text` takes in `w` points (the font set). */
export function measure(doc: Doc, text: string, w: number, style: Style): number {
  if (style === 'hash') return text.split('\n').length * doc.currentLineHeight(true);
  return doc.heightOfString(text || ' ', { width: w });
}

/** Draw `text` at (x, y) in `w` points (the font set); a hash line by line, never wrapped. */
export function draw(doc: Doc, text: string, x: number, y: number, w: number, style: Style): void {
  if (style === 'words') {
    doc.text(text, x, y, { width: w });
    return;
  }
  const lh = doc.currentLineHeight(true);
  text.split('\n').forEach((line, i) => doc.text(line, x, y + i * lh, { lineBreak: false }));
}

/**
 * Headings wait for what follows them: the next block (fields, table,
 * paragraph) makes room for them and its first line together, so a heading
 * never ends a page alone.
 */
const pending = new WeakMap<Doc, { text: string; level: 1 | 2 }[]>();

export function heading(doc: Doc, text: string, level: 1 | 2 = 1): void {
  const list = pending.get(doc) ?? [];
  list.push({ text: breakable(text), level });
  pending.set(doc, list);
}

/** Draw the waiting headings, on a new page if they and `need` points after them do not fit on this one. */
export function keepWithNext(doc: Doc, need: number): void {
  const list = pending.get(doc) ?? [];
  pending.delete(doc);
  const gap = (level: 1 | 2) => (level === 1 ? 0.8 : 0.5) * BODY * 1.2;
  const size = (level: 1 | 2) => (level === 1 ? 14 : 11);
  let total = need;
  for (const h of list) {
    doc.font('bold').fontSize(size(h.level));
    total += gap(h.level) + doc.heightOfString(h.text, { width: width(doc) }) + 0.3 * doc.currentLineHeight(true);
  }
  ensureRoom(doc, total);
  for (const h of list) {
    if (doc.y > doc.page.margins.top + 1) doc.y += gap(h.level);
    doc.font('bold').fontSize(size(h.level)).fillColor('black').text(h.text, MARGIN, doc.y, { width: width(doc) });
    doc.y += 0.3 * doc.currentLineHeight(true);
  }
  doc.font('sans').fontSize(BODY);
}

export function paragraph(doc: Doc, text: string): void {
  const value = breakable(text);
  doc.font('sans').fontSize(BODY);
  keepWithNext(doc, Math.min(doc.heightOfString(value, { width: width(doc) }), 3 * doc.currentLineHeight(true)));
  doc.font('sans').fontSize(BODY).text(value, MARGIN, doc.y, { width: width(doc) });
  doc.moveDown(0.3);
}

/** Label and value pairs, one per line; values whose label `isHash` says so are hashes (already in groups). */
export function fields(doc: Doc, pairs: [string, string | undefined][], isHash: (label: string) => boolean = () => false): void {
  const valueWidth = width(doc) - LABEL_WIDTH;
  let first = true;
  for (const [label, raw] of pairs) {
    if (raw === undefined || raw === '') continue;
    const style: Style = isHash(label) ? 'hash' : 'words';
    const value = style === 'hash' ? raw : breakable(raw);
    useFont(doc, style, BODY);
    const hv = measure(doc, value, valueWidth, style);
    doc.font('bold').fontSize(9);
    const h = Math.max(hv, doc.heightOfString(label, { width: LABEL_WIDTH - 6 }));
    if (first) keepWithNext(doc, h + 2);
    else ensureRoom(doc, h + 2);
    first = false;
    const y = doc.y;
    doc.font('bold').fontSize(9).text(label, MARGIN, y, { width: LABEL_WIDTH - 6 });
    useFont(doc, style, BODY);
    draw(doc, value, MARGIN + LABEL_WIDTH, y, valueWidth, style);
    doc.x = MARGIN;
    doc.y = y + h + 2;
  }
  doc.font('sans').fontSize(BODY);
}

/** Header (organisation, case) and footer ("Page N of M", generation time) on every page. */
export function furnish(doc: Doc, header: string, footer: (page: number, pages: number) => string): void {
  keepWithNext(doc, 0); // a heading nothing followed
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
