// Owns `sinkd report --format html`: ONE self-contained page for an incident responder. Nothing is
// fetched (no external script, font, image or stylesheet; a Content-Security-Policy with hashes
// of the one inline <style> and <script> forbids everything else, so even a markup-injection bug
// could not run code or call out). Everything is rendered on the server side: the page is whole
// with JavaScript off; the script only adds sorting to the client table.
//
// Layout: summary (counts, window, verdict rule, dropped hits; #truncated when clients were left
// out) → table#clients, one tr.client per client (data-client, data-verdict, data-handled and the
// sort keys) → one section.client-detail per client (verdict and why, identity, names, families,
// ack, svg.timeline). A big report lists only its MAX_TABLE_ROWS most urgent clients and details
// the first MAX_DETAILS of them (a row without details has no link).
//
// Sorting: click a column header (client, verdict, hits, first seen, last seen); click again to
// reverse. A page opened as report.html#sort=hits:asc starts sorted that way (keys: client,
// verdict, hits, minutes, first, last).

import { createHash } from 'node:crypto';
import type { NameStat, Report, ReportClient } from '../infected/model.js';
import { countsText, droppedText, malformedText, sourcesOf, splitNames, localDateTime, localShort, ruleSentence, windowText, zoneLabel, type TimeOptions } from './format.js';
import { html, multiline, raw, type Html } from './html.js';
import { timeAxis, timelineSvg } from './timeline-svg.js';

export interface HtmlOptions extends TimeOptions {
  /** Table rows at most (the most urgent clients, in report order); default MAX_TABLE_ROWS. */
  readonly maxRows?: number;
  /** Details sections (with timelines) at most, for the first rows; default MAX_DETAILS. */
  readonly maxDetails?: number;
}

/**
 * A page a browser can open: a 100,000-client report drawn in full was about half a gigabyte. It lists the
 * most urgent clients (the report's order: likely-infected first, most hits first) and details
 * the first of those; the summary counts always cover every client, and a note says how many
 * were left out and how to narrow the report (or get every client as JSON / CSV).
 */
export const MAX_TABLE_ROWS = 2000;
export const MAX_DETAILS = 200;

/** Names listed in a client's table row; the details section lists up to MAX_DETAIL_NAMES. */
const TOP_NAMES = 3;
const MAX_DETAIL_NAMES = 200;

