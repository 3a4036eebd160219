/** The dashboard's pages, rendered on the server from the case store, the custody check and the jobs' status. */
import { KIND_WORDS, splitLogLine, type CustodyKind } from '../core/custody.js';
import { verificationWords as loggedWords, type VerificationWords } from '../core/verification-words.js';
import type { CaseRow, CaseStore } from '../case-store/index.js';
import type { JobStatus } from '../case-store/index.js';
import { entriesOf, holdersOf, type CaseCheck } from './custody-cache.js';
import type { MediaMap } from './map.js';
import { badge, bytes, duration, esc, hex, page, seg, table, when } from './html.js';

export interface View {
  actions: boolean;
  examiner?: string; // who signs what the actions do
}

// ---- jobs -------------------------------------------------------------------------------------

const STATE_WORDS: Record<JobStatus['state'], string> = { running: 'running', complete: 'complete', failed: 'FAILED', interrupted: 'interrupted', stopped: 'stopped' };

export function jobRows(jobs: JobStatus[]): string {
  if (jobs.length === 0) return '<tr><td colspan="15" class="none">No jobs in the case store yet.</td></tr>';
  return jobs
    .map((j) => {
      const pct = j.total_bytes > 0 ? Math.min(100, (j.done_bytes / j.total_bytes) * 100) : j.state === 'complete' ? 100 : 0;
      const shownPct = j.state === 'complete' ? 100 : pct;
      const cls = j.state === 'failed' || j.state === 'stopped' ? 'bad' : j.state === 'complete' ? 'ok' : j.state === 'interrupted' ? 'warn' : '';
      const map = j.kind === 'acquisition' && j.total_bytes > 0 ? ` <a href="/jobs/${seg(j.id)}/map">map</a>` : '';
      return `<tr data-job="${esc(j.id)}">${[
        `${esc(j.kind)} <small>on ${esc(j.host)}</small>`,
        esc(j.drive ?? j.subject),
        esc(j.model ?? ''),
        esc(j.serial ?? ''),
        esc(j.examiner ?? ''),
        esc(j.case ?? ''),
        esc(j.evidence ?? ''),
        esc(j.format ?? ''),
        `<span class="${cls}" data-state>${esc(STATE_WORDS[j.state])}</span>${j.state === 'running' ? ` <small>${esc(j.phase)}</small>` : ''}`,
        `<progress max="100" value="${shownPct.toFixed(1)}"></progress> <span data-percent>${shownPct.toFixed(1)}%</span>`,
        j.state === 'running' ? `${bytes(j.rate)}/s` : '',
        j.state === 'running' ? duration(j.seconds_left) : '',
        j.unreadable_sectors !== undefined ? `<span data-unreadable class="${Number(j.unreadable_sectors) > 0 ? 'bad' : ''}">${esc(String(j.unreadable_sectors))}</span>` : '',
        when(j.started_utc),
        `${esc(j.result ?? '')}${map}`,
      ]
        .map((c, i) => `<td${i === 9 || i === 12 ? ' class="num"' : ''}>${c}</td>`)
        .join('')}</tr>`;
    })
    .join('\n');
}

export function jobsPage(jobs: JobStatus[], v: View): string {
  const head = ['Job', 'Drive or image', 'Model', 'Serial', 'Examiner', 'Case', 'Evidence', 'Format', 'State', 'Done', 'Rate', 'Time left', 'Unreadable sectors', 'Started', 'Result'];
  const body =
    `<p>Acquisitions, verifications, conversions, restores, clones and reports of every workstation that publishes to this case store, running ones first, then the newest. This page updates by itself.</p>` +
    `<table id="jobs"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody id="jobs-body">${jobRows(jobs)}</tbody></table>`;
  return page({ title: 'Jobs', body, nav: 'jobs', actions: v.actions });
}

// ---- cases ------------------------------------------------------------------------------------

