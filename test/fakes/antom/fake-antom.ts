// A protocol-exact fake of Antom (Alipay's global acquiring API, /ams/api/v1/payments/*) on
// 127.0.0.1, for proving the gateway's Antom adapter without reaching Antom. It verifies requests
// like Antom (Client-Id, Request-Time, Signature: algorithm=RSA256,keyVersion=N,signature=<URL-encoded
// base64 SHA256withRSA over "POST <uri>\n<client-id>.<request-time>.<body>"), checks each API's required
// fields, answers HTTP 200 with result S/F/U, signs every answer with its own key (Client-Id,
// Response-Time, Signature), keeps payments and refunds, and POSTs signed notifyPayment / notifyRefund
// to loopback URLs until the documented acknowledgement comes back. Tests drive it with plain methods
// (pay, decline, expire, presentCode, completeRefund, failNext, notifyRaw, redeliver...) and read its
// logs. See docs/providers/antom-protocol.md for the protocol and this folder's README for the API.
// Imports nothing from src/.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  isIsoDateTime,
  isoTime,
  parseRequestTime,
  parseSignatureHeader,
  randomDigits,
  signingContent,
  signUrlEncoded,
  sortedJson,
  verifyUrlEncoded,
} from './crypto.js';

// ---------------------------------------------------------------------------------------------
// Public types

export interface FakeAntomMerchant {
  /** The Client-Id Antom assigned (sandbox ids start with SANDBOX_). */
  clientId: string;
  /** The merchant's public key (PUBLIC KEY PEM, or bare base64 SPKI as the Antom Dashboard shows it). */
  publicKeyPem: string;
  /** The version of that key. Default '1'. */
  keyVersion?: string;
  /** More registered keys (key rotation); a request's keyVersion picks one, the highest is the default. */
  extraKeys?: Array<{ keyVersion: string; publicKeyPem: string }>;
  /** The notification URL configured in the Antom Dashboard, used when a request names none. */
  paymentNotifyUrl?: string;
  refundNotifyUrl?: string;
}

/** What a user-presented payment code does when the merchant calls pay with it. */
export type PaymentCodeOutcome =
  /** The wallet pays at once: S / SUCCESS, then notifyPayment. */
  | 'paid'
  /** The user must confirm in the wallet: U / PAYMENT_IN_PROCESS; the test then calls pay() or decline(). */
  | 'confirm'
  /** Declined: F / USER_BALANCE_NOT_ENOUGH (or the code given to presentCode). */
  | 'declined'
  /** The payment exists but the answer is U / UNKNOWN_EXCEPTION; inquiry shows PROCESSING until the test decides. */
  | 'unknown'
  /** U / UNKNOWN_EXCEPTION and nothing was created: inquiry answers ORDER_NOT_EXIST; a repeated pay creates it. */
  | 'lost';

export interface FakeAntomOptions {
  merchants: FakeAntomMerchant[];
  /** The keyVersion the fake signs answers and notifications with. Default '1'. */
  antomKeyVersion?: string;
  /** The currency the payer pays in (Alipay CN: CNY). Default 'CNY'. */
  payerCurrency?: string;
  /** Exchange rates as decimal strings by "FROM/TO", e.g. { 'NZD/CNY': '4.2' }. A missing pair: the payer pays in the order currency. */
  rates?: Record<string, string>;
  /**
   * Where the payer amount appears in paid answers and notifyPayment:
   * 'customs' (default, like a real ALIPAY_CN notification): actualPaymentAmount = paymentAmount and
   * the CNY amount in customsDeclarationAmount; 'actual': actualPaymentAmount in the payer currency
   * plus paymentQuote (and customsDeclarationAmount when the payer currency is CNY).
   */
  quoteStyle?: 'customs' | 'actual';
  /** Settlement in another currency: grossSettlementAmount + settlementQuote. */
  settlement?: { currency: string; rate: string };
  /** Refund state right after an accepted refund. Default 'PROCESSING' (U / REFUND_IN_PROCESS). */
  refundResult?: 'PROCESSING' | 'SUCCESS';
  /** Default outcome of a user-presented code not registered with presentCode. Default 'paid'. */
  paymentCodeOutcome?: PaymentCodeOutcome;
  /** Allowed |Request-Time - now| in ms. Default 300000 (Antom states no window; this is the fake's). */
  requestTimeToleranceMs?: number;
  /** The fake's clock minus the real one, ms. */
  clockOffsetMs?: number;
  /** The zone Response-Time / Request-Time / times in bodies are written in, minutes east of UTC. Default 480 (+08:00). */
  timeZoneOffsetMinutes?: number;
  /** How long a paid payment can be cancelled. Default 24 h (Antom: until 00:15 GMT+8 on T+1, or per contract). */
  cancelWindowMs?: number;
  /** How long after payment a refund is accepted. Default 365 days (per contract). */
  refundWindowMs?: number;
  /** How long a notification waits for the merchant. Default 5000. */
  notificationTimeoutMs?: number;
  /** Automatic redelivery delays after failed attempts. Default none (tests call redeliver); Antom's: DOCUMENTED_RETRY_DELAYS_MS. */
  retryDelaysMs?: number[];
  /** Payment method types accepted in pay. Default ALIPAY_CN, ALIPAY_HK, CONNECT_WALLET. */
  paymentMethodTypes?: string[];
}

/** notifyPayment / notifyRefund redelivery after a missing acknowledgement: 0s, 2min, 10min, 10min, 1h, 2h, 6h, 15h. */
export const DOCUMENTED_RETRY_DELAYS_MS = [2 * 60_000, 10 * 60_000, 10 * 60_000, 3_600_000, 2 * 3_600_000, 6 * 3_600_000, 15 * 3_600_000];

/** The acknowledgement body the documentation requires from the merchant. */
export const NOTIFICATION_ACK = { result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } };

export type Endpoint = 'pay' | 'inquiryPayment' | 'cancel' | 'refund' | 'inquiryRefund';
export type PaymentStatus = 'PROCESSING' | 'SUCCESS' | 'FAIL' | 'CANCELLED';
export type RefundStatus = 'PROCESSING' | 'SUCCESS' | 'FAIL';
export type Scenario = 'CASHIER' | 'ORDER_CODE' | 'PAYMENT_CODE';

export interface Amount {
  currency: string;
  value: string;
}

export interface FakePayment {
  clientId: string;
  paymentRequestId: string;
  paymentId: string;
  productCode: 'CASHIER_PAYMENT' | 'IN_STORE_PAYMENT';
  scenario: Scenario;
  terminalType?: string;
  paymentMethodType: string;
  paymentCode?: string;
  amount: Amount;
  notifyUrl?: string;
  request: Record<string, unknown>;
  status: PaymentStatus;
  resultCode: string;
  resultMessage: string;
  createdAt: number;
  finishedAt?: number;
  cancelledAt?: number;
  payer?: { amount: Amount; rate?: string };
  /** The answer to the first pay, repeated to identical repeats while the payment is in process. */
  firstAnswer: Record<string, unknown>;
  refunds: FakeRefund[];
}

export interface FakeRefund {
  clientId: string;
  refundRequestId: string;
  refundId: string;
  payment: FakePayment;
  amount: Amount;
  status: RefundStatus;
  resultCode: string;
  resultMessage: string;
  notifyUrl?: string;
  createdAt: number;
  finishedAt?: number;
  request: Record<string, unknown>;
}

export type FailureSpec =
  /** Answer this HTTP status (body: a signed UNKNOWN_EXCEPTION unless given). afterProcessing: the request takes effect first. */
  | { status: number; body?: unknown; afterProcessing?: boolean }
  /** Hold the answer this long (the request is processed). */
  | { delayMs: number }
  /** Reset the connection; afterProcessing: the request takes effect first (the answer is what is lost). */
  | { dropConnection: true; afterProcessing?: boolean }
  /** The answer's Signature does not verify. */
  | { badResponseSignature: true }
  /** No Client-Id / Response-Time / Signature on the answer. */
  | { unsignedResponse: true }
  /** A signed answer with this result instead (e.g. U / UNKNOWN_EXCEPTION); afterProcessing: the request takes effect first. */
  | { result: { resultCode: string; resultStatus: 'S' | 'F' | 'U'; resultMessage: string }; afterProcessing?: boolean };

