import type { ChannelRefundResult } from '../channels/channel.js';
import { appendLedgerEntry } from '../store/ledger.js';
import { findOrderById, type OrderRecord } from '../store/orders.js';
import { findRefund, finishPendingRefund, listStalePendingRefunds, type RefundRecord, claimStaleRefund } from '../store/refunds.js';
import type { GatewayContext } from './context.js';

/** Where a refund ended up after its provider was asked. */
export type RefundOutcome =
  | { readonly status: 'succeeded'; readonly channelRefundId: string }
  | { readonly status: 'failed'; readonly reason: string }
  /** The provider's answer is unknown (no answer, no provider): the refund stays pending, its money reserved. */
  | { readonly status: 'pending'; readonly reason: string };

/**
 * The second half of every refund (a merchant's, or the reversal of a late payment): the
 * refund row and its ledger debit are already committed; this asks the order's provider,
 * outside any transaction, then records the answer. A refusal marks the refund failed and
 * credits its debit back (`refund_failed`) in one transaction.
 */
export async function askChannelToRefund(ctx: GatewayContext, refund: RefundRecord, knownOrder?: OrderRecord): Promise<RefundOutcome> {
  const order = knownOrder ?? (await findOrderById(ctx.store.db, refund.order_id));
  const channel = order ? ctx.channels.byName(order.channel) : undefined;
  if (!order || !channel) {
    ctx.log.error({ refundId: refund.refund_id, orderId: refund.order_id }, 'no provider to refund through; the refund stays pending');
    return { status: 'pending', reason: 'the order has no provider on this gateway' };
  }
  let answer: ChannelRefundResult;
  try {
    answer = await channel.refund({
      refundId: refund.refund_id,
      orderId: order.order_id,
      tradeId: order.channel_trade_id,
      amountMinor: Number(refund.amount_minor),
      currency: refund.currency,
      reason: refund.reference,
    });
  } catch (error) {
    ctx.log.warn({ err: error, refundId: refund.refund_id }, 'the provider did not answer a refund; it stays pending');
    return { status: 'pending', reason: 'the provider did not answer' };
  }
  return recordRefundAnswer(ctx, refund, answer);
}

async function recordRefundAnswer(ctx: GatewayContext, refund: RefundRecord, answer: ChannelRefundResult): Promise<RefundOutcome> {
  const now = ctx.clock();
  const finished = await ctx.store.db.transaction().execute(async (trx) => {
    if (answer.status === 'succeeded') {
      return finishPendingRefund(trx, refund.refund_id, { status: 'succeeded', channelRefundId: answer.channelRefundId }, now);
    }
    if (!(await finishPendingRefund(trx, refund.refund_id, { status: 'failed', failure: answer.reason }, now))) return false;
    await appendLedgerEntry(trx, {
      wallet_id: refund.wallet_id,
      order_id: refund.order_id,
      refund_id: refund.refund_id,
      kind: 'refund_failed',
      amount_minor: Number(refund.amount_minor),
      currency: refund.currency,
      created_at: now,
    });
    return true;
  });
  if (finished) {
    return answer.status === 'succeeded' ? answer : { status: 'failed', reason: answer.reason };
  }
  // Someone else (a concurrent retry) recorded the answer first: report what they recorded.
  const current = await findRefund(ctx.store.db, refund.refund_id);
  if (current?.status === 'succeeded') return { status: 'succeeded', channelRefundId: current.channel_refund_id ?? '' };
  if (current?.status === 'failed') return { status: 'failed', reason: current.failure ?? '' };
  return { status: 'pending', reason: 'the refund is still pending' };
}

/**
 * Asks the provider again about refunds left pending for longer than `olderThanMs` (the
 * process died between commit and the provider's answer, or the provider did not answer).
 * Providers take the refund id as an idempotency key, so asking twice refunds once.
 */
export async function resumePendingRefunds(ctx: GatewayContext, olderThanMs: number, limit = 100): Promise<number> {
  const stale = await listStalePendingRefunds(ctx.store.db, ctx.clock() - olderThanMs, limit);
  let settled = 0;
  for (const refund of stale) {
    if (!(await claimStaleRefund(ctx.store.db, refund.refund_id, Number(refund.updated_at), ctx.clock()))) continue;
    const outcome = await askChannelToRefund(ctx, refund);
    if (outcome.status !== 'pending') settled++;
  }
  return settled;
}
