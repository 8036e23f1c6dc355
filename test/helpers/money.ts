import type { LightMyRequestResponse } from 'fastify';
import type { SandboxProvider } from '../../src/channels/sandbox/sandbox-provider.js';
import { openAttempt } from '../../src/gateway/start-payment.js';
import { findLatestAttempt, type AttemptRecord } from '../../src/store/payment-attempts.js';
import type { CreatedMerchant } from '../../src/gateway/create-merchant.js';
import { listLedgerEntries, walletBalance } from '../../src/store/ledger.js';
import { listRefundsForOrder } from '../../src/store/refunds.js';
import { setSandboxTradeStatus } from '../../src/store/sandbox-trades.js';
import { findOrderById } from '../../src/store/orders.js';
import { answerOf, createOrder, hmac, settleOrder, type CreatedOrder } from '../http/support.js';
import type { TestGateway } from './gateway.js';

/**
 * Helpers for refunds, cancels and the ledger. Signatures are computed here the way a
 * merchant's own code does (spec §2.1), not with the gateway's functions.
 */

/** Sorted-parameter signature; `keepEmpty` keeps `reference=` as a Ruby client does. */
export function sortedSignature(fields: Record<string, string>, apiKey: string, keepEmpty = false): string {
  const message = Object.keys(fields)
    .filter((key) => key !== 'signature' && (keepEmpty || fields[key] !== ''))
    .sort()
    .map((key) => `${key}=${fields[key]}`)
    .join('&');
  return hmac(apiKey, message + apiKey);
}

export function refundFields(merchant: CreatedMerchant, orderId: string, amount: string, reference: string): Record<string, string> {
  const fields = { user_id: merchant.user_id, order_id: orderId, refund_amount: amount, reference };
  return { ...fields, signature: sortedSignature(fields, merchant.api_key) };
}

export function postRefund(gw: TestGateway, body: unknown, path = '/refund'): Promise<LightMyRequestResponse> {
  return gw.app.inject({ method: 'POST', url: path, payload: body as Record<string, unknown> });
}

/** POST /refund signed the usual way; returns the answer. */
export async function refund(gw: TestGateway, merchant: CreatedMerchant, orderId: string, amount: string, reference: string) {
  return answerOf(await postRefund(gw, refundFields(merchant, orderId, amount, reference)));
}

export function cancelFields(merchant: CreatedMerchant, reference: string): Record<string, string> {
  const fields = { user_id: merchant.user_id, merchant_reference: reference };
  return { ...fields, signature: sortedSignature(fields, merchant.api_key) };
}

export function postCancel(gw: TestGateway, body: unknown): Promise<LightMyRequestResponse> {
  return gw.app.inject({ method: 'POST', url: '/cancel', payload: body as Record<string, unknown> });
}

export async function cancel(gw: TestGateway, merchant: CreatedMerchant, reference: string) {
  return answerOf(await postCancel(gw, cancelFields(merchant, reference)));
}

/** Creates an order for `merchant` and pays it through the sandbox. */
export async function paidOrder(gw: TestGateway, merchant: CreatedMerchant, amount: string): Promise<CreatedOrder> {
  const created = await createOrder(gw, { amount }, merchant);
  const settled = answerOf(await settleOrder(gw, created.orderId, 'paid'));
  if (settled.code !== 0 || settled.status !== 'paid') throw new Error(`payment failed: ${JSON.stringify(settled)}`);
  return created;
}

/** The ledger of a wallet as `kind amount` pairs (amounts in minor units), oldest first. */
export async function ledgerOf(gw: TestGateway, walletId: string, orderId?: string): Promise<Array<[string, number]>> {
  const rows = await listLedgerEntries(gw.store.db, walletId);
  return rows.filter((r) => orderId === undefined || r.order_id === orderId).map((r) => [r.kind, Number(r.amount_minor)]);
}

export async function ledgerSum(gw: TestGateway, walletId: string): Promise<number> {
  return (await listLedgerEntries(gw.store.db, walletId)).reduce((sum, r) => sum + Number(r.amount_minor), 0);
}

export function balanceOf(gw: TestGateway, walletId: string): Promise<number> {
  return walletBalance(gw.store.db, walletId);
}

export function refundsOf(gw: TestGateway, orderId: string) {
  return listRefundsForOrder(gw.store.db, orderId);
}

export function sandboxOf(gw: TestGateway): SandboxProvider {
  const sandbox = gw.app.gateway.providers.sandbox;
  if (!sandbox) throw new Error('the sandbox is off');
  return sandbox;
}

/** Opens the order's payment attempt with its provider (as the payment page does) and answers it. */
export async function openAttemptOf(gw: TestGateway, orderId: string): Promise<AttemptRecord> {
  const order = await findOrderById(gw.store.db, orderId);
  if (!order) throw new Error(`no order ${orderId}`);
  return openAttempt(gw.app.gateway, order, { device: 'pc', purpose: 'payment_page', returnUrl: order.return_url });
}

/**
 * A payment that reaches the gateway late: the customer paid at the provider (its trade is
 * paid) but the notification arrives only now, e.g. after the merchant cancelled the order.
 * Posted as the provider does, signed, to POST /channels/sandbox/notify.
 */
export async function latePaidNotification(gw: TestGateway, orderId: string): Promise<LightMyRequestResponse> {
  const order = await findOrderById(gw.store.db, orderId);
  if (!order) throw new Error(`no order ${orderId}`);
  // A payment arrives on an attempt the customer opened (an order no longer pending takes no new one).
  const attempt = (await findLatestAttempt(gw.store.db, orderId)) ?? (await openAttemptOf(gw, orderId));
  const tradeNo = attempt.provider_payment_id as string;
  await setSandboxTradeStatus(gw.store.db, tradeNo, 'TRADE_SUCCESS', Date.now());
  const notification = sandboxOf(gw).signNotification({
    event_id: `${tradeNo}:TRADE_SUCCESS`,
    trade_no: tradeNo,
    out_trade_no: attempt.attempt_id,
    trade_status: 'TRADE_SUCCESS',
    total_amount: Number(order.amount_minor),
    currency: order.currency,
    gmt_payment: Date.now(),
  });
  return gw.app.inject({ method: 'POST', url: '/channels/sandbox/notify', payload: notification });
}
