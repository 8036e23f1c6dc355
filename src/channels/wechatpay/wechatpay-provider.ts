import { X509Certificate } from 'node:crypto';
import type { GoodsItem, OrderDetails } from '../../domain/order-details.js';
import type { PaymentMethod } from '../../domain/payment-methods.js';
import type { OpenedAccount } from '../provider-registry.js';
import {
  NotificationRejectedError,
  ProviderError,
  type AttemptRef,
  type ChargeCodeRequest,
  type CreatedPayment,
  type CreatePaymentRequest,
  type NotificationAck,
  type PayerIdentity,
  type PaymentProvider,
  type PaymentReport,
  type ProviderCapabilities,
  type ProviderEvent,
  type RawNotification,
  type ReceivedNotification,
  type RefundRef,
  type RefundReport,
  type RefundRequest,
} from '../provider.js';
import { wechatpayAccountOf, type WechatpayAccount } from './wechatpay-account.js';
import { WechatpayClient, type WechatpayAnswer } from './wechatpay-client.js';
import { decryptResource, jsapiInvokeParams, type EncryptedResource } from './wechatpay-crypto.js';
import { WechatOAuth } from './wechatpay-oauth.js';
import {
  beijingTime,
  maskedResource,
  paymentReportOf,
  refundReportOf,
  type WechatpayRefund,
  type WechatpayTransaction,
} from './wechatpay-reports.js';
import { platformCertificateOf, signatureHeadersOf, WechatpayVerifier, type PlatformCertificate } from './wechatpay-verifier.js';

/**
 * The WeChat Pay adapter: cross-border (global) API v3, common or institutional mode, one
 * instance per provider account. The protocol, with the documentation each rule comes
 * from, is docs/providers/wechatpay-protocol.md; the operator's side is
 * docs/providers/wechatpay.md.
 *
 * Flows: Native (a `weixin://` QR: a PC, a phone's browser, a merchant's own screen, and
 * inside WeChat when the payer's openid is unknown, long-pressed), JSAPI (inside WeChat
 * with the payer's openid: WeixinJSBridge's parameters, signed with the merchant key; and
 * a merchant's mini program, ordered with its appid: wx.requestPayment's parameters), and
 * Quick Pay (the customer's pay code). Every answer is believed only once its signature
 * verifies; notifications are verified before they are decrypted.
 */

export interface WechatpayProviderOptions {
  readonly clock?: () => number;
  /** Per call, connection and answer together (default 10 s). */
  readonly timeoutMs?: number;
  /** Where WeChat's OAuth lives (tests point both at the fake). */
  readonly oauth?: { readonly authorizeUrl?: string; readonly apiBaseUrl?: string };
}

/** The answer WeChat Pay wants for a notification taken in: 200 or 204, no body needed. */
const ACK: NotificationAck = { status: 204, contentType: 'text/plain; charset=utf-8', body: '' };
/** Any other answer is a failure, and WeChat Pay sends the notification again: 4XX/5XX with `{"code":"FAIL",…}`. */
function failAck(status: number, message: string): NotificationAck {
  return { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ code: 'FAIL', message }) };
}
const STORE_FAILED = failAck(500, 'the notification could not be stored; send it again');

