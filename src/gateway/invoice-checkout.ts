import { createHash } from 'node:crypto';
import { pageRefusal, type InvoiceState, type PageRefusal } from '../domain/invoice.js';
import type { PaymentMethod } from '../domain/payment-methods.js';
import { switchBackingOrderMethod } from '../store/backing-orders.js';
import { attachBackingOrder, countInvoiceOpen, findInvoiceViewByToken, type InvoiceView } from '../store/invoices.js';
import { findOrganisationName } from '../store/merchants.js';
import { findOrderById, insertOrder } from '../store/orders.js';
import { isUniqueViolation } from '../store/store.js';
import type { GatewayContext } from './context.js';
import { currentCnyRate } from './fx-rates.js';
import { invoiceUrlOf, qrcodePicOf } from './invoice-answer.js';
import { newPendingOrder } from './new-order.js';
import { accountOfOrder, closeOpenAttempt } from './start-payment.js';
import { findWalletCached } from './wallets.js';

/** What the invoice's page shows. */
export type InvoicePage =
  | { kind: 'unknown' }
  | { kind: 'refused'; reason: Exclude<PageRefusal, 'paid'>; view: InvoiceView; organisationName: string }
  /** Paid: the payer goes to the backing order's page, which shows the result and moves on to return_url. */
  | { kind: 'paid'; nonce: string }
  | {
      kind: 'open';
      view: InvoiceView;
      organisationName: string;
      /** The methods the payer may pick (the wallet's that a provider serves). */
      methods: PaymentMethod[];
      invoiceUrl: string;
      /** The QR of invoice_url (a PNG data URL), when the invoice asks for it. */
      qrcodePic: string | undefined;
    };

/** What a payer's pick of a method leads to. */
export type InvoicePick =
  | { kind: 'unknown' }
  | { kind: 'refused'; reason: Exclude<PageRefusal, 'paid'>; view: InvoiceView; organisationName: string }
  /** To the backing order's payment page (`/pay/{nonce}`): paying with the method picked, or the result once paid. */
  | { kind: 'pay'; nonce: string }
  /** The method is not one the wallet offers now. */
  | { kind: 'unavailable' }
  /** The payment in progress could not be switched now (its provider did not answer): try again. */
  | { kind: 'busy' };

const TOKEN = /^[0-9a-f]{64}$/;

function stateOf(view: InvoiceView): InvoiceState {
  return {
    status: view.status,
    expiresAt: Number(view.expires_at),
    openCount: Number(view.open_count),
    maxOpenCount: view.max_open_count === null ? null : Number(view.max_open_count),
  };
}

/**
 * An open of the invoice's page (`GET invoice_url`): refused when deleted, expired, failed,
 * or past max_open_count; otherwise counted (one statement, so concurrent opens never count
 * past the limit) and shown with the wallet's methods. A paid invoice is not counted: it
 * leads to its result. `count: false` shows the page without counting it (a HEAD request).
 */
export async function openInvoicePage(ctx: GatewayContext, token: string, options: { count: boolean }): Promise<InvoicePage> {
  if (!TOKEN.test(token)) return { kind: 'unknown' };
  let view = await findInvoiceViewByToken(ctx.store.db, token);
  if (!view) return { kind: 'unknown' };
  const now = ctx.clock();
  let refusal = pageRefusal(stateOf(view), view.order_status ?? undefined, now, true);
  if (refusal === undefined && options.count && !(await countInvoiceOpen(ctx.store.db, view.invoice_id, now))) {
    // Counted out by another open (the last one allowed), deleted or paid meanwhile.
    view = (await findInvoiceViewByToken(ctx.store.db, token)) as InvoiceView;
    refusal = pageRefusal(stateOf(view), view.order_status ?? undefined, now, true) ?? 'max_opens';
  }
  if (refusal === 'paid') return { kind: 'paid', nonce: view.order_nonce as string };
  const organisationName = (await findOrganisationName(ctx.store.db, Number(view.organisation_id))) ?? '';
  if (refusal !== undefined) return { kind: 'refused', reason: refusal, view, organisationName };
  const invoiceUrl = invoiceUrlOf(ctx, view.token);
  return {
    kind: 'open',
    view,
    organisationName,
    methods: await methodsOf(ctx, view.wallet_id),
    invoiceUrl,
    qrcodePic: Number(view.qrcode) === 1 ? await qrcodePicOf(invoiceUrl) : undefined,
  };
}

async function methodsOf(ctx: GatewayContext, walletId: string): Promise<PaymentMethod[]> {
  const wallet = await findWalletCached(ctx, walletId);
  return wallet ? ctx.providers.servableMethods(wallet, wallet.methods.split(',').map((m) => m.trim())) : [];
}

/**
 * The payer picked `method` on the invoice's page. The first pick writes the invoice's one
 * backing order (with the invoice's amount, expiry, notify_url as its callback_url and
 * return_url, and the invoice_id as its merchant_reference); a later pick of another method
 * switches that still-pending order to it: the payment in progress is closed with its
 * provider first, and the payment page then opens a new attempt with the new method. Either
 * way the payer goes on to the order's payment page.
 */