export function casesPage(store: CaseStore, checks: (caseId: number) => CaseCheck | undefined, v: View): string {
  const rows = store.db
    .all(`SELECT c.id, c.number, c.title,
        (SELECT count(*) FROM evidence e WHERE e.case_id = c.id) AS items,
        (SELECT max(seq) FROM custody_entries x WHERE x.case_id = c.id) AS entries
       FROM cases c ORDER BY c.number`,) as { id: number; number: string; title: string | null; items: number; entries: number | null }[];
  const body = table(
    ['Case', 'Title', 'Items', 'Custody entries', 'Custody check'],
    rows.map((r) => {
      const c = checks(r.id);
      return [`<a href="/cases/${seg(r.number)}">${esc(r.number)}</a>`, esc(r.title ?? ''), String(r.items), String(r.entries ?? 0), c ? checkWords(c) : '<span class="none">open the case to check it</span>'];
    }),
  );
  return page({ title: 'Cases', body, nav: 'cases', actions: v.actions });
}

function checkWords(c: CaseCheck): string {
  return c.problems.length === 0 ? badge(true, 'chain, signatures and checkpoint check', '') : badge(false, '', `FAILS its check: ${c.problems.length} problem${c.problems.length === 1 ? '' : 's'}`);
}

function checkBlock(c: CaseCheck, only?: (p: { entry?: number }) => boolean): string {
  const problems = only ? c.problems.filter(only) : c.problems;
  const head = `<p id="custody-check">Custody log: ${c.entryCount} entries; ${checkWords(c)} <small>(checked ${when(c.checkedUtc)} by the same checker as <code>exhibit custody log</code>)</small></p>`;
  if (c.problems.length === 0) return head;
  const list = problems.slice(0, 200).map((p) => `<li>${esc(p.message)}</li>`).join('');
  const more = problems.length > 200 ? `<p>${problems.length - 200} more: see <code>exhibit custody log --json</code>.</p>` : '';
  return `${head}<div class="problems" id="custody-problems"><strong>The custody log fails its check.</strong> exhibit adds nothing to it until this is resolved.<ul>${list || '<li>(the problems concern other items or the log as a whole)</li>'}</ul>${more}</div>`;
}

/** The page shown while a long custody log is being checked; it reloads itself when the check is done. */
export function checkingPage(c: CaseRow, entries: number, v: View): string {
  const body = `<div class="checking" data-wait-case="${esc(c.id)}">Checking the custody log of case ${esc(c.number)} (${entries} entries: chain, every signature, the checkpoint). This page opens when it is done.</div>`;
  return page({ title: `Case ${c.number}`, body, nav: 'cases', actions: v.actions });
}

interface ItemRow {
  number: string;
  description: string | null;
  model: string | null;
  serial: string | null;
  capacity_bytes: number | null;
}

/** Items listed on one page of a case: a case of 1,000 items opens as fast as one of 10. */
export const ITEMS_PER_PAGE = 100;

export function casePage(store: CaseStore, c: CaseRow, check: CaseCheck, v: View, reportFile: (name: string) => boolean, pageNumber = 1): string {
  const total = Number(store.db.get<{ n: number }>('SELECT count(*) AS n FROM evidence WHERE case_id = ?', [c.id])?.n ?? 0);
  const pages = Math.max(1, Math.ceil(total / ITEMS_PER_PAGE));
  const at = Math.min(Math.max(1, pageNumber), pages);
  const items = store.db.all(`SELECT number, description, model, serial, capacity_bytes FROM evidence WHERE case_id = ? ORDER BY number LIMIT ${ITEMS_PER_PAGE} OFFSET ${(at - 1) * ITEMS_PER_PAGE}`, [c.id]) as ItemRow[];
  const acq = new Map((store.db.all('SELECT evidence, count(*) AS n FROM acquisitions WHERE case_id = ? GROUP BY evidence', [c.id]) as { evidence: string; n: number }[]).map((r) => [r.evidence, r.n]));
  const ver = lastVerifications(verificationRows(store, c.id));
  const holders = check.currentHolders;
  const itemTable = table(
    ['Evidence', 'Description', 'Model', 'Serial', 'Capacity', 'Held by', 'Acquisitions', 'Last verification'],
    items.map((i) => [
      `<a href="/cases/${seg(c.number)}/items/${seg(i.number)}">${esc(i.number)}</a>`,
      esc(i.description ?? ''),
      esc(i.model ?? ''),
      esc(i.serial ?? ''),
      bytes(i.capacity_bytes),
      esc(holders.get(i.number) ?? ''),
      String(acq.get(i.number) ?? 0),
      verificationWords(ver.get(i.number)),
    ]),
  );
  const action = v.actions
    ? `<form class="inline" method="post" action="/cases/${seg(c.number)}/report"><button type="submit" id="issue-report">Issue a custody report</button></form> <small>signed by ${esc(v.examiner ?? '')}</small>`
    : '';
  const pager =
    pages === 1
      ? ''
      : `<p class="pager">Items ${(at - 1) * ITEMS_PER_PAGE + 1}-${(at - 1) * ITEMS_PER_PAGE + items.length} of ${total}: ${Array.from({ length: pages }, (_, i) => i + 1)
          .map((n) => (n === at ? `<strong>${n}</strong>` : `<a href="/cases/${seg(c.number)}?page=${n}">${n}</a>`))
          .join(' ')}</p>`;
  const body = `${c.title ? `<p>${esc(c.title)}</p>` : ''}${checkBlock(check)}
<h2>Items</h2>${pager}${itemTable}${pager}
<h2>Reports</h2>${reportsTable(store, c, reportFile)}${action}`;
  return page({ title: `Case ${c.number}`, body, nav: 'cases', actions: v.actions });
}

