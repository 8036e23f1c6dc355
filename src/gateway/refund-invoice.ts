import { latipayError } from '../domain/errors.js';
import { parseAmount } from '../domain/money.js';
import type { RequestParams } from '../domain/request-params.js';
import { findOrderById } from '../store/orders.js';
import { sumOpenRefunds } from '../store/refunds.js';
import { authenticateRequest, type RequestOrigin } from './authenticate.js';
import type { GatewayContext } from './context.js';
import { findAddressedInvoice } from './find-invoice.js';
import { idempotent } from './idempotency.js';
import { signInvoiceAnswer } from './invoice-answer.js';
import { MAX_REFERENCE_LENGTH, refundPaidOrder } from './refund-order.js';

/**
 * `POST /v2/invoice/refund` (spec §4.12): refunds a paid invoice, addressed by `invoice_id`
 * or `customer_order_id`, through the refund of its backing order (`POST /refund`'s rules:
 * never more than was paid, the wallet balance must cover it, the provider asked outside
 * any transaction). Latipay's fields carry no amount: the whole amount still refundable is
 * refunded; [ours] an optional `refund_amount` refunds part of it. Answers
 * `{code, message, refund_id, signature}` (signed over refund_id). Codes: 551 no such
 * invoice, 556 not paid (or the provider refused), 550 bad amount or reference, 559 the
 * balance does not cover it, 562 already refunded in full, or the same amount and reference
 * just now. An optional `Idempotency-Key` header makes a retry answer the first outcome.
 */
export async function refundInvoice(ctx: GatewayContext, params: RequestParams, origin: RequestOrigin, idempotencyKey?: string) {
  params.requireAll(['user_id', 'signature']);
  const { user, key } = await authenticateRequest(ctx, params, origin);
  const { refund_id } = await idempotent(ctx, user.id, idempotencyKey, 'invoice.refund', params, async () => {
    const reference = params.text('reference') ?? '';
    if (reference.length > MAX_REFERENCE_LENGTH) throw latipayError('REFUND_BAD_PARAMETERS', `reference must be at most ${MAX_REFERENCE_LENGTH} characters`);
    const view = await findAddressedInvoice(ctx, params, user.id, 'REFUND_ORDER_NOT_FOUND');
    const order = view.order_id === null ? undefined : await findOrderById(ctx.store.db, view.order_id);
    if (!order || order.status !== 'paid') throw latipayError('REFUND_FAILED', 'only paid invoices can be refunded');
    let amountMinor: number;
    if (params.has('refund_amount')) {
      const amount = parseAmount(params.raw('refund_amount'));
      if (!amount.ok) throw latipayError('REFUND_BAD_PARAMETERS', `refund_amount ${amount.reason}`);
      amountMinor = amount.minor;
    } else {
      // What is left to refund now; the refund's own checks, under the wallet's lock, have the last word.
      amountMinor = Number(order.amount_minor) - (await sumOpenRefunds(ctx.store.db, order.order_id));
      if (amountMinor <= 0) throw latipayError('REFUND_DUPLICATE', 'the invoice is already refunded in full');
    }
    return refundPaidOrder(ctx, user, order, amountMinor, reference, origin);
  });
  return signInvoiceAnswer({ refund_id }, key);
}
