/**
 * Who held each evidence item, from the custody log alone: whoever registered
 * an item holds it until a transfer passes it on, and the receiving party of
 * each transfer holds it from then. A transfer whose releasing party was not
 * the holder leaves a gap (nobody logged how the item got to them); exhibit
 * refuses such a transfer unless an override with its reason is given, and
 * logs that reason. The case store (refusing) and the report (drawing the
 * timeline) read the same answer from here.
 */
import type { CustodyEntry } from './custody.js';
import { recordOf } from './text.js';

export interface HolderSpan {
  holder: string;
  since: { seq: number; utc: string };
  until?: { seq: number; utc: string }; // absent: still holds it
}

export interface HolderFlag {
  seq: number;
  utc: string;
  kind: 'gap' | 'override';
  /** Plain words for the report. */
  words: string;
}

export interface HolderTimeline {
  evidence: string;
  spans: HolderSpan[];
  flags: HolderFlag[];
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Each item's holders in log order, with its gaps and overrides. Entries must be in log order. */
export function holderTimelines(entries: readonly { seq: number; entry: CustodyEntry }[]): Map<string, HolderTimeline> {
  const out = new Map<string, HolderTimeline>();
  const hand = (t: HolderTimeline, holder: string, seq: number, utc: string) => {
    const last = t.spans[t.spans.length - 1];
    if (last && !last.until) last.until = { seq, utc };
    t.spans.push({ holder, since: { seq, utc } });
  };
  for (const { seq, entry } of entries) {
    const p = recordOf(entry.payload);
    if (entry.kind === 'evidence.registered') {
      const number = text(p.number);
      if (number === undefined || out.has(number)) continue;
      out.set(number, { evidence: number, spans: [{ holder: entry.actor.name, since: { seq, utc: entry.time.utc } }], flags: [] });
    } else if (entry.kind === 'custody.transferred') {
      const evidence = text(p.evidence);
      const t = evidence === undefined ? undefined : out.get(evidence);
      if (!t) continue;
      const from = text(recordOf(p.from).name) ?? '';
      const to = text(recordOf(p.to).name) ?? '';
      const held = t.spans[t.spans.length - 1]?.holder;
      const override = recordOf(p.override);
      const reason = text(override.reason);
      if (held !== undefined && held !== from) {
        t.flags.push({ seq, utc: entry.time.utc, kind: 'gap', words: `entry ${seq}: ${from} released it, but the log has ${held} holding it; no entry shows it passing from ${held} to ${from}` });
      }
      if (reason !== undefined) t.flags.push({ seq, utc: entry.time.utc, kind: 'override', words: `entry ${seq}: transfer recorded by override, because: ${reason}` });
      hand(t, to, seq, entry.time.utc);
    }
  }
  return out;
}

/** Who holds `evidence` now, by the log; undefined when the log does not register it. */
export function currentHolder(entries: readonly { seq: number; entry: CustodyEntry }[], evidence: string): string | undefined {
  const spans = holderTimelines(entries).get(evidence)?.spans;
  return spans?.[spans.length - 1]?.holder;
}
