import type { FastifyInstance } from 'fastify';
import type { PortalPrincipal } from '../../../gateway/portal/portal-principal.js';
import { html } from '../../../pages/layout.js';
import { CORE_STRINGS } from '../../../pages/portal/core-strings.js';
import { portalLanguage, renderPortalPage } from '../../../pages/portal/portal-layout.js';
import { sendPage } from '../../security-headers.js';
import { requireOperator } from './portal-session.js';

/**
 * GET /portal/operator: where operators land, a plain list of organisations until the
 * operator area is built (that area replaces this file and its line in index.ts).
 */
export async function portalOperatorPlaceholderRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.gateway;
  app.get('/portal/operator', { preHandler: requireOperator() }, async (request, reply) => {
    const principal = request.portal as PortalPrincipal;
    const language = portalLanguage(request);
    const t = CORE_STRINGS[language];
    const organisations = await ctx.store.db.selectFrom('organisations').select(['id', 'name', 'active']).orderBy('id').limit(500).execute();
    const rows = organisations.map(
      (o) => html`<tr><td>${String(o.id)}</td><td>${o.name}</td><td>${Number(o.active) === 1 ? html`<span class="badge ok">${t.active}</span>` : html`<span class="badge bad">${t.disabled}</span>`}</td></tr>`,
    );
    const body = html`<h1>${t.operatorTitle}</h1>${
      rows.length === 0
        ? html`<p class="muted">${t.noOrganisations}</p>`
        : html`<div class="table-wrap"><table class="table"><thead><tr><th scope="col">${t.organisationId}</th><th scope="col">${t.organisationName}</th><th scope="col">${t.organisationStatus}</th></tr></thead><tbody>${rows}</tbody></table></div>`
    }`;
    return sendPage(reply, 200, renderPortalPage({ language, principal, title: t.operatorTitle, active: 'operator', body }));
  });
}
