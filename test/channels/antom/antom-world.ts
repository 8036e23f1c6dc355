// A gateway with a wallet served by Antom (the fake, on loopback), a merchant's web server that
// receives the signed callbacks, and what a scenario does to them: a driver the end-to-end
// scenarios run against, written so that they can move to the shared contract suite
// (test/contract/) with another provider's driver beside it.
import type { LightMyRequestResponse } from 'fastify';
import type { DestinationStream } from 'pino';
import type { ParamValue } from '../../../src/domain/signature.js';
import type { AntomProviderOptions } from '../../../src/channels/antom/antom-provider.js';
import { findOrderById, type OrderRecord } from '../../../src/store/orders.js';
import { findLatestAttempt, listAttemptsOfOrder, type AttemptRecord } from '../../../src/store/payment-attempts.js';
import { listNotificationsForOrder } from '../../../src/store/notifications.js';
import { listRefundsForOrder, type RefundRecord } from '../../../src/store/refunds.js';
import { notifyUrlOf } from '../../../src/channels/provider-registry.js';
import type { FakeAntom, FakeAntomOptions } from '../../fakes/antom/fake-antom.js';
import { antomFactories, configureAntom, makeAntomMerchant, startFakeAntom, type AntomMerchant } from '../../helpers/antom.js';
import { createTestGateway, signed, transactionFields, type TestGateway } from '../../helpers/gateway.js';
import { findFreePort, startMerchantServer, type MerchantServer } from '../../e2e/helpers.js';
import { answerOf, findOrder, type Answer } from '../../http/support.js';

export const PC_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
export const IPHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
export const ANDROID_UA = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36';
export const ALIPAY_UA =
  'Mozilla/5.0 (Linux; U; Android 14; zh-CN; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/69.0 Mobile Safari/537.36 AlipayClient/10.5.90.8000 Language/zh-Hans';

export interface WorldOrder {
  orderId: string;
  nonce: string;
  reference: string;
}

export interface AntomWorld {
  readonly gw: TestGateway;
  readonly fake: FakeAntom;
  readonly shop: MerchantServer;
  readonly antomMerchant: AntomMerchant;
  readonly accountId: string;
  /** Where Antom posts this account's notifications (PUBLIC_URL is this gateway's loopback address). */
  readonly notifyUrl: string;
  readonly publicUrl: string;
  /** Moves the gateway's clock (not Antom's, not the adapter's) forward. */
  advanceClock(ms: number): void;
  /** A pending order created through the API, its callbacks to the merchant server. */
  createOrder(overrides?: Record<string, ParamValue>): Promise<WorldOrder>;
  /** The hosted page as a customer's browser with this User-Agent gets it. */
  page(nonce: string, userAgent?: string): Promise<LightMyRequestResponse>;
  gatewayData(nonce: string): Promise<Answer>;
  barcode(payCode: string, overrides?: Record<string, ParamValue>): Promise<{ answer: Answer; reference: string }>;
  refund(orderId: string, amount: string, reference?: string): Promise<Answer>;
  cancel(reference: string): Promise<Answer>;
  order(orderId: string): Promise<OrderRecord>;
  orderByReference(reference: string): Promise<OrderRecord>;
  attempt(orderId: string): Promise<AttemptRecord>;
  attempts(orderId: string): Promise<AttemptRecord[]>;
  refunds(orderId: string): Promise<RefundRecord[]>;
  /** Callbacks queued for the order (the outbox), delivered or not. */
  queuedCallbacks(orderId: string): Promise<number>;
  close(): Promise<void>;
}

