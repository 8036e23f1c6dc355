// A protocol-exact fake of WeChat Pay's cross-border (global) API v3 on 127.0.0.1, for proving the
// gateway's WeChat adapter without reaching WeChat Pay. It verifies requests like WeChat Pay does
// (Authorization scheme, merchant serial, 5-minute timestamp window, SHA256withRSA over the exact
// bytes, mchid matching, JSON schema of the required fields), signs every answer, keeps orders and
// refunds, and POSTs signed, AEAD_AES_256_GCM-encrypted notifications to loopback notify_urls.
// Tests drive it through plain methods (pay, decline, expire, completeRefund, failNext, notifyRaw,
// redeliver...) and read its logs. See docs/providers/wechatpay-protocol.md for the protocol and
// test/fakes/wechatpay/README.md for this API. Imports nothing from src/.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  aeadEncrypt,
  beijingTime,
  parseAuthorization,
  PROBE_PREFIX,
  publicKeyFromPem,
  randomDigits,
  randomString,
  requestSigningMessage,
  responseSigningMessage,
  signBase64,
  verifyBase64,
} from './crypto.js';
import { createSelfSignedCertificate } from './x509.js';

// ---------------------------------------------------------------------------------------------
// Public types

export interface FakeMerchant {
  /** 'common' (appid + mchid) or 'institutional' (sp_appid + sp_mchid + sub_mchid). Default 'common'. */
  mode?: 'common' | 'institutional';
  /** The merchant id that signs requests: mchid in common mode, sp_mchid in institutional mode. */
  mchid: string;
  /** Common mode: the appid bound to mchid (checked when given). */
  appid?: string;
  /** Common mode: further appids bound to mchid (its mini programs, its apps); orders may name any of them. */
  appids?: string[];
  /** Institutional mode: the institution's appid (checked when given). */
  spAppid?: string;
  /** Institutional mode: the apps bound to the sub-merchants, which orders may name as sub_appid (any when omitted). */
  subAppids?: string[];
  /** Institutional mode: the sub-merchants this institution may act for (any when omitted). */
  subMchids?: string[];
  /** The merchant API certificate's serial (Authorization serial_no). Taken from certificatePem if omitted. */
  certificateSerial?: string;
  /** The merchant's public key, as a PUBLIC KEY PEM or as its API certificate PEM. */
  publicKeyPem: string;
  /** The merchant's 32-byte APIv3 key (UTF-8), used to encrypt notifications and certificates. */
  apiV3Key: string;
}

export interface FakeWechatPayOptions {
  merchants: FakeMerchant[];
  /**
   * How answers and notifications are signed: 'publicKey' (the WeChat Pay public key, Wechatpay-Serial
   * is its PUB_KEY_ID_…) or 'certificate' (the platform certificate's key, Wechatpay-Serial is the
   * certificate serial). Default 'publicKey'.
   */
  signWith?: 'publicKey' | 'certificate';
  /** The WeChat Pay public key id; default PUB_KEY_ID_ followed by random digits. */
  publicKeyId?: string;
  /** Status of a refund right after it is accepted. Default 'PROCESSING'. */
  refundResult?: 'PROCESSING' | 'SUCCESS';
  /** How long a notification waits for the merchant's answer before it counts as failed. Default 5000. */
  notificationTimeoutMs?: number;
  /** Automatic redelivery delays after a failed attempt (WeChat: 15s/15s/30s/3m/…). Default none. */
  retryDelaysMs?: number[];
  /** The fake's clock minus the real one, in seconds (to test the timestamp window). Default 0. */
  clockOffsetSeconds?: number;
  /** Allowed |request timestamp - now|, seconds. Default 300 (5 minutes). */
  timestampToleranceSeconds?: number;
  /** Whether GET /v3/global/certificates has certificates to give. Default true. */
  platformCertificates?: boolean;
  /**
   * Official accounts whose web authorisation (OAuth snsapi_base) the fake plays:
   * GET /connect/oauth2/authorize and GET /sns/oauth2/access_token. Default none.
   */
  officialAccounts?: Array<{ appid: string; secret: string }>;
}

/**
 * What Quick Pay does with a pay code (see `onPayCode`): `SUCCESS` pays at once,
 * `USERPAYING` waits for the customer to confirm in WeChat (then `pay` or `decline`), and
 * `declined` refuses it with an error answer (the order becomes PAYERROR).
 */
export type PayCodeBehaviour = 'SUCCESS' | 'USERPAYING' | { declined: { status?: number; code: string; message?: string } };

export type TradeState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR';
export type RefundStatus = 'PROCESSING' | 'SUCCESS' | 'ABNORMAL' | 'CLOSED';

export interface FakeOrder {
  merchantKey: string;
  mode: 'common' | 'institutional';
  mchid: string;
  subMchid?: string;
  outTradeNo: string;
  tradeType: 'NATIVE' | 'JSAPI' | 'MICROPAY';
  request: Record<string, unknown>;
  codeUrl?: string;
  prepayId?: string;
  transactionId?: string;
  total: number;
  currency: string;
  /** '' for Quick Pay orders, which have none (no notification is sent for them). */
  notifyUrl: string;
  state: TradeState;
  stateDesc: string;
  createdAt: number;
  successTime?: number;
  payer?: { payerTotal: number; payerCurrency: string; rate: number; openid: string };
  refunds: FakeRefund[];
  /** Quick Pay: the pay code charged. */
  authCode?: string;
  /** Quick Pay: reversed after it was paid (WeChat Pay gave the money back to the payer). */
  reversedAfterPayment?: boolean;
}

export interface FakeRefund {
  outRefundNo: string;
  refundId: string;
  order: FakeOrder;
  amount: number;
  currency: string;
  payerRefund: number;
  reason?: string;
  notifyUrl?: string;
  status: RefundStatus;
  createdAt: number;
  successTime?: number;
  request: Record<string, unknown>;
}

export type FailureSpec =
  | { status: number; body?: unknown; afterProcessing?: boolean }
  | { delayMs: number }
  | { dropConnection: true; afterProcessing?: boolean }
  | { badResponseSignature: true }
  | { unsignedResponse: true };

export type RequestMatcher = string | RegExp | ((request: { method: string; path: string }) => boolean);

export interface RequestLogEntry {
  seq: number;
  method: string;
  /** Path and query exactly as received. */
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The answer's status (0 when the connection was dropped). */
  status: number;
  responseBody: string;
  /** The error code answered, if any. */
  errorCode?: string;
  /** The failure injected into this request, if any. */
  injected?: FailureSpec;
}

export interface DeliveryAttempt {
  at: number;
  /** The merchant's HTTP status; undefined when no answer came. */
  status?: number;
  responseBody?: string;
  error?: 'timeout' | 'connection' | 'refused-non-loopback' | 'stopped';
  /** 200 or 204: WeChat Pay stops retrying. */
  acknowledged: boolean;
  headers: Record<string, string>;
}

export interface NotificationRecord {
  /** The notification id (body.id); the same across redeliveries. */
  id: string;
  eventType: string;
  url: string;
  outTradeNo: string;
  outRefundNo?: string;
  /** The exact body sent (also the same across redeliveries). */
  body: string;
  /** The decrypted resource, for tests to compare with what the gateway understood. */
  resource: Record<string, unknown>;
  attempts: DeliveryAttempt[];
  acknowledged: boolean;
  tampering?: NotifyRawOptions;
}

export interface PayOptions {
  payerTotal?: number;
  payerCurrency?: string;
  /** Exchange rate × 10^8 (WeChat's integer form). Default 100000000 (1.0). */
  rate?: number;
  openid?: string;
  /** false: the customer pays but the notification is lost (never sent). Default true. */
  notify?: boolean;
}

