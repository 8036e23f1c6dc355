import { ChannelNotificationError, type ChannelOutcome } from '../channels/channel.js';
import { recordChannelEvent } from '../store/channel-events.js';
import { appendLedgerEntry } from '../store/ledger.js';
import { findOrderById } from '../store/orders.js';
import { finishOrderWithCallback } from './finish-pending-order.js';
import type { GatewayContext } from './context.js';
import type { MerchantUser } from './credentials.js';
import type { RefundRecord } from '../store/refunds.js';
import { recordLatePaymentReversal, settleReversal } from './reverse-late-payment.js';

export type ApplyResult = 'applied' | 'duplicate' | 'unchanged' | 'reversed';

/**
 * Takes a provider's verified notification into the gateway: the order's status change
 * and its callback (the outbox row) commit in one transaction, so a crash between them
 * loses nothing; a repeated notification changes nothing. Waiters and the delivery
 * worker are told after the commit.
 */
export async function applyChannelOutcome(ctx: GatewayContext, channelName: string, outcome: ChannelOutcome): Promise<ApplyResult> {
  const now = ctx.clock();
  let reversal: RefundRecord | undefined;
  // The callback is signed with the order's user's api key. The transaction takes the user
  // from the cache; on a miss it stops before writing anything, the user is read outside it
  // (a transaction that waits for a second pool connection can deadlock a full pool), and
  // it runs again.
  let user: MerchantUser | undefined;
  let result: ApplyResult | { needsUser: string };
  for (;;) {
    result = await ctx.store.db.transaction().execute(async (trx): Promise<ApplyResult | { needsUser: string }> => {
      const order = await findOrderById(trx, outcome.orderId);
      if (!order || order.channel !== channelName) throw new ChannelNotificationError(`unknown order ${outcome.orderId}`);
      if (Number(order.amount_minor) !== outcome.amountMinor || order.currency !== outcome.currency) {
        throw new ChannelNotificationError(`amount or currency does not match order ${outcome.orderId}`);
      }
      const signer = user ?? ctx.credentials.cachedUser(order.user_id);
      if (!signer) return { needsUser: order.user_id };
      const fresh = await recordChannelEvent(
        trx,
        { channel: channelName, event_id: outcome.eventId, order_id: outcome.orderId, outcome: outcome.outcome },
        now,
      );
      if (!fresh) return 'duplicate';
      if (order.status !== 'pending') {
        // Money arrived for an order that can no longer take it (cancelled, failed): give it back.
        if (outcome.outcome === 'paid' && order.status !== 'paid') {
          reversal = await recordLatePaymentReversal(trx, ctx, order, now);
          return 'reversed';
        }
        if (order.status !== outcome.outcome) {
          ctx.log.warn({ orderId: order.order_id, status: order.status, outcome: outcome.outcome }, 'provider outcome for an order that is already final');
        }
        return 'unchanged';
      }
      const paidAt = outcome.outcome === 'paid' ? outcome.occurredAt : null;
      const change = { status: outcome.outcome, paidAt };
      if (!(await finishOrderWithCallback(trx, order, change, signer.apiKey, ctx.config.timeZoneOffsetMinutes, now))) return 'unchanged';
      if (outcome.outcome === 'paid') {
        await appendLedgerEntry(trx, {
          wallet_id: order.wallet_id,
          order_id: order.order_id,
          refund_id: null,
          kind: 'payment',
          amount_minor: Number(order.amount_minor),
          currency: order.currency,
          created_at: now,
        });
      }
      return 'applied';
    });
    // The second run has the user, so it always ends here.
    if (typeof result === 'string') break;
    user = await ctx.credentials.findUser(result.needsUser);
    if (!user) throw new Error(`order ${outcome.orderId} has no user`);
  }
  if (reversal) await settleReversal(ctx, reversal);
  if (result === 'applied') {
    ctx.events.publish(outcome.orderId);
    ctx.wakeNotifier();
  }
  return result;
}

/** A provider's raw notification: verified by its channel, then applied. */
export async function receiveChannelNotification(ctx: GatewayContext, channelName: string, body: unknown): Promise<ApplyResult> {
  const channel = ctx.channels.byName(channelName);
  if (!channel) throw new ChannelNotificationError(`unknown channel ${channelName}`);
  return applyChannelOutcome(ctx, channelName, channel.parseNotification(body));
}
