import type { OrderRecord } from './orders.js';
import type { Db } from './store.js';

/**
 * The changes an invoice makes to its backing order (an ordinary order otherwise): only
 * while it is pending, so a paid or ended order never changes. Each answers false when the
 * order was no longer pending.
 */

/** The payer picked another method: the order is paid with it, through the provider account that serves it. */
export async function switchBackingOrderMethod(
  db: Db,
  orderId: string,
  change: Pick<OrderRecord, 'payment_method' | 'channel' | 'provider_account_id'>,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('orders')
    .set({ ...change, updated_at: now })
    .where('order_id', '=', orderId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The merchant edited the invoice (PUT /v2/invoice): its order follows. */
export async function updateBackingOrderTerms(
  db: Db,
  orderId: string,
  change: Pick<OrderRecord, 'amount_minor' | 'amount_cny_minor' | 'currency_rate' | 'product_name' | 'expires_at' | 'return_url' | 'callback_url'>,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('orders')
    .set({ ...change, updated_at: now })
    .where('order_id', '=', orderId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