export async function startAntomWorld(
  options: { fake?: Omit<FakeAntomOptions, 'merchants'>; adapter?: AntomProviderOptions; logDestination?: DestinationStream } = {},
): Promise<AntomWorld> {
  const port = await findFreePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  let offset = 0;
  const gw = await createTestGateway({
    env: { PUBLIC_URL: publicUrl, NOTIFY_RETRY_SECONDS: '1', ...(options.logDestination ? { LOG_LEVEL: 'warn' } : {}) },
    logDestination: options.logDestination,
    worker: true,
    clock: () => Date.now() + offset,
    providerFactories: antomFactories(options.adapter),
  });
  const closers: Array<() => Promise<unknown>> = [() => gw.close()];
  try {
    await gw.app.listen({ port, host: '127.0.0.1' });
    const shop = await startMerchantServer(() => 'sent');
    closers.push(() => shop.close());
    const antomMerchant = makeAntomMerchant();
    const fake = await startFakeAntom([antomMerchant], options.fake);
    closers.push(() => fake.stop());
    const accountId = await configureAntom(gw, gw.merchant.wallet_id, fake, antomMerchant);
    const merchant = gw.merchant;
    const inject = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>, headers: Record<string, string> = {}) =>
      gw.app.inject({ method, url, ...(payload ? { payload } : {}), headers });
    const mustOrder = async (orderId: string) => {
      const order = await findOrderById(gw.store.db, orderId);
      if (!order) throw new Error(`no order ${orderId}`);
      return order;
    };
    return {
      gw,
      fake,
      shop,
      antomMerchant,
      accountId,
      notifyUrl: notifyUrlOf(publicUrl, 'antom', accountId),
      publicUrl,
      advanceClock: (ms) => void (offset += ms),
      async createOrder(overrides = {}) {
        const fields = transactionFields(merchant, { callback_url: shop.callbackUrl, return_url: shop.returnUrl, ...overrides });
        const answer = answerOf(await inject('POST', '/v2/transaction', signed(fields, merchant.api_key)));
        if (answer.code !== 0) throw new Error(`create failed: ${JSON.stringify(answer)}`);
        const reference = String(fields.merchant_reference);
        const order = await findOrder(gw, merchant.user_id, reference);
        if (!order) throw new Error('order row missing');
        return { orderId: order.order_id, nonce: String(answer.nonce), reference };
      },
      page: (nonce, userAgent = PC_UA) => inject('GET', `/pay/${nonce}`, undefined, { 'user-agent': userAgent, accept: 'text/html' }),
      gatewayData: async (nonce) => answerOf(await inject('GET', `/v2/merchanthosted/gatewaydata/${nonce}`)),
      async barcode(payCode, overrides = {}) {
        const reference = `bc-${Date.now()}-${Math.random().toString(16).slice(2, 8)}`;
        const fields = { user_id: merchant.user_id, wallet_id: merchant.wallet_id, amount: '12.50', pay_code: payCode, merchant_reference: reference, callback_url: shop.callbackUrl, ...overrides };
        return { answer: answerOf(await inject('POST', '/barcode', signed(fields, merchant.api_key))), reference };
      },
      async refund(orderId, amount, reference = '') {
        return answerOf(await inject('POST', '/refund', signed({ user_id: merchant.user_id, order_id: orderId, refund_amount: amount, reference }, merchant.api_key)));
      },
      async cancel(reference) {
        return answerOf(await inject('POST', '/cancel', signed({ user_id: merchant.user_id, merchant_reference: reference }, merchant.api_key)));
      },
      order: mustOrder,
      async orderByReference(reference) {
        const order = await findOrder(gw, merchant.user_id, reference);
        if (!order) throw new Error(`no order ${reference}`);
        return order as OrderRecord;
      },
      async attempt(orderId) {
        const attempt = await findLatestAttempt(gw.store.db, orderId);
        if (!attempt) throw new Error(`order ${orderId} has no attempt`);
        return attempt;
      },
      attempts: (orderId) => listAttemptsOfOrder(gw.store.db, orderId),
      refunds: (orderId) => listRefundsForOrder(gw.store.db, orderId),
      queuedCallbacks: async (orderId) => (await listNotificationsForOrder(gw.store.db, orderId)).length,
      async close() {
        for (const close of closers.reverse()) await close();
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

/** The href of the element carrying `data-test="name"`, entities decoded. */
export function hrefOf(body: string, name: string): string | undefined {
  const match = new RegExp(`<a [^>]*data-test="${name}"[^>]*>`).exec(body);
  const href = match && /href="([^"]*)"/.exec(match[0]);
  return href ? href[1].replaceAll('&amp;', '&') : undefined;
}
