import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { can } from '../../../domain/portal-roles.js';
import { parseTransactionFilter, type FilterProblem, type ParsedFilter } from '../../../domain/transaction-filter.js';
import { exportTransactionsCsv } from '../../../gateway/portal/export-transactions.js';
import { listTransactionPage } from '../../../gateway/portal/list-transactions.js';
import { describeOrderTimeline, findOrganisationOrder } from '../../../gateway/portal/order-timeline.js';
import { cancelFromPortal, refundFromPortal, resendFromPortal } from '../../../gateway/portal/portal-order-actions.js';
import { portalActor, type PortalPrincipal } from '../../../gateway/portal/portal-principal.js';
import type { Language } from '../../../pages/i18n.js';
import { html } from '../../../pages/layout.js';
import { ORDER_PAGE_SCRIPT, renderOrderBody, type OrderFlash, type RefundFormValues } from '../../../pages/portal/order-page.js';
import { csrfField, portalLanguage, renderPortalPage } from '../../../pages/portal/portal-layout.js';
import { renderTransactionsBody } from '../../../pages/portal/transactions-page.js';
import { fill, TRANSACTIONS_STRINGS } from '../../../pages/portal/transactions-strings.js';
import { listWalletsOfOrganisation } from '../../../store/merchants.js';
import { listRefundsForOrder } from '../../../store/refunds.js';
import { sendPage } from '../../security-headers.js';
import { requirePortal } from './portal-session.js';

type OrderRoute = { Params: { orderId: string } };

/** What `?done=` after an action's redirect may say: a fixed set, so a link cannot put words in the page. */
const DONE = ['refunded', 'cancelled', 'resent'] as const;
const REFUND_ID = /^R\d{10,40}$/;

/**
 * The portal's Transactions area (docs/portal.md#transactions): the list with its filters
 * and pages, the CSV export of exactly its filter (streamed), and an order's page with its
 * timeline and the Refund, Cancel and Resend callback actions. Every route is scoped to the
 * member's organisation (another's order answers 404) and each action checks the member's
 * role on the server (requirePortal), whatever the page showed.
 */