/** Codes that say the account's settings are wrong: an operator must act. */
const MISCONFIGURED = new Set(['SIGN_ERROR', 'MCH_NOT_EXISTS', 'NO_AUTH', 'APPID_MCHID_NOT_MATCH', 'MCHID_NOT_EXIST', 'ACCOUNT_ERROR', 'INVALID_ACCOUNT']);
/** A refund WeChat Pay refuses for good (the merchant's balance cannot pay it, the payer's account cannot take it). */
const REFUND_DECLINED = new Set(['NOT_ENOUGH', 'USER_ACCOUNT_ABNORMAL']);
/** A pay code WeChat Pay refuses: the payer's code, balance or account. */
const CHARGE_DECLINED = new Set([
  'AUTH_CODE_ERROR',
  'AUTH_CODE_INVALID',
  'AUTHCODE_EXPIRE',
  'AUTH_CODE_EXPIRE',
  'NOT_ENOUGH',
  'NOTENOUGH',
  'BUYER_MISMATCH',
  'NOTSUPORTCARD',
  'NOT_SUPPORT_CARD',
  'TRADE_ERROR',
  'PAYER_ACCOUNT_ABNORMAL',
  'ORDER_CLOSED',
  'ORDERREVERSED',
  'ORDER_REVERSED',
]);
/** Codes of an order that is already where closing it would take it. */
const ALREADY_FINAL = new Set(['ORDERPAID', 'ORDER_PAID', 'ORDER_CLOSED', 'ORDERCLOSED', 'ORDER_NOT_EXIST', 'ORDERNOTEXIST']);
const ATTEMPT_ID = /^[0-9A-Za-z_\-|*]{1,32}$/;

/**
 * What an error answer says about what happened. 5xx: WeChat Pay asks for the same call
 * again and says nothing of whether it acted, so `unknown`; 401 and the codes above:
 * `misconfigured`; any other 4xx: the request was refused, nothing done.
 */
export function errorOf(operation: string, answer: WechatpayAnswer, declined: ReadonlySet<string> = new Set()): ProviderError {
  const code = answer.code ?? `HTTP_${answer.status}`;
  const detail = `WeChat Pay refused to ${operation}: HTTP ${answer.status} ${code}${answer.message ? ` (${answer.message})` : ''}${answer.requestId ? `, Request-ID ${answer.requestId}` : ''}`;
  let outcome: ProviderError['outcome'];
  if (declined.has(code)) outcome = 'declined';
  else if (answer.status === 401 || MISCONFIGURED.has(code)) outcome = 'misconfigured';
  else if (answer.status >= 500) outcome = 'unknown';
  else outcome = 'not_done';
  return new ProviderError(outcome, detail, { providerCode: code });
}

/** The notification envelope (its resource decrypted separately). */
interface Envelope {
  id?: unknown;
  event_type?: unknown;
  resource_type?: unknown;
  resource?: EncryptedResource & { original_type?: unknown };
}

export class WechatpayProvider implements PaymentProvider {
  readonly name = 'wechatpay';
  readonly capabilities: ProviderCapabilities = {
    methods: ['wechat'] satisfies PaymentMethod[],
    flows: ['qr', 'in_app', 'barcode'],
    // The currencies WeChat Pay enabled for the merchant (its settlement currency, and more
    // with multi-currency pricing): it refuses others when ordering.
    currencies: 'any',
    partialRefunds: true,
    // "up to 50 partial refunds per order" (Submit Refund).
    maxRefundsPerPayment: 50,
    // goods_detail goes to the order's `detail.goods_detail`.
    usesOrderDetails: true,
    // Mini Program Payment: a JSAPI order with the mini program's appid (Mini Program Calls Payment).
    miniPrograms: ['wechat'],
  };
  readonly payerIdentity?: PayerIdentity;
  readonly account: WechatpayAccount;
  readonly #client: WechatpayClient;
  readonly #verifier: WechatpayVerifier;
  readonly #clock: () => number;

