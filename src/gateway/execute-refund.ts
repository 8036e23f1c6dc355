import { notifyUrlOf } from '../channels/provider-registry.js';
import { ProviderError, type RefundReport } from '../channels/provider.js';
import { formatAmount } from '../domain/money.js';
import { appendLedgerEntry } from '../store/ledger.js';
import { flagFinishedOrder } from '../store/orders.js';
import { findAttempt, listAttemptsOfOrder, type AttemptRecord } from '../store/payment-attempts.js';
import { recordProviderMessage } from '../store/provider-messages.js';
import { claimStaleRefund, findRefund, listStaleOpenRefunds, moveOpenRefund, type RefundRecord } from '../store/refunds.js';
import { PROVIDER_REPORT_ACTOR, recordAudit } from './audit.js';
import type { GatewayContext } from './context.js';

/** Where a refund stands after its provider was asked. */
export type RefundOutcome =
  | { readonly status: 'succeeded'; readonly channelRefundId: string }
  /** The provider accepted it and will say later how it ended: the merchant is answered code 0. */
  | { readonly status: 'processing' }
  | { readonly status: 'failed'; readonly reason: string }
  /** No answer (no provider, a timeout): the refund stays pending, its money reserved, and is asked again. */
  | { readonly status: 'pending'; readonly reason: string };

/** The attempt a refund gives money back from: its own, or the order's paid attempt. */
async function attemptOfRefund(ctx: GatewayContext, refund: RefundRecord): Promise<AttemptRecord | undefined> {
  if (refund.attempt_id) return findAttempt(ctx.store.db, refund.attempt_id);
  return (await listAttemptsOfOrder(ctx.store.db, refund.order_id)).find((a) => a.status === 'paid');
}

/**
 * The second half of every refund (a merchant's, or the reversal of a late payment): the
 * refund row and its ledger debit are already committed; this asks the attempt's provider,
 * outside any transaction, then records the answer (recordRefundReport). Providers take the
 * refund id as their refund number, so asking again (after a timeout, a crash) never
 * refunds twice.
 */
export async function askProviderToRefund(ctx: GatewayContext, refund: RefundRecord): Promise<RefundOutcome> {
  const attempt = await attemptOfRefund(ctx, refund);
  const provider = attempt ? await ctx.providers.byAccount(attempt.account_id) : undefined;
  if (!attempt || !provider) {
    ctx.log.error({ refundId: refund.refund_id, orderId: refund.order_id }, 'no provider to refund through; the refund stays pending');
    return { status: 'pending', reason: 'the order has no provider on this gateway' };
  }
  let report: RefundReport;
  try {
    report = await provider.refund({
      refundId: refund.refund_id,
      attemptId: attempt.attempt_id,
      providerPaymentId: attempt.provider_payment_id,
      amountMinor: Number(refund.amount_minor),
      paymentAmountMinor: Number(attempt.amount_minor),
      currency: refund.currency,
      reason: refund.reference,
      notifyUrl: notifyUrlOf(ctx.config.publicUrl, attempt.provider, attempt.account_id),
    });
  } catch (error) {
    if (error instanceof ProviderError && error.outcome === 'declined') {
      report = { refundId: refund.refund_id, state: 'failed', reason: error.message };
    } else {
      ctx.log.warn({ err: error, refundId: refund.refund_id }, 'the provider did not take a refund; it stays pending and is asked again');
      return { status: 'pending', reason: error instanceof ProviderError ? error.message : 'the provider did not answer' };
    }
  }
  if (report.raw !== undefined) {
    await recordProviderMessage(ctx.store.db, { attempt_id: attempt.attempt_id, refund_id: refund.refund_id, provider: attempt.provider, kind: 'refund', body: report.raw }, ctx.clock());
  }
  await recordRefundReport(ctx, report);
  return outcomeOf((await findRefund(ctx.store.db, refund.refund_id)) ?? refund);
}

function outcomeOf(refund: RefundRecord): RefundOutcome {
  if (refund.status === 'succeeded') return { status: 'succeeded', channelRefundId: refund.channel_refund_id ?? '' };
  if (refund.status === 'processing') return { status: 'processing' };
  if (refund.status === 'failed') return { status: 'failed', reason: refund.failure ?? '' };
  return { status: 'pending', reason: 'the refund is still pending' };
}

