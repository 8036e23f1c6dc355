import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  PAYID_REFERENCE_MAX,
  REJECTED_MESSAGE,
  sandboxBanksFor,
  sandboxFlowOf,
  screenPayIdReference,
  UNIONPAY,
  type SandboxFlow,
} from '../../channels/sandbox/sandbox-methods.js';
import type { SandboxProvider } from '../../channels/sandbox/sandbox-provider.js';
import { findWalletCached, sandboxMayServe } from '../../gateway/wallets.js';
import { pickLanguage, type Language } from '../../pages/i18n.js';
import { renderMessagePage } from '../../pages/message-page.js';
import { renderSandboxBankListPage, renderSandboxBankPage } from '../../pages/sandbox-bank-page.js';
import { renderSandboxPayIdPage } from '../../pages/sandbox-payid-page.js';
import { themeFor } from '../../pages/theme.js';
import { findOrderById, type OrderRecord } from '../../store/orders.js';
import { orderIdOfAttempt } from '../../store/payment-attempts.js';
import type { SandboxTradeRecord } from '../../store/sandbox-trades.js';

const HTML = 'text/html; charset=utf-8';
const BankOutcome = Type.Object({ outcome: Type.Union([Type.Literal('paid'), Type.Literal('failed'), Type.Literal('canceled')]) });
const PayIdOutcome = Type.Object({
  outcome: Type.Union([Type.Literal('paid'), Type.Literal('rejected')]),
  reference: Type.Optional(Type.String({ maxLength: PAYID_REFERENCE_MAX })),
});
type TradeRoute = { Params: { tradeNo: string } };
type BankRoute = { Params: { tradeNo: string; bank: string } };

/**
 * The sandbox's stand-ins for the pages a payer of the NZ and Australian methods sees away
 * from the gateway: the bank list and each bank's internet banking (NZ banks, POLi),
 * UnionPay's card page, and the bank app that pays a PayID. Served where the sandbox may
 * serve the order's wallet (in production, test wallets only), each for its own method's
 * trades; the others answer 404. After the tester's choice the browser goes back to the
 * order's result page (303), which moves on to the merchant's return_url.
 */
