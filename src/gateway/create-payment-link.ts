import { isLatipayError } from '../domain/errors.js';
import { MAX_OPEN_COUNT, MAX_PERIOD_MINUTES, parseWholeNumber } from '../domain/invoice.js';
import { parseAmount } from '../domain/money.js';
import { RequestParams } from '../domain/request-params.js';
import { isHttpUrl } from '../domain/validation.js';
import { findWalletOwnerUser } from '../store/organisation-accounts.js';
import type { Actor } from './audit.js';
import type { GatewayContext } from './context.js';
import { issueInvoice } from './create-invoice.js';
import { readInvoiceTerms } from './invoice-terms.js';

/** The portal's "New payment link" form, as posted (every value text; '' when left empty). */
export interface PaymentLinkForm {
  wallet_id: string;
  amount: string;
  product_name: string;
  customer_reference: string;
  customer_order_id: string;
  /** Minutes the link stays valid. */
  period_time: string;
  max_open_count: string;
  return_url: string;
  notify_url: string;
  /** 'on' when the page should show the link's QR. */
  qrcode: string;
}

export const PAYMENT_LINK_FIELDS = [
  'wallet_id',
  'amount',
  'product_name',
  'customer_reference',
  'customer_order_id',
  'period_time',
  'max_open_count',
  'return_url',
  'notify_url',
  'qrcode',
] as const satisfies ReadonlyArray<keyof PaymentLinkForm>;

/** What is wrong with a field (the page says it in the reader's language), or with the whole form. */
export type PaymentLinkProblemCode =
  | 'required'
  | 'bad_amount'
  | 'too_long'
  | 'bad_number'
  | 'bad_url'
  | 'not_public'
  | 'over_limit'
  | 'no_user'
  | 'no_method'
  | 'reused'
  | 'failed';

export interface PaymentLinkProblem {
  readonly field: keyof PaymentLinkForm | 'form';
  readonly code: PaymentLinkProblemCode;
}

export type PaymentLinkOutcome = { ok: true; invoiceId: string } | { ok: false; problems: PaymentLinkProblem[] };

/** The form's fields from a posted body: anything missing or not text is ''. */
export function readPaymentLinkForm(body: unknown): PaymentLinkForm {
  const source = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const form = {} as PaymentLinkForm;
  for (const name of PAYMENT_LINK_FIELDS) {
    const value = source[name];
    form[name] = typeof value === 'string' ? value.trim() : '';
  }
  return form;
}

/**
 * A payment link made in the portal: an invoice of the organisation's wallet, exactly as
 * `POST /v2/invoice` makes one (the same checks, through readInvoiceTerms, and the same
 * record), belonging to the wallet's first active API user, recorded in the audit log as
 * `by`. Every problem of the form is answered at once where it can be, never thrown.
 */
export async function createPaymentLink(ctx: GatewayContext, organisationId: number, form: PaymentLinkForm, by: Actor): Promise<PaymentLinkOutcome> {
  const problems: PaymentLinkProblem[] = [];
  const problem = (field: PaymentLinkProblem['field'], code: PaymentLinkProblemCode) => problems.push({ field, code });

  let userId: string | undefined;
  if (form.wallet_id === '') problem('wallet_id', 'required');
  else if (!(userId = await findWalletOwnerUser(ctx.store.db, organisationId, form.wallet_id))) problem('wallet_id', 'no_user');
  if (form.amount === '') problem('amount', 'required');
  else if (!parseAmount(form.amount).ok) problem('amount', 'bad_amount');
  const longest = { product_name: 255, customer_reference: 255, customer_order_id: 128 } as const;
  for (const [field, max] of Object.entries(longest) as Array<[keyof typeof longest, number]>) if (form[field].length > max) problem(field, 'too_long');
  if (form.period_time !== '' && parseWholeNumber(form.period_time, 1, MAX_PERIOD_MINUTES) === undefined) problem('period_time', 'bad_number');
  if (form.max_open_count !== '' && parseWholeNumber(form.max_open_count, 1, MAX_OPEN_COUNT) === undefined) problem('max_open_count', 'bad_number');
  for (const field of ['return_url', 'notify_url'] as const) if (form[field] !== '' && !isHttpUrl(form[field])) problem(field, 'bad_url');
  if (problems.length > 0 || userId === undefined) return { ok: false, problems };

  const params = RequestParams.from({
    ...Object.fromEntries(PAYMENT_LINK_FIELDS.filter((name) => name !== 'qrcode' && form[name] !== '').map((name) => [name, form[name]])),
    qrcode: form.qrcode === 'on' ? 'true' : 'false',
  });
  try {
    const terms = await readInvoiceTerms(ctx, params, userId);
    const invoice = await issueInvoice(ctx, userId, terms, by);
    return { ok: true, invoiceId: invoice.invoice_id };
  } catch (error) {
    if (!isLatipayError(error)) throw error;
    switch (error.errorName) {
      case 'OVER_LIMIT':
        return { ok: false, problems: [{ field: 'amount', code: 'over_limit' }] };
      case 'PAY_COMPANY_NOT_FOUND':
        return { ok: false, problems: [{ field: 'wallet_id', code: 'no_method' }] };
      case 'WALLET_NOT_ASSIGNED':
        return { ok: false, problems: [{ field: 'wallet_id', code: 'no_user' }] };
      case 'BAD_PARAMETER':
        // What the form's own checks leave to readInvoiceTerms and issueInvoice: the outbound guard, a reused customer_order_id.
        if (error.message.includes('notify_url')) return { ok: false, problems: [{ field: 'notify_url', code: 'not_public' }] };
        if (error.message.includes('customer_order_id')) return { ok: false, problems: [{ field: 'customer_order_id', code: 'reused' }] };
        return { ok: false, problems: [{ field: 'form', code: 'failed' }] };
      default:
        return { ok: false, problems: [{ field: 'form', code: 'failed' }] };
    }
  }
}
