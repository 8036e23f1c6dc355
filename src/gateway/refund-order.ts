import { latipayError } from '../domain/errors.js';
import { generateRefundId } from '../domain/ids.js';
import { formatAmount, parseAmount } from '../domain/money.js';
import { decideRefund, type RefundDecision } from '../domain/refund-policy.js';
import type { RequestParams } from '../domain/request-params.js';
import { appendLedgerEntry, lockWallet, walletBalance } from '../store/ledger.js';
import { findOrderById, type OrderRecord } from '../store/orders.js';
import { countRefunds, hasRecentIdenticalRefund, insertRefund, sumOpenRefunds, type RefundRecord } from '../store/refunds.js';
import { listAttemptsOfOrder } from '../store/payment-attempts.js';
import { recordAudit, type Actor } from './audit.js';
import { authenticateRequest, type RequestOrigin } from './authenticate.js';
import type { GatewayContext } from './context.js';
import type { MerchantUser } from './credentials.js';
import { idempotent } from './idempotency.js';
import { askProviderToRefund } from './execute-refund.js';

const REQUIRED = ['user_id', 'order_id', 'refund_amount', 'signature'] as const;
export const MAX_REFERENCE_LENGTH = 255;

/**
 * `POST /refund` and `POST /v2/refund` (spec §4.7). Two transactions around the provider
 * call, never the call inside one:
 *  1. under the wallet's lock: the order is paid, the refund is no duplicate, fits in what
 *     is left to refund and in the wallet balance; the refund (pending) and its ledger debit
 *     are written. The lock makes concurrent refunds of one wallet take turns, so they can
 *     never over-refund nor overdraw it.
 *  2. after the provider answered: succeeded, or failed with the debit credited back.
 * With an `Idempotency-Key` a repeat answers the first request's answer and acts no more.
 */
export async function refundOrder(
  ctx: GatewayContext,
  params: RequestParams,
  origin: RequestOrigin,
  idempotencyKey?: string,
): Promise<{ refund_id: string }> {
  params.requireAll(REQUIRED);
  const { user } = await authenticateRequest(ctx, params, origin);
  return idempotent(ctx, user.id, idempotencyKey, 'refund', params, () => refundAuthenticated(ctx, params, origin, user));
}

async function refundAuthenticated(ctx: GatewayContext, params: RequestParams, origin: RequestOrigin, user: MerchantUser): Promise<{ refund_id: string }> {
  const amount = parseAmount(params.raw('refund_amount'));
  if (!amount.ok) throw latipayError('REFUND_BAD_PARAMETERS', `refund_amount ${amount.reason}`);
  // A reference may be empty (a Ruby client signs `reference=`).
  const reference = params.text('reference') ?? '';
  if (reference.length > MAX_REFERENCE_LENGTH) throw latipayError('REFUND_BAD_PARAMETERS', `reference must be at most ${MAX_REFERENCE_LENGTH} characters`);
  const orderId = params.required('order_id');

  const order = await findOrderById(ctx.store.db, orderId);
  // Another user's order is answered like a missing one: its existence is not the caller's business.
  if (!order || order.user_id !== user.id) throw latipayError('REFUND_ORDER_NOT_FOUND', `no order ${orderId}`);
  if (order.status !== 'paid') throw latipayError('REFUND_FAILED', `only paid orders can be refunded; this one is ${order.status}`);

  return refundPaidOrder(ctx, user, order, amount.minor, reference, origin);
}

/**
 * Refunds `amountMinor` of the user's paid `order` (the order already found and checked to
 * be the user's): the provider's limits, then the two transactions around the provider call
 * described above. Shared by `POST /refund`, `POST /v2/invoice/refund` (an invoice's
 * backing order) and the portal's Refund; the audit log names `by` (default: the user, from
 * the request's address).
 */
export async function refundPaidOrder(
  ctx: GatewayContext,
  user: MerchantUser,
  order: OrderRecord,
  amountMinor: number,
  reference: string,
  origin: RequestOrigin,
  by: Actor = { actor: user.id, source: origin.address },
): Promise<{ refund_id: string }> {
  const amount = { minor: amountMinor };
  // The attempt that took the money, and what its provider allows.
  const paid = (await listAttemptsOfOrder(ctx.store.db, order.order_id)).find((a) => a.status === 'paid');
  const provider = paid ? await ctx.providers.byAccount(paid.account_id) : undefined;
  if (provider && !provider.capabilities.partialRefunds && amount.minor !== Number(order.amount_minor)) {
    throw latipayError('REFUND_BAD_PARAMETERS', `${provider.name} refunds whole payments only: refund_amount must be the order's amount`);
  }
  const maxRefunds = provider?.capabilities.maxRefundsPerPayment;
  if (maxRefunds !== undefined && (await countRefunds(ctx.store.db, order.order_id)) >= maxRefunds) {
    throw latipayError('REFUND_FAILED', `${provider?.name} takes at most ${maxRefunds} refunds of one payment`);
  }

  const now = ctx.clock();
  const refund: RefundRecord = {
    refund_id: generateRefundId(new Date(now), ctx.config.timeZoneOffsetMinutes),
    order_id: order.order_id,
    attempt_id: paid?.attempt_id ?? null,
    user_id: user.id,
    wallet_id: order.wallet_id,
    amount_minor: amount.minor,
    currency: order.currency,
    reference,
    kind: 'merchant',
    status: 'pending',
    channel_refund_id: null,
    failure: null,
    created_at: now,
    updated_at: now,
  };
  const windowMs = ctx.config.refundDuplicateWindowSeconds * 1000;

  const decision = await ctx.store.db.transaction().execute(async (trx): Promise<RefundDecision> => {
    await lockWallet(trx, order.wallet_id);
    const current = await findOrderById(trx, order.order_id);
    const duplicate =
      windowMs > 0 &&
      (await hasRecentIdenticalRefund(trx, { orderId: order.order_id, amountMinor: amount.minor, reference }, now - windowMs));
    const decided = decideRefund({
      orderStatus: current?.status ?? 'unknown',
      paidMinor: Number(order.amount_minor),
      refundedMinor: await sumOpenRefunds(trx, order.order_id),
      balanceMinor: await walletBalance(trx, order.wallet_id),
      amountMinor: amount.minor,
      duplicate,
    });
    if (!decided.ok) return decided;
    await insertRefund(trx, refund);
    await recordAudit(trx, by, 'refund.create', order.order_id, {
      refund_id: refund.refund_id,
      amount: formatAmount(amount.minor),
      currency: order.currency,
      reference,
    }, now);
    await appendLedgerEntry(trx, {
      wallet_id: order.wallet_id,
      order_id: order.order_id,
      refund_id: refund.refund_id,
      kind: 'refund',
      amount_minor: -amount.minor,
      currency: order.currency,
      created_at: now,
    });
    return decided;
  });
  if (!decision.ok) throw latipayError(decision.error, decision.detail);

  const outcome = await askProviderToRefund(ctx, refund);
  if (outcome.status === 'failed') throw latipayError('REFUND_FAILED', `the provider refused refund ${refund.refund_id}: ${outcome.reason}`);
  if (outcome.status === 'pending') {
    throw latipayError('REFUND_FAILED', `refund ${refund.refund_id} is pending with the provider (${outcome.reason}); it will be asked again`);
  }
  return { refund_id: refund.refund_id };
}
