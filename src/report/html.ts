/**
 * report.html: the report's blocks (document.ts) as one self-contained page beside report.md, with
 * the same numbers. Pictures are embedded as data: URIs (an SVG inside <img> cannot run script),
 * tables sort on a click of their header by a few lines of inline script written here, and a
 * Content-Security-Policy allows nothing else: no network, no other script (the inline one is
 * allowed by its SHA-256), no plugins, no forms. Opens from a file, an e-mail or an artifact store.
 */
import { createHash } from 'node:crypto';
import { htmlText, toHtmlBody, type Block, type ImageSource } from './document.js';

/** Sorts a table by the clicked column: numbers by value (the first number in the cell), text otherwise; a second click reverses. */
const SORT_SCRIPT = `document.querySelectorAll('table.sortable th').forEach(function (th) {
  th.tabIndex = 0;
  var sort = function () {
    var table = th.closest('table'), body = table.tBodies[0], col = th.cellIndex;
    var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
    table.querySelectorAll('th').forEach(function (x) { x.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    var key = function (row) {
      var text = row.cells[col] ? row.cells[col].textContent : '';
      var m = text.match(/[-+]?\\d+(\\.\\d+)?(e[-+]?\\d+)?/i);
      return m ? parseFloat(m[0]) : text.toLowerCase();
    };
    Array.prototype.slice.call(body.rows).sort(function (a, b) {
      var x = key(a), y = key(b);
      if (typeof x !== typeof y) return (typeof x === 'number' ? -1 : 1) * dir;
      return (x < y ? -1 : x > y ? 1 : 0) * dir;
    }).forEach(function (row) { body.appendChild(row); });
  };
  th.addEventListener('click', sort);
  th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); } });
});`;

const STYLE = `body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#1b1b1b}
h1,h2,h3{line-height:1.2}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:14px;display:block;overflow-x:auto}
th,td{border:1px solid #ccc;padding:.25em .6em;vertical-align:top}th{background:#f3f3f3;cursor:pointer;text-align:left}
th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}code{background:#f3f3f3;padding:0 .2em;border-radius:3px;word-break:break-all}
blockquote{margin:.5em 0;padding:.2em 1em;border-left:4px solid #ccc;color:#444}
figure{margin:1em 0}img{max-width:100%;height:auto}figcaption{color:#555;font-size:14px}`;

export function scriptHash(script: string = SORT_SCRIPT): string {
  return `sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}`;
}

/** The page: every image through `images` (a data: URI, or null to leave it out). */
export function renderReportHtml(blocks: readonly Block[], images: ImageSource, title = 'segloss report'): string {
  const csp = `default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src '${scriptHash()}'; base-uri 'none'; form-action 'none'`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${htmlText(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    toHtmlBody(blocks, images),
    `<script>${SORT_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
