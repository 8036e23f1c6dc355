import { convertMinor } from '../domain/fx.js';
import { invoiceStatus } from '../domain/invoice.js';
import { latipayError } from '../domain/errors.js';
import type { RequestParams } from '../domain/request-params.js';
import { updateBackingOrderTerms } from '../store/backing-orders.js';
import { findInvoiceByCustomerOrderId, updatePendingInvoice, type InvoiceView } from '../store/invoices.js';
import { findOrderForUpdate } from '../store/orders.js';
import { findLatestAttempt } from '../store/payment-attempts.js';
import { isUniqueViolation } from '../store/store.js';
import { recordAudit } from './audit.js';
import { authenticateRequest, type RequestOrigin } from './authenticate.js';
import type { GatewayContext } from './context.js';
import { findAddressedInvoice } from './find-invoice.js';
import { currentCnyRate } from './fx-rates.js';
import { backingProductName } from './invoice-checkout.js';
import { invoiceLinkAnswer } from './invoice-answer.js';
import { readInvoiceTerms } from './invoice-terms.js';
import { closeOpenAttempt } from './start-payment.js';

const REQUIRED = ['user_id', 'wallet_id', 'amount', 'signature'] as const;

/**
 * `PUT /v2/invoice` (spec §4.12): edits an invoice nobody has paid. `wallet_id` and
 * `amount` are required (Latipay's invoice.md); every other field of the create may be sent,
 * and a field not sent keeps its value. Addressed by `invoice_id`, or by `customer_order_id`
 * when no invoice_id is sent; with an invoice_id, a customer_order_id is its new value.
 * `period_time` still counts from the invoice's creation. Answers like the create.
 *
 * Refused: a paid invoice (900), a deleted, failed or expired one (901), another wallet once
 * a payer has started paying (207). When a payer has started paying, the payment in
 * progress is closed with its provider first (code 1 when it cannot be now: nothing
 * changed), and the backing order takes the new amount, product and expiry; the payer's
 * next visit opens a payment for them.
 */
export async function updateInvoice(ctx: GatewayContext, params: RequestParams, origin: RequestOrigin) {
  params.requireAll(REQUIRED);
  const { user, key } = await authenticateRequest(ctx, params, origin);
  const view = await findAddressedInvoice(ctx, params, user.id, 'ORDER_NOT_FOUND', { customerOrderIdIsNewValue: true });
  refuseFinal(view, ctx.clock());
  const terms = await readInvoiceTerms(ctx, params, user.id);
  if (terms.wallet.id !== view.wallet_id && view.order_id !== null) {
    throw latipayError('BAD_PARAMETER', 'wallet_id cannot change once a payer has started paying; delete the invoice and create another');
  }
  const customerOrderId = params.text('invoice_id') !== undefined ? terms.customerOrderId : undefined;
  if (customerOrderId !== undefined && customerOrderId !== view.customer_order_id) {
    const other = await findInvoiceByCustomerOrderId(ctx.store.db, user.id, customerOrderId);
    if (other) throw latipayError('BAD_PARAMETER', 'customer_order_id is already used by another invoice');
  }
  const periodTime = terms.periodTime ?? Number(view.period_time);
  const expiresAt = Number(view.created_at) + periodTime * 60_000;
  if (expiresAt <= ctx.clock()) throw latipayError('BAD_PARAMETER', 'period_time would end the invoice before now (it counts from its creation)');
  const productName = terms.productName ?? view.product_name;
  const returnUrl = terms.returnUrl ?? view.return_url;
  const notifyUrl = terms.notifyUrl ?? view.notify_url;

  if (view.order_id !== null) {
    try {
      await closeOpenAttempt(ctx, view.order_id);
    } catch (error) {
      ctx.log.warn({ err: error, invoiceId: view.invoice_id }, 'could not close the payment in progress of an invoice being edited');
      throw latipayError('FAIL', "the payer's payment in progress could not be closed now; nothing changed, try again");
    }
  }
  const rate = view.order_id !== null ? await currentCnyRate(ctx, terms.wallet.currency) : null;
  const now = ctx.clock();
  try {
    await ctx.store.db.transaction().execute(async (trx) => {
      if (view.order_id !== null) {
        const order = await findOrderForUpdate(trx, view.order_id);
        if (!order || order.status !== 'pending') refuseFinal({ ...view, order_status: order?.status ?? 'failed' }, now);
        await updateBackingOrderTerms(
          trx,
          view.order_id,
          {
            amount_minor: terms.amountMinor,
            currency_rate: rate,
            amount_cny_minor: rate === null ? null : convertMinor(terms.amountMinor, rate),
            product_name: backingProductName({ product_name: productName, customer_order_id: customerOrderId ?? view.customer_order_id, invoice_id: view.invoice_id }),
            expires_at: expiresAt,
            return_url: returnUrl,
            callback_url: notifyUrl,
          },
          now,
        );
      }
      const updated = await updatePendingInvoice(trx, view.invoice_id, view.order_id, {
        wallet_id: terms.wallet.id,
        organisation_id: Number(terms.wallet.organisation_id),
        amount_minor: terms.amountMinor,
        currency: terms.wallet.currency,
        product_name: productName,
        period_time: periodTime,
        max_open_count: terms.maxOpenCount ?? view.max_open_count,
        app: terms.app ?? view.app,
        customer_order_id: customerOrderId ?? view.customer_order_id,
        customer_reference: terms.customerReference ?? view.customer_reference,
        return_url: returnUrl,
        notify_url: notifyUrl,
        qrcode: terms.qrcode === undefined ? view.qrcode : terms.qrcode ? 1 : 0,
        updated_at: now,
        expires_at: expiresAt,
      });
      if (!updated) throw latipayError('FAIL', 'the invoice was deleted, or a payer started paying it, while it was being edited; nothing changed: try again');
      await recordAudit(trx, { actor: user.id, source: origin.address }, 'invoice.update', view.invoice_id, { amount: terms.amountMinor, wallet_id: terms.wallet.id }, now);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw latipayError('BAD_PARAMETER', 'customer_order_id is already used by another invoice');
    throw error;
  }

  // A payment the payer opened between the close and the change is for the old amount: closed too.
  if (view.order_id !== null) {
    const latest = await findLatestAttempt(ctx.store.db, view.order_id);
    if (latest && latest.status === 'pending' && Number(latest.amount_minor) !== terms.amountMinor) {
      await closeOpenAttempt(ctx, view.order_id).catch((error: unknown) => ctx.log.warn({ err: error, invoiceId: view.invoice_id }, 'could not close a payment opened for the old amount'));
    }
  }
  return invoiceLinkAnswer(ctx, { invoice_id: view.invoice_id, token: view.token, qrcode: terms.qrcode === undefined ? view.qrcode : terms.qrcode ? 1 : 0 }, key);
}

/** 900 for a paid invoice, 901 for one deleted, failed, or past its period. */
function refuseFinal(view: Pick<InvoiceView, 'status' | 'expires_at' | 'open_count' | 'max_open_count' | 'order_status'>, now: number): void {
  const status = invoiceStatus(
    { status: view.status, expiresAt: Number(view.expires_at), openCount: Number(view.open_count), maxOpenCount: null },
    view.order_status ?? undefined,
    now,
  );
  if (status === 'paid') throw latipayError('ALREADY_PAID', 'the invoice is paid');
  if (status !== 'pending') throw latipayError('ALREADY_FAILED', `the invoice is ${status}`);
  if (Number(view.expires_at) <= now) throw latipayError('ALREADY_FAILED', 'the invoice has expired');
}
