import { findExpiredOrders, lockExpiredOrders, type OrderRecord } from '../store/orders.js';
import type { GatewayContext } from './context.js';
import { outgoingKey } from './credentials.js';
import { failPendingOrder } from './finish-pending-order.js';
import { askProviderFirst } from './reconcile.js';

export interface ExpireOptions {
  /** Orders claimed per transaction. */
  batchSize?: number;
}

/**
 * Order expiry (ORDER_TTL_SECONDS; PAYID_TTL_SECONDS for PayID, whose payer sends a bank
 * transfer, see paymentWindowSeconds): a pending order whose payment window has closed
 * becomes `failed`, and its callback is queued in the same transaction, but only after its
 * provider was asked (askProviderFirst): an order paid at the provider whose notification
 * was lost becomes paid instead, and an open trade is closed first so it cannot be paid
 * after. An order whose provider cannot be asked now waits for the next sweep. An order
 * flagged for review (a payment that did not match it) is never expired: the operator ends
 * it with `orders settle`.
 *
 * Orders are claimed in batches, locked with FOR UPDATE SKIP LOCKED on PostgreSQL, so
 * sweeps running at once (on several instances) never fail or notify an order twice.
 * Returns how many orders expired.
 */
export async function expireDueOrders(ctx: GatewayContext, options: ExpireOptions = {}): Promise<number> {
  const batchSize = options.batchSize ?? 100;
  const { store, log } = ctx;
  let total = 0;
  // Orders a provider could not be asked about in this sweep: not claimed again by it.
  const deferred = new Set<string>();
  for (;;) {
    const now = ctx.clock();
    const candidates = (await findExpiredOrders(store.db, now, batchSize + deferred.size)).filter((c) => !deferred.has(c.order_id)).slice(0, batchSize);
    if (candidates.length === 0) break;
    const expirable: string[] = [];
    for (const candidate of candidates) {
      const verdict = await askProviderFirst(ctx, candidate.order_id);
      if (verdict === 'expire') expirable.push(candidate.order_id);
      else deferred.add(candidate.order_id);
    }
    // The api keys that sign the callbacks are read before the transaction: a transaction
    // that waits for a second pool connection can deadlock a full pool.
    const apiKeys = new Map<string, string>();
    for (const userId of new Set(candidates.map((c) => c.user_id))) {
      const user = await ctx.credentials.findUser(userId);
      if (user) apiKeys.set(userId, outgoingKey(user, now));
    }
    const expired = await store.db.transaction().execute(async (trx) => {
      const claimed = await lockExpiredOrders(trx, expirable, now);
      const done: OrderRecord[] = [];
      for (const order of claimed) {
        const apiKey = apiKeys.get(order.user_id);
        if (apiKey === undefined) {
          log.error({ orderId: order.order_id, userId: order.user_id }, 'cannot expire an order whose user is missing');
          continue;
        }
        if (await failPendingOrder(trx, order, apiKey, ctx.config.timeZoneOffsetMinutes, now)) done.push(order);
      }
      return done;
    });
    total += expired.length;
    for (const order of expired) ctx.events.publish(order.order_id);
    if (expired.some((order) => order.callback_url !== '')) ctx.wakeNotifier();
    if (expired.length > 0) log.info({ expired: expired.length }, 'expired unpaid orders');
    // A short batch was the last; an empty claim means another sweeper holds the rest.
    if (candidates.length < batchSize || (expired.length === 0 && expirable.length > 0)) break;
  }
  return total;
}
