import { LatipayError, LatipayHttpError, LatipaySignatureError } from './errors.js';
import { verifyCallbackFields, verifyReturnQuery, type FormInput } from './events.js';
import { signaturesMatch, signCreated, signParams, signResult } from './signature.js';
import { sendRequest, type FetchLike, type TransportSettings } from './transport.js';
import type { WebhookHeaders } from './webhook.js';
import {
  PAYMENT_METHODS,
  type Amount,
  type BarcodeParams,
  type BarcodeResult,
  type CallbackEvent,
  type CallOptions,
  type CreatedTransaction,
  type CreateTransactionParams,
  type CreateInvoiceParams,
  type GatewayData,
  type Invoice,
  type InvoiceAddress,
  type InvoiceLink,
  type InvoiceList,
  type ListInvoicesParams,
  type RefundInvoiceParams,
  type UpdateInvoiceParams,
  type PaymentMethod,
  type Rate,
  type RefundParams,
  type RefundResult,
  type ReturnEvent,
  type TransactionResult,
  type WalletDetail,
  type WalletRates,
} from './types.js';

export interface LatipayOptions {
  /** Your user, e.g. `U000334333`. */
  userId: string;
  /** The wallet calls use unless they name another, e.g. `W00000001`. */
  walletId: string;
  /** The user's api_key: signs requests and verifies everything the gateway signs. */
  apiKey: string;
  /** The gateway's API origin, e.g. `https://api.latipay.net` or `http://localhost:8080`. */
  baseUrl: string;
  /** Budget of one call, retries included (default 30 000 ms). */
  timeoutMs?: number | undefined;
  /** Budget of a long-poll (`queryTransaction(ref, { block: true })`), default 200 000 ms (the gateway waits up to 180 s). */
  longPollTimeoutMs?: number | undefined;
  /** Further attempts of idempotent calls (GET) after a connection error or HTTP 5xx (default 2). */
  retries?: number | undefined;
  /** The first pause before a retry, doubling each time, with full jitter (default 250 ms; at most 5 s). */
  retryDelayMs?: number | undefined;
  /** Your own fetch (a proxy agent, a test double); default: the global fetch. */
  fetch?: FetchLike | undefined;
  /**
   * During a key rotation's grace period: the key being replaced. Callbacks, return
   * redirects and gatewaydata signed with it are still accepted (the gateway signs what it
   * sends unasked with the old key until the grace period ends). Remove it once the grace
   * period is over.
   */
  previousApiKey?: string | undefined;
  /** How far a callback's `webhook-timestamp` may be from now, either way (default 300 s). */
  webhookToleranceSeconds?: number | undefined;
  /**
   * Refuse callbacks without the Standard Webhooks headers (default false, since Latipay
   * itself sends none; turn it on against this gateway, so a replay cannot strip them).
   */
  requireWebhookHeaders?: boolean | undefined;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_LONG_POLL_TIMEOUT_MS = 200_000;

/**
 * A client of the Latipay 2.0 API. It signs every request (spec §2.1), verifies every
 * signature the gateway returns, and throws `LatipayError` (with Latipay's `code`) when the
 * gateway answers `code !== 0`.
 *
 * @example
 * import { Latipay } from 'latipay-sdk';
 * const latipay = new Latipay({
 *   userId: 'U000334333',
 *   walletId: 'W00000001',
 *   apiKey: process.env.LATIPAY_API_KEY!,
 *   baseUrl: 'http://localhost:8080',
 * });
 */
export class Latipay {
  readonly userId: string;
  readonly walletId: string;
  readonly baseUrl: string;
  readonly #apiKey: string;
  /** What callbacks and redirects may be signed with: the key, then the one it replaces. */
  readonly #incomingKeys: readonly string[];
  readonly #webhook: { toleranceSeconds: number | undefined; requireWebhookHeaders: boolean };
  readonly #transport: TransportSettings;
  readonly #longPollTimeoutMs: number;

