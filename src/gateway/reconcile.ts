import { ProviderError, type AttemptRef, type PaymentProvider, type PaymentReport } from '../channels/provider.js';
import { findStaleProviderOrders } from '../store/orders.js';
import { findLatestAttempt, updateAttempt, type AttemptRecord } from '../store/payment-attempts.js';
import { recordProviderMessage } from '../store/provider-messages.js';
import type { GatewayContext } from './context.js';
import { settleReport } from './settle-payment.js';

/**
 * Reconciliation: the gateway asks providers instead of waiting for a notification that
 * may never come. A paid order whose notification was lost becomes paid, not failed.
 */

/**
 * Asks the attempt's provider what became of it, keeps the answer, and settles what it
 * says (only a payment, with `paidOnly`: an expiring order fails by expiry, not by the
 * trade its expiry just closed).
 */
async function queryAndSettle(ctx: GatewayContext, provider: PaymentProvider, attempt: AttemptRecord, paidOnly = false): Promise<PaymentReport> {
  const ref: AttemptRef = { attemptId: attempt.attempt_id, providerPaymentId: attempt.provider_payment_id };
  const report = await provider.queryPayment(ref);
  if (report.raw !== undefined) {
    await recordProviderMessage(ctx.store.db, { attempt_id: attempt.attempt_id, provider: provider.name, kind: 'query', body: report.raw }, ctx.clock());
  }
  if (report.state === 'paid' || (!paidOnly && report.state !== 'pending')) {
    await settleReport(ctx, provider.name, `query:${attempt.attempt_id}:${report.state}`, report);
  }
  return report;
}

/**
 * Before an order expires: what its provider says decides. `settled`: the provider says it
 * was paid (the order is now paid, or flagged when the amount does not match); `expire`:
 * nothing was paid, and an open trade has been closed, so the order may fail; `wait`: the
 * provider could not be asked, so the order waits for the next sweep.
 */
export async function askProviderFirst(ctx: GatewayContext, orderId: string): Promise<'expire' | 'settled' | 'wait'> {
  const attempt = await findLatestAttempt(ctx.store.db, orderId);
  // Never opened with a provider, or its attempt already ended: nothing to ask.
  if (!attempt || attempt.status !== 'pending') return 'expire';
  const provider = await ctx.providers.byAccount(attempt.account_id);
  if (!provider) {
    ctx.log.warn({ orderId, accountId: attempt.account_id }, 'an expiring order has no provider to ask; it expires unasked');
    return 'expire';
  }
  try {
    let report = await queryAndSettle(ctx, provider, attempt, true);
    if (report.state === 'paid') return 'settled';
    if (report.state === 'pending') {
      await provider.closePayment({ attemptId: attempt.attempt_id, providerPaymentId: attempt.provider_payment_id });
      // Paid between the question and the close: the answer after the close is the last word.
      report = await queryAndSettle(ctx, provider, attempt, true);
      if (report.state === 'paid') return 'settled';
    }
    await updateAttempt(ctx.store.db, attempt.attempt_id, { status: 'failed' }, ctx.clock());
    return 'expire';
  } catch (error) {
    const outcome = error instanceof ProviderError ? error.outcome : 'unknown';
    ctx.log.warn({ err: error, orderId, attemptId: attempt.attempt_id, outcome }, 'could not ask the provider about an expiring order; it waits for the next sweep');
    return 'wait';
  }
}

/**
 * Orders pending with a real provider for longer than `olderThanMs` are asked about, a
 * batch per call, going round them (a cursor kept by the caller between sweeps), so a lost
 * notification is found long before the order would expire. Answers how many it asked
 * about and the cursor for the next call.
 */
export async function reconcileStalePayments(
  ctx: GatewayContext,
  olderThanMs: number,
  cursor: { createdAt: number; orderId: string } | undefined,
  limit = 50,
): Promise<{ asked: number; cursor: { createdAt: number; orderId: string } | undefined }> {
  const stale = await findStaleProviderOrders(ctx.store.db, ctx.clock() - olderThanMs, cursor, limit);
  let asked = 0;
  for (const order of stale) {
    const attempt = await findLatestAttempt(ctx.store.db, order.order_id);
    if (!attempt || attempt.status !== 'pending') continue;
    const provider = await ctx.providers.byAccount(attempt.account_id);
    if (!provider) continue;
    asked++;
    try {
      await queryAndSettle(ctx, provider, attempt);
    } catch (error) {
      ctx.log.warn({ err: error, orderId: order.order_id }, 'could not ask a provider about a pending payment; asking again later');
    }
  }
  const last = stale.at(-1);
  // A short batch reached the end: the next call starts from the oldest again.
  const next = last && stale.length === limit ? { createdAt: Number(last.created_at), orderId: last.order_id } : undefined;
  return { asked, cursor: next };
}
