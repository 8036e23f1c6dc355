import { isLatipayError, type ErrorName } from '../../domain/errors.js';
import { parseAmount } from '../../domain/money.js';
import { listAttemptsOfOrder } from '../../store/payment-attempts.js';
import { sumOpenRefunds } from '../../store/refunds.js';
import type { Actor } from '../audit.js';
import { cancelPendingOrder } from '../cancel-order.js';
import type { GatewayContext } from '../context.js';
import { MAX_REFERENCE_LENGTH, refundPaidOrder } from '../refund-order.js';
import { resendCallbacks } from '../resend-callbacks.js';
import { findOrganisationOrder } from './order-timeline.js';

/**
 * What a portal member does to one of the organisation's orders: Refund, Cancel, Resend
 * callback. Each goes through the use case the API and the CLI use (refundPaidOrder,
 * cancelPendingOrder, resendCallbacks), with the member as the audit log's actor; the role
 * was checked by the route. Another organisation's order is `not_found`.
 */

export type RefundRefusal = 'not_found' | 'amount' | 'reason' | 'not_paid' | 'exceeds' | 'whole_only' | 'balance' | 'duplicate' | 'failed';
export type RefundResult = { readonly ok: true; readonly refundId: string } | { readonly ok: false; readonly refusal: RefundRefusal; readonly detail?: string };

export async function refundFromPortal(
  ctx: GatewayContext,
  organisationId: number,
  orderId: string,
  input: { readonly amount: string; readonly reason: string },
  by: Actor,
): Promise<RefundResult> {
  const order = await findOrganisationOrder(ctx, organisationId, orderId);
  if (!order) return { ok: false, refusal: 'not_found' };
  const amount = parseAmount(input.amount.trim());
  if (!amount.ok) return { ok: false, refusal: 'amount' };
  const reason = input.reason.trim();
  if (reason.length > MAX_REFERENCE_LENGTH) return { ok: false, refusal: 'reason' };
  if (order.status !== 'paid') return { ok: false, refusal: 'not_paid' };
  // Said before the use case would: it answers both as REFUND_BAD_PARAMETERS, which a member should read apart.
  if (amount.minor > Number(order.amount_minor) - (await sumOpenRefunds(ctx.store.db, order.order_id))) return { ok: false, refusal: 'exceeds' };
  const paid = (await listAttemptsOfOrder(ctx.store.db, order.order_id)).find((a) => a.status === 'paid');
  const provider = paid ? await ctx.providers.byAccount(paid.account_id) : undefined;
  if (provider && !provider.capabilities.partialRefunds && amount.minor !== Number(order.amount_minor)) return { ok: false, refusal: 'whole_only' };

  const user = await ctx.credentials.findUser(order.user_id);
  if (!user) return { ok: false, refusal: 'failed', detail: `the order's user ${order.user_id} no longer exists` };
  try {
    const { refund_id } = await refundPaidOrder(ctx, user, order, amount.minor, reason, { address: by.source }, by);
    return { ok: true, refundId: refund_id };
  } catch (error) {
    if (!isLatipayError(error)) throw error;
    return { ok: false, refusal: REFUSALS[error.errorName] ?? 'failed', detail: error.message };
  }
}

const REFUSALS: Partial<Record<ErrorName, RefundRefusal>> = {
  REFUND_BAD_PARAMETERS: 'exceeds',
  INSUFFICIENT_BALANCE: 'balance',
  REFUND_DUPLICATE: 'duplicate',
  REFUND_FAILED: 'failed',
};

export type CancelResult = { readonly ok: true } | { readonly ok: false; readonly refusal: 'not_found' | 'final'; readonly status?: string };

export async function cancelFromPortal(ctx: GatewayContext, organisationId: number, orderId: string, by: Actor): Promise<CancelResult> {
  const order = await findOrganisationOrder(ctx, organisationId, orderId);
  if (!order) return { ok: false, refusal: 'not_found' };
  const user = await ctx.credentials.findUser(order.user_id);
  if (!user) return { ok: false, refusal: 'not_found' };
  const status = await cancelPendingOrder(ctx, user, order, by);
  return status === 'cancelled-now' ? { ok: true } : { ok: false, refusal: 'final', status };
}

export type ResendResult = { readonly ok: true; readonly count: number } | { readonly ok: false; readonly refusal: 'not_found' | 'no_callback' };

export async function resendFromPortal(ctx: GatewayContext, organisationId: number, orderId: string, by: Actor): Promise<ResendResult> {
  const order = await findOrganisationOrder(ctx, organisationId, orderId);
  if (!order) return { ok: false, refusal: 'not_found' };
  const count = await resendCallbacks(ctx.store.db, order.order_id, by, ctx.clock());
  if (count === 0) return { ok: false, refusal: 'no_callback' };
  ctx.wakeNotifier();
  return { ok: true, count };
}
