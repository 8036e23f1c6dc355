import type { ChannelRegistry } from '../channels/channel.js';
import { findExpiredOrders, lockExpiredOrders, type OrderRecord } from '../store/orders.js';
import type { GatewayContext } from './context.js';
import { outgoingKey } from './credentials.js';
import { failPendingOrder } from './finish-pending-order.js';

/** What the sweep needs: the gateway context (tests pass theirs), or its parts in a worker-only process. */
export type ExpiryContext = Pick<GatewayContext, 'config' | 'store' | 'credentials' | 'events' | 'wakeNotifier' | 'clock' | 'log'> & {
  /** To close the expired orders' trades with their providers; absent where no channel runs. */
  readonly channels?: ChannelRegistry;
};

export interface ExpireOptions {
  /** Orders claimed per transaction. */
  batchSize?: number;
}

/**
 * Order expiry (ORDER_TTL_SECONDS): every pending order whose payment window has closed
 * becomes `failed`, and its callback is queued in the same transaction. Orders are claimed
 * in batches, locked with FOR UPDATE SKIP LOCKED on PostgreSQL, so sweeps running at once
 * (on several instances) never fail or notify an order twice. After each commit, waiters
 * and the delivery worker are told and the providers' trades are closed (best effort), so
 * a customer cannot pay an order that has already failed. Returns how many orders expired.
 */
export async function expireDueOrders(ctx: ExpiryContext, options: ExpireOptions = {}): Promise<number> {
  const batchSize = options.batchSize ?? 100;
  const { store, log } = ctx;
  let total = 0;
  for (;;) {
    const now = ctx.clock();
    const candidates = await findExpiredOrders(store.db, now, batchSize);
    if (candidates.length === 0) break;
    // The api keys that sign the callbacks are read before the transaction: a transaction
    // that waits for a second pool connection can deadlock a full pool.
    const apiKeys = new Map<string, string>();
    for (const userId of new Set(candidates.map((c) => c.user_id))) {
      const user = await ctx.credentials.findUser(userId);
      if (user) apiKeys.set(userId, outgoingKey(user, now));
    }
    const expired = await store.db.transaction().execute(async (trx) => {
      const claimed = await lockExpiredOrders(trx, candidates.map((c) => c.order_id), now);
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
    await closeTrades(ctx, expired);
    // A short batch was the last; an empty claim means another sweeper holds the rest.
    if (candidates.length < batchSize || expired.length === 0) break;
  }
  return total;
}

async function closeTrades(ctx: ExpiryContext, orders: readonly OrderRecord[]): Promise<void> {
  const closing = orders.map(async (order) => {
    const channel = ctx.channels?.byName(order.channel);
    if (!channel || typeof channel.closePayment !== 'function') return;
    try {
      await channel.closePayment(order.order_id);
    } catch (error) {
      ctx.log.warn({ err: error, orderId: order.order_id }, 'could not close the trade of an expired order');
    }
  });
  await Promise.all(closing);
}
