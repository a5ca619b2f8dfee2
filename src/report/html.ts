// The page shell every report shares: escaping, the stylesheet, the sortable-table script and a
// Content-Security-Policy that lets the page load nothing at all (no network, no other file), so
// a report opened from disk or mailed around shows the same thing and cannot call home.
import { createHash } from 'node:crypto';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for element content or a double-quoted attribute: stage names, param values and error
 * messages come from the user's config and must stay text. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

export function pngDataUri(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64')}`;
}

// Rows sort by a cell's data-sort value (else its text): numbers numerically, before text; empty
// cells last whichever way. Plain ES5 and no globals but the IIFE, so any browser runs it.
const SORT_SCRIPT = `(function () {
  function key(cell) {
    var v = cell.getAttribute('data-sort');
    if (v === null) v = cell.textContent;
    v = v.trim();
    if (v === '' || v === '-') return { empty: true };
    var n = Number(v);
    return isFinite(n) ? { n: n } : { s: v };
  }
  function compare(a, b) {
    if (a.empty || b.empty) return a.empty === b.empty ? 0 : a.empty ? 1 : -1;
    if ('n' in a && 'n' in b) return a.n - b.n;
    if ('n' in a) return -1;
    if ('n' in b) return 1;
    return a.s.localeCompare(b.s, undefined, { numeric: true });
  }
  function sortBy(table, col, th) {
    var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) heads[i].removeAttribute('aria-sort');
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (r, i) { return { r: r, k: key(r.cells[col]), i: i }; });
    rows.sort(function (a, b) {
      var c = compare(a.k, b.k);
      if (c !== 0 && !a.k.empty && !b.k.empty) c *= dir;
      return c || a.i - b.i;
    });
    rows.forEach(function (x) { body.appendChild(x.r); });
  }
  var tables = document.querySelectorAll('table.sortable');
  for (var t = 0; t < tables.length; t++) {
    (function (table) {
      var heads = table.tHead.rows[0].cells;
      for (var c = 0; c < heads.length; c++) {
        (function (th, col) {
          th.tabIndex = 0;
          th.addEventListener('click', function () { sortBy(table, col, th); });
          th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sortBy(table, col, th); } });
        })(heads[c], c);
      }
    })(tables[t]);
  }
})();`;

// The script is allowed by its hash, not by 'unsafe-inline': were markup ever injected, its
// scripts would not run.
const SCRIPT_HASH = `sha256-${createHash('sha256').update(SORT_SCRIPT).digest('base64')}`;
const CSP = `default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src '${SCRIPT_HASH}'; base-uri 'none'; form-action 'none'`;

export const MONO_FONT = '"DejaVu Sans Mono", Menlo, Consolas, monospace';

const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; padding: 16px 24px 48px; max-width: 1400px; color: #1b1f24; background: #fff; }
h1 { font-size: 20px; margin: 8px 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
code, .mono, td.num, .key { font-family: ${MONO_FONT}; font-size: 12.5px; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num { text-align: right; }
table.sortable th { cursor: pointer; user-select: none; }
table.variants th { font-size: 12.5px; }
table.sortable th.same { color: #8c959f; font-weight: 500; }
table.sortable th::after { content: " \\2195"; color: #8c959f; font-size: 11px; }
table.sortable th[aria-sort="ascending"]::after { content: " \\2191"; color: #1b1f24; }
table.sortable th[aria-sort="descending"]::after { content: " \\2193"; color: #1b1f24; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 8px 0; }
dl.meta dt { color: #57606a; }
dl.meta dd { margin: 0; }
.status { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; font-weight: 600; border: 1px solid transparent; }
.status-ok, .status-hit { background: #dafbe1; color: #116329; }
.status-miss { background: #ddf4ff; color: #0a3069; }
.status-failed { background: #ffebe9; color: #82071e; }
.status-skipped, .status-interrupted { background: #fff8c5; color: #6a4a00; }
.changed { font-weight: 700; }
.hint { color: #57606a; font-size: 12px; font-weight: 400; }
.error { color: #82071e; white-space: pre-wrap; font-family: ${MONO_FONT}; font-size: 12.5px; }
.stage { border: 1px solid #d0d7de; border-radius: 6px; padding: 4px 14px 8px; margin: 12px 0; }
.stage h3 { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.cols { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
figure { margin: 10px 0 18px; }
figcaption { color: #57606a; font-size: 13px; margin-top: 4px; max-width: 900px; }
img.picture { image-rendering: pixelated; image-rendering: crisp-edges; display: block; max-width: 100%; height: auto; border: 1px solid #d0d7de; }
.labels { display: flex; font-family: ${MONO_FONT}; font-size: 12px; text-align: center; line-height: 1.25; }
.labels > span { flex: 1 1 0; min-width: 0; overflow: hidden; }
.labels b { display: block; font-size: 14px; }
.plots { display: flex; flex-wrap: wrap; gap: 8px 20px; }
.plot svg { display: block; max-width: 100%; height: auto; }
.scroll { overflow-x: auto; }
table.pictures td { vertical-align: top; }
table.pictures img.picture { max-width: none; }
.note { color: #57606a; font-size: 13px; }
`;

/** A whole page; `body` is markup already escaped by its builder. */
export function page(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${esc(CSP)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${esc(title)}</title>`,
    // Without an icon of its own a browser asks the server for /favicon.ico.
    '<link rel="icon" href="data:,">',
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    body,
    `<script>${SORT_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

export function statusBadge(status: string): string {
  return `<span class="status status-${esc(status.replace(/[^a-z]/g, ''))}">${esc(status)}</span>`;
}

/** `<dl>` of label -> markup (already escaped). */
export function metaList(rows: Array<[string, string]>): string {
  return `<dl class="meta">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}