function verificationWords(w: VerificationWords | undefined): string {
  if (w === undefined) return '<span class="none">none</span>';
  return w.ok ? badge(true, w.words, '') : w.words.startsWith('VERIFIED') ? `<span class="warn">${esc(w.words)}</span>` : badge(false, '', w.words);
}

interface VerificationRow {
  entry_seq: number;
  time_utc: string;
  examiner: string;
  evidence: string;
  /** From the signed entry itself (the projected row's result is only its copy). */
  said: VerificationWords;
  record_sha256: string | undefined;
  image: string;
}

/** A case's verifications (or one item's), in log order, each in the words of its signed entry. */
function verificationRows(store: CaseStore, caseId: number, evidence?: string): VerificationRow[] {
  const rows = store.db.all(
    `SELECT v.entry_seq, v.time_utc, v.examiner, v.evidence, v.result, (SELECT line FROM custody_entries l WHERE l.case_id = v.case_id AND l.seq = v.entry_seq) AS line FROM verifications v WHERE v.case_id = ?${evidence === undefined ? '' : ' AND v.evidence = ?'} ORDER BY v.entry_seq`,
    evidence === undefined ? [caseId] : [caseId, evidence],
  ) as { entry_seq: number; time_utc: string; examiner: string; evidence: string; result: string; line: string | null }[];
  return rows.map((r) => {
    const payload = entryPayload(r.line);
    const p = (payload ?? {}) as { record_sha256?: unknown; image?: unknown };
    return {
      entry_seq: Number(r.entry_seq),
      time_utc: r.time_utc,
      examiner: r.examiner,
      evidence: r.evidence,
      said: payload ? loggedWords(payload) : { ok: false, whole: true, words: `${String(r.result).toUpperCase()} (its entry cannot be read)` },
      record_sha256: typeof p.record_sha256 === 'string' ? p.record_sha256 : undefined,
      image: Array.isArray(p.image) ? p.image.filter((x): x is string => typeof x === 'string').join(', ') : '',
    };
  });
}

function entryPayload(line: string | null): unknown {
  const split = line ? splitLogLine(line) : undefined;
  if (!split) return undefined;
  try {
    return (JSON.parse(split.entryBytes) as { payload?: unknown }).payload;
  } catch {
    return undefined;
  }
}

/**
 * Each item's verification to show beside it: for each image of it (by the record verified), its last
 * whole verification (a later check of some pieces does not hide it), then the worst of those images.
 */
function lastVerifications(rows: readonly VerificationRow[]): Map<string, VerificationWords> {
  const perImage = new Map<string, Map<string, VerificationWords>>();
  for (const r of rows) {
    const images = perImage.get(r.evidence) ?? new Map<string, VerificationWords>();
    perImage.set(r.evidence, images);
    const key = r.record_sha256 ?? '';
    const had = images.get(key);
    if (r.said.whole || had === undefined || !had.whole) images.set(key, r.said);
  }
  const rank = (w: VerificationWords) => (w.ok ? 3 : w.words.startsWith('VERIFIED') ? 2 : w.words.startsWith('UNVERIFIABLE') ? 1 : 0);
  const out = new Map<string, VerificationWords>();
  for (const [evidence, images] of perImage) {
    const worst = [...images.values()].reduce((a, b) => (rank(b) < rank(a) ? b : a));
    out.set(evidence, images.size > 1 ? { ...worst, words: `${worst.words} (the worst of its ${images.size} images)` } : worst);
  }
  return out;
}

