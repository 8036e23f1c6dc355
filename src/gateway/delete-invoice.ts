import { latipayError } from '../domain/errors.js';
import type { RequestParams } from '../domain/request-params.js';
import { cancelInvoice, type InvoiceView } from '../store/invoices.js';
import { findOrderForUpdate, findOrderStatus } from '../store/orders.js';
import { recordAudit, type Actor } from './audit.js';
import { authenticateRequest, type RequestOrigin } from './authenticate.js';
import type { GatewayContext } from './context.js';
import { outgoingKey, type MerchantUser } from './credentials.js';
import { findAddressedInvoice } from './find-invoice.js';
import { finishOrderWithCallback } from './finish-pending-order.js';
import { closeOpenAttempt } from './start-payment.js';

/**
 * `DELETE /v2/invoice` (spec §4.12): cancels an invoice nobody has paid; its page refuses
 * from then on. A backing order still pending is cancelled with it, in the same transaction
 * and as `POST /cancel` does (its `canceled` notification goes to notify_url), and its
 * provider is told to close the payment after the commit (a payment that still arrives is
 * given back). Deleting a deleted invoice answers success again; a paid one answers 900.
 * Answers `{code, message}` only, like Latipay's.
 */
export async function deleteInvoice(ctx: GatewayContext, params: RequestParams, origin: RequestOrigin): Promise<void> {
  params.requireAll(['user_id', 'signature']);
  const { user } = await authenticateRequest(ctx, params, origin);
  const view = await findAddressedInvoice(ctx, params, user.id, 'ORDER_NOT_FOUND');
  await cancelInvoiceView(ctx, view, user, { actor: user.id, source: origin.address });
}

/**
 * Cancels the invoice `view` shows, as DELETE /v2/invoice does (and the portal's
 * "Deactivate"): 900 when it is paid; nothing happens when it is cancelled already. `user`
 * is the invoice's, whose key signs the `canceled` notification; `by` is recorded in the
 * audit log.
 */
export async function cancelInvoiceView(ctx: GatewayContext, view: InvoiceView, user: MerchantUser, by: Actor): Promise<void> {
  if (view.status === 'canceled') return;
  if (view.order_status === 'paid') throw latipayError('ALREADY_PAID', 'the invoice is paid: refund it instead');

  const now = ctx.clock();
  const cancelledOrder = await ctx.store.db.transaction().execute(async (trx): Promise<boolean> => {
    let cancelled = false;
    if (view.order_id !== null) {
      const order = await findOrderForUpdate(trx, view.order_id);
      if (order?.status === 'paid') throw latipayError('ALREADY_PAID', 'the invoice is paid: refund it instead');
      if (order?.status === 'pending') {
        // Of a delete and a payment arriving together, exactly one moves the order.
        cancelled = await finishOrderWithCallback(trx, order, { status: 'canceled', paidAt: null }, outgoingKey(user, now), ctx.config.timeZoneOffsetMinutes, now);
        const status = cancelled ? 'canceled' : await findOrderStatus(trx, order.order_id);
        if (status === 'paid') throw latipayError('ALREADY_PAID', 'the invoice is paid: refund it instead');
      }
    }
    if (!(await cancelInvoice(trx, view.invoice_id, now))) return false;
    await recordAudit(trx, by, 'invoice.delete', view.invoice_id, { order_id: view.order_id }, now);
    return cancelled;
  });
  if (!cancelledOrder || view.order_id === null) return;
  ctx.events.publish(view.order_id);
  ctx.wakeNotifier();
  try {
    await closeOpenAttempt(ctx, view.order_id);
  } catch (error) {
    ctx.log.warn({ err: error, orderId: view.order_id }, 'could not close the provider payment of a deleted invoice');
  }
}
