import type { FastifyInstance } from 'fastify';
import type { PortalPrincipal } from '../../../gateway/portal/portal-principal.js';
import { html } from '../../../pages/layout.js';
import { CORE_STRINGS, fillIn } from '../../../pages/portal/core-strings.js';
import { portalLanguage, renderPortalPage } from '../../../pages/portal/portal-layout.js';
import { sendPage } from '../../security-headers.js';
import { requirePortal } from './portal-session.js';

/** GET /portal: a placeholder until the dashboard is built (the dashboard area replaces this file). */
export async function portalDashboardRoutes(app: FastifyInstance): Promise<void> {
  app.get('/portal', { preHandler: requirePortal('read') }, async (request, reply) => {
    const principal = request.portal as PortalPrincipal;
    const language = portalLanguage(request);
    const t = CORE_STRINGS[language];
    const body = html`<h1>${t.dashboardTitle}</h1><div class="card"><p>${fillIn(t.dashboardPlaceholder, { email: principal.email })}</p></div>`;
    return sendPage(reply, 200, renderPortalPage({ language, principal, title: t.dashboardTitle, active: 'dashboard', body }));
  });
}