const STYLE = `
:root{--fg:#1b1f24;--muted:#57606a;--bg:#fff;--panel:#f6f8fa;--line:#d0d7de;--red:#b42318;--red-bg:#fde8e7;
--amber:#8a5a00;--amber-bg:#fff4d6;--green:#1a7f37;--green-bg:#dcf5e3;--bar:#c4302b;--link:#0b5cad}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans",Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1240px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:36px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:17px;margin:0;display:flex;flex-wrap:wrap;gap:8px 12px;align-items:baseline}
a{color:var(--link)}
.meta{color:var(--muted);margin:0 0 18px}
.mono,code,.ip{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.93em}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:0 0 18px;padding:0;list-style:none}
.card{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:150px}
.card b{display:block;font-size:28px;line-height:1.2}
.card.infected b{color:var(--red)}.card.handled b{color:var(--green)}
.rule{background:var(--panel);border-left:4px solid var(--link);padding:10px 14px;margin:0 0 14px;border-radius:0 6px 6px 0}
.rule p{margin:4px 0}
.warn{background:var(--amber-bg);color:var(--amber);border-left:4px solid var(--amber);padding:10px 14px;border-radius:0 6px 6px 0;font-weight:600}
.warn p{margin:4px 0}.warn code{font-weight:400}
.empty{font-size:18px;padding:18px;background:var(--panel);border-radius:8px}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%}
caption{caption-side:top;text-align:left;color:var(--muted);font-size:13px;padding:0 0 6px}
th,td{text-align:left;vertical-align:top;padding:8px 10px;border-bottom:1px solid var(--line)}
th{background:var(--panel);font-size:13px;text-transform:uppercase;letter-spacing:.03em;color:var(--muted);white-space:nowrap;position:sticky;top:0}
td.num,th.num{text-align:right}
td{overflow-wrap:anywhere}
td.when{white-space:nowrap}
tr.client:nth-child(even) td{background:#fbfcfd}
tr.client.likely-infected:not(.handled) td:first-child{box-shadow:inset 4px 0 0 var(--red)}
th button{all:inherit;cursor:pointer;padding:0;display:inline-flex;gap:4px}
th button:focus-visible{outline:2px solid var(--link);outline-offset:2px}
th[aria-sort=ascending] button::after{content:"\\25B2"}th[aria-sort=descending] button::after{content:"\\25BC"}
.sub{display:block;color:var(--muted);font-size:13px}
.badge{display:inline-block;padding:1px 9px;border-radius:999px;font-size:13px;font-weight:600;white-space:nowrap;border:1px solid transparent}
.badge.likely-infected{background:var(--red-bg);color:var(--red);border-color:#f4b7b2}
.badge.single-contact{background:var(--amber-bg);color:var(--amber);border-color:#f0d48a}
.badge.handled{background:var(--green-bg);color:var(--green);border-color:#9fd8ae}
ul.names{margin:0;padding:0;list-style:none}
ul.names li{overflow-wrap:anywhere}
ul.names li.other{color:#666}
.cat{font-size:.8em;text-transform:uppercase;border:1px solid #999;border-radius:3px;padding:0 3px}
.more{color:var(--muted);font-size:13px}
section.client-detail{border:1px solid var(--line);border-radius:10px;padding:16px 20px;margin:0 0 18px;scroll-margin-top:12px}
section.client-detail.likely-infected:not(.handled){border-left:5px solid var(--red)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:6px 18px;margin:14px 0}
dl.facts dt{color:var(--muted);font-weight:600}dl.facts dd{margin:0;overflow-wrap:anywhere}
table.names-table{width:auto;min-width:50%;margin:4px 0 12px}
table.names-table th{position:static}
svg.timeline{display:block;width:100%;height:auto;margin-top:6px}
svg.timeline .bar{fill:var(--bar)}svg.timeline .axis{stroke:#57606a;stroke-width:1.2}
svg.timeline .grid{stroke:#e6e9ed;stroke-dasharray:3 3}svg.timeline .tick{stroke:#57606a}
svg.timeline .ack line{stroke:var(--green);stroke-width:2;stroke-dasharray:5 3}
svg.timeline text{font:12px system-ui,sans-serif;fill:#57606a}svg.timeline .unit{font-style:italic}
.note{white-space:pre-line}
.back{font-size:13px}
footer{margin-top:36px;color:var(--muted);font-size:13px}
@media print{th{position:static}section.client-detail{break-inside:avoid}.back{display:none}}
`;

// Tiny, vanilla, no globals: turns each sortable header into a button and sorts tbody rows by the
// row's data-sort-<key> attribute (numeric when th[data-type=num]); ties keep the report's order.
const SCRIPT = `
(function () {
  var table = document.getElementById('clients');
  if (!table) return;
  var body = table.tBodies[0];
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells).filter(function (th) { return th.hasAttribute('data-sort'); });
  function sortBy(key, dir) {
    var th = heads.filter(function (h) { return h.getAttribute('data-sort') === key; })[0];
    if (!th) return;
    var num = th.getAttribute('data-type') === 'num';
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.getAttribute('data-sort-' + key), y = b.getAttribute('data-sort-' + key);
      var r = num ? Number(x) - Number(y) : (x < y ? -1 : x > y ? 1 : 0);
      return (dir === 'descending' ? -r : r) || Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index'));
    });
    rows.forEach(function (tr) { body.appendChild(tr); });
    heads.forEach(function (h) { h.setAttribute('aria-sort', h === th ? dir : 'none'); });
  }
  heads.forEach(function (th) {
    var button = document.createElement('button');
    button.type = 'button';
    while (th.firstChild) button.appendChild(th.firstChild);
    th.appendChild(button);
    button.addEventListener('click', function () {
      var now = th.getAttribute('aria-sort');
      var dir = now === 'ascending' ? 'descending' : now === 'descending' ? 'ascending' : th.getAttribute('data-first') || 'ascending';
      sortBy(th.getAttribute('data-sort'), dir);
    });
  });
  table.setAttribute('data-sortable', 'true');
  var m = /^#sort=([a-z]+)(?::(asc|desc))?$/.exec(location.hash);
  if (m) {
    var first = heads.filter(function (h) { return h.getAttribute('data-sort') === m[1]; })[0];
    sortBy(m[1], m[2] === 'asc' ? 'ascending' : m[2] === 'desc' ? 'descending' : (first && first.getAttribute('data-first')) || 'ascending');
  }
})();
`;

