import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ProviderError } from '../../channels/provider.js';
import type { SandboxProvider } from '../../channels/sandbox/sandbox-provider.js';
import { REJECTED_MESSAGE, REJECTED_REFERENCE_MESSAGE, sandboxFlowOf, sandboxOutcomesOf, type SandboxOutcome } from '../../channels/sandbox/sandbox-methods.js';
import { latipayError } from '../../domain/errors.js';
import { accountOfOrder, openAttempt, PaymentClosedError } from '../../gateway/start-payment.js';
import { findLatestAttempt, orderIdOfAttempt } from '../../store/payment-attempts.js';
import { findWalletCached, sandboxMayServe } from '../../gateway/wallets.js';
import { findOrderById, findOrderStatus } from '../../store/orders.js';
import { pickLanguage } from '../../pages/i18n.js';
import { renderMessagePage } from '../../pages/message-page.js';
import { renderSandboxWalletPage } from '../../pages/sandbox-wallet-page.js';
import { themeFor } from '../../pages/theme.js';
import type { OrderRecord } from '../../store/orders.js';
import { sandboxMethodRoutes } from './sandbox-methods.js';

const HTML = 'text/html; charset=utf-8';
const Outcome = Type.Object({ outcome: Type.Union([Type.Literal('paid'), Type.Literal('failed')]) });
/**
 * `notify: false` settles the trade without telling the gateway: a lost notification, which
 * only a query finds. `canceled` (a bank's Cancel) is for NZ banks, POLi and UnionPay;
 * `rejected` for PayID, with `reference` when a prohibited reference was the reason (blockData).
 */
const Settle = Type.Object({
  outcome: Type.Union([Type.Literal('paid'), Type.Literal('failed'), Type.Literal('canceled'), Type.Literal('rejected')]),
  notify: Type.Optional(Type.Boolean()),
  reference: Type.Optional(Type.String({ maxLength: 140 })),
});

/**
 * The sandbox provider's own surface (only when SANDBOX is on; otherwise these paths answer
 * 404): the wallet-app page the QR opens, and `POST /sandbox/orders/{order_id}` to settle
 * an order from a test. In production they settle only orders of test wallets.
 */
export async function sandboxRoutes(app: FastifyInstance, options: { sandbox: SandboxProvider }): Promise<void> {
  const { sandbox: channel } = options;
  const ctx = app.gateway;

  /** A wallet app's trade (Alipay, WeChat) the sandbox may settle (in production, only a test wallet's), with its order. */
  const findSettleableTrade = async (tradeNo: string) => {
    const found = await channel.findTrade(tradeNo);
    const trade = found && sandboxFlowOf(found.method) === 'wallet' ? found : undefined;
    const order = trade ? await findOrderById(ctx.store.db, orderIdOfAttempt(trade.out_trade_no)) : undefined;
    return trade && order && (await mayUseSandbox(order.wallet_id)) ? { trade, order } : undefined;
  };
  const mayUseSandbox = async (walletId: string) => {
    const wallet = await findWalletCached(ctx, walletId);
    return wallet !== undefined && sandboxMayServe(ctx, wallet);
  };
  // The wallet leads back to the payment page's result step, which moves on to the return_url.
  // Not for a merchant-hosted order (host_type=1): its nonce is the merchant server's credential;
  // nor for an order without a return_url (barcode, mini program): it has no payment page.
  const backHref = (order: OrderRecord, language: string) =>
    order.host_type === '1' || order.return_url === '' ? undefined : `/pay/${order.nonce}/result?lang=${language}`;
  const theme = themeFor(ctx.config);

  app.get<{ Params: { tradeNo: string } }>('/sandbox/wallet/:tradeNo', { config: { html: true } }, async (request, reply) => {
    const found = await findSettleableTrade(request.params.tradeNo);
    if (!found) return reply.code(404).type(HTML).send(renderMessagePage(request, 'notFound', 404));
    const language = pickLanguage(request);
    return reply.type(HTML).send(renderSandboxWalletPage({ trade: found.trade, language, theme, backHref: backHref(found.order, language) }));
  });

  app.post<{ Params: { tradeNo: string }; Body: { outcome: 'paid' | 'failed' } }>(
    '/sandbox/wallet/:tradeNo',
    { config: { html: true }, schema: { body: Outcome } },
    async (request, reply) => {
      const found = await findSettleableTrade(request.params.tradeNo);
      if (!found) return reply.code(404).type(HTML).send(renderMessagePage(request, 'notFound', 404));
      const { trade, order } = found;
      const wasOpen = trade.status === 'WAIT_BUYER_PAY';
      await channel.settle(trade.trade_no, request.body.outcome);
      const settled = (await channel.findTrade(trade.trade_no)) ?? trade;
      const language = pickLanguage(request);
      return reply.type(HTML).send(
        renderSandboxWalletPage({
          trade: settled,
          language,
          theme,
          message: wasOpen ? request.body.outcome : 'settled',
          backHref: backHref(order, language),
        }),
      );
    },
  );

  app.post<{ Params: { orderId: string }; Body: { outcome: SandboxOutcome; notify?: boolean; reference?: string } }>(
    '/sandbox/orders/:orderId',
    { schema: { body: Settle }, helmet: false },
    async (request) => {
      const order = await findOrderById(ctx.store.db, request.params.orderId);
      if (!order || order.channel !== channel.name || !(await mayUseSandbox(order.wallet_id))) {
        throw latipayError('ORDER_NOT_FOUND', `no sandbox order ${request.params.orderId}`);
      }
      const { outcome, reference } = request.body;
      if (!sandboxOutcomesOf(order.payment_method).includes(outcome)) {
        throw latipayError('BAD_PARAMETER', `a ${order.payment_method} payment cannot end ${outcome}; it can end ${sandboxOutcomesOf(order.payment_method).join(', ')}`);
      }
      const rejection = reference !== undefined ? { message: REJECTED_REFERENCE_MESSAGE, blockData: reference } : { message: REJECTED_MESSAGE };
      // A tester may settle an order whose payment page was never opened; a final order
      // (cancelled, say) gets no new attempt, so it cannot be paid this way. The attempt
      // still open is the one paid (a mini program's, say), else the page's is opened.
      if (order.status === 'pending') {
        const latest = await findLatestAttempt(ctx.store.db, order.order_id);
        const open = latest?.status === 'pending' && latest.account_id === accountOfOrder(order) && latest.provider_payment_id !== null;
        // An order that became final meanwhile is answered as it is now, like one final already;
        // one whose payment is under review is refused (900).
        const attempt = open
          ? latest
          : await openAttempt(ctx, order, { device: 'pc', purpose: 'payment_page', returnUrl: order.return_url }).catch((error: unknown) => {
              if (error instanceof PaymentClosedError && !error.underReview) return undefined;
              throw error;
            });
        try {
          if (attempt?.provider_payment_id) {
            const settled = await channel.settle(attempt.provider_payment_id, outcome, { notify: request.body.notify, ...(outcome === 'rejected' ? { rejection } : {}) });
            // Applied: the order has the outcome now, with no need to read it again.
            if (settled.delivered === 'applied') return { code: 0, message: 'SUCCESS', order_id: order.order_id, status: outcome };
          }
        } catch (error) {
          if (error instanceof ProviderError) throw latipayError('FAIL', error.message);
          throw error;
        }
      }
      const status = (await findOrderStatus(ctx.store.db, order.order_id)) ?? order.status;
      return { code: 0, message: 'SUCCESS', order_id: order.order_id, status };
    },
  );

  await app.register(sandboxMethodRoutes, { sandbox: channel });
}