function reportsTable(store: CaseStore, c: CaseRow, reportFile: (name: string) => boolean): string {
  const rows = store.db.all('SELECT entry_seq, time_utc, examiner, file, sha256 FROM reports WHERE case_id = ? ORDER BY entry_seq', [c.id]) as { entry_seq: number; time_utc: string; examiner: string; file: string; sha256: string }[];
  return table(
    ['Entry', 'Issued', 'By', 'File', 'SHA-256 (as logged)', ''],
    rows.map((r) => [
      String(r.entry_seq),
      when(r.time_utc),
      esc(r.examiner),
      esc(r.file),
      hex(r.sha256),
      reportFile(r.file) ? `<a href="/cases/${seg(c.number)}/reports/${r.entry_seq}" download data-report="${r.entry_seq}">download</a>` : '<span class="none">issued elsewhere</span>',
    ]),
  );
}

export function itemPage(store: CaseStore, c: CaseRow, evidence: string, check: CaseCheck, v: View, reportFile: (name: string) => boolean): string {
  const item = store.db.get('SELECT number, description, model, serial, capacity_bytes FROM evidence WHERE case_id = ? AND number = ?', [c.id, evidence]) as ItemRow | undefined;
  const mine = entriesOf(check, evidence);
  const seqs = new Set(mine.map((e) => e.seq));
  const bad = new Map<number, string[]>();
  for (const p of check.problems) if (p.entry !== undefined) bad.set(p.entry, [...(bad.get(p.entry) ?? []), p.message]);
  const holder = holdersOf(check, evidence);
  const facts = item
    ? table(['Description', 'Model', 'Serial', 'Capacity'], [[esc(item.description ?? ''), esc(item.model ?? ''), esc(item.serial ?? ''), bytes(item.capacity_bytes)]])
    : '<p class="bad">The store holds no row for this item.</p>';
  const holders = holder
    ? table(['Held by', 'From', 'Until'], holder.spans.map((s) => [esc(s.holder), `${when(s.since.utc)} <small>(entry ${s.since.seq})</small>`, s.until ? `${when(s.until.utc)} <small>(entry ${s.until.seq})</small>` : 'now'])) +
      holder.flags.map((f) => `<p class="${f.kind === 'gap' ? 'bad' : 'warn'}">${esc(f.words)}</p>`).join('')
    : '<p class="none">The log registers no holder.</p>';
  const keyOwner = new Map(check.keys.map((k) => [k.fingerprint, k.name]));
  const entries = table(
    ['Entry', 'Time', 'What', 'Signed by', 'Key fingerprint', 'Check'],
    mine.map((e) => [
      String(e.seq),
      when(e.utc),
      esc(KIND_WORDS[e.kind as CustodyKind] ?? e.kind),
      e.signers.map((s) => esc(s.name)).join('<br>'),
      e.signers.map((s) => `${hex(s.key)}${keyOwner.get(s.key) === s.name ? '' : ' <span class="bad">not registered to this name</span>'}`).join('<br>'),
      bad.has(e.seq) ? `<span class="bad">FAILS</span><br><small>${bad.get(e.seq)!.map(esc).join('<br>')}</small>` : '<span class="ok">ok</span>',
    ]),
    ' id="entries"',
  );
  const acqs = store.db
    .all('SELECT entry_seq, examiner, result, format, size_bytes, md5, sha1, sha256, unreadable_sectors, started_utc, finished_utc, record_file FROM acquisitions WHERE case_id = ? AND evidence = ? ORDER BY entry_seq', [c.id, evidence]) as { entry_seq: number; examiner: string; result: string; format: string; size_bytes: number; md5: string | null; sha1: string | null; sha256: string | null; unreadable_sectors: number; started_utc: string; finished_utc: string; record_file: string }[];
  const acqTable = table(
    ['Entry', 'Result', 'Format', 'Size', 'Hashes', 'Unreadable sectors', 'Started', 'Finished', 'By', ''],
    acqs.map((a) => [
      esc(String(a.entry_seq)),
      a.result === 'complete' ? badge(true, 'complete', '') : badge(false, '', a.result),
      esc(a.format),
      bytes(a.size_bytes),
      [['MD5', a.md5], ['SHA-1', a.sha1], ['SHA-256', a.sha256]].filter(([, h]) => h).map(([n, h]) => `${n} ${hex(h)}`).join('<br>'),
      `<span class="${Number(a.unreadable_sectors) > 0 ? 'bad' : ''}">${esc(String(a.unreadable_sectors))}</span>`,
      when(a.started_utc),
      when(a.finished_utc),
      esc(a.examiner),
      `<a href="/cases/${seg(c.number)}/acquisitions/${seg(String(a.entry_seq))}/map">media map</a>` +
        (v.actions ? ` <form class="inline" method="post" action="/cases/${seg(c.number)}/acquisitions/${seg(String(a.entry_seq))}/verify"><button type="submit" data-verify="${esc(String(a.entry_seq))}">Verify</button></form>` : ''),
    ]),
    ' id="acquisitions"',
  );
  const acqOf = new Map((store.db.all('SELECT entry_seq, record_sha256 FROM acquisitions WHERE case_id = ? AND evidence = ?', [c.id, evidence]) as { entry_seq: number; record_sha256: string | null }[]).map((a) => [a.record_sha256 ?? '', Number(a.entry_seq)]));
  const vers = verificationRows(store, c.id, evidence);
  const verTable = table(
    ['Entry', 'Time', 'By', 'Image', 'Result'],
    vers.map((x) => {
      const acq = x.record_sha256 ? acqOf.get(x.record_sha256) : undefined;
      return [String(x.entry_seq), when(x.time_utc), esc(x.examiner), `${esc(x.image)}${acq !== undefined ? ` <small>(acquisition entry ${acq})</small>` : ''}`, verificationWords(x.said)];
    }),
    ' id="verifications"',
  );
  const body = `<p><a href="/cases/${seg(c.number)}">Case ${esc(c.number)}</a></p>${checkBlock(check, (p) => p.entry === undefined || seqs.has(p.entry))}
${facts}<h2>Holders over time</h2>${holders}<h2>Custody entries about this item</h2>${entries}
<h2>Acquisitions</h2>${acqTable}<h2>Verifications</h2>${verTable}<h2>Reports on the case</h2>${reportsTable(store, c, reportFile)}`;
  return page({ title: `${evidence} · case ${c.number}`, body, nav: 'cases', actions: v.actions });
}