function sha256(s: string): string {
  return `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
}

/** The page's Content-Security-Policy: nothing but its own inline style and script. */
export const CONTENT_SECURITY_POLICY =
  `default-src 'none'; style-src ${sha256(STYLE)}; script-src ${sha256(SCRIPT)}; ` +
  `img-src 'none'; font-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'`;

/**
 * Sort key for an address: "4:192.168.001.023" / "6:2001:0db8:0000:...": IPv4 before IPv6, each in
 * numeric order; anything else after both, as written.
 */
export function addressSortKey(address: string): string {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (v4) return `4:${v4.slice(1).map((o) => o.padStart(3, '0')).join('.')}`;
  const v6 = expandIpv6(address);
  if (v6 !== null) return `6:${v6}`;
  return `9:${address}`;
}

function expandIpv6(address: string): string | null {
  let a = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a);
  if (dotted) {
    const o = dotted.slice(2).map(Number);
    if (o.some((n) => n > 255)) return null;
    a = `${dotted[1]}${((o[0] as number) * 256 + (o[1] as number)).toString(16)}:${((o[2] as number) * 256 + (o[3] as number)).toString(16)}`;
  }
  const halves = a.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 2 && fill < 1) || (halves.length === 1 && fill !== 0)) return null;
  const all = [...head, ...new Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return all.map((g) => g.padStart(4, '0')).join(':');
}

/** Verdict sort rank: unhandled likely-infected first, then handled, then single contacts. */
function verdictRank(c: ReportClient): number {
  return (c.verdict === 'likely-infected' ? 0 : 2) + (c.handled ? 1 : 0);
}

function badges(c: ReportClient): Html {
  return html`<span class="badge ${c.verdict}">${c.verdict}</span>${c.handled ? html` <span class="badge handled">handled</span>` : ''}`;
}

function identity(c: ReportClient): Html {
  const who = [c.hostname, c.mac].filter((x): x is string => x !== undefined && x !== '');
  return html`${who.length > 0 ? html`<span class="sub">${who.join(' · ')}</span>` : ''}${
    c.subnets !== undefined && c.subnets.length > 0
      ? html`<span class="sub">resolver for ${c.subnets.join(', ')}</span>`
      : c.seizedZones !== undefined
        ? html`<span class="sub">resolver (asked the seized ${c.seizedZones.join(', ')})</span>`
        : ''
  }`;
}

/** Counted names first, then those on ads/tracking/other lists, marked with their category. */
function nameItem(n: NameStat): Html {
  return n.category !== undefined && n.category !== 'malware'
    ? html`<li class="other"><span class="cat">${n.category}</span> <span class="mono">${n.name}</span> (${n.hits})</li>`
    : html`<li><span class="mono">${n.name}</span> (${n.hits})</li>`;
}