  constructor(options: LatipayOptions) {
    for (const name of ['userId', 'walletId', 'apiKey', 'baseUrl'] as const) {
      if (typeof options[name] !== 'string' || options[name] === '') throw new TypeError(`Latipay: options.${name} is required`);
    }
    this.userId = options.userId;
    this.walletId = options.walletId;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#incomingKeys = options.previousApiKey ? [options.apiKey, options.previousApiKey] : [options.apiKey];
    this.#webhook = { toleranceSeconds: options.webhookToleranceSeconds, requireWebhookHeaders: options.requireWebhookHeaders ?? false };
    this.#longPollTimeoutMs = options.longPollTimeoutMs ?? DEFAULT_LONG_POLL_TIMEOUT_MS;
    this.#transport = {
      fetch: options.fetch ?? ((url, init) => fetch(url, init)),
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retries: options.retries ?? 2,
      retryDelayMs: options.retryDelayMs ?? 250,
      maxRetryDelayMs: 5_000,
      random: Math.random,
    };
  }

  /**
   * Creates an online payment (`POST /v2/transaction`) and verifies the answer's
   * signature (HMAC of `nonce + host_url`). Send the customer to `payment_url`.
   * Not retried: on a `LatipayConnectionError`, call it again with the same
   * `merchant_reference` and parameters (the gateway answers the same order).
   *
   * @example
   * const created = await latipay.createTransaction({
   *   amount: '120.00',
   *   payment_method: 'alipay',
   *   merchant_reference: 'order-1001',
   *   product_name: 'Pinot Noir, Otago',
   *   return_url: 'https://shop.example/return',
   *   callback_url: 'https://shop.example/latipay/callback',
   *   ip: '122.122.122.1',
   * });
   * response.writeHead(303, { location: created.payment_url }).end();
   */
  async createTransaction(params: CreateTransactionParams, options: CallOptions = {}): Promise<CreatedTransaction> {
    const { extra, ...named } = params;
    const fields = this.#signed({
      ...extra,
      user_id: this.userId,
      wallet_id: params.wallet_id ?? this.walletId,
      amount: amountText(params.amount, 'amount'),
      payment_method: named.payment_method,
      merchant_reference: named.merchant_reference,
      product_name: named.product_name,
      callback_url: named.callback_url,
      return_url: named.return_url,
      ip: named.ip,
      version: '2.0',
      backPage_url: named.backPage_url,
      present_qr: named.present_qr,
      host_type: named.host_type,
    });
    const answer = await this.#call({ method: 'POST', path: '/v2/transaction', body: fields, idempotent: false, ...options });
    const hostUrl = text(answer, 'host_url');
    const nonce = text(answer, 'nonce');
    const signature = text(answer, 'signature') ?? '';
    if (!hostUrl || !nonce || !signaturesMatch(signCreated(nonce, hostUrl, this.#apiKey), signature)) {
      throw new LatipaySignatureError('the create-transaction answer is not signed with this api_key (HMAC of nonce + host_url)');
    }
    return { host_url: hostUrl, nonce, signature, payment_url: `${hostUrl}/${nonce}` };
  }

  /**
   * Queries an order by your `merchant_reference` (`GET /v2/transaction/{ref}`) and
   * verifies the answer's signature. With `block: true` the gateway answers as soon as the
   * order leaves `pending` (a long-poll of up to 180 s). Retried on connection errors and 5xx.
   *
   * @example
   * const result = await latipay.queryTransaction('order-1001', { block: true });
   * if (result.paid) await shipOrder(result.merchant_reference);
   */
  async queryTransaction(merchantReference: string, options: CallOptions & { block?: boolean | undefined } = {}): Promise<TransactionResult> {
    const signature = signParams({ merchant_reference: merchantReference, user_id: this.userId }, this.#apiKey);
    const query: Record<string, string> = { user_id: this.userId, signature, ...(options.block ? { is_block: '1' } : {}) };
    const answer = await this.#call({
      method: 'GET',
      path: `/v2/transaction/${encodeURIComponent(merchantReference)}`,
      query,
      idempotent: true,
      timeoutMs: options.timeoutMs ?? (options.block ? this.#longPollTimeoutMs : undefined),
      signal: options.signal,
    });
    const result = this.#verifiedResult(answer, 'query answer');
    // A genuine answer about another order (replayed by something in between) is no answer.
    if (result.merchant_reference !== merchantReference) {
      throw new LatipaySignatureError(`the query answer is about ${JSON.stringify(result.merchant_reference)}, not ${JSON.stringify(merchantReference)}`);
    }
    return result;
  }

  /**
   * Refunds a paid order, in part or in full (`POST /refund`). Not retried: after a
   * `LatipayConnectionError`, sending the same amount and reference again is refused as a
   * duplicate (562) if the first one went through.
   *
   * @example
   * const { refund_id } = await latipay.refund({ order_id: result.order_id, refund_amount: '20.00', reference: 'broken cork' });
   */
  async refund(params: RefundParams, options: CallOptions = {}): Promise<RefundResult> {
    const fields = this.#signed({
      user_id: this.userId,
      order_id: params.order_id,
      refund_amount: amountText(params.refund_amount, 'refund_amount'),
      reference: params.reference,
    });
    const answer = await this.#call({ method: 'POST', path: '/refund', body: fields, idempotent: false, ...options });
    const refundId = text(answer, 'refund_id');
    return { message: text(answer, 'message') ?? '', ...(refundId ? { refund_id: refundId } : {}) };
  }

  /**
   * Cancels a pending order (`POST /cancel`); it can no longer be paid. Cancelling a
   * cancelled order succeeds again; a paid one throws `LatipayError` code 900, a failed one 901.
   *
   * @example
   * await latipay.cancel('order-1001');
   */
  async cancel(merchantReference: string, options: CallOptions = {}): Promise<{ message: string }> {
    const fields = this.#signed({ user_id: this.userId, merchant_reference: merchantReference });
    const answer = await this.#call({ method: 'POST', path: '/cancel', body: fields, idempotent: false, ...options });
    return { message: text(answer, 'message') ?? '' };
  }

  /**
   * Charges a customer's payment code that you scanned (`POST /barcode`). The result is
   * queried (`queryTransaction`) or notified to `callback_url`. Not retried; repeating it
   * with the same `merchant_reference` and parameters answers the same order.
   *
   * @example
   * const { order_id } = await latipay.barcode({ amount: '8.50', pay_code: '284563218890145521', merchant_reference: 'till-7-0042' });
   */
  async barcode(params: BarcodeParams, options: CallOptions = {}): Promise<BarcodeResult> {
    const fields = this.#signed({
      user_id: this.userId,
      wallet_id: params.wallet_id ?? this.walletId,
      amount: amountText(params.amount, 'amount'),
      pay_code: params.pay_code,
      merchant_reference: params.merchant_reference,
      product_name: params.product_name,
      callback_url: params.callback_url,
    });
    const answer = await this.#call({ method: 'POST', path: '/barcode', body: fields, idempotent: false, ...options });
    const orderId = text(answer, 'order_id');
    if (!orderId) throw new LatipayHttpError(200, JSON.stringify(answer), 'the barcode answer has no order_id');
    return { order_id: orderId };
  }

  /**
   * The payment methods a wallet accepts (`GET /v2/detail/{wallet_id}`), e.g. to build a checkout.
   *
   * @example
   * const { payment_methods } = await latipay.walletDetail(); // ['alipay', 'wechat']
   */
  async walletDetail(walletId: string = this.walletId, options: CallOptions = {}): Promise<WalletDetail> {
    const signature = signParams({ wallet_id: walletId, user_id: this.userId }, this.#apiKey);
    const answer = await this.#call({
      method: 'GET',
      path: `/v2/detail/${encodeURIComponent(walletId)}`,
      query: { user_id: this.userId, signature },
      idempotent: true,
      ...options,
    });
    const names = text(answer, 'payment_method') ?? '';
    return { payment_method: names, payment_methods: parseMethodNames(names) };
  }

  /**
   * The FX rates of a wallet's currency (`GET /v2/all_rate`), e.g. NZD→CNY, verifying the
   * answer's signature (sorted signature over `currency` and `rates` written `QUOTE:RATE,…`).
   *
   * @example
   * const { currency, rates } = await latipay.rates();
   * const cny = rates.find((r) => r.currency === 'CNY'); // { currency: 'CNY', rate: '4.6449', … }
   */
  async rates(walletId: string = this.walletId, options: CallOptions = {}): Promise<WalletRates> {
    const fields = this.#signed({ user_id: this.userId, wallet_id: walletId });
    const answer = await this.#call({ method: 'GET', path: '/v2/all_rate', query: fields, idempotent: true, ...options });
    const currency = text(answer, 'currency') ?? '';
    const signature = text(answer, 'signature') ?? '';
    const rates = Array.isArray(answer['rates']) ? (answer['rates'] as unknown[]).map(toRate) : undefined;
    if (!currency || !rates || rates.includes(undefined)) {
      throw new LatipayHttpError(200, JSON.stringify(answer), 'the all_rate answer has no currency or malformed rates');
    }
    const valid = rates as Rate[];
    const expected = signParams({ currency, rates: valid.map((r) => `${r.currency}:${r.rate}`).join(',') }, this.#apiKey);
    if (!signaturesMatch(expected, signature)) throw new LatipaySignatureError('the all_rate answer is not signed with this api_key');
    return { currency, rates: valid, signature };
  }

  /**
   * The QR and details of an order created with `host_type: '1'`
   * (`GET /v2/merchanthosted/gatewaydata/{nonce}`), for your own till or kiosk; verifies the
   * sorted signature over every `data` field.
   *
   * @example
   * const created = await latipay.createTransaction({ ...order, host_type: '1' });
   * const data = await latipay.gatewayData(created.nonce);
   * showOnTill(data.qr_code); // data:image/png;base64,…
   */
  async gatewayData(nonce: string, options: CallOptions = {}): Promise<GatewayData> {
    const answer = await this.#call({
      method: 'GET',
      path: `/v2/merchanthosted/gatewaydata/${encodeURIComponent(nonce)}`,
      idempotent: true,
      ...options,
    });
    const data = answer['data'];
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new LatipayHttpError(200, JSON.stringify(answer), 'the gatewaydata answer has no data object');
    }
    const fields = data as Record<string, unknown>;
    for (const [key, value] of Object.entries(fields)) {
      if (value !== null && typeof value === 'object') throw new LatipaySignatureError(`gatewaydata field ${key} is not a plain value`);
    }
    // Like a callback, gatewaydata is signed with the old key during a rotation's grace
    // period: any of the incoming keys may match (each is compared).
    const signable = fields as Record<string, string | number | boolean | null>;
    const matches = this.#incomingKeys.map((key) => signaturesMatch(signParams(signable, key), fields['signature']));
    if (!matches.includes(true)) throw new LatipaySignatureError('the gatewaydata answer is not signed with this api_key');
    if (fields['nonce'] !== nonce) throw new LatipaySignatureError('the gatewaydata answer is about another nonce');
    return fields as unknown as GatewayData;
  }

  /**
   * Creates an invoice, a payment link (`POST /v2/invoice`), and verifies the answer's
   * signature (sorted signature over invoice_id, qrcode_pic, invoice_url). Send the payer to
   * `invoice_url`. Not retried; sending the same fields with the same `customer_order_id`
   * again answers the same invoice.
   *
   * @example
   * const link = await latipay.createInvoice({ amount: '48.00', product_name: 'Hamper', customer_order_id: 'SO-1001', notify_url: 'https://shop.example/latipay/notify' });
   * await email(customer, link.invoice_url);
   */
  async createInvoice(params: CreateInvoiceParams, options: CallOptions = {}): Promise<InvoiceLink> {
    const fields = this.#signed(this.#invoiceFields(params));
    const answer = await this.#call({ method: 'POST', path: '/v2/invoice', body: fields, idempotent: false, ...options });
    return this.#verifiedLink(answer, 'create-invoice');
  }

  /**
   * An invoice by `invoice_id` or `customer_order_id` (`GET /v2/invoice`), verified.
   *
   * @example
   * const invoice = await latipay.getInvoice({ customer_order_id: 'SO-1001' });
   * if (invoice.paid) await ship('SO-1001');
   */
  async getInvoice(address: InvoiceAddress, options: CallOptions = {}): Promise<Invoice> {
    const fields = this.#signed({ user_id: this.userId, invoice_id: address.invoice_id, customer_order_id: address.customer_order_id });
    const answer = await this.#call({ method: 'GET', path: '/v2/invoice', query: fields, idempotent: true, ...options });
    const { code: _code, message: _message, ...invoice } = answer;
    return this.#verifiedInvoice(invoice, 'invoice answer');
  }

  /**
   * Your invoices created in a time range (`GET /v2/invoices`), a page at a time, newest
   * first; every invoice and the page itself verified.
   *
   * @example
   * const { invoices, total } = await latipay.listInvoices({ start_time: '2026-03-01', end_time: '2026-03-31', page_size: 50 });
   */
  async listInvoices(params: ListInvoicesParams, options: CallOptions = {}): Promise<InvoiceList> {
    const fields = this.#signed({
      user_id: this.userId,
      start_time: params.start_time,
      end_time: params.end_time,
      wallet_id: params.wallet_id,
      page: params.page === undefined ? undefined : String(params.page),
      page_size: params.page_size === undefined ? undefined : String(params.page_size),
    });
    const answer = await this.#call({ method: 'GET', path: '/v2/invoices', query: fields, idempotent: true, ...options });
    const list = answer['invoices'];
    const [page, pageSize, total] = [answer['page'], answer['page_size'], answer['total']];
    if (!Array.isArray(list) || typeof page !== 'number' || typeof pageSize !== 'number' || typeof total !== 'number') {
      throw new LatipayHttpError(200, JSON.stringify(answer), 'the invoices answer has no page of invoices');
    }
    const invoices = list.map((item: unknown) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new LatipaySignatureError('an invoice of the list is not an object');
      return this.#verifiedInvoice(item as Record<string, unknown>, 'invoice of the list');
    });
    const expected = signParams({ page, page_size: pageSize, total, invoices: invoices.map((i) => i.signature).join(',') }, this.#apiKey);
    if (!signaturesMatch(expected, answer['signature'])) throw new LatipaySignatureError('the invoices answer is not signed with this api_key');
    return { page, page_size: pageSize, total, invoices };
  }

  /**
   * Edits an invoice nobody has paid (`PUT /v2/invoice`); fields not given keep their values.
   *
   * @example
   * await latipay.updateInvoice({ invoice_id: link.invoice_id, amount: '52.00' });
   */
  async updateInvoice(params: UpdateInvoiceParams, options: CallOptions = {}): Promise<InvoiceLink> {
    const fields = this.#signed({ ...this.#invoiceFields(params), invoice_id: params.invoice_id });
    const answer = await this.#call({ method: 'PUT', path: '/v2/invoice', body: fields, idempotent: false, ...options });
    return this.#verifiedLink(answer, 'update-invoice');
  }

  /**
   * Deletes (cancels) an unpaid invoice (`DELETE /v2/invoice`): its link stops working.
   * Deleting it again succeeds; a paid one throws `LatipayError` 900.
   *
   * @example
   * await latipay.deleteInvoice({ customer_order_id: 'SO-1001' });
   */
  async deleteInvoice(address: InvoiceAddress, options: CallOptions = {}): Promise<{ message: string }> {
    const fields = this.#signed({ user_id: this.userId, invoice_id: address.invoice_id, customer_order_id: address.customer_order_id });
    const answer = await this.#call({ method: 'DELETE', path: '/v2/invoice', body: fields, idempotent: false, ...options });
    return { message: text(answer, 'message') ?? '' };
  }

  /**
   * Refunds a paid invoice (`POST /v2/invoice/refund`): all that is left, or `refund_amount`.
   * Not retried: after a connection error, a repeat of a whole refund is refused (562) if the first went through.
   *
   * @example
   * const { refund_id } = await latipay.refundInvoice({ invoice_id: link.invoice_id, reference: 'out of stock' });
   */
  async refundInvoice(params: RefundInvoiceParams, options: CallOptions = {}): Promise<{ message: string; refund_id: string }> {
    const fields = this.#signed({
      user_id: this.userId,
      invoice_id: params.invoice_id,
      customer_order_id: params.customer_order_id,
      reference: params.reference,
      refund_amount: params.refund_amount === undefined ? undefined : amountText(params.refund_amount, 'refund_amount'),
    });
    const answer = await this.#call({ method: 'POST', path: '/v2/invoice/refund', body: fields, idempotent: false, ...options });
    const refundId = text(answer, 'refund_id') ?? '';
    if (!refundId || !signaturesMatch(signParams({ refund_id: refundId }, this.#apiKey), answer['signature'])) {
      throw new LatipaySignatureError('the invoice refund answer is not signed with this api_key');
    }
    return { message: text(answer, 'message') ?? '', refund_id: refundId };
  }

  /**
   * Verifies the asynchronous notification posted to your `callback_url` (a form body:
   * raw text, `URLSearchParams`, or an object your framework parsed) and returns it typed.
   * Given the request's `headers`, its Standard Webhooks headers are verified too (against
   * the raw body; a timestamp more than `webhookToleranceSeconds` away is refused). Throws
   * `LatipaySignatureError` when it is forged, altered or stale. Answer `sent` once you
   * have recorded it (or use `createCallbackHandler`, which does all of this).
   *
   * @example
   * const event = latipay.verifyCallback(rawBody, req.headers);
   * if (event.paid) await markPaid(event.merchant_reference, event.order_id);
   * response.end('sent');
   */
  verifyCallback(formBody: FormInput, headers?: WebhookHeaders): CallbackEvent {
    return verifyCallbackFields(formBody, this.#incomingKeys, { ...this.#webhook, headers });
  }

  /**
   * Verifies the customer's redirect to your `return_url` (the full URL, a path with query,
   * or the query string) and returns it typed; throws `LatipaySignatureError` when forged.
   * Show the outcome, but let the callback or `queryTransaction` decide whether to ship.
   *
   * @example
   * const back = latipay.verifyReturn(request.url!);
   * render(back.paid ? 'Thank you!' : 'The payment did not go through.');
   */
  verifyReturn(queryString: string | URL | URLSearchParams | Readonly<Record<string, unknown>>): ReturnEvent {
    return verifyReturnQuery(queryString, this.#incomingKeys);
  }

  #signed(fields: Record<string, string | undefined>): Record<string, string> {
    const sent: Record<string, string> = {};
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) sent[key] = value;
    return { ...sent, signature: signParams(sent, this.#apiKey) };
  }

  #invoiceFields(params: CreateInvoiceParams | UpdateInvoiceParams): Record<string, string | undefined> {
    const whole = (value: number | undefined, name: string) => {
      if (value === undefined) return undefined;
      if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`Latipay: ${name} must be a whole number, got ${String(value)}`);
      return String(value);
    };
    return {
      user_id: this.userId,
      wallet_id: params.wallet_id ?? this.walletId,
      amount: amountText(params.amount, 'amount'),
      product_name: params.product_name,
      period_time: whole(params.period_time, 'period_time'),
      max_open_count: whole(params.max_open_count, 'max_open_count'),
      app: whole(params.app, 'app'),
      customer_order_id: params.customer_order_id,
      customer_reference: params.customer_reference,
      return_url: params.return_url,
      notify_url: params.notify_url,
      qrcode: params.qrcode === undefined ? undefined : String(params.qrcode),
    };
  }

  #verifiedLink(answer: Record<string, unknown>, what: string): InvoiceLink {
    const link = { invoice_id: text(answer, 'invoice_id') ?? '', qrcode_pic: text(answer, 'qrcode_pic') ?? '', invoice_url: text(answer, 'invoice_url') ?? '' };
    const signature = text(answer, 'signature') ?? '';
    if (!link.invoice_id || !link.invoice_url || !signaturesMatch(signParams(link, this.#apiKey), signature)) {
      throw new LatipaySignatureError(`the ${what} answer is not signed with this api_key`);
    }
    return { ...link, signature };
  }

  /** An invoice's fields are signed sorted, `payment_methods` written as its items joined by commas. */
  #verifiedInvoice(fields: Record<string, unknown>, what: string): Invoice {
    const signable: Record<string, string | number | boolean | null> = {};
    for (const [key, value] of Object.entries(fields)) {
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) signable[key] = value.join(',');
      else if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) signable[key] = value as string | number | boolean | null;
      else throw new LatipaySignatureError(`${what}: field ${key} is not a plain value`);
    }
    if (!signaturesMatch(signParams(signable, this.#apiKey), fields['signature'])) throw new LatipaySignatureError(`the ${what} is not signed with this api_key`);
    return { ...(fields as unknown as Invoice), paid: fields['status'] === 'paid' };
  }

  #verifiedResult(answer: Record<string, unknown>, what: string): TransactionResult {
    const fields = {
      merchant_reference: text(answer, 'merchant_reference') ?? '',
      payment_method: text(answer, 'payment_method') ?? '',
      status: text(answer, 'status') ?? '',
      currency: text(answer, 'currency') ?? '',
      amount: text(answer, 'amount') ?? '',
    };
    const signature = text(answer, 'signature') ?? '';
    if (!signaturesMatch(signResult(fields, this.#apiKey), signature)) {
      throw new LatipaySignatureError(`the ${what} is not signed with this api_key`);
    }
    return {
      ...fields,
      order_id: text(answer, 'order_id') ?? '',
      pay_time: text(answer, 'pay_time') ?? '',
      signature,
      paid: fields.status === 'paid',
    };
  }

  async #call(request: {
    method: 'GET' | 'POST' | 'PUT' | 'DELETE';
    path: string;
    query?: Record<string, string>;
    body?: Record<string, string>;
    idempotent: boolean;
    timeoutMs?: number | undefined;
    signal?: AbortSignal | undefined;
  }): Promise<Record<string, unknown>> {
    const query = request.query ? `?${new URLSearchParams(request.query)}` : '';
    const answer = await sendRequest(this.#transport, {
      method: request.method,
      url: this.baseUrl + request.path + query,
      body: request.body,
      idempotent: request.idempotent,
      timeoutMs: request.timeoutMs,
      signal: request.signal,
    });
    const code = answer['code'];
    if (typeof code !== 'number' || !Number.isInteger(code)) {
      throw new LatipayHttpError(200, JSON.stringify(answer), 'the answer has no integer code');
    }
    if (code !== 0) throw new LatipayError(code, text(answer, 'message') ?? '', answer);
    return answer;
  }
}