export async function pickInvoiceMethod(ctx: GatewayContext, token: string, method: string, payerIp: string): Promise<InvoicePick> {
  if (!TOKEN.test(token)) return { kind: 'unknown' };
  const view = await findInvoiceViewByToken(ctx.store.db, token);
  if (!view) return { kind: 'unknown' };
  const refused = await refusalOf(ctx, view);
  if (refused) return refused;

  const wallet = await findWalletCached(ctx, view.wallet_id);
  const offered = wallet !== undefined && (await methodsOf(ctx, wallet.id)).some((m) => m === method);
  const route = offered ? await ctx.providers.route(wallet, method) : undefined;
  if (!wallet || !route) return { kind: 'unavailable' };

  if (view.order_id === null) {
    const now = ctx.clock();
    const order = newPendingOrder(
      ctx,
      {
        user_id: view.user_id,
        wallet_id: view.wallet_id,
        organisation_id: Number(view.organisation_id),
        merchant_reference: view.invoice_id,
        amount_minor: Number(view.amount_minor),
        currency: view.currency,
        payment_method: method,
        product_name: backingProductName(view),
        return_url: view.return_url,
        callback_url: view.notify_url,
        // The payment page's way back leads to this page, where another method can be picked.
        backpage_url: invoiceUrlOf(ctx, view.token),
        ip: payerIp,
        host_type: '0',
        present_qr: '0',
        request_hash: createHash('sha256').update(`invoice:${view.invoice_id}`).digest('hex'),
        channel: route.provider.name,
        provider_account_id: route.accountId,
        currency_rate: await currentCnyRate(ctx, view.currency),
      },
      now,
      await ctx.orderNumbers.next(),
    );
    // The order pays until the invoice ends, not for ORDER_TTL_SECONDS.
    order.expires_at = Number(view.expires_at);
    try {
      await ctx.store.db.transaction().execute(async (trx) => {
        await insertOrder(trx, order);
        if (!(await attachBackingOrder(trx, view.invoice_id, order.order_id, now))) throw new PickedMeanwhile();
      });
      return { kind: 'pay', nonce: order.nonce };
    } catch (error) {
      if (!(error instanceof PickedMeanwhile) && !isUniqueViolation(error)) throw error;
    }
    // Another page of this invoice wrote its order first (its merchant_reference is taken): that one is switched.
    // Read in a transaction, on the writer, which sees that commit even before a reader connection does.
    const again = await ctx.store.db.transaction().execute((trx) => findInvoiceViewByToken(trx, token));
    if (!again || again.order_id === null) {
      ctx.log.warn({ invoiceId: view.invoice_id }, "an invoice's backing order could not be written: its invoice_id is used as another order's merchant_reference");
      return { kind: 'busy' };
    }
    return pickInvoiceMethod(ctx, token, method, payerIp);
  }

  const order = await findOrderById(ctx.store.db, view.order_id);
  if (!order) throw new Error(`invoice ${view.invoice_id} names backing order ${view.order_id}, which does not exist`);
  if (order.status !== 'pending') return (await refusalOf(ctx, { ...view, order_status: order.status, order_nonce: order.nonce })) ?? { kind: 'busy' };
  if (order.payment_method === method && accountOfOrder(order) === route.accountId) return { kind: 'pay', nonce: order.nonce };
  try {
    // Only one way to pay is open at a time: the one in progress is closed before another opens.
    await closeOpenAttempt(ctx, order.order_id);
  } catch (error) {
    ctx.log.warn({ err: error, orderId: order.order_id }, "could not close an invoice's payment in progress to switch its method; the payer may try again");
    return { kind: 'busy' };
  }
  const switched = await switchBackingOrderMethod(ctx.store.db, order.order_id, { payment_method: method, channel: route.provider.name, provider_account_id: route.accountId }, ctx.clock());
  if (!switched) return pickInvoiceMethod(ctx, token, method, payerIp);
  return { kind: 'pay', nonce: order.nonce };
}

class PickedMeanwhile extends Error {}

/** The refusal of a pick (a pick is not an open: max_open_count does not refuse it); undefined when the payer may pay. */
async function refusalOf(ctx: GatewayContext, view: InvoiceView): Promise<Extract<InvoicePick, { kind: 'refused' | 'pay' }> | undefined> {
  const refusal = pageRefusal(stateOf(view), view.order_status ?? undefined, ctx.clock(), false);
  if (refusal === undefined) return undefined;
  if (refusal === 'paid') return { kind: 'pay', nonce: view.order_nonce as string };
  return { kind: 'refused', reason: refusal, view, organisationName: (await findOrganisationName(ctx.store.db, Number(view.organisation_id))) ?? '' };
}

/** What the payer and the provider see as the product: the invoice's product_name, else the invoice named by the merchant's id or ours. */
export function backingProductName(invoice: Pick<InvoiceView, 'product_name' | 'customer_order_id' | 'invoice_id'>): string {
  return invoice.product_name !== '' ? invoice.product_name : `Invoice ${invoice.customer_order_id ?? invoice.invoice_id}`;
}