/** The names of one client; Category and Sources columns when the hits were recorded with them. */
function namesTable(id: string, caption: string, names: readonly NameStat[]): Html {
  const shown = names.slice(0, MAX_DETAIL_NAMES);
  const lists = names.some((n) => n.category !== undefined || (n.sources !== undefined && n.sources.length > 0));
  const row = (n: NameStat) =>
    lists
      ? html`<tr><td class="mono">${n.name}</td><td>${n.family ?? ''}</td><td>${n.category ?? ''}</td><td>${(n.sources ?? []).join(', ')}</td><td class="num">${n.hits}</td></tr>`
      : html`<tr><td class="mono">${n.name}</td><td>${n.family ?? ''}</td><td class="num">${n.hits}</td></tr>`;
  return html`<table class="names-table" id="${id}"><caption>${caption} (${names.length})</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Family</th>${lists ? raw('<th scope="col">Category</th><th scope="col">Sources</th>') : ''}<th scope="col" class="num">Hits</th></tr></thead>
<tbody>${shown.map(row)}</tbody>
</table>${names.length > shown.length ? html`<p class="more">and ${names.length - shown.length} more names (see the JSON report)</p>` : ''}`;
}

function clientRow(report: Report, c: ReportClient, i: number, detailed: boolean, opts: HtmlOptions): Html {
  const split = splitNames(c);
  const ordered = [...split.counted, ...split.other];
  const names = ordered.slice(0, TOP_NAMES);
  const more = ordered.length - names.length;
  return html`<tr class="client ${c.verdict}${c.handled ? ' handled' : ''}" data-index="${i}" data-client="${c.client}" data-verdict="${c.verdict}" data-handled="${String(c.handled)}" data-sort-client="${addressSortKey(c.client)}" data-sort-verdict="${verdictRank(c)}" data-sort-hits="${c.hits}" data-sort-minutes="${c.distinctMinutes}" data-sort-first="${c.firstSeen}" data-sort-last="${c.lastSeen}">
<td>${detailed ? html`<a class="ip" href="#client-${i + 1}">${c.client}</a>` : html`<span class="ip">${c.client}</span>`}${identity(c)}</td>
<td>${badges(c)}</td>
<td class="num">${c.hits}</td>
<td class="num">${c.distinctMinutes}</td>
<td class="when"><time datetime="${c.firstSeen}">${localShort(c.firstSeen, report.generatedAt, opts)}</time></td>
<td class="when"><time datetime="${c.lastSeen}">${localShort(c.lastSeen, report.generatedAt, opts)}</time></td>
<td>${c.families.length > 0 ? c.families.join(', ') : html`<span class="more">unknown</span>`}</td>
<td><ul class="names">${names.map(nameItem)}${
    more > 0 ? html`<li class="more">+${more} more</li>` : ''
  }</ul></td>
</tr>`;
}

