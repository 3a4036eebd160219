/**
 * The custody check of one case, on a thread of its own so that checking a
 * long log (every signature of 100,000 entries takes seconds) never holds up
 * the dashboard's pages. It runs exactly what `exhibit custody log` runs
 * (`checkCase`: chain, signatures, checkpoint, the store's keys, projections)
 * and hands back what the pages show of each entry.
 */
import { parentPort } from 'node:worker_threads';
import { CaseStore, checkCase, type ExhibitPaths } from '../case-store/index.js';
import { holderTimelines } from '../core/custody-holders.js';
import { recordOf } from '../core/text.js';
import type { CaseCheck, CheckRequest, EntrySummary } from './custody-cache.js';

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function check(paths: ExhibitPaths, caseId: number): CaseCheck {
  const store = CaseStore.openReadOnly(paths);
  try {
    const c = store.listCases().find((x) => x.id === caseId);
    if (!c) return { caseId, entryCount: 0, itemEntries: new Map(), problems: [{ message: 'the case is no longer in the store' }], itemHolders: new Map(), currentHolders: new Map(), keys: [] };
    const result = checkCase(store, c);
    // Each item's entries travel as one JSON string: a 100,000-entry case is then a thousand strings to
    // hand over, not 400,000 objects for the server's thread to rebuild while its pages wait.
    const byItem = new Map<string, EntrySummary[]>();
    for (const e of result.entries) {
      const p = recordOf(e.entry.payload);
      const evidence = e.entry.kind === 'evidence.registered' ? text(p.number) : text(p.evidence);
      if (evidence === undefined) continue;
      const summary: EntrySummary = { seq: e.seq, kind: e.entry.kind, utc: e.entry.time.utc, signers: [e.entry.actor, ...(e.entry.cosigners ?? [])].map((s) => ({ name: s.name, key: s.key })), evidence };
      const list = byItem.get(evidence);
      if (list) list.push(summary);
      else byItem.set(evidence, [summary]);
    }
    const timelines = new Map([...holderTimelines(result.entries).values()].map((h) => [h.evidence, h]));
    return {
      caseId,
      entryCount: result.entries.length,
      itemEntries: new Map([...byItem].map(([k, v]) => [k, JSON.stringify(v)])),
      problems: result.problems.map((p) => ({ ...(p.entry !== undefined ? { entry: p.entry } : {}), message: p.message })),
      itemHolders: new Map([...timelines].map(([k, v]) => [k, JSON.stringify(v)])),
      currentHolders: new Map([...timelines].map(([k, v]) => [k, v.spans[v.spans.length - 1]?.holder ?? ''])),
      keys: [...result.keys].map(([fingerprint, k]) => ({ fingerprint, name: k.name })),
    };
  } finally {
    store.close();
  }
}

parentPort!.on('message', (req: CheckRequest) => {
  let reply: CaseCheck;
  try {
    reply = check(req.paths, req.caseId);
  } catch (err) {
    reply = { caseId: req.caseId, entryCount: 0, itemEntries: new Map(), problems: [{ message: `the custody log could not be read: ${err instanceof Error ? err.message : String(err)}` }], itemHolders: new Map(), currentHolders: new Map(), keys: [] };
  }
  parentPort!.postMessage({ id: req.id, check: reply });
});
