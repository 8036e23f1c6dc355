import { formatAmount } from '../domain/money.js';
import { formatWireTime } from '../domain/time.js';
import { listLedgerEntriesOfOrder } from '../store/ledger.js';
import { listAttempts, listNotificationsForOrder } from '../store/notifications.js';
import type { OrderRecord } from '../store/orders.js';
import { listRefundsForOrder } from '../store/refunds.js';
import { listAttemptsOfOrder } from '../store/payment-attempts.js';
import type { Db } from '../store/store.js';

/** Wire time, or null. */
const timeOf = (ms: number | null, offset: number) => (ms === null ? null : formatWireTime(Number(ms), offset));
/** Signed minor units as a decimal string ("-5.00"). */
const signedAmount = (minor: number) => (minor < 0 ? `-${formatAmount(-minor)}` : formatAmount(minor));

/**
 * Everything an operator needs to answer "what happened to this order": its fields, its
 * refunds, the callbacks sent about it with their attempts, and its ledger entries. Times
 * are wire times (TIMEZONE_OFFSET); amounts are the wire's 2-decimal strings.
 */
export async function describeOrder(db: Db, order: OrderRecord, offsetMinutes: number) {
  const [refunds, notifications, ledger, attempts] = await Promise.all([
    listRefundsForOrder(db, order.order_id),
    listNotificationsForOrder(db, order.order_id),
    listLedgerEntriesOfOrder(db, order.order_id),
    listAttemptsOfOrder(db, order.order_id),
  ]);
  const callbacks = await Promise.all(
    notifications.map(async (n) => {
      const attempts = await listAttempts(db, Number(n.id));
      const last = attempts.at(-1);
      return {
        id: Number(n.id),
        url: n.url,
        status: n.status,
        attempts: attempts.length,
        last_attempt: last ? { at: timeOf(Number(last.attempted_at), offsetMinutes), http_status: last.http_status, error: last.error } : null,
      };
    }),
  );
  return {
    order_id: order.order_id,
    merchant_reference: order.merchant_reference,
    user_id: order.user_id,
    wallet_id: order.wallet_id,
    status: order.status,
    /** Why the order waits for an operator (a payment that did not match it), or null. */
    review_reason: order.review_reason,
    payment_method: order.payment_method,
    amount: formatAmount(Number(order.amount_minor)),
    currency: order.currency,
    amount_cny: order.amount_cny_minor === null ? null : formatAmount(Number(order.amount_cny_minor)),
    currency_rate: order.currency_rate,
    product_name: order.product_name,
    provider: order.channel,
    created_at: timeOf(Number(order.created_at), offsetMinutes),
    expires_at: timeOf(Number(order.expires_at), offsetMinutes),
    paid_at: timeOf(order.paid_at === null ? null : Number(order.paid_at), offsetMinutes),
    callback_url: order.callback_url,
    return_url: order.return_url,
    attempts: attempts.map((a) => ({
      attempt_id: a.attempt_id,
      provider: a.provider,
      account_id: a.account_id,
      flow: a.flow,
      status: a.status,
      provider_payment_id: a.provider_payment_id,
      payer_amount: a.payer_amount_minor === null ? null : formatAmount(Number(a.payer_amount_minor)),
      payer_currency: a.payer_currency,
      payer_rate: a.payer_rate,
      created_at: timeOf(Number(a.created_at), offsetMinutes),
    })),
    refunds: refunds.map((r) => ({
      refund_id: r.refund_id,
      kind: r.kind,
      amount: formatAmount(Number(r.amount_minor)),
      reference: r.reference,
      status: r.status,
      failure: r.failure,
      created_at: timeOf(Number(r.created_at), offsetMinutes),
    })),
    callbacks,
    ledger: ledger.map((e) => ({ kind: e.kind, amount: signedAmount(Number(e.amount_minor)), refund_id: e.refund_id, at: timeOf(Number(e.created_at), offsetMinutes) })),
  };
}

export type OrderDescription = Awaited<ReturnType<typeof describeOrder>>;
