import { latipayError } from '../domain/errors.js';
import type { RequestParams } from '../domain/request-params.js';
import { recordAudit, type Actor } from './audit.js';
import { authenticateRequest, type RequestOrigin } from './authenticate.js';
import { outgoingKey, type MerchantUser } from './credentials.js';
import { closeOpenAttempt } from './start-payment.js';
import { findOrderByReference, findOrderStatus, type OrderRecord } from '../store/orders.js';
import type { GatewayContext } from './context.js';
import { finishOrderWithCallback } from './finish-pending-order.js';

const REQUIRED = ['user_id', 'merchant_reference', 'signature'] as const;

/**
 * `POST /cancel` (spec §4.8): a pending order becomes `canceled`, and its callback is
 * committed with the change (like any final status). Cancelling an order that is already
 * cancelled answers success again, so a merchant may retry after a lost answer. After the
 * commit the provider is told to close its trade; a payment that still reaches us is
 * given back (see reverse-late-payment.ts).
 */
export async function cancelOrder(ctx: GatewayContext, params: RequestParams, origin: RequestOrigin): Promise<void> {
  for (const name of REQUIRED) if (!params.has(name)) throw latipayError('DATA_ERROR', `${name} is required`);
  const { user } = await authenticateRequest(ctx, params, origin, { unknownUser: 'USER_NOT_FOUND' });

  const reference = params.required('merchant_reference');
  const order = await findOrderByReference(ctx.store.db, user.id, reference);
  if (!order) throw latipayError('ORDER_NOT_FOUND', `no order with merchant_reference ${reference}`);
  const status = await cancelPendingOrder(ctx, user, order, { actor: user.id, source: origin.address });
  if (status !== 'cancelled-now') answerForFinal(status);
}

/**
 * Cancels the user's `order` if it is still pending: `canceled` with its callback, committed
 * together (of a cancel and a payment arriving together, exactly one moves the order), then
 * the provider's trade closed. Answers 'cancelled-now', or the final status the order had
 * already. Shared by `POST /cancel` and the portal's Cancel; the audit log names `by`.
 */
export async function cancelPendingOrder(ctx: GatewayContext, user: MerchantUser, order: OrderRecord, by: Actor): Promise<string> {
  if (order.status !== 'pending') return order.status;
  const now = ctx.clock();
  const outcome = await ctx.store.db.transaction().execute(async (trx): Promise<string> => {
    const change = { status: 'canceled', paidAt: null };
    if (!(await finishOrderWithCallback(trx, order, change, outgoingKey(user, now), ctx.config.timeZoneOffsetMinutes, now))) {
      return (await findOrderStatus(trx, order.order_id)) ?? 'pending';
    }
    await recordAudit(trx, by, 'order.cancel', order.order_id, { merchant_reference: order.merchant_reference }, now);
    return 'cancelled-now';
  });
  if (outcome !== 'cancelled-now') return outcome;

  ctx.events.publish(order.order_id);
  ctx.wakeNotifier();
  try {
    await closeOpenAttempt(ctx, order.order_id);
  } catch (error) {
    // The order is cancelled either way; a payment that still arrives is reversed.
    ctx.log.warn({ err: error, orderId: order.order_id }, 'could not close the provider trade of a cancelled order');
  }
  return outcome;
}

function answerForFinal(status: string): void {
  if (status === 'canceled') return;
  if (status === 'paid') throw latipayError('ALREADY_PAID');
  if (status === 'failed' || status === 'rejected') throw latipayError('ALREADY_FAILED', `the order is ${status}`);
  throw latipayError('FAIL', `the order is ${status}; try again`);
}