/**
 * What a provider said about a refund (its answer, a query, a notification), recorded: a
 * pending refund becomes processing when accepted; an open one ends succeeded, or failed
 * with its debit credited back (`refund_failed`), in one transaction. Answers whether it
 * changed anything (a repeat changes nothing). A refund that fails after its provider had
 * accepted it is logged as an error: the merchant was told code 0. A reversal that fails
 * (a late payment the provider would not give back: Antom refuses to refund a payment its
 * cancel already returned, a refund window closed…) leaves money booked to the wallet that
 * the order should not hold: the order is flagged for review and the audit log says so, in
 * the same transaction, and an error is logged.
 */
export async function recordRefundReport(ctx: GatewayContext, report: RefundReport): Promise<boolean> {
  const now = ctx.clock();
  const before = await findRefund(ctx.store.db, report.refundId);
  if (!before) {
    ctx.log.warn({ refundId: report.refundId }, 'a provider reported a refund this gateway does not know');
    return false;
  }
  const changed = await ctx.store.db.transaction().execute(async (trx) => {
    if (report.state !== 'failed') {
      return moveOpenRefund(trx, report.refundId, { status: report.state, channelRefundId: report.providerRefundId ?? null }, now);
    }
    if (!(await moveOpenRefund(trx, report.refundId, { status: 'failed', failure: report.reason ?? 'refused by the provider' }, now))) return false;
    await appendLedgerEntry(trx, {
      wallet_id: before.wallet_id,
      order_id: before.order_id,
      refund_id: before.refund_id,
      kind: 'refund_failed',
      amount_minor: Number(before.amount_minor),
      currency: before.currency,
      created_at: now,
    });
    if (before.kind === 'reversal') {
      const amount = `${formatAmount(Number(before.amount_minor))} ${before.currency}`;
      const reason = report.reason ?? 'refused by the provider';
      await flagFinishedOrder(trx, before.order_id, `a late payment of ${amount} could not be given back (${reason}); check it with the provider`, now);
      await recordAudit(trx, PROVIDER_REPORT_ACTOR, 'order.reversal_failed', before.order_id, { refund_id: before.refund_id, amount, reason }, now);
    }
    return true;
  });
  if (changed && report.state === 'failed' && before.kind === 'reversal') {
    ctx.log.error(
      { orderId: before.order_id, refundId: report.refundId, reason: report.reason },
      'a late payment could not be given back; its money stays booked to the wallet and the order is flagged for review',
    );
    ctx.observer.reversalFailed();
  } else if (changed && report.state === 'failed' && before.status === 'processing') {
    ctx.log.error({ refundId: report.refundId, orderId: before.order_id, reason: report.reason }, 'a refund the provider had accepted failed; its money is back in the wallet');
    ctx.observer.refundFailedAfterAcceptance();
  }
  return changed;
}

/**
 * Refunds left in flight for longer than `olderThanMs`: pending ones (the process died
 * between commit and the provider's answer, or the provider did not answer) are asked
 * again with the same refund id; processing ones are looked up until they end.
 */
export async function resumeOpenRefunds(ctx: GatewayContext, olderThanMs: number, limit = 100): Promise<number> {
  const stale = await listStaleOpenRefunds(ctx.store.db, ctx.clock() - olderThanMs, limit);
  let ended = 0;
  for (const refund of stale) {
    // One instance takes each (the others saw another updated_at).
    if (!(await claimStaleRefund(ctx.store.db, refund.refund_id, Number(refund.updated_at), ctx.clock()))) continue;
    const outcome = refund.status === 'pending' ? await askProviderToRefund(ctx, refund) : await queryRefund(ctx, refund);
    if (outcome.status === 'succeeded' || outcome.status === 'failed') ended++;
  }
  return ended;
}

async function queryRefund(ctx: GatewayContext, refund: RefundRecord): Promise<RefundOutcome> {
  const attempt = await attemptOfRefund(ctx, refund);
  const provider = attempt ? await ctx.providers.byAccount(attempt.account_id) : undefined;
  if (!attempt || !provider) return outcomeOf(refund);
  try {
    const report = await provider.queryRefund({ refundId: refund.refund_id, attemptId: attempt.attempt_id, providerPaymentId: attempt.provider_payment_id, reason: refund.reference });
    await recordRefundReport(ctx, report);
  } catch (error) {
    ctx.log.warn({ err: error, refundId: refund.refund_id }, 'could not ask the provider about a processing refund; asking again later');
  }
  return outcomeOf((await findRefund(ctx.store.db, refund.refund_id)) ?? refund);
}