export async function portalTransactionsRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.gateway;
  const offsetMinutes = ctx.config.timeZoneOffsetMinutes;

  /** The filter, with a wallet that is not the organisation's counted as a problem (it would list nothing). */
  async function readFilter(request: FastifyRequest, organisationId: number) {
    const parsed = parseTransactionFilter(request.query as Record<string, unknown>, offsetMinutes);
    const wallets = await listWalletsOfOrganisation(ctx.store.db, organisationId);
    const problems: FilterProblem[] = [...parsed.problems];
    if (parsed.filter.walletId !== undefined && !wallets.some((w) => w.id === parsed.filter.walletId)) problems.push('wallet');
    return { parsed, wallets, problems };
  }

  /** Problems other than a stale cursor stop the list: a list of something else than asked would mislead. */
  const blocking = (problems: readonly FilterProblem[]) => problems.some((p) => p !== 'cursor');

  app.get('/portal/transactions', { preHandler: requirePortal('read'), config: { html: true } }, async (request, reply) => {
    const principal = request.portal as PortalPrincipal;
    const organisationId = principal.organisationId as number;
    const language = portalLanguage(request);
    const { parsed, wallets, problems } = await readFilter(request, organisationId);
    const page = blocking(problems) ? undefined : await listTransactionPage(ctx, organisationId, parsed.filter);
    const body = renderTransactionsBody({ language, offsetMinutes, parsed, problems, wallets, page });
    const title = TRANSACTIONS_STRINGS[language].title;
    return sendPage(reply, blocking(problems) ? 400 : 200, renderPortalPage({ language, principal, title, active: 'transactions', body }));
  });

  app.get('/portal/transactions.csv', { preHandler: requirePortal('export'), config: { html: true } }, async (request, reply) => {
    const principal = request.portal as PortalPrincipal;
    const organisationId = principal.organisationId as number;
    const { parsed, wallets, problems } = await readFilter(request, organisationId);
    if (problems.length > 0) {
      const language = portalLanguage(request);
      const body = renderTransactionsBody({ language, offsetMinutes, parsed, problems, wallets, page: undefined });
      return sendPage(reply, 400, renderPortalPage({ language, principal, title: TRANSACTIONS_STRINGS[language].title, active: 'transactions', body }));
    }
    const stamp = new Date(ctx.clock()).toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
    reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="transactions-${stamp}.csv"`);
    // A HEAD is answered from here: fastify would read the whole stream to discard it.
    if (request.method === 'HEAD') return reply.send('');
    // Returning the reply makes the handler wait for the stream's end (trackHandlers counts it
    // running until then), and leaves fastify nothing to send after it.
    return reply.send(Readable.from(exportTransactionsCsv(ctx, organisationId, parsed.filter)));
  });

  async function sendOrder(
    request: FastifyRequest<OrderRoute>,
    reply: FastifyReply,
    status: number,
    extra: { flash?: OrderFlash; refundForm?: RefundFormValues } = {},
  ): Promise<FastifyReply> {
    const principal = request.portal as PortalPrincipal;
    const language = portalLanguage(request);
    const order = await findOrganisationOrder(ctx, principal.organisationId as number, request.params.orderId);
    if (!order) return sendOrderNotFound(reply, principal, language);
    const [timeline, refunds] = await Promise.all([describeOrderTimeline(ctx, order), listRefundsForOrder(ctx.store.db, order.order_id)]);
    const role = principal.role === 'operator' ? 'viewer' : principal.role;
    const body = renderOrderBody({
      language,
      offsetMinutes,
      timeline,
      refunds,
      viewer: { canRefund: can(role, 'refund'), canCancel: can(role, 'cancel'), canResend: can(role, 'resend_callback'), csrf: csrfField(principal) },
      ...extra,
    });
    const title = fill(TRANSACTIONS_STRINGS[language].orderTitle, { id: order.order_id });
    return sendPage(reply, status, renderPortalPage({ language, principal, title, active: 'transactions', body, scriptNonce: reply.cspNonce?.script, script: ORDER_PAGE_SCRIPT }));
  }

  function sendOrderNotFound(reply: FastifyReply, principal: PortalPrincipal, language: Language): FastifyReply {
    const t = TRANSACTIONS_STRINGS[language];
    const body = html`<h1>${t.notFoundTitle}</h1><div class="card"><p>${t.notFoundText}</p><p><a href="/portal/transactions">${t.backToList}</a></p></div>`;
    return sendPage(reply, 404, renderPortalPage({ language, principal, title: t.notFoundTitle, active: 'transactions', body }));
  }

  app.get<OrderRoute>('/portal/orders/:orderId', { preHandler: requirePortal('read'), config: { html: true } }, async (request, reply) => {
    const t = TRANSACTIONS_STRINGS[portalLanguage(request)];
    const query = request.query as { done?: unknown; refund?: unknown };
    const done = (DONE as readonly unknown[]).includes(query.done) ? (query.done as (typeof DONE)[number]) : undefined;
    const refundId = typeof query.refund === 'string' && REFUND_ID.test(query.refund) ? query.refund : '';
    const flash: OrderFlash | undefined = done ? { kind: 'done', text: fill(t[`done_${done}`], { id: refundId }) } : undefined;
    return sendOrder(request, reply, 200, flash ? { flash } : {});
  });

  /** After an action: back to the order's page (post/redirect/get), with what was done. */
  const backToOrder = (reply: FastifyReply, orderId: string, query: string) => reply.redirect(`/portal/orders/${encodeURIComponent(orderId)}?${query}`, 303);
  const formOf = (request: FastifyRequest) => (request.body ?? {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value : '');

  app.post<OrderRoute>('/portal/orders/:orderId/refund', { preHandler: requirePortal('refund'), config: { html: true } }, async (request, reply) => {
    const principal = request.portal as PortalPrincipal;
    const form = formOf(request);
    const input = { amount: text(form.amount), reason: text(form.reason) };
    const result = await refundFromPortal(ctx, principal.organisationId as number, request.params.orderId, input, portalActor(principal, request.ip));
    if (result.ok) return backToOrder(reply, request.params.orderId, `done=refunded&refund=${encodeURIComponent(result.refundId)}`);
    if (result.refusal === 'not_found') return sendOrderNotFound(reply, principal, portalLanguage(request));
    const t = TRANSACTIONS_STRINGS[portalLanguage(request)];
    const flash: OrderFlash = { kind: 'error', text: fill(t[`refusal_${result.refusal}`], { detail: result.detail ?? '' }) };
    return sendOrder(request, reply, result.refusal === 'failed' ? 502 : 422, { flash, refundForm: input });
  });

  app.post<OrderRoute>('/portal/orders/:orderId/cancel', { preHandler: requirePortal('cancel'), config: { html: true } }, async (request, reply) => {
    const principal = request.portal as PortalPrincipal;
    const result = await cancelFromPortal(ctx, principal.organisationId as number, request.params.orderId, portalActor(principal, request.ip));
    if (result.ok) return backToOrder(reply, request.params.orderId, 'done=cancelled');
    if (result.refusal === 'not_found') return sendOrderNotFound(reply, principal, portalLanguage(request));
    const t = TRANSACTIONS_STRINGS[portalLanguage(request)];
    return sendOrder(request, reply, 409, { flash: { kind: 'error', text: fill(t.refusal_final, { status: result.status ?? '' }) } });
  });

  app.post<OrderRoute>('/portal/orders/:orderId/resend-callback', { preHandler: requirePortal('resend_callback'), config: { html: true } }, async (request, reply) => {
    const principal = request.portal as PortalPrincipal;
    const result = await resendFromPortal(ctx, principal.organisationId as number, request.params.orderId, portalActor(principal, request.ip));
    if (result.ok) return backToOrder(reply, request.params.orderId, 'done=resent');
    if (result.refusal === 'not_found') return sendOrderNotFound(reply, principal, portalLanguage(request));
    const t = TRANSACTIONS_STRINGS[portalLanguage(request)];
    return sendOrder(request, reply, 409, { flash: { kind: 'error', text: t.refusal_no_callback } });
  });
}