  constructor(opened: Pick<OpenedAccount, 'id' | 'config' | 'secrets' | 'notifyUrl'>, options: WechatpayProviderOptions = {}) {
    this.account = wechatpayAccountOf(opened);
    this.#clock = options.clock ?? Date.now;
    const account = this.account;
    this.#verifier = new WechatpayVerifier({ publicKey: account.publicKey, certificates: account.certificates, clock: this.#clock });
    this.#client = new WechatpayClient({
      baseUrl: account.baseUrl,
      signer: { mchid: account.signerMchid, serialNo: account.serialNo, privateKey: account.privateKey },
      verify: (headers, body) => this.#verifier.verify(headers, body),
      timeoutMs: options.timeoutMs,
      clock: this.#clock,
    });
    this.#verifier.setCertificateDownload(() => this.#downloadCertificates());
    if (account.oauthAppSecret) {
      this.payerIdentity = new WechatOAuth({
        appId: account.payerAppId,
        appSecret: account.oauthAppSecret,
        authorizeUrl: options.oauth?.authorizeUrl,
        apiBaseUrl: options.oauth?.apiBaseUrl,
        timeoutMs: options.timeoutMs,
      });
    }
  }

  /**
   * Native for a QR (a PC, a phone's browser, a merchant's own screen, or inside WeChat
   * without the payer's openid: long-pressed); JSAPI inside WeChat with it. The attempt id
   * is the out_trade_no: asking again for the same attempt sends the same body, which
   * WeChat Pay answers with the same code_url or prepay_id.
   */
  async createPayment(request: CreatePaymentRequest): Promise<CreatedPayment> {
    const { context } = request;
    // A mini program pays with JSAPI too, ordered with the mini program's appid and its user's openid.
    const mini = context.purpose === 'mini_program';
    if (mini && (!context.payerOpenId || !context.payerAppId)) {
      throw new ProviderError('not_done', "a mini program payment needs the mini program's appid and its user's openid");
    }
    const jsapi = mini || (context.purpose !== 'merchant_qr' && context.device === 'wechat' && typeof context.payerOpenId === 'string' && context.payerOpenId !== '');
    const identity = mini ? this.account.forApp(context.payerAppId as string) : this.account;
    const body: Record<string, unknown> = {
      ...this.#orderFields(request, jsapi ? 'JSAPI' : 'NATIVE', identity.bodyIdentity),
      notify_url: this.#notifyUrl(request.notifyUrl),
      time_expire: beijingTime(request.expiresAt),
    };
    if (jsapi) body.payer = identity.payerOf(context.payerOpenId as string);
    const answer = await this.#client.call('POST', `/v3/global/transactions/${jsapi ? 'jsapi' : 'native'}`, body);
    if (answer.status !== 200) throw errorOf('open the payment', answer);
    const json = (answer.json ?? {}) as { code_url?: unknown; prepay_id?: unknown };
    if (jsapi) {
      if (typeof json.prepay_id !== 'string' || json.prepay_id === '') throw new ProviderError('unknown', 'WeChat Pay answered a JSAPI order without prepay_id');
      const appId = mini ? (context.payerAppId as string) : this.account.payerAppId;
      const params = jsapiInvokeParams(appId, json.prepay_id, this.account.privateKey, Math.floor(this.#clock() / 1000));
      return { flow: 'in_app', nextAction: { type: 'open_wallet', wallet: 'wechat_jsapi', params: { ...params } }, raw: json };
    }
    if (typeof json.code_url !== 'string' || json.code_url === '') throw new ProviderError('unknown', 'WeChat Pay answered a Native order without code_url');
    return { flow: 'qr', nextAction: { type: 'show_qr', qrContent: json.code_url }, raw: json };
  }

  async queryPayment(attempt: AttemptRef): Promise<PaymentReport> {
    const found = await this.#queryOrder(attempt.attemptId);
    if (!found) return { attemptId: attempt.attemptId, state: 'closed', occurredAt: this.#clock(), raw: { code: 'ORDER_NOT_EXIST' } };
    return paymentReportOf(found, attempt.attemptId, this.#clock(), maskedResource(found));
  }

  /**
   * Closes an unpaid order. What it is decides how: a Quick Pay order is reversed (WeChat
   * Pay's answer to an unknown Quick Pay outcome: closed when unpaid), anything else closed.
   * A paid, closed, reversed or unknown order is left as it is; the caller's next query
   * says which.
   */
  async closePayment(attempt: AttemptRef): Promise<void> {
    const found = await this.#queryOrder(attempt.attemptId);
    if (!found) return;
    const state = found.trade_state ?? '';
    if (['SUCCESS', 'REFUND', 'CLOSED', 'REVOKED'].includes(state)) return;
    const no = encodeURIComponent(attempt.attemptId);
    const path = found.trade_type === 'MICROPAY' ? `/v3/global/micropay/transactions/out-trade-no/${no}/reverse` : `/v3/global/transactions/out-trade-no/${no}/close`;
    const answer = await this.#client.call('POST', path, { ...this.account.merchantIdentity });
    if (answer.status === 204 || answer.status === 200) return;
    if (ALREADY_FINAL.has(answer.code ?? '')) return;
    throw errorOf(found.trade_type === 'MICROPAY' ? 'reverse the Quick Pay order' : 'close the order', answer);
  }

  /**
   * Submits a refund, numbered with our refund id: sent again (after a timeout, a crash)
   * it is the same refund, never a second. The answer only says WeChat Pay took it
   * (processing); the result comes by notification or query.
   */
  async refund(request: RefundRequest): Promise<RefundReport> {
    const body: Record<string, unknown> = {
      ...this.account.bodyIdentity,
      out_trade_no: request.attemptId,
      out_refund_no: request.refundId,
      notify_url: this.#notifyUrl(request.notifyUrl),
      amount: { refund: request.amountMinor, total: request.paymentAmountMinor, currency: request.currency },
    };
    const reason = truncateBytes(request.reason.trim(), 80);
    if (reason) body.reason = reason;
    const answer = await this.#client.call('POST', '/v3/global/refunds', body);
    if (answer.status !== 200) throw errorOf('refund', answer, REFUND_DECLINED);
    return refundReportOf((answer.json ?? {}) as WechatpayRefund, request.refundId, answer.json);
  }

  async queryRefund(refund: RefundRef): Promise<RefundReport> {
    const answer = await this.#client.call('GET', `/v3/global/refunds/out-refund-no/${encodeURIComponent(refund.refundId)}?${this.account.queryIdentity}`);
    if (answer.status !== 200) throw errorOf('say how the refund stands', answer);
    return refundReportOf((answer.json ?? {}) as WechatpayRefund, refund.refundId, answer.json);
  }

  /**
   * Quick Pay: charges the customer's pay code. The answer is the order: paid, or
   * USERPAYING (the customer confirms in WeChat), which stays pending until a query finds
   * the outcome; an order still unpaid when the gateway gives up on it is reversed
   * (closePayment). No notification comes for Quick Pay.
   */
  async chargeCode(request: ChargeCodeRequest): Promise<PaymentReport> {
    const body = { ...this.#orderFields(request, 'MICROPAY'), payer: { auth_code: request.payCode } };
    const answer = await this.#client.call('POST', '/v3/global/micropay/transactions/pay', body);
    const now = this.#clock();
    if (answer.status === 202 && answer.json === undefined) return { attemptId: request.attemptId, state: 'pending', occurredAt: now };
    if (answer.status >= 200 && answer.status < 300) {
      const tx = (answer.json ?? {}) as WechatpayTransaction;
      return paymentReportOf(tx, request.attemptId, now, maskedResource(tx));
    }
    if (answer.code === 'USERPAYING') return { attemptId: request.attemptId, state: 'pending', occurredAt: now };
    if (answer.code === 'ORDERPAID' || answer.code === 'ORDER_PAID') return this.queryPayment({ attemptId: request.attemptId, providerPaymentId: null });
    throw errorOf('take the pay code', answer, CHARGE_DECLINED);
  }

  /**
   * A notification: its signature, timestamp and key are checked on the exact bytes
   * before anything is parsed or decrypted; then the resource is decrypted with the APIv3
   * key (AES-256-GCM, whose tag also authenticates it). TRANSACTION.SUCCESS reports a
   * payment; REFUND.SUCCESS/ABNORMAL/CLOSED a refund; other events are taken in with
   * nothing to do. What cannot be believed is refused with a 4XX/5XX, and WeChat Pay sends
   * it again.
   */
  async receiveNotification(input: RawNotification): Promise<ReceivedNotification> {
    const verdict = await this.#verifier.verify(signatureHeadersOf(input.headers), input.rawBody);
    if (!verdict.ok) throw new NotificationRejectedError(`WeChat Pay notification refused: ${verdict.reason}`, failAck(401, 'signature verification failed'));
    let envelope: Envelope;
    try {
      envelope = JSON.parse(input.rawBody.toString('utf8')) as Envelope;
    } catch {
      throw new NotificationRejectedError('WeChat Pay notification refused: the body is not JSON', failAck(400, 'the body is not JSON'));
    }
    if (typeof envelope !== 'object' || envelope === null || typeof envelope.id !== 'string' || typeof envelope.event_type !== 'string' || !envelope.resource) {
      throw new NotificationRejectedError('WeChat Pay notification refused: id, event_type and resource are required', failAck(400, 'malformed notification'));
    }
    let resource: Record<string, unknown>;
    try {
      resource = JSON.parse(decryptResource(this.account.apiV3Key, envelope.resource)) as Record<string, unknown>;
      if (typeof resource !== 'object' || resource === null) throw new Error('the resource is not an object');
    } catch (error) {
      // Signed by WeChat Pay, yet it does not decrypt: the APIv3 key configured is not the merchant's.
      throw new NotificationRejectedError(
        `WeChat Pay notification ${envelope.id} refused: its resource does not decrypt with the account's APIv3 key (${(error as Error).message})`,
        failAck(500, 'the resource could not be decrypted'),
      );
    }
    const reports = envelope.event_type.startsWith('TRANSACTION.') || envelope.event_type.startsWith('REFUND.');
    if (reports && !this.account.isOwn(resource)) {
      throw new NotificationRejectedError(`WeChat Pay notification ${envelope.id} refused: it names another merchant`, failAck(400, 'not this merchant'));
    }
    return { events: this.#eventsOf(envelope.id, envelope.event_type, resource), ack: ACK, failAck: STORE_FAILED };
  }

  #eventsOf(id: string, eventType: string, resource: Record<string, unknown>): ProviderEvent[] {
    if (eventType.startsWith('TRANSACTION.')) {
      const tx = resource as WechatpayTransaction;
      if (typeof tx.out_trade_no !== 'string') return [];
      return [{ kind: 'payment', eventId: id, report: paymentReportOf(tx, tx.out_trade_no, this.#clock(), maskedResource(tx)) }];
    }
    if (eventType.startsWith('REFUND.')) {
      const refund = resource as WechatpayRefund;
      if (typeof refund.out_refund_no !== 'string') return [];
      return [{ kind: 'refund', eventId: id, report: refundReportOf(refund, refund.out_refund_no, maskedResource(resource)) }];
    }
    return [];
  }

  /** The fields Native, JSAPI and Quick Pay orders share. */
  #orderFields(
    request: Pick<CreatePaymentRequest, 'attemptId' | 'orderId' | 'subject' | 'amountMinor' | 'currency'> & { readonly details?: OrderDetails },
    tradeType: 'NATIVE' | 'JSAPI' | 'MICROPAY',
    identity: Readonly<Record<string, string>> = this.account.bodyIdentity,
  ) {
    if (!ATTEMPT_ID.test(request.attemptId)) throw new ProviderError('not_done', `attempt id ${request.attemptId} cannot be an out_trade_no (at most 32 of [0-9A-Za-z_-|*])`);
    return {
      ...identity,
      description: truncateBytes(request.subject.trim(), 127) || `Order ${request.orderId}`,
      out_trade_no: request.attemptId,
      trade_type: tradeType,
      merchant_category_code: this.account.merchantCategoryCode,
      amount: { total: request.amountMinor, currency: request.currency },
      ...(request.details?.goods ? { detail: goodsDetailOf(request.details.goods) } : {}),
    };
  }

  /** WeChat Pay refuses a notify_url with a query string, and it must be absolute. */
  #notifyUrl(url: string): string {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ProviderError('misconfigured', `the notify URL ${url} is not absolute: set PUBLIC_URL`);
    }
    if (parsed.search || parsed.hash || url.includes('?')) throw new ProviderError('misconfigured', `WeChat Pay refuses a notify URL with a query (${url}): PUBLIC_URL must not carry one`);
    return url;
  }

  /** The order, or undefined when WeChat Pay has none with this number. */
  async #queryOrder(attemptId: string): Promise<WechatpayTransaction | undefined> {
    const answer = await this.#client.call('GET', `/v3/global/transactions/out-trade-no/${encodeURIComponent(attemptId)}?${this.account.queryIdentity}`);
    if (answer.status === 200) return (answer.json ?? {}) as WechatpayTransaction;
    if (answer.status === 404 && (answer.code === 'ORDER_NOT_EXIST' || answer.code === 'ORDERNOTEXIST')) return undefined;
    throw errorOf('say how the order stands', answer);
  }

  /**
   * The current platform certificates (GET /v3/global/certificates), decrypted with the
   * APIv3 key: the AES-GCM tag proves each came from WeChat Pay. The answer's own
   * signature is checked with the keys held and the certificates it brings.
   */
  async #downloadCertificates(): Promise<PlatformCertificate[]> {
    let brought: PlatformCertificate[] = [];
    const answer = await this.#client.call('GET', '/v3/global/certificates', undefined, {
      verify: async (headers, body) => {
        brought = certificatesOf(body, this.account.apiV3Key);
        return this.#verifier.verifyWith(headers, body, brought);
      },
    });
    if (answer.status !== 200) throw errorOf('list its platform certificates', answer);
    return brought;
  }
}

