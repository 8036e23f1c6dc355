import { createHmac } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { signed, transactionFields, type TestGateway } from '../helpers/gateway.js';
import type { CreatedMerchant } from '../../src/gateway/create-merchant.js';
import type { ParamValue } from '../../src/domain/signature.js';

/** HMAC-SHA256 in lowercase hex, as the merchant computes it. */
export function hmac(key: string, message: string): string {
  return createHmac('sha256', key).update(message, 'utf8').digest('hex');
}

/** The JSON answer of a Latipay API call. */
export interface Answer {
  code: number;
  message: string;
  [field: string]: unknown;
}

export function answerOf(response: LightMyRequestResponse): Answer {
  return response.json() as Answer;
}

export async function countOrders(gw: TestGateway): Promise<number> {
  const row = await gw.store.db.selectFrom('orders').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A digest of every row of orders, to show that a rejected request changed nothing. */
export async function ordersSnapshot(gw: TestGateway): Promise<string> {
  const rows = await gw.store.db.selectFrom('orders').selectAll().orderBy('order_id').execute();
  return JSON.stringify(rows);
}

export async function findOrder(gw: TestGateway, userId: string, reference: string) {
  return gw.store.db
    .selectFrom('orders')
    .selectAll()
    .where('user_id', '=', userId)
    .where('merchant_reference', '=', reference)
    .executeTakeFirst();
}

export async function postTransaction(gw: TestGateway, body: Record<string, ParamValue>): Promise<LightMyRequestResponse> {
  return gw.app.inject({ method: 'POST', url: '/v2/transaction', payload: body });
}

export interface CreatedOrder {
  reference: string;
  nonce: string;
  orderId: string;
  fields: Record<string, ParamValue>;
}

/** Creates a pending order through the API and returns what a test needs to follow it. */
export async function createOrder(
  gw: TestGateway,
  overrides: Record<string, ParamValue> = {},
  merchant: CreatedMerchant = gw.merchant,
): Promise<CreatedOrder> {
  const fields = transactionFields(merchant, overrides);
  const response = await postTransaction(gw, signed(fields, merchant.api_key));
  const answer = answerOf(response);
  if (answer.code !== 0) throw new Error(`create failed: ${JSON.stringify(answer)}`);
  const reference = String(fields.merchant_reference);
  const order = await findOrder(gw, merchant.user_id, reference);
  if (!order) throw new Error('order row missing');
  return { reference, nonce: String(answer.nonce), orderId: order.order_id, fields };
}

/** Settles an order through the sandbox provider, as a tester would. */
export async function settleOrder(gw: TestGateway, orderId: string, outcome: string): Promise<LightMyRequestResponse> {
  return gw.app.inject({ method: 'POST', url: `/sandbox/orders/${encodeURIComponent(orderId)}`, payload: { outcome } });
}

export const PC_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
export const IPHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
export const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN';

/**
 * Resolves when `counts[orderId]` long-polls (is_block=1) have started to wait on each order:
 * one subscription serves all the long-polls of an order, so they are counted where they wait.
 */
export function waitsOn(gw: TestGateway, counts: Record<string, number>): Promise<void> {
  const waiters = gw.app.gateway.orderWaiters;
  const original = waiters.wait;
  const left = { ...counts };
  return new Promise((resolve) => {
    waiters.wait = function (id, timeoutMs, whenStopped) {
      const waiting = original.call(this, id, timeoutMs, whenStopped);
      if (left[id] !== undefined) left[id]--;
      if (Object.values(left).every((n) => n <= 0)) {
        waiters.wait = original;
        resolve();
      }
      return waiting;
    };
  });
}

/**
 * Resolves when something (a long-poll, a status stream) starts listening for changes of
 * `orderId`, so a test can change the order while the request is known to be waiting.
 */
export function subscriptionTo(gw: TestGateway, orderId: string): Promise<void> {
  const events = gw.app.gateway.events;
  const original = events.subscribe;
  return new Promise((resolve) => {
    events.subscribe = function (id, listener) {
      const unsubscribe = original.call(this, id, listener);
      if (id === orderId) {
        events.subscribe = original;
        resolve();
      }
      return unsubscribe;
    };
  });
}