// ---- the media map ----------------------------------------------------------------------------

export function mapPage(o: { title: string; back: string; map: MediaMap | string; sectorSize: number; liveJob?: string }, v: View): string {
  if (typeof o.map === 'string') return page({ title: o.title, body: `<p>${o.back}</p><p class="bad">The map cannot be shown: ${esc(o.map)}</p>`, nav: '', actions: v.actions });
  const m = o.map;
  const bad = m.blocks.filter((b) => b.state === 'unreadable');
  const ss = o.sectorSize;
  const rangeRows = bad.slice(0, 5000).map((b) => [String(b.pos / ss), String(b.size / ss), `${b.pos}`, `${b.pos + b.size - 1}`, bytes(b.size)]);
  const sum = (s: string) => m.blocks.filter((b) => b.state === s).reduce((n, b) => n + b.size, 0);
  const json = JSON.stringify(m).replace(/</g, '\\u003c');
  const body = `<p>${o.back}</p>
<p class="legend">${bytes(m.size)} of media: <span class="l-read"></span>read ${bytes(sum('read'))}<span class="l-bad"></span>unreadable ${bytes(sum('unreadable'))}<span class="l-unread"></span>not read yet ${bytes(sum('unread'))}</p>
<div${o.liveJob ? ` data-live-job="${esc(o.liveJob)}"` : ''}><canvas class="map" width="1024" height="256" aria-label="map of the media"></canvas></div>
<p><button type="button" id="map-out">Zoom out</button> <button type="button" id="map-all">Whole media</button> <small id="map-view"></small> <small>Click a square to zoom into it.</small></p>
<script type="application/json" id="map-data">${json}</script>
<h2>Unreadable ranges (${bad.length})</h2>${table(['First sector', 'Sectors', 'First byte', 'Last byte', 'Size'], rangeRows, ' id="unreadable"')}${bad.length > 5000 ? `<p>${bad.length - 5000} more in the mapfile.</p>` : ''}`;
  return page({ title: o.title, body, nav: '', actions: v.actions });
}
