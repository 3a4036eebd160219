/**
 * The report's holders timeline: for each evidence item, who held it, from
 * which entry of the custody log to which, drawn as a bar of one segment per
 * holder (in log order, equal widths, so a short hold stays readable), with
 * every gap (the releasing party was not the holder by the log) and every
 * override (such a transfer recorded with its reason) flagged under it.
 * Self-contained: the custody section calls `drawHolders` once.
 */
import { holderTimelines, type HolderTimeline } from '../core/custody-holders.js';
import type { CheckedEntry } from '../core/custody-check.js';
import { breakable, ensureRoom, heading, MARGIN, paragraph, width, type Doc } from './layout.js';

const BAR = 16; // height of the bar, in points
const SHADES = ['#dbe4f0', '#c4d3e6']; // alternate segments, so neighbours are told apart in grey print too
const FLAG = '#b00020';

/** The holders timeline of every item in the log, in the order the items were registered. */
export function holdersOf(entries: readonly CheckedEntry[]): HolderTimeline[] {
  return [...holderTimelines(entries).values()];
}

const day = (utc: string) => utc.replace('T', ' ').replace(/:\d{2}(\.\d+)?Z$/, ' UTC');

export function drawHolders(doc: Doc, entries: readonly CheckedEntry[]): void {
  const timelines = holdersOf(entries);
  heading(doc, 'Holders of each item', 2);
  if (timelines.length === 0) {
    paragraph(doc, 'No evidence items registered.');
    return;
  }
  paragraph(doc, 'Who held each item by the custody log: whoever registered it, then each receiving party. A gap is a transfer whose releasing party the log does not show holding the item; an override is such a transfer recorded with a reason.');
  for (const t of timelines) drawOne(doc, t);
}

function drawOne(doc: Doc, t: HolderTimeline): void {
  paragraph(doc, `${t.evidence}: ${t.spans.map((s) => s.holder).join(' → ')}`);
  const w = width(doc) / t.spans.length;
  // The line under each segment wraps in a narrow one: the bar's block is as tall as its tallest (at most 4 lines).
  const labels = t.spans.map((s) => `from entry ${s.since.seq}, ${day(s.since.utc)}`);
  doc.font('sans').fontSize(6.5);
  const below = Math.min(Math.max(...labels.map((l) => doc.heightOfString(l, { width: w - 4 }))), 4 * doc.currentLineHeight(true));
  ensureRoom(doc, BAR + 2 + below + 14);
  const y = doc.y;
  const flagged = new Set(t.flags.map((f) => f.seq));
  t.spans.forEach((s, i) => {
    const x = MARGIN + i * w;
    doc.rect(x, y, w, BAR).fillAndStroke(SHADES[i % 2]!, '#5a6b80');
    doc.fillColor('black').font('sans').fontSize(7.5).text(breakable(s.holder), x + 3, y + 4, { width: w - 6, height: BAR - 4, ellipsis: true, lineBreak: false });
    doc.fontSize(6.5).fillColor('#333333').text(labels[i]!, x + 2, y + BAR + 2, { width: w - 4, height: below, ellipsis: true });
    // A hand-over the log cannot account for is marked on the boundary where it happened.
    if (i > 0 && flagged.has(s.since.seq)) doc.rect(x - 1.5, y - 3, 3, BAR + 6).fill(FLAG);
  });
  doc.fillColor('black').font('sans').fontSize(9.5);
  doc.y = y + BAR + 2 + below + 6;
  if (t.flags.length === 0) paragraph(doc, `${t.evidence}: no gap, no override`);
  for (const f of t.flags) {
    doc.font('bold').fontSize(9).fillColor(FLAG).text(f.kind === 'gap' ? 'GAP ' : 'OVERRIDE ', MARGIN, doc.y, { continued: true });
    doc.font('sans').fontSize(9.5).fillColor('black').text(breakable(f.words));
    doc.moveDown(0.2);
  }
  doc.moveDown(0.4);
}
