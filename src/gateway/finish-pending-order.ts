import { enqueueNotification } from '../store/notifications.js';
import { finishPendingOrder, type OrderRecord } from '../store/orders.js';
import type { Db } from '../store/store.js';
import { callbackBody } from './result-fields.js';

/**
 * Ends a pending order with a final status and queues its callback (when it has a
 * callback_url: a barcode payment may have none) inside the caller's transaction, so the
 * change and its notification commit together. Returns false, and writes nothing, when
 * the order was no longer pending (of two concurrent changes exactly one wins).
 */
export async function finishOrderWithCallback(
  trx: Db,
  order: OrderRecord,
  change: { status: string; paidAt: number | null },
  apiKey: string,
  offsetMinutes: number,
  now: number,
): Promise<boolean> {
  if (!(await finishPendingOrder(trx, order.order_id, change.status, change.paidAt, now))) return false;
  const callback = callbackOf(order, change, apiKey, offsetMinutes, now);
  if (callback) await enqueueNotification(trx, callback, now);
  return true;
}

/** The callback (outbox row) of `order` finished with `change`, signed; undefined when it has no callback_url. */
export function callbackOf(
  order: OrderRecord,
  change: { status: string; paidAt: number | null },
  apiKey: string,
  offsetMinutes: number,
  now: number,
): { order_id: string; user_id: string; url: string; body: string } | undefined {
  if (order.callback_url === '') return undefined;
  const finished = { ...order, status: change.status, paid_at: change.paidAt, updated_at: now };
  return { order_id: order.order_id, user_id: order.user_id, url: order.callback_url, body: callbackBody(finished, apiKey, offsetMinutes) };
}

/** Ends a pending order as `failed` (expiry, a provider error), with its callback. */
export function failPendingOrder(trx: Db, order: OrderRecord, apiKey: string, offsetMinutes: number, now: number): Promise<boolean> {
  return finishOrderWithCallback(trx, order, { status: 'failed', paidAt: null }, apiKey, offsetMinutes, now);
}