function clientDetail(report: Report, c: ReportClient, i: number, axis: ReturnType<typeof timeAxis>, opts: HtmlOptions): Html {
  const id = `client-${i + 1}`;
  const split = splitNames(c);
  const sources = sourcesOf(c.names);
  const who = [c.hostname ? html`hostname <span class="mono">${c.hostname}</span>` : '', c.mac ? html`MAC <span class="mono">${c.mac}</span>` : '']
    .filter((x) => x !== '');
  return html`<section class="client-detail ${c.verdict}${c.handled ? ' handled' : ''}" id="${id}" data-client="${c.client}" aria-labelledby="${id}-h">
<h3 id="${id}-h"><span class="ip">${c.client}</span>${c.hostname ? html` <span class="sub">${c.hostname}</span>` : ''} ${badges(c)}</h3>
<dl class="facts">
<dt>Why</dt><dd>${c.reason}</dd>
<dt>Hits</dt><dd>${
    c.otherHits !== undefined && c.otherHits > 0
      ? html`${c.hits}, of which ${c.otherHits} on ads/tracking/other lists (not counted toward the verdict); the others in ${c.distinctMinutes} distinct minute${c.distinctMinutes === 1 ? '' : 's'}`
      : html`${c.hits} in ${c.distinctMinutes} distinct minute${c.distinctMinutes === 1 ? '' : 's'}`
  }${c.unnamedHits !== undefined && c.unnamedHits > 0 ? html`; ${c.unnamedHits} on names not kept (the store keeps a bounded number of names per client)` : ''}</dd>
<dt>Seen</dt><dd><time datetime="${c.firstSeen}">${localDateTime(c.firstSeen, opts)}</time> to <time datetime="${c.lastSeen}">${localDateTime(c.lastSeen, opts)}</time></dd>
${who.length > 0 ? html`<dt>Identity</dt><dd>${who.map((w, k) => (k === 0 ? w : html`, ${w}`))} (DHCP lease)</dd>` : ''}
${c.seizedZones !== undefined ? html`<dt>Seized zones asked</dt><dd>${c.seizedZones.map((z, k) => html`${k > 0 ? ', ' : ''}<span class="mono">${z}</span>`)} (sinkd answered as their authority: this client is a recursive resolver; the infected hosts are among its users${c.subnets !== undefined && c.subnets.length > 0 ? ', in the subnets below' : ''})</dd>` : ''}
${c.subnets !== undefined && c.subnets.length > 0 ? html`<dt>Resolver for</dt><dd>${c.subnets.map((s, k) => html`${k > 0 ? ', ' : ''}<span class="mono">${s}</span>`)} (EDNS Client Subnet: the infected hosts are behind this resolver)</dd>` : ''}
<dt>Families</dt><dd>${c.families.length > 0 ? c.families.join(', ') : 'unknown'}</dd>
${sources.length > 0 ? html`<dt>Lists</dt><dd>${sources.join(', ')}</dd>` : ''}
${c.ack !== undefined ? html`<dt>Handled</dt><dd>${c.handled ? 'marked handled' : 'marked handled, but seen again since'} <time datetime="${c.ack.at}">${localDateTime(c.ack.at, opts)}</time>${c.ack.note ? html`: <q class="note">${multiline(c.ack.note)}</q>` : ''}</dd>` : ''}
</dl>
${split.counted.length > 0 || split.other.length === 0 ? namesTable(`${id}-names`, 'Names asked', split.counted) : ''}
${split.other.length > 0 ? namesTable(`${id}-other-names`, 'Names on ads/tracking/other lists, not counted toward the verdict', split.other) : ''}
${timelineSvg(report, c, axis, `${id}-timeline`, opts)}
<p class="back"><a href="#clients">Back to the client table</a></p>
</section>`;
}

/** What the page leaves out, and how to see it; nothing when it shows every client. */
function capNote(total: number, rows: number, details: number): Html | '' {
  if (rows >= total && details >= total) return '';
  const listed =
    rows < total
      ? html`the table lists the <strong>${rows} most urgent of ${total} clients</strong> (likely-infected first, then most hits): <strong>${total - rows} clients are left out</strong>`
      : html`the table lists all ${total} clients`;
  return html`<div class="warn" id="truncated" role="note"><p>Only part of this report is on the page: ${listed}; details and timelines are shown for the first ${details}. The counts above cover all ${total} clients.</p>
<p>To see the others, narrow the report: <code>sinkd report --format html --verdict likely-infected</code>, <code>--since 24h</code> (a shorter window) or <code>--client IP</code> (one host); or get every client with <code>--format json</code> or <code>--format csv</code>.</p></div>`;
}