export type RequestMatcher = Endpoint | string | RegExp | ((request: { method: string; path: string; endpoint?: Endpoint; body: string }) => boolean);

export interface RequestLogEntry {
  seq: number;
  method: string;
  /** Path and query exactly as received. */
  path: string;
  endpoint?: Endpoint;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** HTTP status of the answer (0 when the connection was dropped). */
  status: number;
  responseBody: string;
  responseHeaders: Record<string, string>;
  resultStatus?: string;
  resultCode?: string;
  /** Whether the answer carried a signature. */
  signed: boolean;
  injected?: FailureSpec;
}

export interface DeliveryAttempt {
  at: number;
  status?: number;
  responseBody?: string;
  error?: 'timeout' | 'connection' | 'refused-non-loopback' | 'no-url' | 'stopped';
  /** HTTP 200 and result.resultCode SUCCESS / result.resultStatus S: Antom stops retrying. */
  acknowledged: boolean;
  /** The answer was exactly {"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}} (as JSON). */
  exactAcknowledgement: boolean;
  headers: Record<string, string>;
}

export interface NotificationRecord {
  id: string;
  notifyType: 'PAYMENT_RESULT' | 'REFUND_RESULT';
  url: string;
  clientId: string;
  paymentRequestId: string;
  refundRequestId?: string;
  /** The exact body sent (the same across redeliveries). */
  body: string;
  attempts: DeliveryAttempt[];
  acknowledged: boolean;
  tampering?: NotifyRawOptions;
}

export interface PayOptions {
  /** false: the customer pays but notifyPayment is lost (never sent). */
  notify?: boolean;
  /** Override the rate (decimal string) for this payment. */
  rate?: string;
  /** Override the payer amount (minor units, payer currency). */
  payerValue?: string;
}

export interface NotifyRawOptions {
  /** The Signature does not verify over this message. */
  badSignature?: boolean;
  /** Signed correctly, with a Request-Time this many seconds in the past. */
  staleTimeSeconds?: number;
  /** keyVersion names a key the merchant does not have (the signature itself is good). */
  unknownKeyVersion?: boolean;
  /** Deliver the same notification twice in a row. */
  duplicate?: boolean;
  /** paymentAmount.value different from the payment's. */
  amount?: string;
  /** paymentAmount.currency different from the payment's. */
  currency?: string;
  /** The result carried: S (default, a success) or F. */
  resultStatus?: 'S' | 'F';
}

// ---------------------------------------------------------------------------------------------
// Internals

interface MerchantState {
  config: FakeAntomMerchant;
  keys: Map<string, crypto.KeyObject>;
  defaultKeyVersion: string;
}

interface Injection {
  matcher: RequestMatcher;
  failure: FailureSpec;
  remaining: number;
}

class ApiError extends Error {
  constructor(
    readonly resultCode: string,
    readonly resultStatus: 'F' | 'U',
    message: string,
    /** Authentication failures are answered unsigned (Antom: no signature on INVALID_SIGNATURE). */
    readonly signed = true,
  ) {
    super(message);
  }
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  signed: boolean;
}

const ENDPOINTS: ReadonlySet<string> = new Set(['pay', 'inquiryPayment', 'cancel', 'refund', 'inquiryRefund']);
const PATH = /^\/ams\/(?:sandbox\/)?api\/v1\/payments\/([A-Za-z]+)$/;
const CURRENCY = /^[A-Z]{3}$/;
const ZERO_DECIMALS = new Set(['JPY', 'KRW', 'VND', 'CLP', 'ISK', 'UGX', 'XAF', 'XOF', 'PYG']);
const THREE_DECIMALS = new Set(['BHD', 'KWD', 'OMR', 'JOD', 'TND', 'IQD', 'LYD']);