function certificatesOf(body: Buffer, apiV3Key: string): PlatformCertificate[] {
  let data: unknown;
  try {
    data = (JSON.parse(body.toString('utf8')) as { data?: unknown }).data;
  } catch {
    return [];
  }
  if (!Array.isArray(data)) return [];
  const certificates: PlatformCertificate[] = [];
  for (const item of data as Array<{ serial_no?: unknown; encrypt_certificate?: EncryptedResource }>) {
    try {
      if (!item.encrypt_certificate) continue;
      const cert = platformCertificateOf(new X509Certificate(decryptResource(apiV3Key, item.encrypt_certificate)));
      if (cert.serial === String(item.serial_no).toUpperCase()) certificates.push(cert);
    } catch {
      // One that does not decrypt (or parse) is not believed; the others still are.
    }
  }
  return certificates;
}

/** At most `max` UTF-8 bytes of `text`, cut at a character boundary. */
function truncateBytes(text: string, max: number): string {
  if (Buffer.byteLength(text, 'utf8') <= max) return text;
  let out = '';
  for (const char of text) {
    if (Buffer.byteLength(out + char, 'utf8') > max) break;
    out += char;
  }
  return out;
}

/** The adapter factory the registry calls (wechatpay-module.ts); tests add options (a short timeout, the fake's OAuth). */
export function createWechatpayProvider(account: OpenedAccount, options: WechatpayProviderOptions = {}): WechatpayProvider {
  return new WechatpayProvider(account, options);
}

/**
 * The merchant's goods_detail as WeChat Pay's `detail` (its "single product" fields):
 * `cost_price` the goods' sum, each item's unit `price` in minor units of the order's currency.
 */
function goodsDetailOf(goods: readonly GoodsItem[]) {
  return {
    cost_price: goods.reduce((sum, item) => sum + item.unitPriceMinor * item.quantity, 0),
    goods_detail: goods.map((item) => ({
      ...(item.goodsId !== undefined ? { goods_id: item.goodsId } : {}),
      ...(item.wxpayGoodsId !== undefined ? { wxpay_goods_id: item.wxpayGoodsId } : {}),
      goods_name: truncateBytes(item.name, 256),
      quantity: item.quantity,
      price: item.unitPriceMinor,
    })),
  };
}