export interface NotifyRawOptions {
  /** Wechatpay-Signature is not a signature of this message. */
  badSignature?: boolean;
  /** Signed correctly, but with a timestamp this many seconds in the past. */
  staleTimestampSeconds?: number;
  /** Wechatpay-Signature is a probe: WECHATPAY/SIGNTEST/… (must be rejected). */
  probeSignature?: boolean;
  /** Wechatpay-Serial names a key the merchant does not have (the signature itself is good). */
  unknownSerial?: boolean;
  /** Deliver the same notification twice in a row. */
  duplicate?: boolean;
  /** Resource amount.total different from the order's. */
  amountTotal?: number;
  /** Resource amount.currency different from the order's. */
  currency?: string;
  /** Encrypt the resource with a different APIv3 key. */
  wrongApiV3Key?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Internals

interface MerchantState {
  config: FakeMerchant;
  mode: 'common' | 'institutional';
  key: crypto.KeyObject;
  serial: string;
}

interface PlatformCertificate {
  pem: string;
  serial: string;
  keyPair: { publicKey: crypto.KeyObject; privateKey: crypto.KeyObject };
  effectiveTime: number;
  expireTime: number;
}

interface Injection {
  matcher: RequestMatcher;
  failure: FailureSpec;
  remaining: number;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: { field: string; value: unknown; issue: string; location: 'body' | 'query' | 'path' | 'header' },
  ) {
    super(message);
  }
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{1,32}$/;
const DETAIL_FIELDS = new Set(['cost_price', 'receipt_id', 'goods_detail']);
const GOODS_FIELDS = new Set(['goods_id', 'wxpay_goods_id', 'goods_name', 'quantity', 'price']);

/** An order's optional `detail` (the single-product fields of the global API's order placement). */
function checkDetail(detail: unknown): void {
  if (detail === undefined) return;
  if (!isRecord(detail)) throw param('/detail', detail, 'must be an object');
  for (const key of Object.keys(detail)) if (!DETAIL_FIELDS.has(key)) throw param(`/detail/${key}`, detail[key], 'is not a field of detail');
  if (detail.cost_price !== undefined) requireInteger(detail, 'cost_price', '/detail/cost_price', 0);
  optionalString(detail, 'receipt_id', 32, '/detail/receipt_id');
  const goods = detail.goods_detail;
  if (goods === undefined) return;
  if (!Array.isArray(goods) || goods.length === 0) throw param('/detail/goods_detail', goods, 'must be a non-empty array');
  goods.forEach((item: unknown, i) => {
    const at = `/detail/goods_detail/${i}`;
    if (!isRecord(item)) throw param(at, item, 'must be an object');
    for (const key of Object.keys(item)) if (!GOODS_FIELDS.has(key)) throw param(`${at}/${key}`, item[key], 'is not a field of goods_detail');
    optionalString(item, 'goods_id', 32, `${at}/goods_id`);
    optionalString(item, 'wxpay_goods_id', 32, `${at}/wxpay_goods_id`);
    optionalString(item, 'goods_name', 256, `${at}/goods_name`);
    requireInteger(item, 'quantity', `${at}/quantity`, 1);
    requireInteger(item, 'price', `${at}/price`, 0);
  });
}
const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
const CURRENCY = /^[A-Z]{3}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const ORDER_FIELDS = new Set([
  'mchid', 'appid', 'sp_mchid', 'sp_appid', 'sub_mchid', 'sub_appid', 'description', 'attach', 'notify_url',
  'out_trade_no', 'goods_tag', 'trade_type', 'limit_pay', 'time_start', 'time_expire', 'merchant_category_code',
  'payer', 'amount', 'scene_info', 'detail',
]);
const MICROPAY_FIELDS = new Set([
  'mchid', 'appid', 'sp_mchid', 'sp_appid', 'sub_mchid', 'sub_appid', 'description', 'attach', 'out_trade_no',
  'goods_tag', 'trade_type', 'limit_pay', 'merchant_category_code', 'payer', 'amount', 'scene_info', 'detail',
]);
/** WeChat Pay pay codes: 18 digits starting with 10 to 15. */
const AUTH_CODE = /^1[0-5]\d{16}$/;
const OAUTH_CODE_TTL_MS = 5 * 60 * 1000;
const REFUND_FIELDS = new Set([
  'mchid', 'appid', 'sp_mchid', 'sp_appid', 'sub_mchid', 'sub_appid', 'transaction_id', 'out_trade_no',
  'out_refund_no', 'reason', 'amount', 'notify_url',
]);

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function param(field: string, value: unknown, issue: string, location: 'body' | 'query' | 'path' = 'body'): ApiError {
  return new ApiError(400, 'PARAM_ERROR', `${location === 'body' ? field : field.replace(/^\//, '')}: ${issue}`, { field, value, issue, location });
}

function requireString(body: Record<string, unknown>, name: string, max: number, pointer = `/${name}`): string {
  const value = body[name];
  if (value === undefined || value === null) throw param(pointer, value, 'is required');
  if (typeof value !== 'string') throw param(pointer, value, 'must be a string');
  if (value.length < 1 || value.length > max) throw param(pointer, value, `length must be 1..${max}`);
  return value;
}

function optionalString(body: Record<string, unknown>, name: string, max: number, pointer = `/${name}`): string | undefined {
  if (body[name] === undefined || body[name] === null) return undefined;
  return requireString(body, name, max, pointer);
}

function requireInteger(body: Record<string, unknown>, name: string, pointer: string, min: number): number {
  const value = body[name];
  if (value === undefined || value === null) throw param(pointer, value, 'is required');
  if (typeof value !== 'number' || !Number.isInteger(value)) throw param(pointer, value, 'must be an integer (the smallest currency unit)');
  if (value < min) throw param(pointer, value, `must be at least ${min}`);
  return value;
}

function requireNotifyUrl(body: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = required ? requireString(body, name, 256) : optionalString(body, name, 256);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw param(`/${name}`, value, 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw param(`/${name}`, value, 'must be an absolute http(s) URL');
  if (url.search || value.includes('?')) throw param(`/${name}`, value, 'must not carry query parameters');
  return value;
}

// ---------------------------------------------------------------------------------------------

export class FakeWechatPay {
  readonly baseUrl: string;
  /** The WeChat Pay public key (public-key mode) and its id, as the adapter is configured with them. */
  readonly wechatpayPublicKeyPem: string;
  readonly wechatpayPublicKeyId: string;
  /** Every request received, in order. */
  readonly requests: RequestLogEntry[] = [];
  /** Every notification created (each with its delivery attempts), in order. */
  readonly notifications: NotificationRecord[] = [];

  readonly #server: http.Server;
  readonly #options: Required<Omit<FakeWechatPayOptions, 'merchants' | 'publicKeyId'>>;
  readonly #merchants = new Map<string, MerchantState>();
  readonly #publicKeyPair: { publicKey: crypto.KeyObject; privateKey: crypto.KeyObject };
  readonly #certificates: PlatformCertificate[] = [];
  readonly #orders = new Map<string, FakeOrder>();
  readonly #refunds = new Map<string, FakeRefund>();
  readonly #injections: Injection[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #aborts = new Set<AbortController>();
  readonly #wakers = new Set<() => void>();
  readonly #payCodes = new Map<string, PayCodeBehaviour>();
  readonly #officialAccounts: Map<string, string>;
  readonly #oauthCodes = new Map<string, { appid: string; openid: string; issuedAt: number; used: boolean }>();
  readonly #oauthUsers = new Map<string, string>();
  /** Every openid the fake gave out (OAuth, mini program logins), with the app it belongs to. */
  readonly #openidApps = new Map<string, string>();
  #seq = 0;
  #stopped = false;

  private constructor(server: http.Server, options: FakeWechatPayOptions) {
    this.#server = server;
    this.#options = {
      signWith: options.signWith ?? 'publicKey',
      refundResult: options.refundResult ?? 'PROCESSING',
      notificationTimeoutMs: options.notificationTimeoutMs ?? 5000,
      retryDelaysMs: options.retryDelaysMs ?? [],
      clockOffsetSeconds: options.clockOffsetSeconds ?? 0,
      timestampToleranceSeconds: options.timestampToleranceSeconds ?? 300,
      platformCertificates: options.platformCertificates ?? true,
      officialAccounts: options.officialAccounts ?? [],
    };
    this.#officialAccounts = new Map(this.#options.officialAccounts.map((a) => [a.appid, a.secret]));
    for (const merchant of options.merchants) {
      const { key, certificateSerial } = publicKeyFromPem(merchant.publicKeyPem);
      const serial = (merchant.certificateSerial ?? certificateSerial)?.toUpperCase();
      if (!serial) throw new Error(`merchant ${merchant.mchid}: give certificateSerial or a certificate PEM`);
      if (Buffer.byteLength(merchant.apiV3Key, 'utf8') !== 32) throw new Error(`merchant ${merchant.mchid}: the APIv3 key must be 32 bytes`);
      this.#merchants.set(merchant.mchid, { config: merchant, mode: merchant.mode ?? 'common', key, serial });
    }
    this.#publicKeyPair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.wechatpayPublicKeyPem = this.#publicKeyPair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    this.wechatpayPublicKeyId = options.publicKeyId ?? `PUB_KEY_ID_${randomDigits(32)}`;
    this.#certificates.push(this.#newCertificate());
    const address = server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${address.port}`;
    server.on('request', (req, res) => {
      const work = this.#handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
      this.#track(work);
    });
  }

  /** Starts a fake on 127.0.0.1 at a free port. */
  static async start(options: FakeWechatPayOptions): Promise<FakeWechatPay> {
    const server = http.createServer();
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new FakeWechatPay(server, options);
  }

  /** The platform certificate currently used (PEM and serial), as the adapter may be configured with it. */
  get platformCertificatePem(): string {
    return this.#certificates[this.#certificates.length - 1].pem;
  }

  get platformCertificateSerial(): string {
    return this.#certificates[this.#certificates.length - 1].serial;
  }

  /** The Wechatpay-Serial the fake currently signs with. */
  get signingSerial(): string {
    return this.#options.signWith === 'publicKey' ? this.wechatpayPublicKeyId : this.platformCertificateSerial;
  }

  /** Issues a new platform certificate and signs with it from now on (certificate mode); the old one stays listed. */
  rotatePlatformCertificate(): { pem: string; serial: string } {
    const cert = this.#newCertificate();
    this.#certificates.push(cert);
    return { pem: cert.pem, serial: cert.serial };
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
  // Control API: orders and refunds as WeChat Pay sees them

  /** The order with this out_trade_no (give mchid/sub_mchid when several merchants use the same number). */
  order(outTradeNo: string, merchant?: { mchid?: string; subMchid?: string }): FakeOrder | undefined {
    const matches = [...this.#orders.values()].filter(
      (o) => o.outTradeNo === outTradeNo && (!merchant?.mchid || o.mchid === merchant.mchid) && (!merchant?.subMchid || o.subMchid === merchant.subMchid),
    );
    if (matches.length > 1) throw new Error(`several merchants have out_trade_no ${outTradeNo}; say which`);
    return matches[0];
  }

  refund(outRefundNo: string): FakeRefund | undefined {
    const matches = [...this.#refunds.values()].filter((r) => r.outRefundNo === outRefundNo);
    if (matches.length > 1) throw new Error(`several merchants have out_refund_no ${outRefundNo}`);
    return matches[0];
  }

  /** Refunds created for an order (a repeated out_refund_no never adds one). */
  refundsOf(outTradeNo: string): FakeRefund[] {
    return this.#mustOrder(outTradeNo).refunds.slice();
  }

  /** The customer pays: SUCCESS, then (unless notify: false) a TRANSACTION.SUCCESS notification. */
  async pay(outTradeNo: string, options: PayOptions = {}): Promise<NotificationRecord | undefined> {
    const order = this.#mustOrder(outTradeNo);
    if (order.state !== 'NOTPAY' && order.state !== 'USERPAYING') {
      throw new Error(`order ${outTradeNo} is ${order.state}; only NOTPAY or USERPAYING orders can be paid`);
    }
    const rate = options.rate ?? 100_000_000;
    const payerCurrency = options.payerCurrency ?? order.currency;
    order.state = 'SUCCESS';
    order.stateDesc = '支付成功';
    order.transactionId = `4200${randomDigits(24)}`;
    order.successTime = this.#now();
    order.payer = {
      payerTotal: options.payerTotal ?? Math.round((order.total * rate) / 100_000_000),
      payerCurrency,
      rate,
      openid: options.openid ?? this.#payerOpenid(order),
    };
    // Quick Pay orders have no notify_url: WeChat Pay sends them nothing.
    if (options.notify === false || order.notifyUrl === '') return undefined;
    const record = this.#createNotification(order, 'TRANSACTION.SUCCESS', this.#transactionResource(order));
    await this.#deliver(record);
    return record;
  }

  /** The payment fails (as the query shows it: PAYERROR). No notification: WeChat only notifies success. */
  decline(outTradeNo: string, description = '支付失败，请重新下单支付'): FakeOrder {
    const order = this.#mustOrder(outTradeNo);
    if (order.state !== 'NOTPAY' && order.state !== 'USERPAYING') throw new Error(`order ${outTradeNo} is ${order.state}`);
    order.state = 'PAYERROR';
    order.stateDesc = description;
    return order;
  }

  /** The order times out unpaid (as the query shows it: CLOSED). */
  expire(outTradeNo: string): FakeOrder {
    const order = this.#mustOrder(outTradeNo);
    if (order.state !== 'NOTPAY' && order.state !== 'USERPAYING') throw new Error(`order ${outTradeNo} is ${order.state}`);
    order.state = 'CLOSED';
    order.stateDesc = '订单已关闭';
    return order;
  }

  /** The customer is entering their password (USERPAYING), as a Quick Pay order can show. */
  startPaying(outTradeNo: string): FakeOrder {
    const order = this.#mustOrder(outTradeNo);
    if (order.state !== 'NOTPAY') throw new Error(`order ${outTradeNo} is ${order.state}`);
    order.state = 'USERPAYING';
    order.stateDesc = '需要用户输入支付密码';
    return order;
  }

  /**
   * What Quick Pay does with this pay code from now on (default: SUCCESS, paid at once).
   * USERPAYING orders are then settled with `pay` (the customer confirmed) or `decline`.
   */
  onPayCode(authCode: string, behaviour: PayCodeBehaviour): void {
    this.#payCodes.set(authCode, behaviour);
  }

  /**
   * The WeChat user whose browser goes through the official account's OAuth next: the
   * openid its codes are exchanged for (per appid; a random one otherwise).
   */
  signInAs(appid: string, openid: string): void {
    this.#oauthUsers.set(appid, openid);
  }

  /**
   * A WeChat user logs into the mini program `appid` (wx.login, then code2Session on the
   * merchant's server): answers the user's openid for that app (`openid`, or a random one).
   * An openid belongs to one app: a JSAPI order naming it with another app is refused.
   */
  miniProgramLogin(appid: string, openid = `oMiNi${randomString(23)}`): string {
    this.#openidApps.set(openid, appid);
    return openid;
  }

  /** A PROCESSING refund ends: SUCCESS, ABNORMAL or CLOSED, then a REFUND.* notification if it had a notify_url. */
  async completeRefund(outRefundNo: string, status: 'SUCCESS' | 'ABNORMAL' | 'CLOSED', options: { notify?: boolean } = {}): Promise<NotificationRecord | undefined> {
    const refund = this.refund(outRefundNo);
    if (!refund) throw new Error(`no refund ${outRefundNo}`);
    if (refund.status !== 'PROCESSING' && refund.status !== 'ABNORMAL') throw new Error(`refund ${outRefundNo} is already ${refund.status}`);
    refund.status = status;
    if (status === 'SUCCESS') refund.successTime = this.#now();
    if (options.notify === false || !refund.notifyUrl) return undefined;
    const record = this.#createRefundNotification(refund);
    await this.#deliver(record);
    return record;
  }

  /**
   * The next `times` (default 1) requests matching `matcher` fail as given: { status, body? } answers
   * that status (default body SYSTEM_ERROR), { delayMs } holds the answer (the request is processed),
   * { dropConnection: true } resets the socket, { badResponseSignature } / { unsignedResponse } spoil the
   * answer's signature. afterProcessing: the request takes effect first (the answer is what is lost).
   * A string matcher is a path prefix; a RegExp is tested against "METHOD /path?query".
   */
  failNext(matcher: RequestMatcher, failure: FailureSpec, options: { times?: number } = {}): void {
    this.#injections.push({ matcher, failure, remaining: options.times ?? 1 });
  }

  /**
   * A TRANSACTION.SUCCESS notification for this order, spoilt as asked, sent once (twice with
   * duplicate). The order itself is not changed. Resolves after the delivery attempt(s).
   */
  async notifyRaw(outTradeNo: string, tampering: NotifyRawOptions = {}): Promise<NotificationRecord> {
    const order = this.#mustOrder(outTradeNo);
    const resource = this.#transactionResource(order, true);
    const amount = resource.amount as Record<string, unknown>;
    if (tampering.amountTotal !== undefined) amount.total = tampering.amountTotal;
    if (tampering.currency !== undefined) amount.currency = tampering.currency;
    const record = this.#createNotification(order, 'TRANSACTION.SUCCESS', resource, tampering);
    await this.#deliver(record);
    if (tampering.duplicate) await this.#deliver(record);
    return record;
  }

  /**
   * Checks the parameters a merchant hands to WeChat's JSAPI / Mini Program payment (wx.requestPayment /
   * WeixinJSBridge getBrandWCPayRequest): package is "prepay_id=<a prepay_id this fake issued>",
   * signType "RSA", and paySign is the merchant's SHA256withRSA over "appId\ntimeStamp\nnonceStr\npackage\n".
   * Returns the problem, or null when WeChat's client would accept them.
   */
  checkJsapiInvoke(
    mchid: string,
    params: { appId: string; timeStamp: string; nonceStr: string; package: string; signType: string; paySign: string },
  ): string | null {
    const merchant = this.#merchants.get(mchid);
    if (!merchant) return `unknown merchant ${mchid}`;
    if (params.signType !== 'RSA') return 'signType must be RSA';
    if (!/^\d{1,12}$/.test(params.timeStamp)) return 'timeStamp must be UNIX seconds as a string';
    const prepayId = params.package.startsWith('prepay_id=') ? params.package.slice('prepay_id='.length) : '';
    const order = [...this.#orders.values()].find((o) => o.prepayId === prepayId && o.mchid === mchid);
    if (!order) return 'package is not prepay_id=<a prepay_id issued to this merchant>';
    // Institutional: the user is identified under sub_appid when the order named payer.sub_openid.
    const payer = isRecord(order.request.payer) ? order.request.payer : {};
    const appid = order.mode === 'common' ? order.request.appid : payer.sub_openid ? order.request.sub_appid : order.request.sp_appid;
    if (params.appId !== appid) return `appId ${params.appId} is not the appid the order was placed with`;
    const message = Buffer.from(`${params.appId}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`, 'utf8');
    if (!verifyBase64(message, params.paySign, merchant.key)) return 'paySign does not verify with the merchant key';
    return null;
  }

  /** Sends a notification again now (as WeChat's retry would), whether or not it was acknowledged. */
  async redeliver(notificationId: string): Promise<DeliveryAttempt> {
    const record = this.notifications.find((n) => n.id === notificationId);
    if (!record) throw new Error(`no notification ${notificationId}`);
    return this.#deliver(record);
  }

  /** Redelivers every notification not yet acknowledged (one attempt each). */
  async redeliverPending(): Promise<DeliveryAttempt[]> {
    const pending = this.notifications.filter((n) => !n.acknowledged);
    const attempts: DeliveryAttempt[] = [];
    for (const record of pending) attempts.push(await this.#deliver(record));
    return attempts;
  }

  /**
   * Resolves when no request, notification delivery, scheduled redelivery or injected delay is
   * pending (scheduled redeliveries run out after retryDelaysMs).
   */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0 || this.#timers.size > 0) {
      if (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Requests whose path starts with `prefix` (optionally only this method). */
  requestsTo(prefix: string, method?: string): RequestLogEntry[] {
    return this.requests.filter((r) => r.path.startsWith(prefix) && (!method || r.method === method));
  }

  // -------------------------------------------------------------------------------------------
  // HTTP

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks);
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const entry: RequestLogEntry = { seq: ++this.#seq, method, path, headers: req.headers, body: rawBody.toString('utf8'), status: 0, responseBody: '' };
    this.requests.push(entry);

    const injection = this.#takeInjection(method, path);
    if (injection) entry.injected = injection;
    if (injection && 'delayMs' in injection) await this.#sleep(injection.delayMs);
    if (this.#stopped) {
      res.destroy();
      return;
    }
    const early = injection && (('status' in injection && !injection.afterProcessing) || ('dropConnection' in injection && !injection.afterProcessing));
    if (early) {
      this.#fail(res, entry, injection);
      return;
    }

    let answer: Answer;
    try {
      answer = this.#route(method, path, req.headers, rawBody);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const body: Record<string, unknown> = { code: error.code, message: error.message };
      if (error.detail) body.detail = error.detail;
      answer = { status: error.status, body };
      entry.errorCode = error.code;
    }
    if (injection && ('status' in injection || 'dropConnection' in injection)) {
      this.#fail(res, entry, injection);
      return;
    }
    this.#send(res, entry, answer, injection);
  }

  #fail(res: http.ServerResponse, entry: RequestLogEntry, failure: FailureSpec): void {
    if ('dropConnection' in failure) {
      entry.status = 0;
      res.socket?.resetAndDestroy();
      res.destroy();
      return;
    }
    if ('status' in failure) {
      const body = failure.body ?? { code: 'SYSTEM_ERROR', message: 'System error, please retry' };
      this.#send(res, entry, { status: failure.status, body });
    }
  }

  #send(res: http.ServerResponse, entry: RequestLogEntry, answer: Answer, failure?: FailureSpec): void {
    const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
    const headers: Record<string, string> = { 'Request-ID': `08${randomString(30).toUpperCase()}`, ...answer.headers };
    if (text) headers['Content-Type'] = 'application/json; charset=utf-8';
    if (!(failure && 'unsignedResponse' in failure)) {
      const timestamp = String(Math.floor(this.#now() / 1000));
      const nonce = randomString(32);
      let signature = this.#sign(responseSigningMessage(timestamp, nonce, text));
      if (failure && 'badResponseSignature' in failure) signature = this.#sign(responseSigningMessage(timestamp, nonce, `${text} `));
      Object.assign(headers, {
        'Wechatpay-Nonce': nonce,
        'Wechatpay-Signature': signature,
        'Wechatpay-Timestamp': timestamp,
        'Wechatpay-Serial': this.signingSerial,
      });
    }
    entry.status = answer.status;
    entry.responseBody = text;
    res.writeHead(answer.status, headers);
    res.end(text);
  }

  #takeInjection(method: string, path: string): FailureSpec | undefined {
    const pathname = path.split('?')[0];
    const index = this.#injections.findIndex(({ matcher }) => {
      if (typeof matcher === 'string') return pathname.startsWith(matcher);
      if (matcher instanceof RegExp) return matcher.test(`${method} ${path}`);
      return matcher({ method, path });
    });
    if (index < 0) return undefined;
    const injection = this.#injections[index];
    injection.remaining -= 1;
    if (injection.remaining <= 0) this.#injections.splice(index, 1);
    return injection.failure;
  }

  // -------------------------------------------------------------------------------------------
  // Verification, as WeChat Pay does it

  #authenticate(method: string, path: string, headers: http.IncomingHttpHeaders, body: Buffer): MerchantState {
    const auth = parseAuthorization(headers.authorization);
    if (!auth) throw new ApiError(401, 'SIGN_ERROR', 'Authorization is missing or not WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",timestamp="…",serial_no="…",signature="…"');
    const merchant = this.#merchants.get(auth.mchid);
    if (!merchant) throw new ApiError(401, 'SIGN_ERROR', `merchant ${auth.mchid} is unknown`);
    if (auth.serial_no.toUpperCase() !== merchant.serial) {
      throw new ApiError(401, 'SIGN_ERROR', 'serial_no is not the serial of the merchant API certificate');
    }
    if (!/^\d{1,12}$/.test(auth.timestamp)) throw new ApiError(401, 'SIGN_ERROR', 'timestamp must be UNIX seconds');
    const skew = Math.abs(Math.floor(this.#now() / 1000) - Number(auth.timestamp));
    if (skew > this.#options.timestampToleranceSeconds) {
      throw new ApiError(401, 'SIGN_ERROR', `timestamp is ${skew}s away from WeChat Pay's clock (at most ${this.#options.timestampToleranceSeconds}s)`);
    }
    const message = requestSigningMessage(method, path, auth.timestamp, auth.nonce_str, body);
    if (!verifyBase64(message, auth.signature, merchant.key)) {
      throw new ApiError(401, 'SIGN_ERROR', 'signature does not verify over METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n with the merchant certificate');
    }
    const accept = headers.accept;
    if (!accept || !(accept.includes('application/json') || accept.includes('*/*'))) {
      throw new ApiError(400, 'PARAM_ERROR', 'HTTP header Accept must be application/json');
    }
    if (!headers['user-agent']) throw new ApiError(400, 'PARAM_ERROR', 'HTTP header User-Agent is required');
    return merchant;
  }