/** The report as one self-contained HTML page. */
export function renderHtml(report: Report, opts: HtmlOptions = {}): string {
  const s = report.summary;
  const zone = zoneLabel(report.generatedAt, opts);
  const dropped = droppedText(report);
  const malformed = malformedText(report);
  const axis = timeAxis(report);
  const title = `sinkd report: ${s.likelyInfected} likely-infected host${s.likelyInfected === 1 ? '' : 's'}, ${localDateTime(report.generatedAt, opts)} ${zone}`;
  const total = report.clients.length;
  const rows = report.clients.slice(0, Math.max(0, Math.min(total, opts.maxRows ?? MAX_TABLE_ROWS)));
  const details = rows.slice(0, Math.max(0, opts.maxDetails ?? MAX_DETAILS));
  const sortable = (key: string, label: string, first: 'ascending' | 'descending', num: boolean) =>
    html`<th scope="col" data-sort="${key}" data-first="${first}"${raw(num ? ' data-type="num" class="num"' : '')}${raw(key === 'verdict' ? ' aria-sort="ascending"' : '')}>${label}</th>`;

  const table =
    report.clients.length === 0
      ? html`<p class="empty" id="no-hits">No sinkhole hits in this window.</p>`
      : html`<div class="table-wrap"><table id="clients">
<caption>${
          rows.length < total
            ? `The ${rows.length} most urgent of ${total} clients (see the note above); click a column header to sort them.`
            : `${total} client${total === 1 ? '' : 's'}, most urgent first; click a column header to sort.`
        }</caption>
<thead><tr>${sortable('client', 'Client', 'ascending', false)}${sortable('verdict', 'Verdict', 'ascending', false)}${sortable('hits', 'Hits', 'descending', true)}${raw('<th scope="col" class="num" title="Distinct minutes with hits">Minutes</th>')}${sortable('first', 'First seen', 'descending', false)}${sortable('last', 'Last seen', 'descending', false)}${raw('<th scope="col">Families</th><th scope="col">Top names</th>')}</tr></thead>
<tbody>
${rows.map((c, i) => clientRow(report, c, i, i < details.length, opts))}
</tbody>
</table></div>`;

  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${raw(CONTENT_SECURITY_POLICY)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${raw(STYLE)}</style>
</head>
<body>
<main>
<header>
<h1>Infected-host report</h1>
<p class="meta">Generated <time datetime="${report.generatedAt}">${localDateTime(report.generatedAt, opts)}</time> by sinkd · window: ${windowText(report, opts)} · times in ${zone}</p>
</header>
<section id="summary" aria-label="Summary">
<ul class="cards">
<li class="card infected"><b>${s.likelyInfected}</b>likely infected</li>
<li class="card"><b>${s.singleContact}</b>single contact</li>
<li class="card handled"><b>${s.handled}</b>handled</li>
<li class="card"><b>${s.clients}</b>clients</li>
<li class="card"><b>${s.hits}</b>sinkhole hits</li>
</ul>
<div class="rule" id="rule"><p><strong>Verdict rule:</strong> ${ruleSentence(report.rule)}</p>${
    report.rule.explanation ? html`<p>${report.rule.explanation}</p>` : ''
  }<p class="sub">${countsText(report)}. A handled host was marked by a responder and has not been seen since.</p></div>
${dropped !== null ? html`<p class="warn" id="dropped" role="alert">${dropped}</p>` : ''}
${malformed !== null ? html`<p class="warn" id="malformed" role="alert">${malformed}</p>` : ''}
${capNote(total, rows.length, details.length)}
</section>
<section aria-labelledby="clients-h">
<h2 id="clients-h">Clients</h2>
${table}
</section>
${
  report.clients.length > 0
    ? html`<section id="details" aria-labelledby="details-h">
<h2 id="details-h">Details and timelines</h2>
${details.length < total ? html`<p class="more" id="details-note">Details for the first ${details.length} of ${total} clients in the table order; narrow the report (see the note above) for the others.</p>` : ''}
${details.map((c, i) => clientDetail(report, c, i, axis, opts))}
</section>`
    : ''
}
<footer>Self-contained page: it loads nothing from the network. Query names and host names are shown exactly as recorded, with control characters as \\DDD.</footer>
</main>
<script>${raw(SCRIPT)}</script>
</body>
</html>
`;
  return page.value;
}
