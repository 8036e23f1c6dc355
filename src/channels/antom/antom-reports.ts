import type { PaymentReport, RefundReport } from '../provider.js';
import { derivedRate, fromAntomAmount, normalisedRate, type AntomAmount } from './antom-amounts.js';

/**
 * What Antom's answers and notifications say about a payment or a refund, as the gateway's
 * reports (docs/providers/antom-protocol.md §4, §5, §7). Pure: no I/O.
 */

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/;

/** An ISO 8601 time with its offset (`Z`, `-07:00`, `+08:00`) as epoch ms; undefined otherwise. */
export function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || !ISO_8601.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** ISO 8601 to the second with an explicit offset, in UTC (`2026-05-19T01:52:32+00:00`), as Antom's examples write times. */
export function isoTime(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', '+00:00');
}

function rawAmount(value: unknown): AntomAmount | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { currency, value: v } = value as Record<string, unknown>;
  return typeof currency === 'string' && typeof v === 'string' && fromAntomAmount(value) ? { currency, value: v } : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * What the payer paid, in their currency, and the rate (§7): `customsDeclarationAmount` (the CNY
 * an Alipay CN user paid) when present, else `actualPaymentAmount` when it is in another
 * currency than the order; the rate is `paymentQuote.quotePrice` when it quotes this pair,
 * else derived from the two amounts. Nothing when the payer paid in the order's currency.
 */
export function payerOf(body: Record<string, unknown>, order: AntomAmount): Pick<PaymentReport, 'payerAmountMinor' | 'payerCurrency' | 'payerRate'> {
  const customs = rawAmount(body.customsDeclarationAmount);
  const actual = rawAmount(body.actualPaymentAmount);
  const payer = customs && customs.currency !== order.currency ? customs : actual && actual.currency !== order.currency ? actual : undefined;
  if (!payer) return {};
  const converted = fromAntomAmount(payer);
  if (!converted) return {};
  const quote = typeof body.paymentQuote === 'object' && body.paymentQuote !== null ? (body.paymentQuote as Record<string, unknown>) : undefined;
  const quoted = quote && quote.quoteCurrencyPair === `${order.currency}/${payer.currency}` ? normalisedRate(quote.quotePrice) : undefined;
  const rate = quoted ?? derivedRate(order, payer);
  return { payerAmountMinor: converted.amountMinor, payerCurrency: converted.currency, ...(rate ? { payerRate: rate } : {}) };
}

/** A paid payment's report from the fields shared by pay (S), inquiryPayment and notifyPayment. */
export function paidReport(attemptId: string, body: Record<string, unknown>, now: number): PaymentReport {
  const order = rawAmount(body.paymentAmount);
  const amount = order ? fromAntomAmount(order) : undefined;
  return {
    attemptId,
    state: 'paid',
    ...(text(body.paymentId) ? { providerPaymentId: text(body.paymentId) } : {}),
    ...(amount ? { amountMinor: amount.amountMinor, currency: amount.currency } : {}),
    ...(order ? payerOf(body, order) : {}),
    occurredAt: parseTime(body.paymentTime) ?? now,
    raw: body,
  };
}

/** An unpaid payment's report: still open, failed, or closed (cancelled, expired). */
export function unpaidReport(attemptId: string, state: 'pending' | 'failed' | 'closed', body: Record<string, unknown>, now: number): PaymentReport {
  return {
    attemptId,
    state,
    ...(text(body.paymentId) ? { providerPaymentId: text(body.paymentId) } : {}),
    occurredAt: state === 'pending' ? now : parseTime(body.paymentTime) ?? parseTime(body.cancelTime) ?? now,
    raw: body,
  };
}

/**
 * inquiryPayment's `paymentStatus` as a report (`result` there is the inquiry's, not the
 * payment's): SUCCESS paid; FAIL failed; CANCELLED closed; PROCESSING and PENDING ("paid,
 * waiting for the final result") pending. Undefined for a status it does not know.
 */
export function inquiryReport(attemptId: string, body: Record<string, unknown>, now: number): PaymentReport | undefined {
  switch (body.paymentStatus) {
    case 'SUCCESS':
      return paidReport(attemptId, body, now);
    case 'FAIL':
      return unpaidReport(attemptId, 'failed', body, now);
    case 'CANCELLED':
      return unpaidReport(attemptId, 'closed', body, now);
    case 'PROCESSING':
    case 'PENDING':
      return unpaidReport(attemptId, 'pending', body, now);
    default:
      return undefined;
  }
}

/** A refund's `refundStatus` (inquiryRefund, notifyRefund) as a report; undefined when absent or unknown. */
export function refundReportOf(refundId: string, body: Record<string, unknown>): RefundReport | undefined {
  const providerRefundId = text(body.refundId);
  const base = { refundId, ...(providerRefundId ? { providerRefundId } : {}), raw: body };
  switch (body.refundStatus) {
    case 'SUCCESS':
      return { ...base, state: 'succeeded' };
    case 'PROCESSING':
      return { ...base, state: 'processing' };
    case 'FAIL': {
      const result = typeof body.result === 'object' && body.result !== null ? (body.result as Record<string, unknown>) : {};
      const code = text(result.resultCode);
      return { ...base, state: 'failed', reason: `Antom: the refund failed${code && code !== 'SUCCESS' ? ` (${code})` : ''}` };
    }
    default:
      return undefined;
  }
}
