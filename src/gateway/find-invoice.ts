import { latipayError, type ErrorName } from '../domain/errors.js';
import type { RequestParams } from '../domain/request-params.js';
import { findInvoiceView, type InvoiceView } from '../store/invoices.js';
import type { GatewayContext } from './context.js';
import { invoiceAddressOf } from './invoice-terms.js';

/**
 * The user's invoice the request addresses, by `invoice_id` or `customer_order_id`
 * (Latipay: "alternative"). Given both, they must name the same invoice, unless
 * `customer_order_id` is a new value (an update). Another user's invoice is answered like a
 * missing one, with `notFound`.
 */
export async function findAddressedInvoice(
  ctx: GatewayContext,
  params: RequestParams,
  userId: string,
  notFound: ErrorName,
  options: { customerOrderIdIsNewValue?: boolean } = {},
): Promise<InvoiceView> {
  const address = invoiceAddressOf(params);
  const view = await findInvoiceView(ctx.store.db, userId, address);
  const customerOrderId = params.text('customer_order_id');
  const mismatch = 'invoiceId' in address && customerOrderId !== undefined && !options.customerOrderIdIsNewValue && view?.customer_order_id !== customerOrderId;
  if (!view || mismatch) {
    throw latipayError(notFound, 'invoiceId' in address ? `no invoice ${address.invoiceId}${mismatch ? ` with customer_order_id ${customerOrderId}` : ''}` : `no invoice with customer_order_id ${address.customerOrderId}`);
  }
  return view;
}
