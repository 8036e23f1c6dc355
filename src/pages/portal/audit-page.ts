import type { AuditEventRecord } from '../../store/audit-events.js';
import { html, raw, type RawHtml } from '../layout.js';
import type { Language } from '../i18n.js';
import { AUDIT_STRINGS, type AuditStrings } from './audit-strings.js';
import { formatPortalTime } from './portal-time.js';

export function auditStrings(language: Language): AuditStrings {
  return AUDIT_STRINGS[language];
}

/** The actions the filter offers, in the strings' order. */
export const AUDIT_FILTER_ACTIONS = Object.keys(AUDIT_STRINGS.en.actions) as ReadonlyArray<keyof AuditStrings['actions']>;

/**
 * Keys whose values are never shown, whatever an event holds: recordAudit's writers never put
 * a secret in `details`, and this keeps one that slipped in off the page all the same.
 */
const SECRET_KEY = /api_?key|secret|password|token|signature/i;
const SECRET_VALUE = /\/portal\/set-password\/|^[0-9a-f]{32,}$/i;

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** An event's details as `key: value` lines, with anything that looks secret hidden. */
export function renderAuditDetails(details: string): RawHtml {
  let parsed: unknown;
  try {
    parsed = JSON.parse(details);
  } catch {
    return raw('');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return raw('');
  const items = Object.entries(parsed as Record<string, unknown>).map(([key, value]) => {
    const shown = SECRET_KEY.test(key) || SECRET_VALUE.test(describeValue(value)) ? '•••' : describeValue(value);
    return html`<li><span class="muted">${key}:</span> ${shown.length > 200 ? `${shown.slice(0, 200)}…` : shown}</li>`;
  });
  return items.length === 0 ? raw('') : html`<ul class="plain">${items}</ul>`;
}

/** The Audit log page's body: the filters, a page of events (newest first) and the pager. */
export function renderAuditBody(o: {
  s: AuditStrings;
  events: AuditEventRecord[];
  filters: { since: string; action: string };
  /** The query string of the next (older) page; undefined on the last page. */
  olderHref?: string;
  /** Whether this is a later page (offers a way back to the newest). */
  paged: boolean;
  badFilter: boolean;
}): RawHtml {
  const { s } = o;
  const actionName = (a: string) => (Object.hasOwn(s.actions, a) ? s.actions[a as keyof AuditStrings['actions']] : a);
  const options = AUDIT_FILTER_ACTIONS.map((a) => html`<option value="${a}"${raw(a === o.filters.action ? ' selected' : '')}>${s.actions[a]}</option>`);
  const rows = o.events.map(
    (e) =>
      html`<tr data-test="audit-event" data-action="${e.action}"><td>${formatPortalTime(Number(e.at))}</td><td>${e.actor}</td><td>${e.source}</td><td>${actionName(e.action)}</td><td>${e.target}</td><td>${renderAuditDetails(e.details)}</td></tr>`,
  );
  const pager =
    o.olderHref || o.paged
      ? html`<nav class="pager" aria-label="${s.title}">${o.paged ? html`<a class="button" href="/portal/audit${o.filters.since || o.filters.action ? `?${new URLSearchParams({ ...(o.filters.since ? { since: o.filters.since } : {}), ...(o.filters.action ? { action: o.filters.action } : {}) }).toString()}` : ''}">${s.newest}</a>` : raw('')}${o.olderHref ? html`<a class="button" href="/portal/audit?${o.olderHref}" data-test="older" rel="next">${s.older}</a>` : raw('')}</nav>`
      : raw('');
  return html`<h1>${s.title}</h1>${o.badFilter ? html`<p class="flash error" role="alert">${s.badFilter}</p>` : raw('')}<p class="muted">${s.intro}</p>
<form class="filters" method="get" action="/portal/audit" role="search">
<div class="field"><label for="audit-since">${s.since}</label><input id="audit-since" name="since" type="date" value="${o.filters.since}"></div>
<div class="field"><label for="audit-action">${s.action}</label><select id="audit-action" name="action"><option value="">${s.allActions}</option>${options}</select></div>
<div class="actions"><button class="button primary" type="submit">${s.apply}</button><a class="button" href="/portal/audit">${s.reset}</a></div></form>
<div class="table-wrap"><table class="table"><caption class="sr-only">${s.title}</caption><thead><tr><th scope="col">${s.time}</th><th scope="col">${s.who}</th><th scope="col">${s.from}</th><th scope="col">${s.action}</th><th scope="col">${s.subject}</th><th scope="col">${s.details}</th></tr></thead>
<tbody>${rows.length === 0 ? html`<tr><td colspan="6">${s.none}</td></tr>` : rows}</tbody></table></div>${pager}`;
}
