/** The dashboard's HTML: escaping, the page frame, and the few shapes every page uses. */
import { formatBytes, formatDuration } from '../core/units.js';

/** Text for HTML: every character that could open markup or end an attribute is escaped. */
export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A path segment of a link, made from a value the store holds. */
export function seg(v: string | number): string {
  return encodeURIComponent(String(v));
}

export function page(o: { title: string; body: string; nav: 'jobs' | 'cases' | ''; actions: boolean }): string {
  const link = (href: string, name: string, on: boolean): string => `<a href="${href}"${on ? ' aria-current="page"' : ''}>${name}</a>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(o.title)} · exhibit</title><link rel="stylesheet" href="/static/style.css"><script src="/static/app.js" defer></script></head>
<body><header><span class="brand">exhibit</span><nav>${link('/', 'Jobs', o.nav === 'jobs')}${link('/cases', 'Cases', o.nav === 'cases')}</nav>
<span class="mode">${o.actions ? 'actions allowed' : 'read-only'}</span></header>
<main><h1>${esc(o.title)}</h1>
${o.body}</main></body></html>`;
}

export function table(head: string[], rows: string[][], attrs = ''): string {
  if (rows.length === 0) return '<p class="none">None.</p>';
  return `<table${attrs}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n')}</tbody></table>`;
}

export function bytes(n: number | null | undefined): string {
  return typeof n === 'number' ? esc(formatBytes(n)) : '';
}

export function duration(s: number | undefined): string {
  return s === undefined ? '' : esc(formatDuration(s));
}

/** A time as stored (UTC, ISO 8601), shown without its milliseconds. */
export function when(utc: string | null | undefined): string {
  return utc ? `<time datetime="${esc(utc)}">${esc(utc.replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/Z$/, ' UTC'))}</time>` : '';
}

/** A hash or fingerprint in groups of 8, so it can be read aloud and compared. */
export function hex(h: string | null | undefined): string {
  return h ? `<code class="hash">${esc(h.replace(/(.{8})(?=.)/g, '$1 '))}</code>` : '';
}

export function badge(ok: boolean, yes: string, no: string): string {
  return ok ? `<span class="ok">${esc(yes)}</span>` : `<span class="bad">${esc(no)}</span>`;
}

export const STYLE = `
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,sans-serif;color:#1b1f24;background:#f6f7f9}
header{display:flex;gap:1.5em;align-items:center;padding:.6em 1.2em;background:#1f2a37;color:#fff}
header a{color:#cfd8e3;text-decoration:none;margin-right:1em}header a[aria-current]{color:#fff;font-weight:600}
.brand{font-weight:700;letter-spacing:.04em}.mode{margin-left:auto;font-size:12px;opacity:.8}
main{padding:1em 1.5em;max-width:1400px}h1{font-size:20px;margin:.3em 0 .8em}h2{font-size:16px;margin:1.4em 0 .5em}
table{border-collapse:collapse;background:#fff;width:100%;margin-bottom:1em}th,td{padding:.35em .6em;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}
th{background:#eef1f4;font-weight:600;font-size:12px;text-transform:uppercase;letter-spacing:.03em}
td.num{text-align:right;font-variant-numeric:tabular-nums}code.hash{font-size:12px;word-break:break-all}
.ok{color:#0a6b2d;font-weight:600}.bad{color:#b00020;font-weight:700}.warn{color:#8a5a00;font-weight:600}.none{color:#667}
.problems{background:#fff0f0;border:1px solid #e5a0a0;padding:.6em 1em}.checking{background:#fffbe6;border:1px solid #e6d38a;padding:.6em 1em}
progress{width:7em;vertical-align:middle}.l-read{background:#2e9d4f}.l-bad{background:#d0142c}.l-unread{background:#c9ced6}
canvas.map{border:1px solid #c9ced6;background:#fff;image-rendering:pixelated;cursor:zoom-in;max-width:100%}
.legend span{display:inline-block;width:1em;height:1em;vertical-align:middle;margin:0 .3em 0 1em}
form.inline{display:inline}button{font:inherit;padding:.3em .8em}
`;