  #jsonBody(headers: http.IncomingHttpHeaders, body: Buffer): Record<string, unknown> {
    if (!String(headers['content-type'] ?? '').includes('application/json')) {
      throw new ApiError(400, 'PARAM_ERROR', 'HTTP header Content-Type must be application/json');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new ApiError(400, 'PARAM_ERROR', 'the body is not valid JSON');
    }
    if (!isRecord(parsed)) throw new ApiError(400, 'PARAM_ERROR', 'the body must be a JSON object');
    return parsed;
  }

  /** Checks the identity fields for the merchant's mode; returns the sub_mchid (institutional). */
  #identity(merchant: MerchantState, fields: Record<string, unknown>, location: 'body' | 'query', needApp: boolean): string | undefined {
    const at = (name: string) => (location === 'body' ? `/${name}` : name);
    const get = (name: string) => {
      const value = fields[name];
      if (value === undefined || value === null || value === '') throw param(at(name), value, 'is required', location);
      if (typeof value !== 'string') throw param(at(name), value, 'must be a string', location);
      return value;
    };
    if (merchant.mode === 'common') {
      for (const name of ['sp_mchid', 'sub_mchid', 'sp_appid', 'sub_appid']) {
        if (fields[name] !== undefined) throw param(at(name), fields[name], 'is only for institutional mode', location);
      }
      const mchid = get('mchid');
      if (mchid !== merchant.config.mchid) throw new ApiError(400, 'INVALID_REQUEST', 'mchid does not match the mchid in Authorization');
      if (needApp) {
        const appid = get('appid');
        if (merchant.config.appid && appid !== merchant.config.appid && !(merchant.config.appids ?? []).includes(appid)) {
          throw new ApiError(400, 'APPID_MCHID_NOT_MATCH', 'appid and mchid do not match');
        }
      }
      return undefined;
    }
    for (const name of ['mchid', 'appid']) {
      if (fields[name] !== undefined) throw param(at(name), fields[name], 'is only for common mode', location);
    }
    const spMchid = get('sp_mchid');
    if (spMchid !== merchant.config.mchid) throw new ApiError(400, 'INVALID_REQUEST', 'sp_mchid does not match the mchid in Authorization');
    const subMchid = get('sub_mchid');
    if (merchant.config.subMchids && !merchant.config.subMchids.includes(subMchid)) {
      throw new ApiError(400, 'INVALID_REQUEST', `sub_mchid ${subMchid} is not a sub-merchant of ${spMchid}`);
    }
    if (needApp) {
      const spAppid = get('sp_appid');
      if (merchant.config.spAppid && spAppid !== merchant.config.spAppid) throw new ApiError(400, 'APPID_MCHID_NOT_MATCH', 'sp_appid and sp_mchid do not match');
    }
    return subMchid;
  }

  /** Institutional mode: the sub_appid an order names, when given, is one bound to the sub-merchants. */
  #subAppid(merchant: MerchantState, body: Record<string, unknown>): void {
    const subAppid = optionalString(body, 'sub_appid', 32);
    if (subAppid !== undefined && merchant.config.subAppids && !merchant.config.subAppids.includes(subAppid)) {
      throw new ApiError(400, 'APPID_MCHID_NOT_MATCH', 'sub_appid and sub_mchid do not match');
    }
  }

  // -------------------------------------------------------------------------------------------
  // Routes

  #route(method: string, path: string, headers: http.IncomingHttpHeaders, body: Buffer): Answer {
    const url = new URL(path, 'http://127.0.0.1');
    const segments = url.pathname.split('/').filter(Boolean).map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw param(url.pathname, segment, 'is not a valid URL path segment', 'path');
      }
    });
    // The official account's web authorisation: no WeChat Pay signature (it is another WeChat service).
    if (method === 'GET' && url.pathname === '/connect/oauth2/authorize') return this.#oauthAuthorize(url.searchParams);
    if (method === 'GET' && url.pathname === '/sns/oauth2/access_token') return this.#oauthAccessToken(url.searchParams);
    const known = url.pathname.startsWith('/v3/global/');
    if (!known) throw new ApiError(404, 'RESOURCE_NOT_EXISTS', `no API at ${url.pathname}`);
    const merchant = this.#authenticate(method, path, headers, body);
    const [, , resource, a, b, c] = segments; // v3, global, resource, ...

    if (resource === 'transactions') {
      if (method === 'POST' && (a === 'native' || a === 'jsapi') && segments.length === 4) {
        return this.#placeOrder(merchant, a === 'native' ? 'NATIVE' : 'JSAPI', this.#jsonBody(headers, body));
      }
      if ((a === 'out-trade-no' || a === 'id') && b && segments.length === 5 && method === 'GET') {
        return this.#queryOrder(merchant, a, b, url.searchParams);
      }
      if ((a === 'out-trade-no' || a === 'id') && b && c === 'close' && segments.length === 6 && method === 'POST') {
        return this.#closeOrder(merchant, a, b, this.#jsonBody(headers, body));
      }
    }
    if (resource === 'micropay' && a === 'transactions' && method === 'POST') {
      const d = segments[6];
      if (b === 'pay' && segments.length === 5) return this.#micropay(merchant, this.#jsonBody(headers, body));
      if ((b === 'out-trade-no' || b === 'id') && c && d === 'reverse' && segments.length === 7) return this.#reverse(merchant, b, c, this.#jsonBody(headers, body));
    }
    if (resource === 'refunds') {
      if (method === 'POST' && segments.length === 3) return this.#createRefund(merchant, this.#jsonBody(headers, body));
      if (method === 'GET' && (a === 'out-refund-no' || a === 'id') && b && segments.length === 5) {
        return this.#queryRefund(merchant, a, b, url.searchParams);
      }
    }
    if (resource === 'certificates' && method === 'GET' && segments.length === 3) return this.#certificatesAnswer(merchant);
    throw new ApiError(404, 'RESOURCE_NOT_EXISTS', `no ${method} API at ${url.pathname} in this fake`);
  }

  #placeOrder(merchant: MerchantState, tradeType: 'NATIVE' | 'JSAPI', body: Record<string, unknown>): Answer {
    for (const key of Object.keys(body)) if (!ORDER_FIELDS.has(key)) throw param(`/${key}`, body[key], 'is not a parameter of this API');
    const subMchid = this.#identity(merchant, body, 'body', true);
    if (merchant.mode === 'institutional') this.#subAppid(merchant, body);
    requireString(body, 'description', 127);
    const outTradeNo = requireString(body, 'out_trade_no', 32);
    if (!OUT_TRADE_NO.test(outTradeNo)) throw param('/out_trade_no', outTradeNo, 'only digits, letters and _-|* are allowed');
    const notifyUrl = requireNotifyUrl(body, 'notify_url', true) as string;
    const type = requireString(body, 'trade_type', 16);
    if (type !== tradeType) throw param('/trade_type', type, `must be ${tradeType} for this API`);
    const mcc = requireString(body, 'merchant_category_code', 32);
    if (!/^\d{4}$/.test(mcc)) throw param('/merchant_category_code', mcc, 'must be a 4-digit MCC');
    optionalString(body, 'attach', 128);
    const timeExpire = optionalString(body, 'time_expire', 64);
    if (timeExpire !== undefined && !RFC3339.test(timeExpire)) throw param('/time_expire', timeExpire, 'must be RFC 3339, e.g. 2018-06-08T10:34:56+08:00');
    const amount = body.amount;
    if (!isRecord(amount)) throw param('/amount', amount, 'is required (an object)');
    const total = requireInteger(amount, 'total', '/amount/total', 1);
    const currency = amount.currency;
    if (typeof currency !== 'string' || !CURRENCY.test(currency)) throw param('/amount/currency', currency, 'is required: an ISO 4217 code such as HKD');
    checkDetail(body.detail);
    if (tradeType === 'JSAPI') {
      const payer = body.payer;
      if (!isRecord(payer)) throw param('/payer', payer, 'is required for JSAPI (an object)');
      if (merchant.mode === 'common') requireString(payer, 'openid', 128, '/payer/openid');
      else if (!payer.sp_openid && !payer.sub_openid) throw param('/payer/sp_openid', payer.sp_openid, 'sp_openid or sub_openid is required for JSAPI');
      else if (payer.sub_openid && !body.sub_appid) throw param('/sub_appid', body.sub_appid, 'is required with payer.sub_openid');
      // An openid is per app: one the fake gave out for another app is refused.
      const [openid, app] = merchant.mode === 'common' ? [payer.openid, body.appid] : payer.sub_openid ? [payer.sub_openid, body.sub_appid] : [payer.sp_openid, body.sp_appid];
      const issuedFor = typeof openid === 'string' ? this.#openidApps.get(openid) : undefined;
      if (issuedFor !== undefined && issuedFor !== app) throw new ApiError(400, 'PARAM_ERROR', 'appid and openid do not match');
    }

    const key = this.#orderKey(merchant, subMchid, outTradeNo);
    const existing = this.#orders.get(key);
    if (existing) {
      if (existing.state === 'SUCCESS' || existing.state === 'REFUND') throw new ApiError(403, 'ORDERPAID', 'the order has been paid');
      if (existing.state === 'CLOSED' || existing.state === 'REVOKED') throw new ApiError(400, 'ORDER_CLOSED', 'the order has been closed');
      if (this.#comparable(existing.request) !== this.#comparable(body)) {
        throw new ApiError(400, 'INVALID_REQUEST', 'out_trade_no is already used with different parameters (a repeated order must repeat the first one exactly)');
      }
      return { status: 200, body: tradeType === 'NATIVE' ? { code_url: existing.codeUrl } : { prepay_id: existing.prepayId } };
    }
    const order: FakeOrder = {
      merchantKey: subMchid ? `${merchant.config.mchid}/${subMchid}` : merchant.config.mchid,
      mode: merchant.mode,
      mchid: merchant.config.mchid,
      subMchid,
      outTradeNo,
      tradeType,
      request: body,
      total,
      currency,
      notifyUrl,
      state: 'NOTPAY',
      stateDesc: '订单未支付',
      createdAt: this.#now(),
      refunds: [],
    };
    if (tradeType === 'NATIVE') order.codeUrl = `weixin://wxpay/bizpayurl?pr=${randomString(7)}`;
    else order.prepayId = `wx${beijingTime(this.#now()).replace(/\D/g, '').slice(0, 14)}${crypto.randomBytes(10).toString('hex')}`;
    this.#orders.set(key, order);
    return { status: 200, body: tradeType === 'NATIVE' ? { code_url: order.codeUrl } : { prepay_id: order.prepayId } };
  }

  #queryOrder(merchant: MerchantState, by: string, id: string, query: URLSearchParams): Answer {
    const subMchid = this.#identity(merchant, Object.fromEntries(query), 'query', false);
    const order = this.#findOrder(merchant, subMchid, by, id);
    return { status: 200, body: this.#transactionResource(order) };
  }

  #closeOrder(merchant: MerchantState, by: string, id: string, body: Record<string, unknown>): Answer {
    for (const key of Object.keys(body)) {
      if (!['mchid', 'sp_mchid', 'sub_mchid'].includes(key)) throw param(`/${key}`, body[key], 'is not a parameter of this API');
    }
    const subMchid = this.#identity(merchant, body, 'body', false);
    const order = this.#findOrder(merchant, subMchid, by, id);
    if (order.tradeType === 'MICROPAY') throw new ApiError(400, 'INVALID_REQUEST', 'a Quick Pay order is not closed but reversed (…/micropay/transactions/…/reverse)');
    if (order.state === 'SUCCESS' || order.state === 'REFUND') throw new ApiError(403, 'ORDERPAID', 'the order has been paid and cannot be closed; refund it instead');
    if (order.state === 'NOTPAY' || order.state === 'USERPAYING' || order.state === 'PAYERROR') {
      order.state = 'CLOSED';
      order.stateDesc = '订单已关闭';
    }
    return { status: 204 };
  }

  #micropay(merchant: MerchantState, body: Record<string, unknown>): Answer {
    for (const key of Object.keys(body)) if (!MICROPAY_FIELDS.has(key)) throw param(`/${key}`, body[key], 'is not a parameter of this API');
    const subMchid = this.#identity(merchant, body, 'body', true);
    if (merchant.mode === 'institutional') this.#subAppid(merchant, body);
    requireString(body, 'description', 127);
    const outTradeNo = requireString(body, 'out_trade_no', 32);
    if (!OUT_TRADE_NO.test(outTradeNo)) throw param('/out_trade_no', outTradeNo, 'only digits, letters and _-|* are allowed');
    const type = requireString(body, 'trade_type', 16);
    if (type !== 'MICROPAY') throw param('/trade_type', type, 'must be MICROPAY for this API');
    const mcc = requireString(body, 'merchant_category_code', 32);
    if (!/^\d{4}$/.test(mcc)) throw param('/merchant_category_code', mcc, 'must be a 4-digit MCC');
    const payer = body.payer;
    if (!isRecord(payer)) throw param('/payer', payer, 'is required (an object with auth_code)');
    const authCode = requireString(payer, 'auth_code', 128, '/payer/auth_code');
    if (!AUTH_CODE.test(authCode)) throw param('/payer/auth_code', authCode, 'must be a WeChat Pay pay code: 18 digits starting with 10 to 15');
    const amount = body.amount;
    if (!isRecord(amount)) throw param('/amount', amount, 'is required (an object)');
    const total = requireInteger(amount, 'total', '/amount/total', 1);
    const currency = amount.currency;
    if (typeof currency !== 'string' || !CURRENCY.test(currency)) throw param('/amount/currency', currency, 'is required: an ISO 4217 code such as HKD');

    const key = this.#orderKey(merchant, subMchid, outTradeNo);
    const existing = this.#orders.get(key);
    if (existing) {
      if (existing.tradeType !== 'MICROPAY' || this.#comparable(existing.request) !== this.#comparable(body)) {
        throw new ApiError(400, 'INVALID_REQUEST', 'out_trade_no is already used with different parameters (a repeated order must repeat the first one exactly)');
      }
      if (existing.state === 'SUCCESS' || existing.state === 'REFUND') throw new ApiError(403, 'ORDERPAID', 'the order has been paid');
      if (existing.state === 'CLOSED' || existing.state === 'REVOKED') throw new ApiError(400, 'ORDER_CLOSED', 'the order has been closed');
      return { status: 200, body: this.#transactionResource(existing) };
    }
    const order: FakeOrder = {
      merchantKey: subMchid ? `${merchant.config.mchid}/${subMchid}` : merchant.config.mchid,
      mode: merchant.mode,
      mchid: merchant.config.mchid,
      subMchid,
      outTradeNo,
      tradeType: 'MICROPAY',
      request: body,
      total,
      currency,
      notifyUrl: '',
      state: 'NOTPAY',
      stateDesc: '订单未支付',
      createdAt: this.#now(),
      refunds: [],
      authCode,
    };
    this.#orders.set(key, order);
    const behaviour = this.#payCodes.get(authCode) ?? 'SUCCESS';
    if (behaviour === 'SUCCESS') {
      this.#settleMicropay(order);
    } else if (behaviour === 'USERPAYING') {
      order.state = 'USERPAYING';
      order.stateDesc = '需要用户输入支付密码';
    } else {
      order.state = 'PAYERROR';
      order.stateDesc = behaviour.declined.message ?? '支付失败';
      throw new ApiError(behaviour.declined.status ?? 403, behaviour.declined.code, behaviour.declined.message ?? 'the payment was declined');
    }
    return { status: 200, body: this.#transactionResource(order) };
  }

  #settleMicropay(order: FakeOrder): void {
    order.state = 'SUCCESS';
    order.stateDesc = '支付成功';
    order.transactionId = `4200${randomDigits(24)}`;
    order.successTime = this.#now();
    order.payer = { payerTotal: order.total, payerCurrency: order.currency, rate: 100_000_000, openid: `oUpF8u${randomString(22)}` };
  }

  #reverse(merchant: MerchantState, by: string, id: string, body: Record<string, unknown>): Answer {
    for (const key of Object.keys(body)) {
      if (!['mchid', 'sp_mchid', 'sub_mchid'].includes(key)) throw param(`/${key}`, body[key], 'is not a parameter of this API');
    }
    const subMchid = this.#identity(merchant, body, 'body', false);
    const order = this.#findOrder(merchant, subMchid, by, id);
    if (order.tradeType !== 'MICROPAY') throw new ApiError(400, 'INVALID_REQUEST', 'only Quick Pay orders are reversed; close this one');
    if (order.state === 'REFUND') throw new ApiError(400, 'INVALID_REQUEST', 'a refunded order cannot be reversed');
    // Reversing is re-entrant; a paid order's money goes back to the payer.
    if (order.state === 'SUCCESS') order.reversedAfterPayment = true;
    if (order.state !== 'REVOKED' && order.state !== 'CLOSED') {
      order.state = 'REVOKED';
      order.stateDesc = '已撤销';
    }
    return { status: 204 };
  }

  #oauthAuthorize(query: URLSearchParams): Answer {
    const appid = query.get('appid') ?? '';
    const redirect = query.get('redirect_uri') ?? '';
    if (!this.#officialAccounts.has(appid)) throw new ApiError(400, 'INVALID_REQUEST', `appid ${appid} is not an official account of this fake`);
    if (query.get('response_type') !== 'code' || !['snsapi_base', 'snsapi_userinfo'].includes(query.get('scope') ?? '')) {
      throw new ApiError(400, 'PARAM_ERROR', 'response_type=code and scope=snsapi_base (or snsapi_userinfo) are required');
    }
    let target: URL;
    try {
      target = new URL(redirect);
    } catch {
      throw new ApiError(400, 'PARAM_ERROR', 'redirect_uri must be an absolute URL');
    }
    const code = randomString(32);
    const openid = this.#oauthUsers.get(appid) ?? `oUpF8u${randomString(22)}`;
    this.#openidApps.set(openid, appid);
    this.#oauthCodes.set(code, { appid, openid, issuedAt: this.#now(), used: false });
    target.searchParams.set('code', code);
    const state = query.get('state');
    if (state !== null) target.searchParams.set('state', state);
    return { status: 302, headers: { Location: target.toString() } };
  }

  #oauthAccessToken(query: URLSearchParams): Answer {
    const appid = query.get('appid') ?? '';
    const secret = this.#officialAccounts.get(appid);
    if (secret === undefined) return { status: 200, body: { errcode: 40013, errmsg: 'invalid appid' } };
    if (query.get('secret') !== secret) return { status: 200, body: { errcode: 40125, errmsg: 'invalid appsecret' } };
    if (query.get('grant_type') !== 'authorization_code') return { status: 200, body: { errcode: 40002, errmsg: 'invalid grant_type' } };
    const grant = this.#oauthCodes.get(query.get('code') ?? '');
    if (!grant || grant.appid !== appid || this.#now() - grant.issuedAt > OAUTH_CODE_TTL_MS) return { status: 200, body: { errcode: 40029, errmsg: 'invalid code' } };
    if (grant.used) return { status: 200, body: { errcode: 40163, errmsg: 'code been used' } };
    grant.used = true;
    return {
      status: 200,
      body: { access_token: randomString(64), expires_in: 7200, refresh_token: randomString(64), openid: grant.openid, scope: 'snsapi_base' },
    };
  }

  #createRefund(merchant: MerchantState, body: Record<string, unknown>): Answer {
    for (const key of Object.keys(body)) if (!REFUND_FIELDS.has(key)) throw param(`/${key}`, body[key], 'is not a parameter of this API');
    const subMchid = this.#identity(merchant, body, 'body', true);
    const transactionId = optionalString(body, 'transaction_id', 32);
    const outTradeNo = optionalString(body, 'out_trade_no', 32);
    if (!transactionId && !outTradeNo) throw param('/out_trade_no', undefined, 'out_trade_no or transaction_id is required');
    const outRefundNo = requireString(body, 'out_refund_no', 64);
    if (!OUT_REFUND_NO.test(outRefundNo)) throw param('/out_refund_no', outRefundNo, 'only digits, letters and _-|*@ are allowed');
    const reason = optionalString(body, 'reason', 80);
    const notifyUrl = requireNotifyUrl(body, 'notify_url', false);
    const amount = body.amount;
    if (!isRecord(amount)) throw param('/amount', amount, 'is required (an object)');
    const refundAmount = requireInteger(amount, 'refund', '/amount/refund', 1);
    const total = requireInteger(amount, 'total', '/amount/total', 1);
    const currency = amount.currency;
    if (typeof currency !== 'string' || !CURRENCY.test(currency)) throw param('/amount/currency', currency, 'is required: an ISO 4217 code');

    const order = transactionId
      ? this.#findOrder(merchant, subMchid, 'id', transactionId)
      : this.#findOrder(merchant, subMchid, 'out-trade-no', outTradeNo as string);
    if (transactionId && outTradeNo && order.outTradeNo !== outTradeNo) {
      throw new ApiError(400, 'INVALID_REQUEST', 'transaction_id and out_trade_no name different orders');
    }
    const refundKey = this.#orderKey(merchant, subMchid, outRefundNo);
    const existing = this.#refunds.get(refundKey);
    if (existing) {
      if (existing.order !== order || this.#comparable(existing.request) !== this.#comparable(body)) {
        throw new ApiError(400, 'INVALID_REQUEST', 'out_refund_no is already used with different parameters');
      }
      return { status: 200, body: this.#refundAnswer(existing) };
    }
    if (order.state !== 'SUCCESS' && order.state !== 'REFUND') throw new ApiError(400, 'INVALID_REQUEST', `the order is ${order.state}; only paid orders can be refunded`);
    if (total !== order.total) throw new ApiError(400, 'INVALID_REQUEST', `amount.total ${total} is not the order total ${order.total}`);
    if (currency !== order.currency) throw new ApiError(400, 'INVALID_REQUEST', `amount.currency ${currency} is not the order currency ${order.currency}`);
    const refunded = order.refunds.filter((r) => r.status !== 'CLOSED').reduce((sum, r) => sum + r.amount, 0);
    if (refunded + refundAmount > order.total) {
      throw new ApiError(400, 'INVALID_REQUEST', `refund ${refundAmount} exceeds the refundable amount ${order.total - refunded}`);
    }
    const payer = order.payer as NonNullable<FakeOrder['payer']>;
    const refund: FakeRefund = {
      outRefundNo,
      refundId: `5030${randomDigits(25)}`,
      order,
      amount: refundAmount,
      currency,
      payerRefund: Math.round((refundAmount * payer.payerTotal) / order.total),
      reason,
      notifyUrl,
      status: 'PROCESSING',
      createdAt: this.#now(),
      request: body,
    };
    order.refunds.push(refund);
    this.#refunds.set(refundKey, refund);
    order.state = 'REFUND';
    order.stateDesc = '订单发生过退款，退款详情请查询单笔退款';
    if (this.#options.refundResult === 'SUCCESS') {
      refund.status = 'SUCCESS';
      refund.successTime = this.#now();
      if (refund.notifyUrl) {
        const record = this.#createRefundNotification(refund);
        this.#track(new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#deliver(record)));
      }
    }
    return { status: 200, body: this.#refundAnswer(refund) };
  }

  #queryRefund(merchant: MerchantState, by: string, id: string, query: URLSearchParams): Answer {
    const subMchid = this.#identity(merchant, Object.fromEntries(query), 'query', false);
    const refund =
      by === 'out-refund-no'
        ? this.#refunds.get(this.#orderKey(merchant, subMchid, id))
        : [...this.#refunds.values()].find((r) => r.refundId === id && r.order.mchid === merchant.config.mchid && r.order.subMchid === subMchid);
    if (!refund) {
      throw new ApiError(404, 'RESOURCE_NOT_EXISTS', 'the refund does not exist');
    }
    const queryStatus = refund.status === 'CLOSED' ? 'REFUNDCLOSE' : refund.status;
    const answer: Record<string, unknown> = {
      id: refund.refundId,
      out_refund_no: refund.outRefundNo,
      transaction_id: refund.order.transactionId,
      out_trade_no: refund.order.outTradeNo,
      channel: 'ORIGINAL',
      recv_account: '支付用户零钱',
      create_time: beijingTime(refund.createdAt),
      status: queryStatus,
      amount: this.#refundAmount(refund),
    };
    if (refund.successTime) answer.success_time = beijingTime(refund.successTime);
    return { status: 200, body: answer };
  }

  #certificatesAnswer(merchant: MerchantState): Answer {
    if (!this.#options.platformCertificates) throw new ApiError(404, 'RESOURCE_NOT_EXISTS', 'no platform certificate exists for this merchant');
    return {
      status: 200,
      body: {
        data: this.#certificates.map((cert) => {
          const nonce = randomString(12);
          return {
            serial_no: cert.serial,
            effective_time: beijingTime(cert.effectiveTime),
            expire_time: beijingTime(cert.expireTime),
            encrypt_certificate: {
              algorithm: 'AEAD_AES_256_GCM',
              nonce,
              associated_data: 'certificate',
              ciphertext: aeadEncrypt(merchant.config.apiV3Key, nonce, 'certificate', cert.pem),
            },
          };
        }),
      },
    };
  }

  // -------------------------------------------------------------------------------------------
  // Resources (query answers and notification plaintexts)

  #transactionResource(order: FakeOrder, forcePaid = false): Record<string, unknown> {
    const identity = this.#identityFields(order);
    const resource: Record<string, unknown> = { ...identity, out_trade_no: order.outTradeNo };
    const paid = order.payer ?? (forcePaid ? { payerTotal: order.total, payerCurrency: order.currency, rate: 100_000_000, openid: this.#payerOpenid(order) } : undefined);
    const transactionId = order.transactionId ?? (forcePaid ? `4200${randomDigits(24)}` : undefined);
    if (transactionId) resource.id = transactionId;
    if (typeof order.request.attach === 'string') resource.attach = order.request.attach;
    resource.trade_type = order.tradeType;
    resource.trade_state = forcePaid && !order.payer ? 'SUCCESS' : order.state;
    resource.trade_state_desc = forcePaid && !order.payer ? '支付成功' : order.stateDesc;
    if (paid) {
      resource.bank_type = 'OTHERS';
      resource.success_time = beijingTime(order.successTime ?? this.#now());
      resource.payer = order.mode === 'common' ? { openid: paid.openid } : { sp_openid: paid.openid };
      resource.amount = {
        total: order.total,
        currency: order.currency,
        payer_total: paid.payerTotal,
        payer_currency: paid.payerCurrency,
        exchange_rate: { type: 'SETTLEMENT_RATE', rate: paid.rate },
      };
    } else {
      resource.amount = { total: order.total, currency: order.currency };
    }
    return resource;
  }

  #refundAmount(refund: FakeRefund): Record<string, unknown> {
    const payer = refund.order.payer as NonNullable<FakeOrder['payer']>;
    return {
      refund: refund.amount,
      currency: refund.currency,
      payer_refund: refund.payerRefund,
      payer_currency: payer.payerCurrency,
      exchange_rate: { type: 'USERPAYMENT_RATE', rate: payer.rate },
    };
  }

  #refundAnswer(refund: FakeRefund): Record<string, unknown> {
    // The Submit Refund answer documents no status: acceptance only; the status comes from the query.
    return {
      id: refund.refundId,
      out_refund_no: refund.outRefundNo,
      create_time: beijingTime(refund.createdAt),
      amount: this.#refundAmount(refund),
    };
  }

  #identityFields(order: FakeOrder): Record<string, unknown> {
    const req = order.request;
    if (order.mode === 'common') return { mchid: order.mchid, appid: req.appid };
    const fields: Record<string, unknown> = { sp_mchid: order.mchid, sub_mchid: order.subMchid, sp_appid: req.sp_appid };
    if (req.sub_appid) fields.sub_appid = req.sub_appid;
    return fields;
  }

  // -------------------------------------------------------------------------------------------
  // Notifications

  #createNotification(order: FakeOrder, eventType: string, resource: Record<string, unknown>, tampering?: NotifyRawOptions): NotificationRecord {
    const merchant = this.#merchants.get(order.mchid) as MerchantState;
    const nonce = randomString(12);
    const key = tampering?.wrongApiV3Key ? randomString(32) : merchant.config.apiV3Key;
    const envelope = {
      id: crypto.randomUUID(),
      create_time: beijingTime(this.#now()),
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary: '支付成功',
      resource: {
        original_type: 'transaction',
        algorithm: 'AEAD_AES_256_GCM',
        ciphertext: aeadEncrypt(key, nonce, 'transaction', JSON.stringify(resource)),
        associated_data: 'transaction',
        nonce,
      },
    };
    const record: NotificationRecord = {
      id: envelope.id,
      eventType,
      url: order.notifyUrl,
      outTradeNo: order.outTradeNo,
      body: JSON.stringify(envelope),
      resource,
      attempts: [],
      acknowledged: false,
      tampering,
    };
    this.notifications.push(record);
    return record;
  }

  #createRefundNotification(refund: FakeRefund): NotificationRecord {
    const order = refund.order;
    const merchant = this.#merchants.get(order.mchid) as MerchantState;
    const payer = order.payer as NonNullable<FakeOrder['payer']>;
    const eventType = `REFUND.${refund.status}`;
    const resource: Record<string, unknown> = {
      ...(order.mode === 'common' ? { mchid: order.mchid } : { sp_mchid: order.mchid, sub_mchid: order.subMchid }),
      out_trade_no: order.outTradeNo,
      transaction_id: order.transactionId,
      out_refund_no: refund.outRefundNo,
      refund_id: refund.refundId,
      refund_status: refund.status,
      user_received_account: '支付用户零钱',
      amount: {
        total: order.total,
        currency: order.currency,
        refund: refund.amount,
        payer_total: payer.payerTotal,
        payer_currency: payer.payerCurrency,
        payer_refund: refund.payerRefund,
        exchange_rate: { type: 'USERPAYMENT_RATE', rate: payer.rate },
      },
    };
    if (refund.successTime) resource.success_time = beijingTime(refund.successTime);
    const nonce = randomString(12);
    const summaries: Record<string, string> = { SUCCESS: '退款成功', ABNORMAL: '退款异常', CLOSED: '退款关闭' };
    const envelope = {
      id: crypto.randomUUID(),
      create_time: beijingTime(this.#now()),
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary: summaries[refund.status] ?? '退款状态变更',
      resource: {
        original_type: 'refund',
        algorithm: 'AEAD_AES_256_GCM',
        ciphertext: aeadEncrypt(merchant.config.apiV3Key, nonce, 'refund', JSON.stringify(resource)),
        associated_data: 'refund',
        nonce,
      },
    };
    const record: NotificationRecord = {
      id: envelope.id,
      eventType,
      url: refund.notifyUrl as string,
      outTradeNo: order.outTradeNo,
      outRefundNo: refund.outRefundNo,
      body: JSON.stringify(envelope),
      resource,
      attempts: [],
      acknowledged: false,
    };
    this.notifications.push(record);
    return record;
  }

  #notificationHeaders(record: NotificationRecord): Record<string, string> {
    const tampering = record.tampering ?? {};
    const nowSeconds = Math.floor(this.#now() / 1000);
    const timestamp = String(nowSeconds - (tampering.staleTimestampSeconds ?? 0));
    const nonce = randomString(32);
    let signature = this.#sign(responseSigningMessage(timestamp, nonce, record.body));
    if (tampering.badSignature) signature = this.#sign(responseSigningMessage(timestamp, nonce, `${record.body}\n`));
    if (tampering.probeSignature) signature = `${PROBE_PREFIX}${crypto.randomBytes(192).toString('base64')}`;
    const serial = tampering.unknownSerial
      ? this.#options.signWith === 'publicKey'
        ? `PUB_KEY_ID_${randomDigits(32)}`
        : crypto.randomBytes(20).toString('hex').toUpperCase()
      : this.signingSerial;
    return {
      'Content-Type': 'application/json',
      'Request-ID': `08${randomString(30).toUpperCase()}`,
      'Wechatpay-Nonce': nonce,
      'Wechatpay-Serial': serial,
      'Wechatpay-Signature': signature,
      'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
      'Wechatpay-Timestamp': timestamp,
      'User-Agent': 'Mozilla/4.0 (FakeWechatPay)',
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
    const headers = this.#notificationHeaders(record);
    const at = this.#now();
    if (this.#stopped) return { at, error: 'stopped', acknowledged: false, headers };
    const url = new URL(record.url);
    if (url.protocol !== 'http:' || !isLoopbackHost(url.hostname)) {
      // The fake never connects outside loopback (and only speaks plain HTTP there).
      return { at, error: 'refused-non-loopback', acknowledged: false, headers };
    }
    const abort = new AbortController();
    this.#aborts.add(abort);
    try {
      return await new Promise<DeliveryAttempt>((resolve) => {
        const body = Buffer.from(record.body, 'utf8');
        const req = http.request(
          url,
          { method: 'POST', headers: { ...headers, 'Content-Length': String(body.length) }, signal: abort.signal, agent: false },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => {
              const status = res.statusCode ?? 0;
              resolve({
                at,
                status,
                responseBody: Buffer.concat(chunks).toString('utf8').slice(0, 4096),
                acknowledged: status === 200 || status === 204,
                headers,
              });
            });
            res.on('error', () => resolve({ at, error: 'connection', acknowledged: false, headers }));
          },
        );
        req.setTimeout(this.#options.notificationTimeoutMs, () => {
          req.destroy();
          resolve({ at, error: 'timeout', acknowledged: false, headers });
        });
        req.on('error', () => resolve({ at, error: this.#stopped ? 'stopped' : 'connection', acknowledged: false, headers }));
        req.end(body);
      });
    } finally {
      this.#aborts.delete(abort);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Helpers

  #now(): number {
    return Date.now() + this.#options.clockOffsetSeconds * 1000;
  }

  #sign(message: Buffer): string {
    const key = this.#options.signWith === 'publicKey' ? this.#publicKeyPair.privateKey : this.#certificates[this.#certificates.length - 1].keyPair.privateKey;
    return signBase64(message, key);
  }

  #newCertificate(): PlatformCertificate {
    const keyPair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const cert = createSelfSignedCertificate(keyPair, { commonName: 'Tenpay.com Root CA', validDays: 5 * 365, now: new Date(this.#now()) });
    const x509 = new crypto.X509Certificate(cert.pem);
    return { pem: cert.pem, serial: cert.serial, keyPair, effectiveTime: Date.parse(x509.validFrom), expireTime: Date.parse(x509.validTo) };
  }

  #payerOpenid(order: FakeOrder): string {
    const payer = order.request.payer;
    if (isRecord(payer)) {
      for (const key of ['openid', 'sp_openid', 'sub_openid']) if (typeof payer[key] === 'string') return payer[key] as string;
    }
    return `oUpF8u${randomString(22)}`;
  }

  #orderKey(merchant: MerchantState, subMchid: string | undefined, outTradeNo: string): string {
    return `${merchant.config.mchid}/${subMchid ?? ''}/${outTradeNo}`;
  }

  #findOrder(merchant: MerchantState, subMchid: string | undefined, by: string, id: string): FakeOrder {
    const order =
      by === 'out-trade-no'
        ? this.#orders.get(this.#orderKey(merchant, subMchid, id))
        : [...this.#orders.values()].find((o) => o.transactionId === id && o.mchid === merchant.config.mchid && o.subMchid === subMchid);
    if (!order) throw new ApiError(404, 'ORDER_NOT_EXIST', 'the order does not exist');
    return order;
  }

  #mustOrder(outTradeNo: string): FakeOrder {
    const order = this.order(outTradeNo);
    if (!order) throw new Error(`no order ${outTradeNo}`);
    return order;
  }

  /** A repeated request must match the first one except for the payer's client IP. */
  #comparable(body: Record<string, unknown>): string {
    const copy = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
    if (isRecord(copy.scene_info)) delete copy.scene_info.payer_client_ip;
    return stableStringify(copy);
  }

  /** A delay that stop() cuts short. */
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
    void work.finally(() => this.#inflight.delete(work));
  }
}