function exponent(currency: string): number {
  return ZERO_DECIMALS.has(currency) ? 0 : THREE_DECIMALS.has(currency) ? 3 : 2;
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function illegal(message: string): ApiError {
  return new ApiError('PARAM_ILLEGAL', 'F', message);
}

function str(obj: Record<string, unknown>, name: string, path: string, max: number, required: boolean): string | undefined {
  const value = obj[name];
  if (value === undefined || value === null) {
    if (required) throw illegal(`${path} is required`);
    return undefined;
  }
  if (typeof value !== 'string') throw illegal(`${path} must be a string`);
  if (value.length === 0 && required) throw illegal(`${path} must not be empty`);
  if (value.length > max) throw illegal(`${path} exceeds ${max} characters`);
  return value;
}

function obj(parent: Record<string, unknown>, name: string, path: string, required: boolean): Record<string, unknown> | undefined {
  const value = parent[name];
  if (value === undefined || value === null) {
    if (required) throw illegal(`${path} is required`);
    return undefined;
  }
  if (!isRecord(value)) throw illegal(`${path} must be an object`);
  return value;
}

/** An Amount: currency (ISO 4217) and value, a string of minor units ("Set the data type of each field as String"). */
function amount(parent: Record<string, unknown>, name: string, path: string): Amount {
  const a = obj(parent, name, path, true) as Record<string, unknown>;
  const currency = str(a, 'currency', `${path}.currency`, 3, true) as string;
  if (!CURRENCY.test(currency)) throw illegal(`${path}.currency must be a 3-letter ISO 4217 code`);
  const value = a.value;
  if (value === undefined || value === null) throw illegal(`${path}.value is required`);
  if (typeof value !== 'string') throw illegal(`${path}.value must be a string of minor units, e.g. "1000"`);
  if (!/^\d{1,19}$/.test(value)) throw illegal(`${path}.value must be digits only (minor units)`);
  if (BigInt(value) < 1n) throw illegal(`${path}.value must be at least 1`);
  return { currency, value: String(BigInt(value)) };
}

function url(parent: Record<string, unknown>, name: string, path: string, required: boolean): string | undefined {
  const value = str(parent, name, path, 2048, required);
  if (value === undefined) return undefined;
  try {
    const parsed = new URL(value);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw illegal(`${path} must be an absolute http(s) URL`);
  }
  return value;
}

function publicKey(pem: string): crypto.KeyObject {
  if (pem.includes('-----BEGIN')) return crypto.createPublicKey(pem);
  return crypto.createPublicKey({ key: Buffer.from(pem.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
}

function result(resultCode: string, resultStatus: 'S' | 'F' | 'U', resultMessage: string): Record<string, unknown> {
  return { result: { resultCode, resultStatus, resultMessage } };
}

// ---------------------------------------------------------------------------------------------

export class FakeAntom {
  readonly baseUrl: string;
  /** Antom's public key as a PEM (configure the adapter's "Antom public key" with it). */
  readonly antomPublicKeyPem: string;
  /** The same key as bare base64 SPKI, the form the Antom Dashboard shows. */
  readonly antomPublicKeyBase64: string;
  readonly requests: RequestLogEntry[] = [];
  readonly notifications: NotificationRecord[] = [];

  readonly #server: http.Server;
  readonly #keyPair: { publicKey: crypto.KeyObject; privateKey: crypto.KeyObject };
  readonly #merchants = new Map<string, MerchantState>();
  readonly #payments = new Map<string, FakePayment>();
  readonly #refunds = new Map<string, FakeRefund>();
  readonly #codeOutcomes = new Map<string, { outcome: PaymentCodeOutcome; resultCode?: string }>();
  readonly #injections: Injection[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #aborts = new Set<AbortController>();
  readonly #wakers = new Set<() => void>();
  readonly #options: Required<Omit<FakeAntomOptions, 'merchants' | 'settlement'>> & { settlement?: FakeAntomOptions['settlement'] };
  #seq = 0;
  #stopped = false;

  private constructor(server: http.Server, options: FakeAntomOptions) {
    this.#server = server;
    this.#options = {
      antomKeyVersion: options.antomKeyVersion ?? '1',
      payerCurrency: options.payerCurrency ?? 'CNY',
      rates: options.rates ?? {},
      quoteStyle: options.quoteStyle ?? 'customs',
      settlement: options.settlement,
      refundResult: options.refundResult ?? 'PROCESSING',
      paymentCodeOutcome: options.paymentCodeOutcome ?? 'paid',
      requestTimeToleranceMs: options.requestTimeToleranceMs ?? 300_000,
      clockOffsetMs: options.clockOffsetMs ?? 0,
      timeZoneOffsetMinutes: options.timeZoneOffsetMinutes ?? 480,
      cancelWindowMs: options.cancelWindowMs ?? 24 * 3_600_000,
      refundWindowMs: options.refundWindowMs ?? 365 * 24 * 3_600_000,
      notificationTimeoutMs: options.notificationTimeoutMs ?? 5000,
      retryDelaysMs: options.retryDelaysMs ?? [],
      paymentMethodTypes: options.paymentMethodTypes ?? ['ALIPAY_CN', 'ALIPAY_HK', 'CONNECT_WALLET'],
    };
    for (const merchant of options.merchants) {
      const keys = new Map<string, crypto.KeyObject>();
      keys.set(merchant.keyVersion ?? '1', publicKey(merchant.publicKeyPem));
      for (const extra of merchant.extraKeys ?? []) keys.set(extra.keyVersion, publicKey(extra.publicKeyPem));
      const defaultKeyVersion = [...keys.keys()].sort((a, b) => Number(b) - Number(a) || b.localeCompare(a))[0];
      this.#merchants.set(merchant.clientId, { config: merchant, keys, defaultKeyVersion });
    }
    this.#keyPair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.antomPublicKeyPem = this.#keyPair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    this.antomPublicKeyBase64 = this.#keyPair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const address = server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${address.port}`;
    server.on('request', (req, res) => {
      const work = this.#handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
      this.#track(work);
    });
  }

  /** Starts a fake on 127.0.0.1 at a free port, with a fresh RSA-2048 key pair as Antom's. */
  static async start(options: FakeAntomOptions): Promise<FakeAntom> {
    const server = http.createServer();
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new FakeAntom(server, options);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const wake of [...this.#wakers]) wake();
    for (const abort of this.#aborts) abort.abort();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await Promise.allSettled([...this.#inflight]);
  }

  // -------------------------------------------------------------------------------------------
  // Control API: records

  /** The payment with this paymentRequestId (give clientId when several merchants use the same id). */
  payment(paymentRequestId: string, clientId?: string): FakePayment | undefined {
    const matches = [...this.#payments.values()].filter((p) => p.paymentRequestId === paymentRequestId && (!clientId || p.clientId === clientId));
    if (matches.length > 1) throw new Error(`several merchants have paymentRequestId ${paymentRequestId}; say which`);
    return matches[0];
  }

  refund(refundRequestId: string, clientId?: string): FakeRefund | undefined {
    const matches = [...this.#refunds.values()].filter((r) => r.refundRequestId === refundRequestId && (!clientId || r.clientId === clientId));
    if (matches.length > 1) throw new Error(`several merchants have refundRequestId ${refundRequestId}; say which`);
    return matches[0];
  }

  /** Refunds actually created for a payment (a repeated refundRequestId never adds one). */
  refundsOf(paymentRequestId: string, clientId?: string): FakeRefund[] {
    return this.#mustPayment(paymentRequestId, clientId).refunds.slice();
  }

  /** Requests to one endpoint (or whose path starts with a prefix). */
  requestsTo(endpointOrPrefix: Endpoint | string): RequestLogEntry[] {
    return this.requests.filter((r) => r.endpoint === endpointOrPrefix || r.path.startsWith(endpointOrPrefix));
  }

  // -------------------------------------------------------------------------------------------
  // Control API: what the customer and Antom do

  /** The customer pays a PROCESSING payment: SUCCESS, then notifyPayment (resolves after the first attempt) unless notify: false. */
  async pay(paymentRequestId: string, options: PayOptions & { clientId?: string } = {}): Promise<NotificationRecord | undefined> {
    const payment = this.#mustPayment(paymentRequestId, options.clientId);
    if (payment.status !== 'PROCESSING') throw new Error(`payment ${paymentRequestId} is ${payment.status}; only PROCESSING payments can be paid`);
    this.#succeed(payment, options);
    if (options.notify === false) return undefined;
    return this.#notifyPayment(payment);
  }

  /** The payment fails (user declined, insufficient balance…): FAIL, then notifyPayment with result F. */
  async decline(
    paymentRequestId: string,
    options: { resultCode?: string; resultMessage?: string; notify?: boolean; clientId?: string } = {},
  ): Promise<NotificationRecord | undefined> {
    const payment = this.#mustPayment(paymentRequestId, options.clientId);
    if (payment.status !== 'PROCESSING') throw new Error(`payment ${paymentRequestId} is ${payment.status}`);
    this.#fail(payment, options.resultCode ?? 'USER_BALANCE_NOT_ENOUGH', options.resultMessage ?? 'The user balance is not enough for this payment.');
    if (options.notify === false) return undefined;
    return this.#notifyPayment(payment);
  }

  /** The payment expires unpaid: FAIL / ORDER_IS_CLOSED, then notifyPayment with result F. */
  async expire(paymentRequestId: string, options: { notify?: boolean; clientId?: string } = {}): Promise<NotificationRecord | undefined> {
    const payment = this.#mustPayment(paymentRequestId, options.clientId);
    if (payment.status !== 'PROCESSING') throw new Error(`payment ${paymentRequestId} is ${payment.status}`);
    this.#fail(payment, 'ORDER_IS_CLOSED', 'The order is closed.');
    if (options.notify === false) return undefined;
    return this.#notifyPayment(payment);
  }

  /** What a user-presented payment code will do when a pay names it (see PaymentCodeOutcome). */
  presentCode(paymentCode: string, outcome: PaymentCodeOutcome, options: { resultCode?: string } = {}): void {
    this.#codeOutcomes.set(paymentCode, { outcome, resultCode: options.resultCode });
  }

  /** A PROCESSING refund ends: SUCCESS or FAIL, then notifyRefund (unless notify: false). A FAIL refund frees its amount. */
  async completeRefund(
    refundRequestId: string,
    status: 'SUCCESS' | 'FAIL',
    options: { notify?: boolean; clientId?: string; resultCode?: string } = {},
  ): Promise<NotificationRecord | undefined> {
    const refund = this.refund(refundRequestId, options.clientId);
    if (!refund) throw new Error(`no refund ${refundRequestId}`);
    if (refund.status !== 'PROCESSING') throw new Error(`refund ${refundRequestId} is already ${refund.status}`);
    refund.status = status;
    refund.finishedAt = this.#now();
    if (status === 'SUCCESS') {
      refund.resultCode = 'SUCCESS';
      refund.resultMessage = 'success.';
    } else {
      refund.resultCode = options.resultCode ?? 'PROCESS_FAIL';
      refund.resultMessage = 'The refund failed.';
    }
    if (options.notify === false) return undefined;
    return this.#notifyRefund(refund);
  }

  /**
   * The next `times` (default 1) requests matching `matcher` fail as given. A matcher is an endpoint
   * name ('pay', 'refund', …), a path prefix ('/ams/…'), a RegExp on "POST /path", or a function.
   */
  failNext(matcher: RequestMatcher, failure: FailureSpec, options: { times?: number } = {}): void {
    this.#injections.push({ matcher, failure, remaining: options.times ?? 1 });
  }

  /**
   * A notifyPayment for this payment, spoilt as asked, sent once (twice with duplicate). The payment
   * itself is not changed. Resolves after the delivery attempt(s).
   */
  async notifyRaw(paymentRequestId: string, tampering: NotifyRawOptions = {}, clientId?: string): Promise<NotificationRecord> {
    const payment = this.#mustPayment(paymentRequestId, clientId);
    const body = this.#paymentNotificationBody(payment, tampering.resultStatus ?? 'S');
    const paymentAmount = body.paymentAmount as Amount;
    body.paymentAmount = { currency: tampering.currency ?? paymentAmount.currency, value: tampering.amount ?? paymentAmount.value };
    const record = this.#createNotification('PAYMENT_RESULT', payment, body, undefined, tampering);
    await this.#deliver(record);
    if (tampering.duplicate) await this.#deliver(record);
    return record;
  }

  /** Sends a notification again now (as Antom's retry would), acknowledged or not. */
  async redeliver(notificationId: string): Promise<DeliveryAttempt> {
    const record = this.notifications.find((n) => n.id === notificationId);
    if (!record) throw new Error(`no notification ${notificationId}`);
    return this.#deliver(record);
  }

  /** One more attempt for every notification not yet acknowledged. */
  async redeliverPending(): Promise<DeliveryAttempt[]> {
    const attempts: DeliveryAttempt[] = [];
    for (const record of this.notifications.filter((n) => !n.acknowledged)) attempts.push(await this.#deliver(record));
    return attempts;
  }

  /** Resolves when no request, delivery, scheduled redelivery or injected delay is pending. */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0 || this.#timers.size > 0) {
      if (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  // -------------------------------------------------------------------------------------------
  // HTTP

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks);
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const match = PATH.exec(path);
    const endpoint = match && ENDPOINTS.has(match[1]) ? (match[1] as Endpoint) : undefined;
    const entry: RequestLogEntry = {
      seq: ++this.#seq, method, path, endpoint, headers: req.headers, body: rawBody.toString('utf8'),
      status: 0, responseBody: '', responseHeaders: {}, signed: false,
    };
    this.requests.push(entry);

    if (method === 'GET' && /^\/(cashier|qr)\//.test(path)) {
      // The pages behind normalUrl / codeValue: a stand-in for Alipay's cashier (nothing to sign).
      const text = `<!doctype html><title>Fake Antom cashier</title><p>Fake Antom cashier: ${path.replace(/[<>&"]/g, '')}</p>`;
      entry.status = 200;
      entry.responseBody = text;
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(text);
      return;
    }

    const injection = this.#takeInjection(method, path, endpoint, entry.body);
    if (injection) entry.injected = injection;
    if (injection && 'delayMs' in injection) await this.#sleep(injection.delayMs);
    if (this.#stopped) {
      res.destroy();
      return;
    }
    const early =
      injection && (('status' in injection && !injection.afterProcessing) || ('dropConnection' in injection && !injection.afterProcessing));
    if (early) {
      this.#fail_(res, entry, injection, path, req.headers);
      return;
    }

    let answer: Answer;
    try {
      answer = this.#route(method, path, endpoint, req.headers, rawBody, injection);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      answer = { status: 200, body: result(error.resultCode, error.resultStatus, error.message), signed: error.signed };
    }
    if (injection && ('status' in injection || 'dropConnection' in injection)) {
      this.#fail_(res, entry, injection, path, req.headers);
      return;
    }
    if (injection && 'result' in injection && injection.afterProcessing) {
      answer = { status: 200, body: { result: { ...injection.result } }, signed: true };
    }
    this.#send(res, entry, answer, path, req.headers, injection);
  }

  #fail_(res: http.ServerResponse, entry: RequestLogEntry, failure: FailureSpec, path: string, headers: http.IncomingHttpHeaders): void {
    if ('dropConnection' in failure) {
      entry.status = 0;
      res.socket?.resetAndDestroy();
      res.destroy();
      return;
    }
    if ('status' in failure) {
      const body = (failure.body ?? result('UNKNOWN_EXCEPTION', 'U', 'An API calling is failed, which is caused by unknown reasons.')) as Record<string, unknown>;
      this.#send(res, entry, { status: failure.status, body, signed: true }, path, headers);
    }
  }

  #send(res: http.ServerResponse, entry: RequestLogEntry, answer: Answer, path: string, requestHeaders: http.IncomingHttpHeaders, failure?: FailureSpec): void {
    const text = sortedJson(answer.body);
    const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=UTF-8' };
    const clientId = typeof requestHeaders['client-id'] === 'string' ? requestHeaders['client-id'] : '';
    const signed = answer.signed && !(failure && 'unsignedResponse' in failure);
    if (signed) {
      const responseTime = isoTime(this.#now(), this.#options.timeZoneOffsetMinutes);
      const signedBody = failure && 'badResponseSignature' in failure ? `${text} ` : text;
      const signature = signUrlEncoded(signingContent('POST', path, clientId, responseTime, signedBody), this.#keyPair.privateKey);
      headers['Client-Id'] = clientId;
      headers['Response-Time'] = responseTime;
      headers.Signature = `algorithm=RSA256,keyVersion=${this.#options.antomKeyVersion},signature=${signature}`;
    }
    entry.status = answer.status;
    entry.responseBody = text;
    entry.responseHeaders = headers;
    entry.signed = signed;
    const r = answer.body.result;
    if (isRecord(r)) {
      entry.resultStatus = String(r.resultStatus);
      entry.resultCode = String(r.resultCode);
    }
    res.writeHead(answer.status, headers);
    res.end(text);
  }

  #takeInjection(method: string, path: string, endpoint: Endpoint | undefined, body: string): FailureSpec | undefined {
    const pathname = path.split('?')[0];
    const index = this.#injections.findIndex(({ matcher }) => {
      if (typeof matcher === 'string') return matcher.startsWith('/') ? pathname.startsWith(matcher) : endpoint === matcher;
      if (matcher instanceof RegExp) return matcher.test(`${method} ${path}`);
      return matcher({ method, path, endpoint, body });
    });
    if (index < 0) return undefined;
    const injection = this.#injections[index];
    injection.remaining -= 1;
    if (injection.remaining <= 0) this.#injections.splice(index, 1);
    return injection.failure;
  }

  // -------------------------------------------------------------------------------------------
  // Verification, as Antom does it

  #authenticate(path: string, headers: http.IncomingHttpHeaders, body: Buffer): MerchantState {
    const clientId = headers['client-id'];
    if (typeof clientId !== 'string' || !clientId) throw new ApiError('PARAM_ILLEGAL', 'F', 'The Client-Id header is required.', false);
    const merchant = this.#merchants.get(clientId);
    if (!merchant) throw new ApiError('KEY_NOT_FOUND', 'F', `No key is registered for client ${clientId}.`, false);
    const signatureHeader = typeof headers.signature === 'string' ? headers.signature : undefined;
    const parsed = parseSignatureHeader(signatureHeader);
    if (!parsed) {
      throw new ApiError('INVALID_SIGNATURE', 'F', 'The Signature header must be algorithm=RSA256,keyVersion=<n>,signature=<URL-encoded base64>.', false);
    }
    if (parsed.algorithm !== 'RSA256') throw new ApiError('INVALID_SIGNATURE', 'F', `Unsupported algorithm ${parsed.algorithm}; RSA256 is required.`, false);
    const keyVersion = parsed.keyVersion ?? merchant.defaultKeyVersion;
    const key = merchant.keys.get(keyVersion);
    if (!key) throw new ApiError('KEY_NOT_FOUND', 'F', `No key version ${keyVersion} is registered for client ${clientId}.`, false);
    const requestTime = typeof headers['request-time'] === 'string' ? headers['request-time'] : undefined;
    const when = parseRequestTime(requestTime);
    if (when === null) {
      throw new ApiError('PARAM_ILLEGAL', 'F', 'The Request-Time header is required: milliseconds since the epoch (or ISO 8601 with a zone).', false);
    }
    if (!verifyUrlEncoded(signingContent('POST', path, clientId, requestTime as string, body), parsed.signature, key)) {
      throw new ApiError('INVALID_SIGNATURE', 'F', 'The signature is invalid: it does not verify over "POST <uri>\\n<client-id>.<request-time>.<body>" with the registered public key.', false);
    }
    const skew = Math.abs(this.#now() - when);
    if (skew > this.#options.requestTimeToleranceMs) {
      throw new ApiError('INVALID_SIGNATURE', 'F', `The Request-Time is ${skew} ms from Antom's clock (at most ${this.#options.requestTimeToleranceMs} ms).`, false);
    }
    return merchant;
  }

  #route(
    method: string,
    path: string,
    endpoint: Endpoint | undefined,
    headers: http.IncomingHttpHeaders,
    rawBody: Buffer,
    injection: FailureSpec | undefined,
  ): Answer {
    if (!PATH.test(path)) return { status: 404, body: result('NO_INTERFACE_DEF', 'F', `No API is defined at ${path.split('?')[0]}.`), signed: false };
    if (method !== 'POST') return { status: 405, body: result('METHOD_NOT_SUPPORTED', 'F', 'Antom APIs are POST only.'), signed: false };
    if (!endpoint) return { status: 404, body: result('NO_INTERFACE_DEF', 'F', `No API is defined at ${path} in this fake.`), signed: false };
    const merchant = this.#authenticate(path, headers, rawBody);
    if (injection && 'result' in injection && !injection.afterProcessing) {
      return { status: 200, body: { result: { ...injection.result } }, signed: true };
    }
    let body: unknown;
    try {
      body = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw illegal('The request body is not valid JSON.');
    }
    if (!isRecord(body)) throw illegal('The request body must be a JSON object.');
    switch (endpoint) {
      case 'pay':
        return this.#pay(merchant, body);
      case 'inquiryPayment':
        return this.#inquiryPayment(merchant, body);
      case 'cancel':
        return this.#cancel(merchant, body);
      case 'refund':
        return this.#refund(merchant, body);
      case 'inquiryRefund':
        return this.#inquiryRefund(merchant, body);
    }
  }

  // -------------------------------------------------------------------------------------------
  // pay

  #pay(merchant: MerchantState, body: Record<string, unknown>): Answer {
    const clientId = merchant.config.clientId;
    const productCode = str(body, 'productCode', 'productCode', 32, true) as string;
    if (productCode !== 'CASHIER_PAYMENT' && productCode !== 'IN_STORE_PAYMENT') {
      throw illegal(`productCode ${productCode} is not supported (CASHIER_PAYMENT or IN_STORE_PAYMENT)`);
    }
    const paymentRequestId = str(body, 'paymentRequestId', 'paymentRequestId', 64, true) as string;
    const paymentAmount = amount(body, 'paymentAmount', 'paymentAmount');
    const order = obj(body, 'order', 'order', true) as Record<string, unknown>;
    amount(order, 'orderAmount', 'order.orderAmount');
    str(order, 'orderDescription', 'order.orderDescription', 256, true);
    const paymentMethod = obj(body, 'paymentMethod', 'paymentMethod', true) as Record<string, unknown>;
    const paymentMethodType = str(paymentMethod, 'paymentMethodType', 'paymentMethod.paymentMethodType', 64, true) as string;
    if (!this.#options.paymentMethodTypes.includes(paymentMethodType)) {
      throw illegal(`paymentMethod.paymentMethodType ${paymentMethodType} is not supported for this merchant`);
    }
    const expiry = str(body, 'paymentExpiryTime', 'paymentExpiryTime', 64, false);
    if (expiry !== undefined && !isIsoDateTime(expiry)) throw illegal('paymentExpiryTime must be ISO 8601, e.g. 2019-11-27T12:01:01+08:00');
    const settlementStrategy = obj(body, 'settlementStrategy', 'settlementStrategy', false);
    if (settlementStrategy) str(settlementStrategy, 'settlementCurrency', 'settlementStrategy.settlementCurrency', 3, false);

    let scenario: Scenario;
    let terminalType: string | undefined;
    let paymentCode: string | undefined;
    let notifyUrl: string | undefined;
    if (productCode === 'CASHIER_PAYMENT') {
      scenario = 'CASHIER';
      str(order, 'referenceOrderId', 'order.referenceOrderId', 64, true);
      url(body, 'paymentRedirectUrl', 'paymentRedirectUrl', true);
      notifyUrl = url(body, 'paymentNotifyUrl', 'paymentNotifyUrl', false) ?? merchant.config.paymentNotifyUrl;
      const env = obj(body, 'env', 'env', true) as Record<string, unknown>;
      terminalType = str(env, 'terminalType', 'env.terminalType', 16, true) as string;
      if (!['WEB', 'WAP', 'APP', 'MINI_APP'].includes(terminalType)) throw illegal('env.terminalType must be WEB, WAP, APP or MINI_APP');
      if (terminalType === 'WAP' || terminalType === 'APP') {
        const osType = str(env, 'osType', 'env.osType', 16, true) as string;
        if (osType !== 'IOS' && osType !== 'ANDROID') throw illegal('env.osType must be IOS or ANDROID');
      }
    } else {
      str(order, 'referenceOrderId', 'order.referenceOrderId', 64, false);
      notifyUrl = url(body, 'paymentNotifyUrl', 'paymentNotifyUrl', true);
      const factor = obj(body, 'paymentFactor', 'paymentFactor', true) as Record<string, unknown>;
      const inStore = str(factor, 'inStorePaymentScenario', 'paymentFactor.inStorePaymentScenario', 32, true) as string;
      const m = obj(order, 'merchant', 'order.merchant', true) as Record<string, unknown>;
      str(m, 'referenceMerchantId', 'order.merchant.referenceMerchantId', 64, true);
      str(m, 'merchantMCC', 'order.merchant.merchantMCC', 32, true);
      str(m, 'merchantName', 'order.merchant.merchantName', 256, true);
      const store = obj(m, 'store', 'order.merchant.store', true) as Record<string, unknown>;
      str(store, 'referenceStoreId', 'order.merchant.store.referenceStoreId', 64, true);
      str(store, 'storeName', 'order.merchant.store.storeName', 256, true);
      str(store, 'storeMCC', 'order.merchant.store.storeMCC', 32, true);
      if (inStore === 'OrderCode') {
        scenario = 'ORDER_CODE';
      } else if (inStore === 'PaymentCode') {
        scenario = 'PAYMENT_CODE';
        paymentCode = str(paymentMethod, 'paymentMethodId', 'paymentMethod.paymentMethodId', 128, true) as string;
        const env = obj(order, 'env', 'order.env', true) as Record<string, unknown>;
        str(env, 'storeTerminalId', 'order.env.storeTerminalId', 64, true);
        const terminalTime = str(env, 'storeTerminalRequestTime', 'order.env.storeTerminalRequestTime', 64, true) as string;
        if (!isIsoDateTime(terminalTime)) throw illegal('order.env.storeTerminalRequestTime must be ISO 8601');
      } else if (inStore === 'EntryCode') {
        throw illegal('paymentFactor.inStorePaymentScenario EntryCode is not implemented by this fake');
      } else {
        throw illegal('paymentFactor.inStorePaymentScenario must be OrderCode, PaymentCode or EntryCode');
      }
    }

    const key = `${clientId}/${paymentRequestId}`;
    const keyFields = sortedJson({ productCode, scenario, paymentAmount, paymentMethodType, paymentCode: paymentCode ?? null });
    const existing = this.#payments.get(key);
    if (existing) {
      const previous = sortedJson({
        productCode: existing.productCode, scenario: existing.scenario, paymentAmount: existing.amount,
        paymentMethodType: existing.paymentMethodType, paymentCode: existing.paymentCode ?? null,
      });
      if (previous !== keyFields) {
        throw new ApiError('REPEAT_REQ_INCONSISTENT', 'F', 'The request is inconsistent with the previous request that has the same paymentRequestId.');
      }
      return { status: 200, body: this.#repeatAnswer(existing), signed: true };
    }

    let outcome: { outcome: PaymentCodeOutcome; resultCode?: string } | undefined;
    if (scenario === 'PAYMENT_CODE') {
      outcome = this.#codeOutcomes.get(paymentCode as string) ?? { outcome: this.#options.paymentCodeOutcome };
      if (outcome.outcome === 'lost') {
        this.#codeOutcomes.set(paymentCode as string, { outcome: this.#options.paymentCodeOutcome });
        return { status: 200, body: result('UNKNOWN_EXCEPTION', 'U', 'An API calling is failed, which is caused by unknown reasons.'), signed: true };
      }
    }

    const now = this.#now();
    const payment: FakePayment = {
      clientId, paymentRequestId, paymentId: this.#newId(now, '1940108'), productCode, scenario, terminalType,
      paymentMethodType, paymentCode, amount: paymentAmount, notifyUrl, request: body, status: 'PROCESSING',
      resultCode: 'PAYMENT_IN_PROCESS', resultMessage: 'payment in process', createdAt: now, firstAnswer: {}, refunds: [],
    };
    this.#payments.set(key, payment);

    let answer: Record<string, unknown>;
    if (scenario === 'CASHIER') {
      answer = { ...result('PAYMENT_IN_PROCESS', 'U', 'payment in process'), ...this.#ids(payment), ...this.#cashierLinks(payment) };
    } else if (scenario === 'ORDER_CODE') {
      answer = { ...result('SUCCESS', 'S', 'Success'), ...this.#ids(payment), orderCodeForm: this.#orderCodeForm(payment) };
    } else {
      const what = outcome as { outcome: PaymentCodeOutcome; resultCode?: string };
      if (what.outcome === 'paid') {
        this.#succeed(payment, {});
        answer = this.#paidAnswer(payment);
        this.#soon(() => this.#notifyPayment(payment));
      } else if (what.outcome === 'declined') {
        this.#fail(payment, what.resultCode ?? 'USER_BALANCE_NOT_ENOUGH', 'The user balance is not enough for this payment.');
        answer = result(payment.resultCode, 'F', payment.resultMessage);
        this.#soon(() => this.#notifyPayment(payment));
      } else if (what.outcome === 'unknown') {
        answer = result('UNKNOWN_EXCEPTION', 'U', 'An API calling is failed, which is caused by unknown reasons.');
      } else {
        answer = { ...result('PAYMENT_IN_PROCESS', 'U', 'payment in process'), ...this.#ids(payment) };
      }
    }
    payment.firstAnswer = answer;
    return { status: 200, body: answer, signed: true };
  }

  /** "The same result is returned": the final result once final, the first answer while in process. */
  #repeatAnswer(payment: FakePayment): Record<string, unknown> {
    if (payment.status === 'SUCCESS') return this.#paidAnswer(payment);
    if (payment.status === 'FAIL') return result(payment.resultCode, 'F', payment.resultMessage);
    if (payment.status === 'CANCELLED') return result('ORDER_IS_CLOSED', 'F', 'The order is closed.');
    const first = payment.firstAnswer.result as Record<string, unknown>;
    if (first.resultCode === 'UNKNOWN_EXCEPTION') return { ...result('PAYMENT_IN_PROCESS', 'U', 'payment in process'), ...this.#ids(payment) };
    return payment.firstAnswer;
  }

  #ids(payment: FakePayment): Record<string, unknown> {
    return {
      paymentRequestId: payment.paymentRequestId,
      paymentId: payment.paymentId,
      paymentAmount: payment.amount,
      paymentCreateTime: this.#time(payment.createdAt),
    };
  }

  #cashierLinks(payment: FakePayment): Record<string, unknown> {
    const checkout = `${this.baseUrl}/cashier/checkout?paymentId=${payment.paymentId}`;
    const links: Record<string, unknown> = {
      normalUrl: checkout,
      redirectActionForm: { method: 'GET', redirectUrl: checkout },
      paymentActionForm: JSON.stringify({ method: 'GET', paymentActionFormType: 'RedirectActionForm', redirectUrl: checkout }),
    };
    if (payment.terminalType === 'WEB') links.orderCodeForm = this.#orderCodeForm(payment);
    if (payment.terminalType === 'WAP' || payment.terminalType === 'APP') {
      links.schemeUrl = `alipays://platformapi/startapp?appId=20000067&url=${encodeURIComponent(checkout)}`;
      links.applinkUrl = `${this.baseUrl}/cashier/applink?paymentId=${payment.paymentId}`;
    }
    return links;
  }

  #orderCodeForm(payment: FakePayment): Record<string, unknown> {
    const code = `${this.baseUrl}/qr/${payment.paymentId}`;
    const image = (size: string) => `${this.baseUrl}/qr/image?code=${encodeURIComponent(code)}&picSize=${size}`;
    const expiresIn = payment.scenario === 'ORDER_CODE' ? 3 * 60_000 : 14 * 60_000;
    return {
      codeDetails: [
        { codeValue: code, displayType: 'TEXT' },
        { codeValue: image('L'), displayType: 'BIGIMAGE' },
        { codeValue: image('M'), displayType: 'MIDDLEIMAGE' },
        { codeValue: image('S'), displayType: 'SMALLIMAGE' },
      ],
      expireTime: this.#time(payment.createdAt + expiresIn),
    };
  }

  /** The paid fields shared by pay (S), inquiryPayment and notifyPayment. */
  #paidFields(payment: FakePayment): Record<string, unknown> {
    const fields: Record<string, unknown> = {
      ...this.#ids(payment),
      paymentTime: this.#time(payment.finishedAt as number),
      pspCustomerInfo: { pspName: payment.paymentMethodType === 'CONNECT_WALLET' ? 'ALIPAY_CN' : payment.paymentMethodType },
    };
    const payer = payment.payer;
    if (payer && payer.amount.currency !== payment.amount.currency) {
      if (this.#options.quoteStyle === 'actual') {
        fields.actualPaymentAmount = payer.amount;
        fields.paymentQuote = this.#quote(payment.amount.currency, payer.amount.currency, payer.rate as string, payment.finishedAt as number);
      } else {
        fields.actualPaymentAmount = payment.amount;
      }
      if (payer.amount.currency === 'CNY') fields.customsDeclarationAmount = payer.amount;
    } else {
      fields.actualPaymentAmount = payment.amount;
    }
    const settlement = this.#options.settlement;
    if (settlement && settlement.currency !== payment.amount.currency) {
      fields.grossSettlementAmount = { currency: settlement.currency, value: this.#convert(payment.amount, settlement.currency, settlement.rate) };
      fields.settlementQuote = this.#quote(settlement.currency, payment.amount.currency, settlement.rate, payment.finishedAt as number);
    }
    return fields;
  }

  #paidAnswer(payment: FakePayment): Record<string, unknown> {
    return { ...result('SUCCESS', 'S', 'Success'), ...this.#paidFields(payment) };
  }

  #quote(from: string, to: string, rate: string, at: number): Record<string, unknown> {
    return {
      quoteId: `QUOTE_${crypto.createHash('sha256').update(`${from}/${to}/${rate}`).digest('hex').slice(0, 16).toUpperCase()}`,
      quoteCurrencyPair: `${from}/${to}`,
      quotePrice: rate,
      quoteStartTime: this.#time(at - 3_600_000),
      quoteExpiryTime: this.#time(at + 3_600_000),
    };
  }

  /** value × rate, moved between the two currencies' minor units, rounded half up. */
  #convert(from: Amount, toCurrency: string, rate: string): string {
    const major = Number(from.value) / 10 ** exponent(from.currency);
    return String(Math.round(major * Number(rate) * 10 ** exponent(toCurrency)));
  }

  #succeed(payment: FakePayment, options: PayOptions): void {
    const payerCurrency = this.#options.payerCurrency;
    const rate = options.rate ?? this.#options.rates[`${payment.amount.currency}/${payerCurrency}`];
    payment.status = 'SUCCESS';
    payment.resultCode = 'SUCCESS';
    payment.resultMessage = 'success.';
    payment.finishedAt = this.#now();
    if (payerCurrency !== payment.amount.currency && rate !== undefined) {
      payment.payer = { amount: { currency: payerCurrency, value: options.payerValue ?? this.#convert(payment.amount, payerCurrency, rate) }, rate };
    } else {
      payment.payer = { amount: { ...payment.amount } };
    }
  }

  #fail(payment: FakePayment, resultCode: string, resultMessage: string): void {
    payment.status = 'FAIL';
    payment.resultCode = resultCode;
    payment.resultMessage = resultMessage;
    payment.finishedAt = this.#now();
  }

  // -------------------------------------------------------------------------------------------
  // inquiryPayment, cancel

  #findPayment(merchant: MerchantState, body: Record<string, unknown>): FakePayment {
    const paymentId = str(body, 'paymentId', 'paymentId', 64, false);
    const paymentRequestId = str(body, 'paymentRequestId', 'paymentRequestId', 64, false);
    if (!paymentId && !paymentRequestId) throw illegal('paymentRequestId and paymentId cannot both be null');
    const clientId = merchant.config.clientId;
    // "If both are specified, paymentId takes precedence."
    const payment = paymentId
      ? [...this.#payments.values()].find((p) => p.clientId === clientId && p.paymentId === paymentId)
      : this.#payments.get(`${clientId}/${paymentRequestId}`);
    if (!payment) throw new ApiError('ORDER_NOT_EXIST', 'F', 'The order does not exist.');
    return payment;
  }

  #inquiryPayment(merchant: MerchantState, body: Record<string, unknown>): Answer {
    const payment = this.#findPayment(merchant, body);
    const answer: Record<string, unknown> = { ...result('SUCCESS', 'S', 'Success'), paymentStatus: payment.status };
    if (payment.status === 'SUCCESS') {
      Object.assign(answer, this.#paidFields(payment), { paymentResultCode: 'SUCCESS', paymentResultMessage: 'success.' });
    } else {
      Object.assign(answer, this.#ids(payment));
      if (payment.status === 'CANCELLED') Object.assign(answer, { paymentResultCode: 'ORDER_IS_CLOSED', paymentResultMessage: 'The order is closed.' });
      else Object.assign(answer, { paymentResultCode: payment.resultCode, paymentResultMessage: payment.resultMessage });
      if (payment.status === 'FAIL') answer.paymentTime = this.#time(payment.finishedAt as number);
    }
    return { status: 200, body: answer, signed: true };
  }

  #cancel(merchant: MerchantState, body: Record<string, unknown>): Answer {
    const payment = this.#findPayment(merchant, body);
    if (payment.status === 'FAIL') throw new ApiError('ORDER_STATUS_INVALID', 'F', 'The order status is invalid: the payment has failed.');
    if (payment.status === 'SUCCESS') {
      if (payment.refunds.length > 0) throw new ApiError('ORDER_STATUS_INVALID', 'F', 'The order status is invalid: the payment has refunds.');
      if (this.#now() - (payment.finishedAt as number) > this.#options.cancelWindowMs) {
        throw new ApiError('CANCEL_WINDOW_EXCEED', 'F', 'The cancellation period has passed.');
      }
    }
    if (payment.status !== 'CANCELLED') {
      payment.status = 'CANCELLED';
      payment.cancelledAt = this.#now();
      payment.resultCode = 'ORDER_IS_CLOSED';
      payment.resultMessage = 'The order is closed.';
    }
    return {
      status: 200,
      body: { ...result('SUCCESS', 'S', 'Success'), paymentId: payment.paymentId, paymentRequestId: payment.paymentRequestId, cancelTime: this.#time(payment.cancelledAt as number) },
      signed: true,
    };
  }

  // -------------------------------------------------------------------------------------------
  // refund, inquiryRefund

  #refund(merchant: MerchantState, body: Record<string, unknown>): Answer {
    const clientId = merchant.config.clientId;
    const refundRequestId = str(body, 'refundRequestId', 'refundRequestId', 64, true) as string;
    const paymentId = str(body, 'paymentId', 'paymentId', 64, true) as string;
    const refundAmount = amount(body, 'refundAmount', 'refundAmount');
    str(body, 'refundReason', 'refundReason', 256, false);
    str(body, 'referenceRefundId', 'referenceRefundId', 64, false);
    const notifyUrl = url(body, 'refundNotifyUrl', 'refundNotifyUrl', false) ?? merchant.config.refundNotifyUrl;

    const key = `${clientId}/${refundRequestId}`;
    const existing = this.#refunds.get(key);
    if (existing) {
      if (existing.payment.paymentId !== paymentId || existing.amount.value !== refundAmount.value || existing.amount.currency !== refundAmount.currency) {
        throw new ApiError('REPEAT_REQ_INCONSISTENT', 'F', 'The request is inconsistent with the previous request that has the same refundRequestId.');
      }
      return { status: 200, body: this.#refundAnswer(existing), signed: true };
    }
    const payment = [...this.#payments.values()].find((p) => p.clientId === clientId && p.paymentId === paymentId);
    if (!payment) throw new ApiError('ORDER_NOT_EXIST', 'F', 'The order does not exist.');
    if (payment.status !== 'SUCCESS') throw new ApiError('ORDER_STATUS_INVALID', 'F', `The order status is invalid: the payment is ${payment.status}.`);
    if (refundAmount.currency !== payment.amount.currency) throw illegal('refundAmount.currency must be the currency of the payment');
    if (this.#now() - (payment.finishedAt as number) > this.#options.refundWindowMs) {
      throw new ApiError('REFUND_WINDOW_EXCEED', 'F', 'The refund period has passed.');
    }
    const refunded = payment.refunds.filter((r) => r.status !== 'FAIL').reduce((sum, r) => sum + BigInt(r.amount.value), 0n);
    if (refunded + BigInt(refundAmount.value) > BigInt(payment.amount.value)) {
      throw new ApiError('REFUND_AMOUNT_EXCEED', 'F', 'The total refund amount exceeds the payment amount.');
    }
    const now = this.#now();
    const refund: FakeRefund = {
      clientId, refundRequestId, refundId: this.#newId(now, '1940108'), payment, amount: refundAmount,
      status: 'PROCESSING', resultCode: 'REFUND_IN_PROCESS', resultMessage: 'The refund is being processed.', notifyUrl,
      createdAt: now, request: body,
    };
    payment.refunds.push(refund);
    this.#refunds.set(key, refund);
    if (this.#options.refundResult === 'SUCCESS') {
      refund.status = 'SUCCESS';
      refund.resultCode = 'SUCCESS';
      refund.resultMessage = 'success.';
      refund.finishedAt = now;
      this.#soon(() => this.#notifyRefund(refund));
    }
    return { status: 200, body: this.#refundAnswer(refund), signed: true };
  }

  #refundAnswer(refund: FakeRefund): Record<string, unknown> {
    const fields = {
      refundRequestId: refund.refundRequestId,
      refundId: refund.refundId,
      paymentId: refund.payment.paymentId,
      refundAmount: refund.amount,
    };
    if (refund.status === 'PROCESSING') return { ...result('REFUND_IN_PROCESS', 'U', 'The refund is being processed.'), ...fields };
    if (refund.status === 'SUCCESS') return { ...result('SUCCESS', 'S', 'Success'), ...fields, refundTime: this.#time(refund.finishedAt as number) };
    return result(refund.resultCode, 'F', refund.resultMessage);
  }

  #inquiryRefund(merchant: MerchantState, body: Record<string, unknown>): Answer {
    const refundRequestId = str(body, 'refundRequestId', 'refundRequestId', 64, false);
    const refundId = str(body, 'refundId', 'refundId', 64, false);
    if (!refundRequestId && !refundId) throw illegal('refundRequestId and refundId cannot both be null');
    const clientId = merchant.config.clientId;
    const refund = refundId
      ? [...this.#refunds.values()].find((r) => r.clientId === clientId && r.refundId === refundId)
      : this.#refunds.get(`${clientId}/${refundRequestId}`);
    if (!refund) throw new ApiError('REFUND_NOT_EXIST', 'F', 'The refund does not exist.');
    const answer: Record<string, unknown> = {
      ...result('SUCCESS', 'S', 'Success'),
      refundId: refund.refundId,
      refundRequestId: refund.refundRequestId,
      refundAmount: refund.amount,
      refundStatus: refund.status,
    };
    if (refund.status === 'SUCCESS') answer.refundTime = this.#time(refund.finishedAt as number);
    return { status: 200, body: answer, signed: true };
  }

  // -------------------------------------------------------------------------------------------
  // Notifications

  #paymentNotificationBody(payment: FakePayment, resultStatus: 'S' | 'F'): Record<string, unknown> {
    if (resultStatus === 'S') {
      const paid = payment.status === 'SUCCESS' ? payment : ({ ...payment, finishedAt: this.#now(), payer: payment.payer ?? { amount: payment.amount } } as FakePayment);
      return { notifyType: 'PAYMENT_RESULT', ...result('SUCCESS', 'S', 'success.'), ...this.#paidFields(paid) };
    }
    return {
      notifyType: 'PAYMENT_RESULT',
      ...result(payment.status === 'FAIL' ? payment.resultCode : 'PROCESS_FAIL', 'F', payment.status === 'FAIL' ? payment.resultMessage : 'A general business failure occurred.'),
      ...this.#ids(payment),
    };
  }

  #notifyPayment(payment: FakePayment): Promise<NotificationRecord> {
    const body = this.#paymentNotificationBody(payment, payment.status === 'SUCCESS' ? 'S' : 'F');
    const record = this.#createNotification('PAYMENT_RESULT', payment, body);
    return this.#deliver(record).then(() => record);
  }

  #notifyRefund(refund: FakeRefund): Promise<NotificationRecord> {
    const body: Record<string, unknown> = {
      notifyType: 'REFUND_RESULT',
      ...(refund.status === 'SUCCESS' ? result('SUCCESS', 'S', 'success.') : result(refund.resultCode, 'F', refund.resultMessage)),
      refundStatus: refund.status,
      refundRequestId: refund.refundRequestId,
      refundId: refund.refundId,
      refundAmount: refund.amount,
    };
    if (refund.status === 'SUCCESS') body.refundTime = this.#time(refund.finishedAt as number);
    const record = this.#createNotification('REFUND_RESULT', refund.payment, body, refund);
    return this.#deliver(record).then(() => record);
  }

  #createNotification(
    notifyType: 'PAYMENT_RESULT' | 'REFUND_RESULT',
    payment: FakePayment,
    body: Record<string, unknown>,
    refund?: FakeRefund,
    tampering?: NotifyRawOptions,
  ): NotificationRecord {
    const merchant = this.#merchants.get(payment.clientId) as MerchantState;
    const target = refund ? refund.notifyUrl ?? merchant.config.refundNotifyUrl : payment.notifyUrl ?? merchant.config.paymentNotifyUrl;
    const record: NotificationRecord = {
      id: crypto.randomUUID(),
      notifyType,
      url: target ?? '',
      clientId: payment.clientId,
      paymentRequestId: payment.paymentRequestId,
      refundRequestId: refund?.refundRequestId,
      body: sortedJson(body),
      attempts: [],
      acknowledged: false,
      tampering,
    };
    this.notifications.push(record);
    return record;
  }

  #notificationHeaders(record: NotificationRecord, uri: string): Record<string, string> {
    const tampering = record.tampering ?? {};
    const requestTime = isoTime(this.#now() - (tampering.staleTimeSeconds ?? 0) * 1000, this.#options.timeZoneOffsetMinutes);
    const message = signingContent('POST', uri, record.clientId, requestTime, tampering.badSignature ? `${record.body} ` : record.body);
    const keyVersion = tampering.unknownKeyVersion ? String(Number(this.#options.antomKeyVersion) + 100) : this.#options.antomKeyVersion;
    return {
      'Content-Type': 'application/json; charset=UTF-8',
      'Client-Id': record.clientId,
      'Request-Time': requestTime,
      Signature: `algorithm=RSA256,keyVersion=${keyVersion},signature=${signUrlEncoded(message, this.#keyPair.privateKey)}`,
    };
  }

  #deliver(record: NotificationRecord): Promise<DeliveryAttempt> {
    const work = this.#attempt(record).then((attempt) => {
      record.attempts.push(attempt);
      if (attempt.acknowledged) record.acknowledged = true;
      else this.#scheduleRetry(record);
      return attempt;
    });
    this.#track(work);
    return work;
  }

  #scheduleRetry(record: NotificationRecord): void {
    const failures = record.attempts.filter((a) => !a.acknowledged).length;
    const delay = this.#options.retryDelaysMs[failures - 1];
    if (delay === undefined || this.#stopped) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!record.acknowledged && !this.#stopped) void this.#deliver(record);
    }, delay);
    this.#timers.add(timer);
  }

  async #attempt(record: NotificationRecord): Promise<DeliveryAttempt> {
    const at = this.#now();
    let target: URL;
    try {
      target = new URL(record.url);
    } catch {
      // No paymentNotifyUrl in the request and none configured for the merchant.
      return { at, error: 'no-url', acknowledged: false, exactAcknowledgement: false, headers: {} };
    }
    const headers = this.#notificationHeaders(record, `${target.pathname}${target.search}`);
    if (this.#stopped) return { at, error: 'stopped', acknowledged: false, exactAcknowledgement: false, headers };
    if (target.protocol !== 'http:' || !isLoopbackHost(target.hostname)) {
      // The fake never connects outside loopback (and speaks plain HTTP there).
      return { at, error: 'refused-non-loopback', acknowledged: false, exactAcknowledgement: false, headers };
    }
    const abort = new AbortController();
    this.#aborts.add(abort);
    try {
      return await new Promise<DeliveryAttempt>((resolve) => {
        const body = Buffer.from(record.body, 'utf8');
        const req = http.request(
          target,
          { method: 'POST', headers: { ...headers, 'Content-Length': String(body.length) }, signal: abort.signal, agent: false },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => {
              const status = res.statusCode ?? 0;
              const text = Buffer.concat(chunks).toString('utf8');
              let parsed: unknown;
              try {
                parsed = JSON.parse(text);
              } catch {
                parsed = undefined;
              }
              const r = isRecord(parsed) && isRecord(parsed.result) ? parsed.result : undefined;
              const acknowledged = status === 200 && r?.resultCode === 'SUCCESS' && r?.resultStatus === 'S';
              const exactAcknowledgement =
                acknowledged && isRecord(parsed) && Object.keys(parsed).length === 1 && sortedJson(parsed) === sortedJson(NOTIFICATION_ACK);
              resolve({ at, status, responseBody: text.slice(0, 4096), acknowledged, exactAcknowledgement, headers });
            });
            res.on('error', () => resolve({ at, error: 'connection', acknowledged: false, exactAcknowledgement: false, headers }));
          },
        );
        req.setTimeout(this.#options.notificationTimeoutMs, () => {
          req.destroy();
          resolve({ at, error: 'timeout', acknowledged: false, exactAcknowledgement: false, headers });
        });
        req.on('error', () => resolve({ at, error: this.#stopped ? 'stopped' : 'connection', acknowledged: false, exactAcknowledgement: false, headers }));
        req.end(body);
      });
    } finally {
      this.#aborts.delete(abort);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Helpers

  #now(): number {
    return Date.now() + this.#options.clockOffsetMs;
  }

  #time(epochMs: number): string {
    return isoTime(epochMs, this.#options.timeZoneOffsetMinutes);
  }

  /** An id like Antom's: yyyyMMdd + a fixed infix + random digits (35 characters). */
  #newId(now: number, infix: string): string {
    const date = isoTime(now, 480).slice(0, 10).replace(/-/g, '');
    return `${date}${infix}${randomDigits(35 - date.length - infix.length)}`;
  }

  #mustPayment(paymentRequestId: string, clientId?: string): FakePayment {
    const payment = this.payment(paymentRequestId, clientId);
    if (!payment) throw new Error(`no payment ${paymentRequestId}`);
    return payment;
  }

  /** Runs a delivery after the current answer is on its way (a notification follows the answer). */
  #soon(work: () => Promise<unknown>): void {
    this.#track(new Promise<void>((resolve) => setImmediate(resolve)).then(work));
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#timers.delete(timer);
        this.#wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#timers.add(timer);
      this.#wakers.add(done);
    });
  }

  #track(work: Promise<unknown>): void {
    this.#inflight.add(work);
    void work.finally(() => this.#inflight.delete(work)).catch(() => undefined);
  }
}
