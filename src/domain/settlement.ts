import { formatAmount } from './money.js';
import type { OrderStatus } from './order-status.js';

/**
 * What a provider's word about one payment attempt does to its order: the one place the
 * rule is written. The store carries the decision out (alone or batched); nothing else
 * decides whether an order is paid. Pure: no I/O.
 */

/** The order as far as settling it goes. */
export interface SettlementOrder {
  readonly status: OrderStatus;
  readonly amountMinor: number;
  readonly currency: string;
  /** The attempt that paid the order, when it is paid. */
  readonly paidAttemptId: string | null;
}

/** A provider's report on one attempt (from a notification, a query, or a charge's answer). */
export interface AttemptReport {
  readonly attemptId: string;
  /**
   * `closed`: the provider will not take the payment any more (expired, cancelled, declined);
   * `canceled`: the payer cancelled at the provider (a bank's Cancel button); `rejected`: the
   * provider received the money and refused it (PayID), so nothing is credited.
   */
  readonly state: 'pending' | 'paid' | 'failed' | 'closed' | 'canceled' | 'rejected';
  /** What was paid, in the order's currency, when the provider says (a paid report must). */
  readonly amountMinor?: number;
  readonly currency?: string;
  /** When the payment was made (epoch ms). */
  readonly occurredAt: number;
}

/** The statuses a provider's report can end an order with (a merchant's cancel is not the provider's). */
export type SettledStatus = 'paid' | 'failed' | 'canceled' | 'rejected';

export type Settlement =
  /**
   * The pending order ends: paid (its payment credited to the wallet), failed, canceled by
   * the payer at the provider, or rejected by the provider; its callback is sent.
   */
  | { readonly action: 'finish'; readonly status: SettledStatus; readonly paidAt: number | null; readonly creditMinor: number }
  /**
   * Money arrived for an order that cannot take it (cancelled, failed, or paid by another
   * attempt): it is booked and given back at once, never kept silently, never lost.
   */
  | { readonly action: 'reverse'; readonly amountMinor: number }
  /** A payment that does not match the order: the order stays pending, flagged for an operator, with no callback. */
  | { readonly action: 'flag'; readonly reason: string }
  /** Nothing changes (still pending, or the order is already where the report says). */
  | { readonly action: 'none'; readonly reason: string };

/**
 * Decides what `report` does to `order`. A paid report settles a pending order only when its
 * amount and currency are the order's (a notification in the payer's currency, or for
 * another amount, is flagged: an operator, or a later query with the order's amount, ends
 * it). A payment for an order that is final without this attempt's payment is reversed.
 */
export function decideSettlement(order: SettlementOrder, report: AttemptReport): Settlement {
  if (report.state === 'pending') return { action: 'none', reason: 'the provider still waits for the payer' };
  if (report.state === 'paid') {
    if (order.status === 'pending') {
      const mismatch = amountMismatch(order, report);
      if (mismatch) return { action: 'flag', reason: mismatch };
      return { action: 'finish', status: 'paid', paidAt: report.occurredAt, creditMinor: order.amountMinor };
    }
    if (order.status === 'paid' && order.paidAttemptId === report.attemptId) return { action: 'none', reason: 'already paid by this attempt' };
    // Cancelled, failed, expired, or paid twice (by another attempt): give this payment back.
    return { action: 'reverse', amountMinor: report.amountMinor ?? order.amountMinor };
  }
  if (order.status !== 'pending') return { action: 'none', reason: `the order is already ${order.status}` };
  // A rejected payment was refused (and returned) by the provider: the wallet is credited nothing.
  const status = report.state === 'canceled' || report.state === 'rejected' ? report.state : 'failed';
  return { action: 'finish', status, paidAt: null, creditMinor: 0 };
}

function amountMismatch(order: SettlementOrder, report: AttemptReport): string | undefined {
  if (report.amountMinor === undefined || report.currency === undefined) return 'the provider reported a payment without its amount and currency';
  if (report.amountMinor === order.amountMinor && report.currency === order.currency) return undefined;
  const paid = Number.isSafeInteger(report.amountMinor) && report.amountMinor >= 0 ? formatAmount(report.amountMinor) : String(report.amountMinor);
  return `the provider reported ${paid} ${report.currency} paid for an order of ${formatAmount(order.amountMinor)} ${order.currency}`;
}
