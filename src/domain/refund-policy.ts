import type { ErrorName } from './errors.js';

/**
 * Whether a merchant refund may be created (spec §4.7). Pure: the caller reads the
 * situation under the wallet's lock, so that what is decided here still holds at commit.
 */
export interface RefundSituation {
  readonly orderStatus: string;
  readonly paidMinor: number;
  /** Refunds of the order that are pending or succeeded (failed ones gave their money back). */
  readonly refundedMinor: number;
  readonly balanceMinor: number;
  readonly amountMinor: number;
  /** An identical refund (order, amount, reference) was asked for within the duplicate window. */
  readonly duplicate: boolean;
}

export type RefundDecision = { readonly ok: true } | { readonly ok: false; readonly error: ErrorName; readonly detail: string };

export function decideRefund(s: RefundSituation): RefundDecision {
  if (s.orderStatus !== 'paid') return { ok: false, error: 'REFUND_FAILED', detail: `only paid orders can be refunded; this one is ${s.orderStatus}` };
  if (s.duplicate) return { ok: false, error: 'REFUND_DUPLICATE', detail: 'the same amount and reference were refunded moments ago' };
  const left = s.paidMinor - s.refundedMinor;
  if (s.amountMinor > left) return { ok: false, error: 'REFUND_BAD_PARAMETERS', detail: 'refund_amount exceeds what is left to refund' };
  if (s.amountMinor > s.balanceMinor) return { ok: false, error: 'INSUFFICIENT_BALANCE', detail: 'the wallet balance does not cover the refund' };
  return { ok: true };
}
