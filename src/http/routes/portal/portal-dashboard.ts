import type { FastifyInstance } from 'fastify';
import type { PortalPrincipal } from '../../../gateway/portal/portal-principal.js';
import { readDashboard } from '../../../gateway/portal/read-dashboard.js';
import { renderDashboardBody } from '../../../pages/portal/dashboard-page.js';
import { DASHBOARD_STRINGS } from '../../../pages/portal/dashboard-strings.js';
import { portalLanguage, renderPortalPage } from '../../../pages/portal/portal-layout.js';
import { OrderDayTotals } from '../../../store/order-day-totals.js';
import { sendPage } from '../../security-headers.js';
import { requirePortal } from './portal-session.js';

/** GET /portal: the dashboard (docs/portal.md#dashboard), for every role of an organisation. */
export async function portalDashboardRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.gateway;
  const totals = new OrderDayTotals(ctx.store.db, ctx.config.timeZoneOffsetMinutes);
  app.get('/portal', { preHandler: requirePortal('read') }, async (request, reply) => {
    const principal = request.portal as PortalPrincipal;
    const language = portalLanguage(request);
    const dashboards = await readDashboard(ctx, totals, principal.organisationId as number);
    const body = renderDashboardBody({ language, offsetMinutes: ctx.config.timeZoneOffsetMinutes, dashboards });
    return sendPage(reply, 200, renderPortalPage({ language, principal, title: DASHBOARD_STRINGS[language].title, active: 'dashboard', body }));
  });
}
