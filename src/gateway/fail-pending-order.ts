import { enqueueNotification } from '../store/notifications.js';
import { finishPendingOrder, type OrderRecord } from '../store/orders.js';
import type { Db } from '../store/store.js';
import { callbackBody } from './result-fields.js';

/**
 * Ends a pending order as `failed` and queues its callback (when it has a callback_url)
 * inside the caller's transaction, so the change and its notification commit together.
 * Returns false, and writes nothing, when the order was no longer pending.
 */
export async function failPendingOrder(trx: Db, order: OrderRecord, apiKey: string, offsetMinutes: number, now: number): Promise<boolean> {
  if (!(await finishPendingOrder(trx, order.order_id, 'failed', null, now))) return false;
  if (order.callback_url !== '') {
    const failed = { ...order, status: 'failed', paid_at: null, updated_at: now };
    await enqueueNotification(trx, { order_id: order.order_id, url: order.callback_url, body: callbackBody(failed, apiKey, offsetMinutes) }, now);
  }
  return true;
}
