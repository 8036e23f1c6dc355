import { ChannelNotificationError, type ChannelOutcome } from '../channels/channel.js';
import { recordChannelEvent } from '../store/channel-events.js';
import { appendLedgerEntry } from '../store/ledger.js';
import { findOrderById, lockOrderById, type OrderRecord } from '../store/orders.js';
import { settlePendingOrders, type PendingSettlement } from '../store/settlements.js';
import { batcherPer } from '../store/turn-batcher.js';
import { callbackOf, finishOrderWithCallback } from './finish-pending-order.js';
import type { GatewayContext } from './context.js';
import { outgoingKey, type MerchantUser } from './credentials.js';
import type { RefundRecord } from '../store/refunds.js';
import { recordLatePaymentReversal, settleReversal } from './reverse-late-payment.js';

export type ApplyResult = 'applied' | 'duplicate' | 'unchanged' | 'reversed';

/**
 * Takes a provider's verified notification into the gateway: the order's status change
 * and its callback (the outbox row) commit in one transaction, so a crash between them
 * loses nothing; a repeated notification changes nothing. Waiters and the delivery
 * worker are told after the commit. On PostgreSQL the notifications of one event-loop
 * turn are applied together (applyTurn).
 */
export async function applyChannelOutcome(ctx: GatewayContext, channelName: string, outcome: ChannelOutcome): Promise<ApplyResult> {
  if (ctx.store.kind !== 'postgres') return applyOne(ctx, channelName, outcome);
  const settled = await settlementBatcher(ctx).add({ channelName, outcome });
  if ('error' in settled) throw settled.error;
  return settled.result;
}

/** One outcome in its own transaction: the general path, which handles every case. */
async function applyOne(ctx: GatewayContext, channelName: string, outcome: ChannelOutcome): Promise<ApplyResult> {
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
      // Locked on PostgreSQL before the event is recorded: the order settlePendingOrders takes them in.
      const order = ctx.store.kind === 'postgres' ? await lockOrderById(trx, outcome.orderId) : await findOrderById(trx, outcome.orderId);
      checkOutcome(order, channelName, outcome);
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
      if (!(await finishOrderWithCallback(trx, order, change, outgoingKey(signer, now), ctx.config.timeZoneOffsetMinutes, now))) return 'unchanged';
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

/** Throws when the outcome does not belong to the order (or there is none). */
function checkOutcome(order: OrderRecord | undefined, channelName: string, outcome: ChannelOutcome): asserts order is OrderRecord {
  if (!order || order.channel !== channelName) throw new ChannelNotificationError(`unknown order ${outcome.orderId}`);
  if (Number(order.amount_minor) !== outcome.amountMinor || order.currency !== outcome.currency) {
    throw new ChannelNotificationError(`amount or currency does not match order ${outcome.orderId}`);
  }
}

interface Settlement {
  channelName: string;
  outcome: ChannelOutcome;
}
type Settled = { result: ApplyResult } | { error: unknown };

const settlementBatcher = batcherPer((ctx: GatewayContext, items: Settlement[]) => applyTurn(ctx, items));

/**
 * PostgreSQL: the outcomes that arrive in one turn of the event loop are applied together,
 * in two round trips for the whole turn instead of seven each: one read of their orders
 * and one statement (settlePendingOrders) that settles those still pending, with their
 * callbacks signed beforehand. The batch takes the common case: a fresh outcome for a
 * pending order. The rest (a repeat, a second outcome for the same order, a final order)
 * go through applyOne afterwards; if the batch's statement fails, none of it is kept and
 * every outcome goes through applyOne.
 */
async function applyTurn(ctx: GatewayContext, items: Settlement[]): Promise<Settled[]> {
  const answers = new Array<Settled | undefined>(items.length);
  let applied: string[] = [];
  try {
    applied = await applyBatch(ctx, items, answers);
  } catch (error) {
    ctx.log.warn({ err: error, outcomes: items.length }, 'batched settlement failed; applying its outcomes one by one');
    answers.fill(undefined);
    applied = [];
  }
  for (const orderId of applied) ctx.events.publish(orderId);
  if (applied.length > 0) ctx.wakeNotifier();
  // One by one, in the order they came: of two outcomes that conflict, the first wins.
  for (const [i, { channelName, outcome }] of items.entries()) {
    if (answers[i]) continue;
    try {
      answers[i] = { result: await applyOne(ctx, channelName, outcome) };
    } catch (error) {
      answers[i] = { error };
    }
  }
  return answers as Settled[];
}

/** Fills `answers` for the outcomes it settles (or refuses); the order ids it settled. */
async function applyBatch(ctx: GatewayContext, items: Settlement[], answers: Array<Settled | undefined>): Promise<string[]> {
  // Read without a lock: what is checked and signed from it does not change, and the
  // statement settles an order only if it is still pending.
  const orders = await Promise.all(items.map((item) => findOrderById(ctx.store.db, item.outcome.orderId)));
  // Their users, from the cache or read now (outside any transaction, so no pool deadlock).
  const userIds = [...new Set(orders.flatMap((order) => (order ? [order.user_id] : [])))];
  const users = new Map(await Promise.all(userIds.map(async (id) => [id, await ctx.credentials.findUser(id)] as const)));
  const now = ctx.clock();
  const offset = ctx.config.timeZoneOffsetMinutes;
  const taken = new Set<string>();
  const batch: Array<{ i: number; settlement: PendingSettlement }> = [];
  for (const [i, { channelName, outcome }] of items.entries()) {
    const order = orders[i];
    try {
      checkOutcome(order, channelName, outcome);
    } catch (error) {
      answers[i] = { error };
      continue;
    }
    if (taken.has(order.order_id)) continue;
    taken.add(order.order_id);
    const signer = users.get(order.user_id);
    if (!signer || order.status !== 'pending') continue;
    const change = { status: outcome.outcome, paidAt: outcome.outcome === 'paid' ? outcome.occurredAt : null };
    const callback = callbackOf(order, change, outgoingKey(signer, now), offset, now);
    batch.push({
      i,
      settlement: { orderId: order.order_id, ...change, channel: channelName, eventId: outcome.eventId, url: callback?.url ?? '', body: callback?.body ?? '' },
    });
  }
  if (batch.length === 0) return [];
  const settled = await settlePendingOrders(ctx.store.db, batch.map((b) => b.settlement), now);
  for (const { i, settlement } of batch) if (settled.has(settlement.orderId)) answers[i] = { result: 'applied' };
  return [...settled];
}

/** A provider's raw notification: verified by its channel, then applied. */
export async function receiveChannelNotification(ctx: GatewayContext, channelName: string, body: unknown): Promise<ApplyResult> {
  const channel = ctx.channels.byName(channelName);
  if (!channel) throw new ChannelNotificationError(`unknown channel ${channelName}`);
  return applyChannelOutcome(ctx, channelName, channel.parseNotification(body));
}
