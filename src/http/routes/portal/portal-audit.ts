import type { FastifyInstance } from 'fastify';
import type { PortalPrincipal } from '../../../gateway/portal/portal-principal.js';
import { listOrganisationAuditEvents, type AuditCursor } from '../../../store/audit-events.js';
import { AUDIT_FILTER_ACTIONS, auditStrings, renderAuditBody } from '../../../pages/portal/audit-page.js';
import { portalLanguage, renderPortalPage } from '../../../pages/portal/portal-layout.js';
import { sendPage } from '../../security-headers.js';
import { requirePortal } from './portal-session.js';

/** Events on one page of the audit log. */
export const AUDIT_PAGE_SIZE = 50;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const CURSOR = /^(\d{1,16})\.(\d{1,18})$/;

/** `YYYY-MM-DD` as the start of that day in UTC (the table's times are UTC); undefined when it is no date. */
function parseDay(text: string): number | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(ms).toISOString().slice(0, 10) === text ? ms : undefined;
}

function parseCursor(text: string): AuditCursor | undefined {
  const m = CURSOR.exec(text);
  return m ? { at: Number(m[1]), id: Number(m[2]) } : undefined;
}

/**
 * GET /portal/audit?since=&action=&cursor= (owner, admin: `view_audit`): the organisation's
 * audit events, newest first, a page at a time. Only events recorded under the organisation
 * (its portal users' actions, its API users' refunds and cancels, operators' actions on it);
 * a filter it cannot read is left out and said so.
 */
export async function portalAuditRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.gateway;
  app.get<{ Querystring: { since?: string; action?: string; cursor?: string } }>('/portal/audit', { preHandler: requirePortal('view_audit') }, async (request, reply) => {
    const principal = request.portal as PortalPrincipal;
    const language = portalLanguage(request);
    const s = auditStrings(language);
    const query = request.query;
    let badFilter = false;
    const sinceText = typeof query.since === 'string' ? query.since.trim() : '';
    const since = sinceText ? parseDay(sinceText) : undefined;
    if (sinceText && since === undefined) badFilter = true;
    const actionText = typeof query.action === 'string' ? query.action : '';
    const action = (AUDIT_FILTER_ACTIONS as readonly string[]).includes(actionText) ? actionText : undefined;
    if (actionText && action === undefined) badFilter = true;
    const cursorText = typeof query.cursor === 'string' ? query.cursor : '';
    const after = cursorText ? parseCursor(cursorText) : undefined;
    if (cursorText && after === undefined) badFilter = true;

    const rows = await listOrganisationAuditEvents(ctx.store.db, { organisationId: principal.organisationId as number, limit: AUDIT_PAGE_SIZE + 1, since, action, after });
    const events = rows.slice(0, AUDIT_PAGE_SIZE);
    const last = events[events.length - 1];
    const filters = { since: since === undefined ? '' : sinceText, action: action ?? '' };
    const olderHref =
      rows.length > AUDIT_PAGE_SIZE && last
        ? new URLSearchParams({ ...(filters.since ? { since: filters.since } : {}), ...(filters.action ? { action: filters.action } : {}), cursor: `${Number(last.at)}.${Number(last.id)}` }).toString()
        : undefined;
    const body = renderAuditBody({ s, events, filters, olderHref, paged: after !== undefined, badFilter });
    return sendPage(reply, 200, renderPortalPage({ language, principal, title: s.title, active: 'audit', body }));
  });
}