function text(answer: Record<string, unknown>, name: string): string | undefined {
  const value = answer[name];
  return typeof value === 'string' ? value : undefined;
}

/** Sends amounts as text: a number must have at most two decimals (a float sum like 0.1 + 0.2 is refused). */
function amountText(amount: Amount, name: string): string {
  if (typeof amount === 'string') return amount;
  if (typeof amount !== 'number' || !Number.isFinite(amount) || Number(amount.toFixed(2)) !== amount) {
    throw new TypeError(`Latipay: ${name} must be a decimal string or a number with at most two decimals, got ${String(amount)}`);
  }
  return amount.toFixed(2);
}

function toRate(value: unknown): Rate | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { currency, rate, updated_at } = value as Record<string, unknown>;
  if (typeof currency !== 'string' || typeof rate !== 'string') return undefined;
  return { currency, rate, updated_at: typeof updated_at === 'string' ? updated_at : '' };
}

const METHOD_BY_KEY = new Map<string, PaymentMethod>(PAYMENT_METHODS.map((method) => [method.replace(/_/g, '').toLowerCase(), method]));

/** `"Alipay,Wechat"` → `['alipay', 'wechat']` (names the SDK does not know are left out). */
function parseMethodNames(names: string): PaymentMethod[] {
  const out: PaymentMethod[] = [];
  for (const name of names.split(',')) {
    const method = METHOD_BY_KEY.get(name.trim().replace(/[_\s-]/g, '').toLowerCase());
    if (method && !out.includes(method)) out.push(method);
  }
  return out;
}
