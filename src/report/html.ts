// Owns safe HTML building for the report page: a tagged template that escapes every interpolated
// value unless it is already Html, so a client-controlled string (a query name, a DHCP hostname)
// can only ever be text, never markup.

import { printable } from './format.js';

/** Markup that is already safe (built by `html` or `raw`). */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlPart = Html | string | number | boolean | null | undefined | readonly HtmlPart[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text (or an attribute value) escaped for HTML; control and invisible characters made visible. */
export function escapeHtml(s: string): string {
  return printable(s).replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

function part(p: HtmlPart): string {
  if (p === null || p === undefined || p === false || p === true) return '';
  if (p instanceof Html) return p.value;
  if (Array.isArray(p)) return (p as readonly HtmlPart[]).map(part).join('');
  return escapeHtml(String(p));
}

/** html`<p title="${x}">${y}</p>`: every value is escaped (attribute values must be quoted). */
export function html(strings: TemplateStringsArray, ...parts: HtmlPart[]): Html {
  let out = strings[0] as string;
  for (let i = 0; i < parts.length; i++) out += part(parts[i]) + (strings[i + 1] as string);
  return new Html(out);
}

/** Text a person typed (an ack note): escaped like any text, but its line breaks are kept. */
export function multiline(s: string): Html {
  return new Html(printable(s, { keepLineBreaks: true }).replace(/[&<>"']/g, (c) => ESCAPES[c] as string));
}

/** Trusted markup written by sinkd itself (the inline CSS and script). Never for data. */
export function raw(s: string): Html {
  return new Html(s);
}
