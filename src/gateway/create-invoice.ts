import { createHash } from 'node:crypto';
import { DEFAULT_PERIOD_MINUTES } from '../domain/invoice.js';
import { latipayError } from '../domain/errors.js';
import { generateInvoiceId, generateNonce } from '../domain/ids.js';
import type { RequestParams } from '../domain/request-params.js';
import { findInvoiceByCustomerOrderId, insertInvoice, type InvoiceRecord } from '../store/invoices.js';
import { isUniqueViolation } from '../store/store.js';
import { recordAudit, type Actor } from './audit.js';
import { authenticateRequest, type RequestOrigin } from './authenticate.js';
import type { GatewayContext } from './context.js';
import { invoiceLinkAnswer } from './invoice-answer.js';
import { readInvoiceTerms, type InvoiceTerms } from './invoice-terms.js';

const REQUIRED = ['user_id', 'wallet_id', 'amount', 'signature'] as const;

/**
 * `POST /v2/invoice` (spec §4.12): a payment link. Answers `{invoice_id, qrcode_pic,
 * invoice_url, signature}`, signed with the sorted signature over those fields. Nothing is
 * asked of a provider yet: the backing order is written when a payer picks a method.
 *
 * A `customer_order_id` names one invoice of the user [ours, like merchant_reference in
 * §4.1]: the same request again, while that invoice is pending, answers the same invoice (a
 * retry after a lost answer); different fields, or an invoice no longer pending, answer 207
 * and change nothing.
 */
export async function createInvoice(ctx: GatewayContext, params: RequestParams, origin: RequestOrigin) {
  params.requireAll(REQUIRED);
  const { user, key } = await authenticateRequest(ctx, params, origin);
  const terms = await readInvoiceTerms(ctx, params, user.id);
  return invoiceLinkAnswer(ctx, await issueInvoice(ctx, user.id, terms), key);
}

/**
 * Writes the invoice `terms` describe for `userId` and answers it; with a
 * `customer_order_id` already used by the same terms on a pending invoice, answers that
 * one (a retry). `by`: who acted, recorded in the audit log with the invoice (the portal;
 * the API's create is not audited, like a transaction's).
 */
export async function issueInvoice(ctx: GatewayContext, userId: string, terms: InvoiceTerms, by?: Actor): Promise<InvoiceRecord> {
  const requestHash = hashTerms(terms);
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = ctx.clock();
    const invoice = newInvoice(ctx, userId, terms, requestHash, now);
    try {
      if (by) {
        await ctx.store.db.transaction().execute(async (trx) => {
          await insertInvoice(trx, invoice);
          await recordAudit(trx, by, 'invoice.create', invoice.invoice_id, { wallet_id: invoice.wallet_id, amount: invoice.amount_minor }, now);
        });
      } else {
        await insertInvoice(ctx.store.db, invoice);
      }
      return invoice;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    if (terms.customerOrderId === undefined) continue;
    const existing = await findInvoiceByCustomerOrderId(ctx.store.db, userId, terms.customerOrderId);
    if (!existing) continue;
    if (existing.request_hash !== requestHash) throw latipayError('BAD_PARAMETER', 'customer_order_id is already used by an invoice with different fields');
    if (existing.status !== 'pending' || Number(existing.expires_at) <= ctx.clock()) {
      throw latipayError('BAD_PARAMETER', 'customer_order_id is already used by an invoice that is deleted or expired');
    }
    return existing;
  }
  throw latipayError('FAIL', 'could not create the invoice, try again');
}

function newInvoice(ctx: GatewayContext, userId: string, terms: InvoiceTerms, requestHash: string, now: number): InvoiceRecord {
  const periodTime = terms.periodTime ?? DEFAULT_PERIOD_MINUTES;
  return {
    invoice_id: generateInvoiceId(new Date(now), ctx.config.timeZoneOffsetMinutes),
    user_id: userId,
    wallet_id: terms.wallet.id,
    organisation_id: Number(terms.wallet.organisation_id),
    amount_minor: terms.amountMinor,
    currency: terms.wallet.currency,
    product_name: terms.productName ?? '',
    period_time: periodTime,
    max_open_count: terms.maxOpenCount ?? null,
    open_count: 0,
    app: terms.app ?? null,
    customer_order_id: terms.customerOrderId ?? null,
    customer_reference: terms.customerReference ?? null,
    return_url: terms.returnUrl ?? '',
    notify_url: terms.notifyUrl ?? '',
    qrcode: terms.qrcode ? 1 : 0,
    token: generateNonce(now),
    status: 'pending',
    order_id: null,
    request_hash: requestHash,
    created_at: now,
    updated_at: now,
    expires_at: now + periodTime * 60_000,
  };
}

/** What makes two creates "the same invoice": every field but the signature. */
function hashTerms(terms: InvoiceTerms): string {
  const t = terms;
  return createHash('sha256')
    .update(JSON.stringify([t.wallet.id, t.amountMinor, t.productName, t.periodTime, t.maxOpenCount, t.app, t.customerOrderId, t.customerReference, t.returnUrl, t.notifyUrl, t.qrcode ?? false]))
    .digest('hex');
}
