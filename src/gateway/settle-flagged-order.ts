import { appendLedgerEntry } from '../store/ledger.js';
import { findOrderForUpdate } from '../store/orders.js';
import { listAttemptsOfOrder, updateAttempt } from '../store/payment-attempts.js';
import { recordAudit, type Actor } from './audit.js';
import type { GatewayContext } from './context.js';
import { outgoingKey } from './credentials.js';
import { MerchantInputError } from './create-merchant.js';
import { finishOrderWithCallback } from './finish-pending-order.js';

/**
 * An operator ends an order flagged for review (a payment that did not match it), having
 * checked with the provider what really happened: `paid` (the order's amount did arrive:
 * paid, credited, its callback sent) or `failed` (it did not: failed, its callback sent;
 * money that did arrive is the operator's to return at the provider). Recorded in the
 * audit log with the reason.
 */
export async function settleFlaggedOrder(
  ctx: GatewayContext,
  orderId: string,
  status: 'paid' | 'failed',
  reason: string,
  by: Actor,
): Promise<void> {
  if (reason.trim() === '') throw new MerchantInputError('--reason must say why (what the provider shows)');
  const now = ctx.clock();
  const settled = await ctx.store.db.transaction().execute(async (trx) => {
    const order = await findOrderForUpdate(trx, orderId);
    if (!order) throw new MerchantInputError(`no order ${orderId}`);
    if (order.status !== 'pending' || order.review_reason === null) {
      throw new MerchantInputError(`order ${orderId} is ${order.status}${order.review_reason === null ? ' and not flagged for review' : ''}: only a flagged pending order is settled by hand`);
    }
    const user = await ctx.credentials.findUser(order.user_id);
    if (!user) throw new MerchantInputError(`order ${orderId} has no user`);
    const change = { status, paidAt: status === 'paid' ? now : null };
    if (!(await finishOrderWithCallback(trx, order, change, outgoingKey(user, now), ctx.config.timeZoneOffsetMinutes, now))) return false;
    // The attempt whose payment was flagged is the one the provider said was paid.
    const attempt = (await listAttemptsOfOrder(trx, orderId)).filter((a) => a.status === 'paid').at(-1);
    if (status === 'failed' && attempt) await updateAttempt(trx, attempt.attempt_id, { status: 'failed' }, now);
    if (status === 'paid') {
      await appendLedgerEntry(trx, {
        wallet_id: order.wallet_id,
        order_id: orderId,
        refund_id: null,
        kind: 'payment',
        amount_minor: Number(order.amount_minor),
        currency: order.currency,
        created_at: now,
      });
    }
    await recordAudit(trx, by, 'order.settle', orderId, { status, reason, review_reason: order.review_reason }, now);
    return true;
  });
  if (!settled) throw new MerchantInputError(`order ${orderId} changed meanwhile; look at it again`);
  ctx.events.publish(orderId);
  ctx.wakeNotifier();
}
