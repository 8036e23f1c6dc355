import type { RequestParams } from '../domain/request-params.js';
import { authenticateRequest, type RequestOrigin } from './authenticate.js';
import type { GatewayContext } from './context.js';
import { findAddressedInvoice } from './find-invoice.js';
import { invoiceDescriber, signInvoiceAnswer } from './invoice-answer.js';

/**
 * `GET /v2/invoice?user_id&(invoice_id|customer_order_id)&signature` (spec §4.12): the
 * invoice, flat, with the fields of Latipay's list and ours, signed [ours] with the sorted
 * signature over them. Unknown: 201.
 */
export async function queryInvoice(ctx: GatewayContext, params: RequestParams, origin: RequestOrigin) {
  params.requireAll(['user_id', 'signature']);
  const { user, key } = await authenticateRequest(ctx, params, origin);
  const view = await findAddressedInvoice(ctx, params, user.id, 'ORDER_NOT_FOUND');
  return signInvoiceAnswer({ ...(await invoiceDescriber(ctx)(view, ctx.clock())) }, key);
}
