import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { openInvoicePage, pickInvoiceMethod, type InvoicePage } from '../../gateway/invoice-checkout.js';
import { pickLanguage } from '../../pages/i18n.js';
import { renderInvoicePage, renderInvoiceRefusedPage } from '../../pages/invoice-page.js';
import { renderMessagePage } from '../../pages/message-page.js';
import { themeFor } from '../../pages/theme.js';

type TokenRoute = { Params: { token: string } };
const HTML = 'text/html; charset=utf-8';

/**
 * The invoice's page (invoice_url, spec §4.12): `GET /invoice/{token}` counts an open and
 * shows the wallet's methods; `POST /invoice/{token}` with `method` picks one and sends the
 * payer on to the backing order's payment page (`/pay/{nonce}`), which takes it from there
 * (QR, wallet, result, return_url). A page that cannot be paid answers 410 with the reason;
 * an unknown token 404. Registered in the page scope, with the pages' security headers.
 */
export async function invoicePageRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.gateway;
  const theme = themeFor(ctx.config);

  const send = (request: FastifyRequest, reply: FastifyReply, page: InvoicePage, notice?: 'unavailable' | 'busy', status = 200) => {
    const language = pickLanguage(request);
    switch (page.kind) {
      case 'unknown':
        return reply.code(404).type(HTML).send(renderMessagePage(request, 'notFound', 404));
      case 'paid':
        return reply.redirect(`/pay/${page.nonce}?lang=${language}`, 302);
      case 'refused':
        return reply
          .code(410)
          .type(HTML)
          .send(renderInvoiceRefusedPage({ invoice: page.view, organisationName: page.organisationName, reason: page.reason, language, theme }));
      case 'open':
        return reply
          .code(status)
          .type(HTML)
          .send(
            renderInvoicePage({
              invoice: page.view,
              organisationName: page.organisationName,
              methods: page.methods,
              qrcodePic: page.qrcodePic,
              ...(notice ? { notice } : {}),
              language,
              theme,
              offsetMinutes: ctx.config.timeZoneOffsetMinutes,
            }),
          );
    }
  };

  app.get<TokenRoute>('/invoice/:token', { config: { html: true } }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    // A HEAD (a link preview's probe) is not an open.
    const page = await openInvoicePage(ctx, request.params.token, { count: request.method === 'GET' });
    return send(request, reply, page);
  });

  app.post<TokenRoute>('/invoice/:token', { config: { html: true } }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const body = request.body as Record<string, unknown> | undefined;
    const method = typeof body?.method === 'string' ? body.method : '';
    const pick = await pickInvoiceMethod(ctx, request.params.token, method, request.ip);
    switch (pick.kind) {
      case 'pay':
        return reply.redirect(`/pay/${pick.nonce}?lang=${pickLanguage(request)}`, 303);
      case 'unknown':
      case 'refused':
        return send(request, reply, pick);
      case 'unavailable':
      case 'busy':
        // The choices again (not counted as an open), with why the pick was not made.
        return send(request, reply, await openInvoicePage(ctx, request.params.token, { count: false }), pick.kind, pick.kind === 'busy' ? 503 : 409);
    }
  });
}
