import { generateRefundId } from '../domain/ids.js';
import { appendLedgerEntry } from '../store/ledger.js';
import type { OrderRecord } from '../store/orders.js';
import { insertRefund, type RefundRecord } from '../store/refunds.js';
import type { Db } from '../store/store.js';
import type { GatewayContext } from './context.js';
import { askProviderToRefund } from './execute-refund.js';

/**
 * A provider reports a payment the order cannot take: the order is final without it
 * (cancelled, failed, or paid by another attempt). Inside the transaction that records the
 * provider's event, the money is booked (`payment` credit) and given back at once: a
 * `reversal` refund of that attempt, pending, with its `reversal` debit. After commit,
 * `settleReversal` asks the provider like any refund. Nothing is lost: the row exists
 * before the provider is asked, and a failed reversal stays on record (failed, its debit
 * credited back, the order flagged for review) for an operator.
 */
export async function recordLatePaymentReversal(
  trx: Db,
  ctx: Pick<GatewayContext, 'config'>,
  order: OrderRecord,
  attemptId: string,
  amountMinor: number,
  now: number,
): Promise<RefundRecord> {
  const reversal: RefundRecord = {
    refund_id: generateRefundId(new Date(now), ctx.config.timeZoneOffsetMinutes),
    order_id: order.order_id,
    attempt_id: attemptId,
    user_id: order.user_id,
    wallet_id: order.wallet_id,
    amount_minor: amountMinor,
    currency: order.currency,
    reference: '',
    kind: 'reversal',
    status: 'pending',
    channel_refund_id: null,
    failure: null,
    created_at: now,
    updated_at: now,
  };
  const entry = { wallet_id: order.wallet_id, order_id: order.order_id, currency: order.currency, created_at: now };
  await appendLedgerEntry(trx, { ...entry, refund_id: null, kind: 'payment', amount_minor: amountMinor });
  await insertRefund(trx, reversal);
  await appendLedgerEntry(trx, { ...entry, refund_id: reversal.refund_id, kind: 'reversal', amount_minor: -amountMinor });
  return reversal;
}

/**
 * After commit: asks the provider to give the late payment back. Never throws (the
 * notification is already applied). A refusal flags the order (recordRefundReport).
 */
export async function settleReversal(ctx: GatewayContext, reversal: RefundRecord): Promise<void> {
  try {
    await askProviderToRefund(ctx, reversal);
  } catch (error) {
    ctx.log.error({ err: error, orderId: reversal.order_id, refundId: reversal.refund_id }, 'a late payment could not be given back; it stays pending');
  }
}
