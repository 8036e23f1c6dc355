import { latipayError } from '../domain/errors.js';
import { MAX_OPEN_COUNT, MAX_PERIOD_MINUTES, parseFlag, parseWholeNumber } from '../domain/invoice.js';
import { parseAmount } from '../domain/money.js';
import type { PaymentMethod } from '../domain/payment-methods.js';
import type { RequestParams } from '../domain/request-params.js';
import { isHttpUrl } from '../domain/validation.js';
import { outboundUrlRefusal } from '../notify/outbound-guard.js';
import type { WalletRecord } from '../store/merchants.js';
import type { GatewayContext } from './context.js';
import { findUsableWallet } from './wallets.js';

/** What a create or an update says about an invoice; an optional field not sent is undefined. */
export interface InvoiceTerms {
  readonly wallet: WalletRecord;
  readonly amountMinor: number;
  /** The methods a payer may pick: the wallet's that a provider (or the sandbox) serves. */
  readonly methods: readonly PaymentMethod[];
  readonly productName?: string;
  readonly periodTime?: number;
  readonly maxOpenCount?: number;
  readonly app?: number;
  readonly customerOrderId?: string;
  readonly customerReference?: string;
  readonly returnUrl?: string;
  readonly notifyUrl?: string;
  readonly qrcode?: boolean;
}

/**
 * Reads and checks the fields of `POST /v2/invoice` and `PUT /v2/invoice` (Latipay's
 * invoice.md; `max_open_count` and `pay_currency` from the spec, §4.12). Answers 207 naming
 * a bad field, 450 for a wallet not the user's, 454 over its single-payment limit, 301 for a
 * pay_currency other than the wallet's, 302 when no provider serves any of its methods.
 */
export async function readInvoiceTerms(ctx: GatewayContext, params: RequestParams, userId: string): Promise<InvoiceTerms> {
  const amount = parseAmount(params.raw('amount'));
  if (!amount.ok) throw latipayError('BAD_PARAMETER', `amount ${amount.reason}`);
  const text = (name: string, max: number) => {
    const value = params.text(name);
    if (value !== undefined && value.length > max) throw latipayError('BAD_PARAMETER', `${name} must be at most ${max} characters`);
    return value;
  };
  const whole = (name: string, min: number, max: number) => {
    if (!params.has(name)) return undefined;
    const value = parseWholeNumber(params.raw(name), min, max);
    if (value === undefined) throw latipayError('BAD_PARAMETER', `${name} must be a whole number from ${min} to ${max}`);
    return value;
  };
  const url = (name: string) => {
    const value = params.text(name);
    if (value !== undefined && !isHttpUrl(value)) throw latipayError('BAD_PARAMETER', `${name} must be an absolute http(s) URL`);
    return value;
  };
  const productName = text('product_name', 255);
  const periodTime = whole('period_time', 1, MAX_PERIOD_MINUTES);
  const maxOpenCount = whole('max_open_count', 1, MAX_OPEN_COUNT);
  const app = whole('app', 0, 1);
  const customerOrderId = text('customer_order_id', 128);
  const customerReference = text('customer_reference', 255);
  const returnUrl = url('return_url');
  const notifyUrl = url('notify_url');
  if (notifyUrl !== undefined && ctx.config.outboundGuard) {
    const refused = outboundUrlRefusal(ctx.config, notifyUrl);
    if (refused) throw latipayError('BAD_PARAMETER', `notify_url must be a public address: ${refused}`);
  }
  let qrcode: boolean | undefined;
  if (params.has('qrcode')) {
    qrcode = parseFlag(params.raw('qrcode'));
    if (qrcode === undefined) throw latipayError('BAD_PARAMETER', 'qrcode must be true or false');
  }

  const walletId = params.required('wallet_id');
  const wallet = await findUsableWallet(ctx, walletId, userId);
  if (!wallet) throw latipayError('WALLET_NOT_ASSIGNED', `wallet_id ${walletId} is not assigned to ${userId}`);
  if (wallet.single_limit_minor !== null && amount.minor > Number(wallet.single_limit_minor)) {
    throw latipayError('OVER_LIMIT', `amount exceeds the wallet's single-payment limit`);
  }
  const payCurrency = params.text('pay_currency');
  if (payCurrency !== undefined && payCurrency !== wallet.currency) {
    throw latipayError('WRONG_ACCOUNT', `pay_currency must be the wallet's currency, ${wallet.currency}`);
  }
  const methods = await ctx.providers.servableMethods(wallet, wallet.methods.split(',').map((m) => m.trim()));
  if (methods.length === 0) throw latipayError('PAY_COMPANY_NOT_FOUND', `no provider serves any payment method of ${walletId} on this gateway`);

  return { wallet, amountMinor: amount.minor, methods, productName, periodTime, maxOpenCount, app, customerOrderId, customerReference, returnUrl, notifyUrl, qrcode };
}

/** `invoice_id` or `customer_order_id`, whichever addresses the invoice (invoice_id first); 204 when neither is sent. */
export function invoiceAddressOf(params: RequestParams): { invoiceId: string } | { customerOrderId: string } {
  const invoiceId = params.text('invoice_id');
  if (invoiceId !== undefined) return { invoiceId };
  const customerOrderId = params.text('customer_order_id');
  if (customerOrderId !== undefined) return { customerOrderId };
  throw latipayError('MISSING_FIELD', 'invoice_id or customer_order_id is required');
}
