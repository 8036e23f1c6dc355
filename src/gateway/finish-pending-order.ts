import type { PaymentRejection } from '../channels/provider.js';
import { enqueueNotification } from '../store/notifications.js';
import { finishPendingOrder, type OrderRecord } from '../store/orders.js';
import { findLatestAttempt } from '../store/payment-attempts.js';
import type { Db } from '../store/store.js';
import { callbackBody, payIdCallbackFields } from './result-fields.js';

/** How a pending order ends: its final status, when it was paid, and why a payment was rejected. */
export interface OrderChange {
  readonly status: string;
  readonly paidAt: number | null;
  /** A `rejected` payment's reason, which a PayID callback carries. */
  readonly rejection?: PaymentRejection;
}

/**
 * Ends a pending order with a final status and queues its callback (when it has a
 * callback_url: a barcode payment may have none) inside the caller's transaction, so the
 * change and its notification commit together. Returns false, and writes nothing, when
 * the order was no longer pending (of two concurrent changes exactly one wins).
 */
export async function finishOrderWithCallback(
  trx: Db,
  order: OrderRecord,
  change: OrderChange,
  apiKey: string,
  offsetMinutes: number,
  now: number,
): Promise<boolean> {
  if (!(await finishPendingOrder(trx, order.order_id, change.status, change.paidAt, now))) return false;
  const extra = order.payment_method === 'payid' && order.callback_url !== '' ? await payIdFieldsOf(trx, order, change) : undefined;
  const callback = callbackOf(order, change, apiKey, offsetMinutes, now, extra);
  if (callback) await enqueueNotification(trx, callback, now);
  return true;
}

/** A PayID order's callback fields: the PayID from its latest attempt's instructions, the rejection from the change. */
async function payIdFieldsOf(trx: Db, order: OrderRecord, change: OrderChange): Promise<Record<string, string>> {
  return payIdCallbackFields(await findLatestAttempt(trx, order.order_id), change.rejection);
}

/**
 * The callback (outbox row) of `order` finished with `change`, signed; undefined when it has
 * no callback_url. `extra`: unsigned fields after the signed ones (PayID's).
 */
export function callbackOf(
  order: OrderRecord,
  change: OrderChange,
  apiKey: string,
  offsetMinutes: number,
  now: number,
  extra?: Readonly<Record<string, string>>,
): { order_id: string; user_id: string; url: string; body: string } | undefined {
  if (order.callback_url === '') return undefined;
  const finished = { ...order, status: change.status, paid_at: change.paidAt, updated_at: now };
  return { order_id: order.order_id, user_id: order.user_id, url: order.callback_url, body: callbackBody(finished, apiKey, offsetMinutes, extra) };
}

/** Ends a pending order as `failed` (expiry, a provider error), with its callback. */
export function failPendingOrder(trx: Db, order: OrderRecord, apiKey: string, offsetMinutes: number, now: number): Promise<boolean> {
  return finishOrderWithCallback(trx, order, { status: 'failed', paidAt: null }, apiKey, offsetMinutes, now);
}
