import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { can } from '../../../domain/portal-roles.js';
import { createPaymentLink, readPaymentLinkForm } from '../../../gateway/create-payment-link.js';
import { deactivatePaymentLink } from '../../../gateway/deactivate-payment-link.js';
import { qrcodePicOf } from '../../../gateway/invoice-answer.js';
import { findPaymentLink, listPaymentLinks, PAYMENT_LINKS_PAGE_SIZE } from '../../../gateway/list-payment-links.js';
import { portalActor, type PortalPrincipal } from '../../../gateway/portal/portal-principal.js';
import { listOrganisationWallets } from '../../../store/organisation-accounts.js';
import { html, type RawHtml } from '../../../pages/layout.js';
import { LINKS_STRINGS } from '../../../pages/portal/links-strings.js';
import { FOCUS_PROBLEMS_SCRIPT, renderPaymentLinkFormBody } from '../../../pages/portal/payment-link-form-page.js';
import { renderPaymentLinkBody } from '../../../pages/portal/payment-link-page.js';
import { renderPaymentLinksBody } from '../../../pages/portal/payment-links-page.js';
import { COPY_SCRIPT } from '../../../pages/portal/copy-script.js';
import { csrfField, portalLanguage, renderPortalPage } from '../../../pages/portal/portal-layout.js';
import { originOf } from '../../origin.js';
import { sendPage } from '../../security-headers.js';
import { requirePortal } from './portal-session.js';

/** What a redirect after an action tells the page it lands on (post/redirect/get). */
const DONE = ['created', 'deactivated', 'paid'] as const;
type Done = (typeof DONE)[number];

/** Invoice ids are `I` and 30 digits; anything else is not found without a query. */
const INVOICE_ID = /^I\d{30}$/;

/**
 * The portal's Payment links area (docs/portal.md#payment-links): the organisation's
 * invoices, made, listed and deactivated through the same use cases as `/v2/invoice`.
 * Reading needs `read`; creating and deactivating `manage_payment_links`. Every query is
 * scoped by the signed-in organisation: another's link answers 404.
 */
export async function portalPaymentLinksRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.gateway;

  const send = (request: FastifyRequest, reply: FastifyReply, status: number, title: string, body: RawHtml, script?: string) => {
    const principal = request.portal as PortalPrincipal;
    const page = renderPortalPage({ language: portalLanguage(request), principal, title, active: 'payment-links', body, scriptNonce: reply.cspNonce?.script, script });
    return sendPage(reply, status, page);
  };
  const notFound = (request: FastifyRequest, reply: FastifyReply) => {
    const t = LINKS_STRINGS[portalLanguage(request)];
    return send(request, reply, 404, t.title, html`<h1>${t.title}</h1><div class="card"><p>404</p><p><a href="/portal/payment-links">${t.back}</a></p></div>`);
  };
  const organisationOf = (request: FastifyRequest) => (request.portal as PortalPrincipal).organisationId as number;

  app.get<{ Querystring: { page?: string } }>('/portal/payment-links', { preHandler: requirePortal('read') }, async (request, reply) => {
    const language = portalLanguage(request);
    const page = /^\d{1,6}$/.test(request.query.page ?? '') ? Math.max(1, Number(request.query.page)) : 1;
    const { links, total } = await listPaymentLinks(ctx, organisationOf(request), page);
    const principal = request.portal as PortalPrincipal;
    const body = renderPaymentLinksBody({
      language,
      links,
      total,
      page,
      pageSize: PAYMENT_LINKS_PAGE_SIZE,
      canManage: principal.role !== 'operator' && can(principal.role, 'manage_payment_links'),
    });
    return send(request, reply, 200, LINKS_STRINGS[language].title, body, COPY_SCRIPT);
  });

  app.get('/portal/payment-links/new', { preHandler: requirePortal('manage_payment_links') }, async (request, reply) => {
    const language = portalLanguage(request);
    const wallets = await listOrganisationWallets(ctx.store.db, organisationOf(request));
    const body = renderPaymentLinkFormBody({ language, csrf: csrfField(request.portal as PortalPrincipal), wallets });
    return send(request, reply, 200, LINKS_STRINGS[language].newTitle, body);
  });

  app.post('/portal/payment-links/new', { preHandler: requirePortal('manage_payment_links') }, async (request, reply) => {
    const principal = request.portal as PortalPrincipal;
    const form = readPaymentLinkForm(request.body);
    const outcome = await createPaymentLink(ctx, organisationOf(request), form, portalActor(principal, originOf(request).address));
    if (outcome.ok) return reply.redirect(`/portal/payment-links/${outcome.invoiceId}?done=created`, 303);
    const language = portalLanguage(request);
    const wallets = await listOrganisationWallets(ctx.store.db, organisationOf(request));
    const body = renderPaymentLinkFormBody({ language, csrf: csrfField(principal), wallets, values: form, problems: outcome.problems });
    return send(request, reply, 422, LINKS_STRINGS[language].newTitle, body, FOCUS_PROBLEMS_SCRIPT);
  });

  app.get<{ Params: { id: string }; Querystring: { done?: string } }>('/portal/payment-links/:id', { preHandler: requirePortal('read') }, async (request, reply) => {
    if (!INVOICE_ID.test(request.params.id)) return notFound(request, reply);
    const link = await findPaymentLink(ctx, organisationOf(request), request.params.id);
    if (!link) return notFound(request, reply);
    const language = portalLanguage(request);
    const t = LINKS_STRINGS[language];
    const principal = request.portal as PortalPrincipal;
    const done = DONE.find((d) => d === request.query.done) as Done | undefined;
    const flash = done === undefined ? undefined : { created: { text: t.flashCreated }, deactivated: { text: t.flashDeactivated }, paid: { text: t.flashPaid, error: true } }[done];
    const body = renderPaymentLinkBody({
      language,
      csrf: csrfField(principal),
      link,
      qrcode: await qrcodePicOf(link.invoice_url),
      canManage: principal.role !== 'operator' && can(principal.role, 'manage_payment_links'),
      // The order's page in the Transactions area.
      orderHref: link.order_id === '' ? undefined : `/portal/orders/${encodeURIComponent(link.order_id)}`,
      flash,
    });
    return send(request, reply, 200, link.product_name || link.invoice_id, body, COPY_SCRIPT);
  });

  app.post<{ Params: { id: string } }>('/portal/payment-links/:id/deactivate', { preHandler: requirePortal('manage_payment_links') }, async (request, reply) => {
    if (!INVOICE_ID.test(request.params.id)) return notFound(request, reply);
    const principal = request.portal as PortalPrincipal;
    const outcome = await deactivatePaymentLink(ctx, organisationOf(request), request.params.id, portalActor(principal, originOf(request).address));
    if (outcome === 'not_found') return notFound(request, reply);
    return reply.redirect(`/portal/payment-links/${request.params.id}?done=${outcome}`, 303);
  });
}
