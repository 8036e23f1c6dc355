import type { PaymentReport, RefundReport } from '../provider.js';

/**
 * What WeChat Pay's orders and refunds (query answers, Quick Pay answers, decrypted
 * notification resources) mean to the gateway. Pure: no I/O.
 */

/** A transaction as the query, a Quick Pay answer and TRANSACTION.* notifications give it. */
export interface WechatpayTransaction {
  readonly id?: string;
  readonly transaction_id?: string;
  readonly out_trade_no?: string;
  readonly trade_type?: string;
  readonly trade_state?: string;
  readonly trade_state_desc?: string;
  readonly success_time?: string;
  readonly mchid?: string;
  readonly sp_mchid?: string;
  readonly sub_mchid?: string;
  readonly payer?: Record<string, unknown>;
  readonly amount?: {
    readonly total?: unknown;
    readonly currency?: unknown;
    readonly payer_total?: unknown;
    readonly payer_currency?: unknown;
    readonly exchange_rate?: { readonly type?: unknown; readonly rate?: unknown };
  };
}

/** A refund as the refund query and REFUND.* notifications give it. */
export interface WechatpayRefund {
  readonly id?: string;
  readonly refund_id?: string;
  readonly out_refund_no?: string;
  readonly out_trade_no?: string;
  /** The query's status: SUCCESS | REFUNDCLOSE | PROCESSING | ABNORMAL. */
  readonly status?: string;
  /** The notification's: SUCCESS | CLOSED | ABNORMAL. */
  readonly refund_status?: string;
  readonly mchid?: string;
  readonly sp_mchid?: string;
  readonly sub_mchid?: string;
}

/** trade_state → the report's state. REFUND: paid, then (part) refunded; REVOKED: a reversed Quick Pay. */
const TRADE_STATES: Readonly<Record<string, PaymentReport['state']>> = {
  SUCCESS: 'paid',
  REFUND: 'paid',
  NOTPAY: 'pending',
  USERPAYING: 'pending',
  CLOSED: 'closed',
  REVOKED: 'closed',
  PAYERROR: 'failed',
};

/** The rate WeChat Pay gives as an integer × 10^8, as a decimal string by integer arithmetic: 646370000 → "6.4637". */
export function rateOf(scaled: unknown): string | undefined {
  if (typeof scaled !== 'number' || !Number.isSafeInteger(scaled) || scaled < 0) return undefined;
  const digits = String(scaled).padStart(9, '0');
  const whole = digits.slice(0, -8).replace(/^0+(?=\d)/, '');
  const fraction = digits.slice(-8).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

/** RFC 3339 (`2018-06-08T10:34:56+08:00`) as epoch ms; undefined when absent or not a time. */
export function timeOf(text: unknown): number | undefined {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** RFC 3339 in Beijing time (+08:00), as WeChat Pay writes times. */
export function beijingTime(epochMs: number): string {
  const shifted = new Date(Math.floor(epochMs / 1000) * 1000 + 8 * 3_600_000);
  return shifted.toISOString().replace(/\.\d{3}Z$/, '+08:00');
}

const integer = (value: unknown): number | undefined => (typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * A transaction as a PaymentReport. Amounts are the order's (`total` in `currency`); what
 * the payer paid (`payer_total` in `payer_currency`, usually CNY) and the rate are kept
 * beside them, never instead. An unknown trade_state is reported pending: asked again later.
 */
export function paymentReportOf(tx: WechatpayTransaction, attemptId: string, now: number, raw?: unknown): PaymentReport {
  const state = TRADE_STATES[tx.trade_state ?? ''] ?? 'pending';
  const amount = tx.amount ?? {};
  const report: { -readonly [K in keyof PaymentReport]: PaymentReport[K] } = {
    attemptId: tx.out_trade_no ?? attemptId,
    state,
    occurredAt: (state === 'paid' ? timeOf(tx.success_time) : undefined) ?? now,
  };
  const id = text(tx.id) ?? text(tx.transaction_id);
  if (id) report.providerPaymentId = id;
  const total = integer(amount.total);
  const currency = text(amount.currency);
  if (total !== undefined) report.amountMinor = total;
  if (currency) report.currency = currency;
  if (state === 'paid') {
    const payerTotal = integer(amount.payer_total);
    const payerCurrency = text(amount.payer_currency);
    const rate = rateOf(amount.exchange_rate?.rate);
    if (payerTotal !== undefined) report.payerAmountMinor = payerTotal;
    if (payerCurrency) report.payerCurrency = payerCurrency;
    if (rate) report.payerRate = rate;
  }
  if (raw !== undefined) report.raw = raw;
  return report;
}

/**
 * A refund's status as the gateway's: SUCCESS succeeded; CLOSED (notifications) and
 * REFUNDCLOSE (the query) failed, the money staying with the merchant; PROCESSING, and
 * ABNORMAL (the money could not reach the payer and waits for the merchant on WeChat Pay's
 * merchant platform), processing.
 */
export function refundStateOf(status: string | undefined): RefundReport['state'] | undefined {
  switch (status) {
    case 'SUCCESS':
      return 'succeeded';
    case 'CLOSED':
    case 'REFUNDCLOSE':
      return 'failed';
    case 'PROCESSING':
    case 'ABNORMAL':
      return 'processing';
    default:
      return undefined;
  }
}

export function refundReportOf(refund: WechatpayRefund, refundId: string, raw?: unknown): RefundReport {
  const status = refund.status ?? refund.refund_status;
  const state = refundStateOf(status) ?? 'processing';
  const report: { -readonly [K in keyof RefundReport]: RefundReport[K] } = { refundId: refund.out_refund_no ?? refundId, state };
  const id = text(refund.id) ?? text(refund.refund_id);
  if (id) report.providerRefundId = id;
  if (state === 'failed') report.reason = `WeChat Pay closed the refund (${status})`;
  if (status === 'ABNORMAL') report.reason = 'WeChat Pay could not return the money to the payer (ABNORMAL): it waits on the merchant platform';
  if (raw !== undefined) report.raw = raw;
  return report;
}

/** An openid kept for the audit trail without identifying the payer: its first and last four characters. */
export function maskOpenId(openid: unknown): unknown {
  if (typeof openid !== 'string') return openid;
  if (openid.length <= 8) return '*'.repeat(openid.length);
  return `${openid.slice(0, 4)}${'*'.repeat(openid.length - 8)}${openid.slice(-4)}`;
}

/** A resource with the payer's openids masked (nothing else in it is secret). */
export function maskedResource<T extends { payer?: Record<string, unknown> }>(resource: T): T {
  if (!resource.payer || typeof resource.payer !== 'object') return resource;
  const payer: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource.payer)) payer[key] = /openid$/.test(key) ? maskOpenId(value) : value;
  return { ...resource, payer };
}