export async function sandboxMethodRoutes(app: FastifyInstance, options: { sandbox: SandboxProvider }): Promise<void> {
  const { sandbox: channel } = options;
  const ctx = app.gateway;
  const theme = themeFor(ctx.config);

  /** A trade of `flow` the sandbox may settle, with its order. */
  const findTrade = async (tradeNo: string, flow: SandboxFlow): Promise<{ trade: SandboxTradeRecord; order: OrderRecord } | undefined> => {
    const trade = await channel.findTrade(tradeNo);
    if (!trade || sandboxFlowOf(trade.method) !== flow) return undefined;
    const order = await findOrderById(ctx.store.db, orderIdOfAttempt(trade.out_trade_no));
    if (!order) return undefined;
    const wallet = await findWalletCached(ctx, order.wallet_id);
    return wallet !== undefined && sandboxMayServe(ctx, wallet) ? { trade, order } : undefined;
  };
  const notFound = (request: FastifyRequest, reply: FastifyReply) => reply.code(404).type(HTML).send(renderMessagePage(request, 'notFound', 404));
  // The order's result page; none for a merchant-hosted order (its nonce is the merchant server's credential).
  const resultHref = (order: OrderRecord, language: Language) => (order.host_type === '1' ? undefined : `/pay/${order.nonce}/result?lang=${language}`);

  app.get<TradeRoute>('/sandbox/bank/:tradeNo', { config: { html: true } }, async (request, reply) => {
    const found = await findTrade(request.params.tradeNo, 'bank');
    if (!found) return notFound(request, reply);
    const language = pickLanguage(request);
    const banks = sandboxBanksFor(found.trade.method, found.trade.currency);
    return reply.type(HTML).send(renderSandboxBankListPage({ trade: found.trade, banks, language, theme, backHref: resultHref(found.order, language) }));
  });

  const bankOf = (trade: SandboxTradeRecord, id: string) => sandboxBanksFor(trade.method, trade.currency).find((bank) => bank.id === id);

  app.get<BankRoute>('/sandbox/bank/:tradeNo/:bank', { config: { html: true } }, async (request, reply) => {
    const found = await findTrade(request.params.tradeNo, 'bank');
    const bank = found && bankOf(found.trade, request.params.bank);
    if (!found || !bank) return notFound(request, reply);
    const language = pickLanguage(request);
    return reply.type(HTML).send(renderSandboxBankPage({ trade: found.trade, bank, language, theme, backHref: resultHref(found.order, language) }));
  });

  app.post<BankRoute & { Body: { outcome: 'paid' | 'failed' | 'canceled' } }>(
    '/sandbox/bank/:tradeNo/:bank',
    { config: { html: true }, schema: { body: BankOutcome } },
    async (request, reply) => {
      const found = await findTrade(request.params.tradeNo, 'bank');
      const bank = found && bankOf(found.trade, request.params.bank);
      if (!found || !bank) return notFound(request, reply);
      const wasOpen = found.trade.status === 'WAIT_BUYER_PAY';
      await channel.settle(found.trade.trade_no, request.body.outcome, { bank: bank.id });
      return backToOrder(reply, found, request, wasOpen ? request.body.outcome : 'settled', (trade, message, language, backHref) =>
        renderSandboxBankPage({ trade, bank, message, language, theme, backHref }),
      );
    },
  );

  app.get<TradeRoute>('/sandbox/unionpay/:tradeNo', { config: { html: true } }, async (request, reply) => {
    const found = await findTrade(request.params.tradeNo, 'unionpay');
    if (!found) return notFound(request, reply);
    const language = pickLanguage(request);
    return reply.type(HTML).send(renderSandboxBankPage({ trade: found.trade, bank: UNIONPAY, language, theme, backHref: resultHref(found.order, language) }));
  });

  app.post<TradeRoute & { Body: { outcome: 'paid' | 'failed' | 'canceled' } }>(
    '/sandbox/unionpay/:tradeNo',
    { config: { html: true }, schema: { body: BankOutcome } },
    async (request, reply) => {
      const found = await findTrade(request.params.tradeNo, 'unionpay');
      if (!found) return notFound(request, reply);
      const wasOpen = found.trade.status === 'WAIT_BUYER_PAY';
      await channel.settle(found.trade.trade_no, request.body.outcome);
      return backToOrder(reply, found, request, wasOpen ? request.body.outcome : 'settled', (trade, message, language, backHref) =>
        renderSandboxBankPage({ trade, bank: UNIONPAY, message, language, theme, backHref }),
      );
    },
  );

  const payIdOf = (trade: SandboxTradeRecord) => channel.payIdInstructions(trade);

  app.get<TradeRoute>('/sandbox/payid/:tradeNo', { config: { html: true } }, async (request, reply) => {
    const found = await findTrade(request.params.tradeNo, 'payid');
    if (!found) return notFound(request, reply);
    const language = pickLanguage(request);
    const { payId, reference } = payIdOf(found.trade);
    return reply.type(HTML).send(renderSandboxPayIdPage({ trade: found.trade, payId, reference, language, theme, backHref: resultHref(found.order, language) }));
  });

  app.post<TradeRoute & { Body: { outcome: 'paid' | 'rejected'; reference?: string } }>(
    '/sandbox/payid/:tradeNo',
    { config: { html: true }, schema: { body: PayIdOutcome } },
    async (request, reply) => {
      const found = await findTrade(request.params.tradeNo, 'payid');
      if (!found) return notFound(request, reply);
      const wasOpen = found.trade.status === 'WAIT_BUYER_PAY';
      // The receiving bank screens the payer's reference first; "Reject" refuses it whatever it says.
      const screened = screenPayIdReference(request.body.reference ?? '');
      const rejection = screened ?? (request.body.outcome === 'rejected' ? { message: REJECTED_MESSAGE } : undefined);
      await channel.settle(found.trade.trade_no, rejection ? 'rejected' : 'paid', rejection ? { rejection } : {});
      const { payId, reference } = payIdOf(found.trade);
      return backToOrder(reply, found, request, wasOpen ? (rejection ? 'rejected' : 'paid') : 'settled', (trade, message, language, backHref) =>
        renderSandboxPayIdPage({ trade, payId, reference, message, language, theme, backHref }),
      );
    },
  );

  /**
   * After the tester's choice: back to the order's result page (303, so a reload does not
   * post again); an order without one (merchant-hosted) gets the sandbox page again, saying
   * what happened.
   */
  async function backToOrder<M extends string>(
    reply: FastifyReply,
    found: { trade: SandboxTradeRecord; order: OrderRecord },
    request: FastifyRequest,
    message: M,
    render: (trade: SandboxTradeRecord, message: M, language: Language, backHref: undefined) => string,
  ) {
    const language = pickLanguage(request);
    const href = resultHref(found.order, language);
    if (href) return reply.redirect(href, 303);
    const trade = (await channel.findTrade(found.trade.trade_no)) ?? found.trade;
    return reply.type(HTML).send(render(trade, message, language, undefined));
  }
}
